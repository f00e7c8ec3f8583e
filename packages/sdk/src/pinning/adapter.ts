/**
 * Remote pinning behind one small interface. An adapter uploads the exact bytes of one block as a file
 * and returns the CID the service reports; {@link pinBlock} compares it with the local CID (they must be
 * equal: a record's CID is the raw CID of its bytes, which is what a service reports for a file that fits
 * one chunk). A service that imports CARs also takes a whole manifest in one upload ({@link pinCar}:
 * a CAR rooted at the manifest's batch directory, see manifest-directory.ts). Adapters stay thin: no
 * retries inside them, the outbox retries (see {@link Pinner}).
 *
 * Secrets (JWTs, API keys) come from options or the environment and never appear in errors: adapters
 * map a service's failure to a {@link PinError} with a status code and never copy its message or URL.
 */
import { PinError } from "../errors.js";

/** One block to pin: its exact bytes and local CID. */
export interface PinBlock {
  cid: string;
  bytes: Uint8Array;
  /** A file name for the service's listing (no personal data: the CID by default). */
  name?: string;
}

/** A CAR v1 to import and pin: its bytes and the CID of its (single) root. */
export interface PinCar {
  /** The root named in the CAR's header, computed locally. */
  root: string;
  bytes: Uint8Array;
  /** A file name for the service's listing (no personal data: derived from the root by default). */
  name?: string;
}

/** A remote pinning service. */
export interface PinningService {
  /** Names the service in job kinds and cursors (`pinata`, `kubo`, …): keep it stable. */
  readonly name: string;
  /** Uploads the exact bytes as a file and returns the CID the service reports. Throws {@link PinError}. */
  upload(block: PinBlock, options?: { signal?: AbortSignal }): Promise<{ cid: string }>;
  /**
   * Imports a CAR, pins its root recursively, and returns the root CID the service reports. Optional:
   * the pinner falls back to one {@link upload} per block for a service without it. Throws {@link PinError}.
   */
  uploadCar?(car: PinCar, options?: { signal?: AbortSignal }): Promise<{ cid: string }>;
}

/**
 * Pins one block and checks that the service's CID equals the local one.
 *
 * @example
 * ```ts
 * await pinBlock(pinataService(), { cid: record.cid, bytes: record.bytes });
 * ```
 * @throws {PinError} `PIN_CID_MISMATCH` with `evidence: { expected, found }`, or the adapter's error.
 */
export async function pinBlock(
  service: PinningService,
  block: PinBlock,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const { cid } = await service.upload(block, options);
  if (cid !== block.cid) {
    throw new PinError("PIN_CID_MISMATCH", `${service.name} reported another CID than the local one`, {
      hint: "The service must store the bytes as one raw block (CIDv1, raw leaves, one chunk).",
      evidence: { service: service.name, expected: block.cid, found: cid },
    });
  }
}

/**
 * Imports a CAR on a service and checks that the root it reports equals the local one.
 *
 * @example
 * ```ts
 * const car = manifestCar({ manifest, from, records });
 * await pinCar(kuboService(), { root: car.directory.cid.toString(), bytes: car.bytes });
 * ```
 * @throws {PinError} `PIN_CID_MISMATCH` with `evidence: { expected, found }`, `PIN_INVALID_OPTION` for a
 *   service without CAR uploads, or the adapter's error.
 */
export async function pinCar(
  service: PinningService,
  car: PinCar,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  if (service.uploadCar === undefined) {
    throw new PinError("PIN_INVALID_OPTION", `${service.name} does not take CAR uploads`, {
      hint: "Pin the blocks one by one with pinBlock (the pinner does so for such a service).",
    });
  }
  const { cid } = await service.uploadCar(car, options);
  if (cid !== car.root) {
    throw new PinError("PIN_CID_MISMATCH", `${service.name} reported another root CID than the local one`, {
      hint: "The service must import the CAR as is and report the root named in its header.",
      evidence: { service: service.name, expected: car.root, found: cid },
    });
  }
}
