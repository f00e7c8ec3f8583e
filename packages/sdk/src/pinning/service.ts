/**
 * Remote pinning behind one small interface. An adapter uploads the exact bytes of one block as a file
 * and returns the CID the service reports; {@link pinBlock} compares it with the local CID (they must be
 * equal: a record's CID is the raw CID of its bytes, which is what a service reports for a file that fits
 * one chunk). A service that imports CARs also takes a whole manifest in one upload ({@link pinBatch}:
 * a CAR rooted at the manifest's batch directory, see batch-directory.ts). Adapters stay thin: no
 * retries inside them, the outbox retries (see {@link Pinner}).
 *
 * Secrets (JWTs, API keys) come from options or the environment and never appear in errors: adapters
 * map a service's failure to a {@link PinError} with a status code and never copy its message or URL.
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";
import type { KuboServiceOptions } from "./kubo.js";
import type { PinataServiceOptions } from "./pinata.js";

/** Codes of {@link PinError}. */
export type PinErrorCode =
  /** The service reported another CID for the bytes than the local one (evidence: both). */
  | "PIN_CID_MISMATCH"
  /** 401/403: the credentials were refused. */
  | "PIN_UNAUTHORIZED"
  /** 429: rate limited; `retryAfterMs` when the service said (Retry-After). */
  | "PIN_RATE_LIMITED"
  /** 5xx, a network failure or a timeout: try again later. */
  | "PIN_UNAVAILABLE"
  /** Another 4xx: the service refused the upload. */
  | "PIN_REJECTED"
  /** Bad adapter options (a missing JWT or URL). */
  | "PIN_INVALID_OPTION";

/** A pinning failure. Carries the HTTP status (when there was one) and how long the service asked to wait. */
export class PinError extends AncoraError<PinErrorCode> {
  override name = "PinError";
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    code: PinErrorCode,
    shortMessage: string,
    options: AncoraErrorOptions & { status?: number; retryAfterMs?: number } = {},
  ) {
    super(code, shortMessage, options);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

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
 * const car = batchCar({ manifest, from, records });
 * await pinBatch(kuboService(), { root: car.directory.cid.toString(), bytes: car.bytes });
 * ```
 * @throws {PinError} `PIN_CID_MISMATCH` with `evidence: { expected, found }`, `PIN_INVALID_OPTION` for a
 *   service without CAR uploads, or the adapter's error.
 */
export async function pinBatch(
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

/** Parses an HTTP Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error for an HTTP status (never the service's message, which may echo a request). */
export function pinErrorForStatus(
  service: string,
  status: number | undefined,
  retryAfterMs?: number,
  cause?: unknown,
): PinError {
  const base = { ...(status === undefined ? {} : { status }), evidence: { service, status: status ?? null } };
  if (status === 401 || status === 403) {
    return new PinError("PIN_UNAUTHORIZED", `${service} refused the credentials (${status})`, {
      ...base,
      hint: "Check the JWT / API key given in the options or the environment.",
    });
  }
  if (status === 429) {
    return new PinError("PIN_RATE_LIMITED", `${service} is rate limiting uploads (429)`, {
      ...base,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new PinError("PIN_REJECTED", `${service} rejected the upload (${status})`, base);
  }
  return new PinError(
    "PIN_UNAVAILABLE",
    `${service} is unavailable${status === undefined ? "" : ` (${status})`}`,
    {
      ...base,
      ...(cause === undefined ? {} : { details: cause instanceof Error ? cause.name : "unknown" }),
    },
  );
}

/**
 * How a service made by {@link pinataService} or {@link kuboService} can be made again in another
 * thread: the factory's name and its resolved options (secrets included, so the property is hidden
 * from enumeration, JSON and inspection; it only ever crosses to a worker of this process).
 */
export type PortableServiceSpec =
  | { factory: "pinata"; options: PinataServiceOptions }
  | { factory: "kubo"; options: KuboServiceOptions };

const PORTABLE = Symbol("ancora.pinning.portable");

/** Marks `service` as rebuildable from `spec` (by the adapters' factories). */
export function markPortable<S extends PinningService>(service: S, spec: PortableServiceSpec): S {
  Object.defineProperty(service, PORTABLE, { value: spec, enumerable: false });
  return service;
}

/** The spec of a service made by one of the adapters' factories, or undefined for any other service. */
export function portableSpec(service: PinningService): PortableServiceSpec | undefined {
  return (service as { [PORTABLE]?: PortableServiceSpec })[PORTABLE];
}
