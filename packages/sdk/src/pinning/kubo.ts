/**
 * A Kubo RPC endpoint through `kubo-rpc-client`: `add` of the exact bytes with CIDv1 and raw leaves,
 * pinned; CARs through `dag.import` with `pin-roots=true`.
 *
 * `POST /api/v0/dag/import` takes the CAR as a multipart file and answers newline-delimited JSON, one
 * `{"Root":{"Cid":{"/":"<cid>"},"PinErrorMsg":""}}` per root it pinned (kubo-rpc-client
 * dist/src/dag/import.js reads exactly that; ipfs/ipfs-docs#1980 documents the NDJSON shape). A non-empty
 * `PinErrorMsg` means the root could not be pinned, typically because a block it links is missing.
 */
import { assertInstalled, importOptional, OptionalDependencyError } from "@ancora/verifier/node";
import type { KuboRPCClient } from "kubo-rpc-client";
import { PinError } from "../errors.js";
import { KUBO_PACKAGES } from "../optional-packages.js";
import type { PinBlock, PinCar, PinningService } from "./adapter.js";
import { parseRetryAfter, pinErrorForStatus } from "./http-status.js";
import type { KuboServiceOptions } from "./options.js";
import { markPortable } from "./portable.js";

/** What needs kubo-rpc-client, as its absence is reported. */
const FEATURE = "Pinning to Kubo (kuboService)";

/**
 * A Kubo RPC adapter. `kubo-rpc-client` is an optional peer dependency: checked here (a missing one
 * throws `OPTIONAL_DEPENDENCY_MISSING`, naming the `npm install` to run), loaded at the first upload.
 *
 * @example
 * ```ts
 * const kubo = kuboService({ url: "http://127.0.0.1:5001/api/v0" });
 * await pinBlock(kubo, { cid: record.cid, bytes: record.bytes });
 * await pinCar(kubo, { root: car.directory.cid.toString(), bytes: car.bytes }); // one CAR
 * ```
 */
export function kuboService(options: KuboServiceOptions = {}): PinningService {
  const url = options.url ?? process.env.KUBO_RPC_URL;
  if (url === undefined || url === "") {
    throw new PinError("PIN_INVALID_OPTION", "Kubo needs an RPC URL (option `url` or KUBO_RPC_URL)");
  }
  assertInstalled(FEATURE, KUBO_PACKAGES, () => import.meta.resolve("kubo-rpc-client"));
  let loaded: Promise<KuboRPCClient> | undefined;
  const connect = (): Promise<KuboRPCClient> => {
    loaded ??= importOptional(FEATURE, KUBO_PACKAGES, () => import("kubo-rpc-client")).then(({ create }) =>
      create({
        url,
        timeout: options.timeoutMs ?? 30_000,
        ...(options.headers === undefined ? {} : { headers: options.headers }),
      }),
    );
    return loaded;
  };
  const failure = (error: unknown): PinError | OptionalDependencyError => {
    if (error instanceof PinError || error instanceof OptionalDependencyError) return error;
    const response = (error as { response?: { status?: number; headers?: Headers } }).response;
    const status = typeof response?.status === "number" ? response.status : undefined;
    return pinErrorForStatus("kubo", status, parseRetryAfter(response?.headers?.get("retry-after")), error);
  };
  return markPortable(
    {
      name: "kubo",
      async uploadCar(car: PinCar, uploadOptions = {}) {
        try {
          let root: string | undefined;
          const client = await connect();
          for await (const result of client.dag.import([new Uint8Array(car.bytes)], {
            pinRoots: true,
            ...(uploadOptions.signal === undefined ? {} : { signal: uploadOptions.signal }),
          })) {
            if (result.root.pinErrorMsg !== undefined && result.root.pinErrorMsg !== "") {
              // The message names Kubo's internals; keep only that the pin failed.
              throw new PinError("PIN_REJECTED", "kubo imported the CAR but could not pin its root", {
                hint: "A block the root links is missing from the CAR.",
                evidence: { service: "kubo", root: result.root.cid.toString() },
              });
            }
            root ??= result.root.cid.toString();
          }
          if (root === undefined) {
            throw new PinError("PIN_REJECTED", "kubo reported no pinned root for the CAR", {
              evidence: { service: "kubo" },
            });
          }
          return { cid: root };
        } catch (error) {
          throw failure(error);
        }
      },
      async upload(block: PinBlock, uploadOptions = {}) {
        try {
          const client = await connect();
          const result = await client.add(new Uint8Array(block.bytes), {
            cidVersion: 1,
            rawLeaves: true,
            pin: true,
            ...(uploadOptions.signal === undefined ? {} : { signal: uploadOptions.signal }),
          });
          return { cid: result.cid.toString() };
        } catch (error) {
          throw failure(error);
        }
      },
    },
    { factory: "kubo", options: { ...options, url } },
  );
}
