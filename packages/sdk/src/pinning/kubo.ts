/**
 * A Kubo RPC endpoint through `kubo-rpc-client`: `add` of the exact bytes with CIDv1 and raw leaves, pinned.
 */
import { create } from "kubo-rpc-client";
import {
  type PinBlock,
  PinError,
  type PinningService,
  parseRetryAfter,
  pinErrorForStatus,
} from "./service.js";

/** Options of {@link kuboService}. */
export interface KuboServiceOptions {
  /** RPC API URL, e.g. http://127.0.0.1:5001/api/v0. Default: `process.env.KUBO_RPC_URL`. */
  url?: string;
  /** Extra headers (e.g. `Authorization` for a protected endpoint; from the environment, never logged). */
  headers?: Record<string, string>;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

/**
 * A Kubo RPC adapter.
 *
 * @example
 * ```ts
 * const kubo = kuboService({ url: "http://127.0.0.1:5001/api/v0" });
 * await pinBlock(kubo, { cid: record.cid, bytes: record.bytes });
 * ```
 */
export function kuboService(options: KuboServiceOptions = {}): PinningService {
  const url = options.url ?? process.env.KUBO_RPC_URL;
  if (url === undefined || url === "") {
    throw new PinError("PIN_INVALID_OPTION", "Kubo needs an RPC URL (option `url` or KUBO_RPC_URL)");
  }
  const client = create({
    url,
    timeout: options.timeoutMs ?? 30_000,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
  return {
    name: "kubo",
    async upload(block: PinBlock, uploadOptions = {}) {
      try {
        const result = await client.add(new Uint8Array(block.bytes), {
          cidVersion: 1,
          rawLeaves: true,
          pin: true,
          ...(uploadOptions.signal === undefined ? {} : { signal: uploadOptions.signal }),
        });
        return { cid: result.cid.toString() };
      } catch (error) {
        const response = (error as { response?: { status?: number; headers?: Headers } }).response;
        const status = typeof response?.status === "number" ? response.status : undefined;
        throw pinErrorForStatus(
          "kubo",
          status,
          parseRetryAfter(response?.headers?.get("retry-after")),
          error,
        );
      }
    },
  };
}
