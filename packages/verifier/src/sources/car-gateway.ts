/**
 * A block fetcher that asks an Ancora node's HTTP gateway for blocks in bulk (`POST /ancora/v1/blocks`,
 * answered with a CAR v1 stream; see the SDK's ipfs/gateway.ts and docs/verifier.md). Fetches started
 * together (in the same turn of the event loop) share one request, so `verifyPublic`'s parallel fetches
 * become a few requests per manifest instead of one round trip (or one bitswap want) per record.
 *
 * The gateway is untrusted: each block is matched to the CID it was asked for and checked against it
 * (block-check.ts); a block it leaves out is `BLOCK_NOT_FOUND` for that CID alone.
 */
import type { BlockCid } from "@ancora/core";
import { ArgumentError, toHex } from "@ancora/core";
import { SourceError } from "../errors.js";
import { checkBlock, MAX_BLOCK_BYTES, requireBlockCid, throwIfAborted } from "./block-check.js";
import {
  backoff,
  DEFAULT_GATEWAY_RETRIES,
  DEFAULT_GATEWAY_TIMEOUT_MS,
  gatewayUrl,
  integerOption,
  readBounded,
} from "./blocks.js";
import { readCar } from "./car-reader.js";
import { nodeSha256 } from "./node-sha256.js";
import type { BlockFetcher } from "./types.js";

/** The gateway's batch path, relative to its base URL. */
export const CAR_GATEWAY_PATH = "ancora/v1/blocks";
/** CIDs per request unless told otherwise (the SDK gateway accepts up to 1,024). */
export const DEFAULT_BLOCKS_PER_REQUEST = 256;
/** A CAR header longer than this is not a header an Ancora gateway writes. */
const MAX_CAR_HEADER = 1_024;
/** Bytes of an Ancora block CID: version 1, raw codec, sha2-256, 32-byte digest. */
const BLOCK_CID_PREFIX = [0x01, 0x55, 0x12, 0x20] as const;
const BLOCK_CID_BYTES = 36;

/** Options of {@link carGatewayFetcher}. */
export interface CarGatewayFetcherOptions {
  /** Most CIDs per request (default {@link DEFAULT_BLOCKS_PER_REQUEST}, at most 1,024). */
  batchSize?: number;
  /** Time allowed per request, body included (default 30 s). */
  timeoutMs?: number;
  /** Extra request headers (credentials). Never logged or reported. */
  headers?: Readonly<Record<string, string>>;
  /** Retries after a 5xx, 429 or connection failure (default 2). */
  retries?: number;
}

interface Pending {
  readonly cid: BlockCid;
  readonly text: string;
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  settled: boolean;
}

/**
 * The blocks of a CAR v1 stream (read by car-reader.ts), keyed by the CID bytes of each section (hex).
 * The header is skipped (nothing in it is trusted); a section whose CID is not an Ancora block CID, or a
 * stream cut short, is malformed.
 *
 * @throws {SourceError} `SOURCE_INVALID` for a malformed stream.
 */
export function readCarBlocks(car: Uint8Array, source: string): Map<string, Uint8Array> {
  const invalid = (why: string, offset: number) =>
    new SourceError("SOURCE_INVALID", `The gateway's CAR response is malformed: ${why}`, {
      hint: "The gateway is not an Ancora gateway or is faulty; use gatewayFetcher or another source.",
      evidence: { source, offset },
    });
  const { sections } = readCar(car, {
    maxHeaderBytes: MAX_CAR_HEADER,
    minSectionBytes: BLOCK_CID_BYTES,
    maxSectionBytes: BLOCK_CID_BYTES + MAX_BLOCK_BYTES,
    invalid,
  });
  const blocks = new Map<string, Uint8Array>();
  for (const { offset, bytes } of sections) {
    if (BLOCK_CID_PREFIX.some((b, i) => bytes[i] !== b))
      throw invalid("a section's CID is not a block CID", offset);
    const key = toHex(bytes.subarray(0, BLOCK_CID_BYTES));
    // The first section for a CID wins; a repeat cannot change what was checked.
    if (!blocks.has(key)) blocks.set(key, bytes.subarray(BLOCK_CID_BYTES));
  }
  return blocks;
}

/**
 * A {@link BlockFetcher} over an Ancora node's CAR gateway. Concurrent fetches are gathered into
 * requests of at most `batchSize` CIDs; run it under `verifyPublic` or `fetchAll` with a concurrency of
 * a few hundred to fill the batches.
 *
 * - a block the answer leaves out: `BLOCK_NOT_FOUND` (for that CID; the others resolve);
 * - bytes that hash to another CID: `BLOCK_CID_MISMATCH`; a malformed CAR: `SOURCE_INVALID`;
 * - 5xx, 429 or a connection failure: retried with backoff, then `SOURCE_UNREACHABLE`; any other
 *   status (404 or 405: the gateway has no batch endpoint) `SOURCE_UNREACHABLE` at once;
 * - no complete answer within `timeoutMs`: `SOURCE_TIMEOUT`.
 *
 * A caller's `signal` rejects its own fetch with the signal's reason; a request whose callers have all
 * gone is aborted. Nothing is kept after a fetch resolves: memory is the requests in flight.
 *
 * @throws {ArgumentError} at construction, for a bad base URL (as {@link gatewayFetcher}), a batch size
 *   outside 1…1,024, a timeout below 1 ms or a negative retry count.
 * @example
 * ```ts
 * const node = await startIpfsNode({ store, gateway: true }); // @ancora/sdk
 * const result = await verifyPublic({ registry, fetchBlock: carGatewayFetcher(node.gatewayUrl!), concurrency: 512 });
 * ```
 */
export function carGatewayFetcher(baseUrl: string, options: CarGatewayFetcherOptions = {}): BlockFetcher {
  const base = gatewayUrl(baseUrl);
  const batchSize = integerOption("batchSize", options.batchSize, DEFAULT_BLOCKS_PER_REQUEST, 1);
  if (batchSize > 1_024) {
    throw new ArgumentError("batchSize must be at most 1024", { evidence: { batchSize } });
  }
  const timeoutMs = integerOption("timeoutMs", options.timeoutMs, DEFAULT_GATEWAY_TIMEOUT_MS, 1);
  const retries = integerOption("retries", options.retries, DEFAULT_GATEWAY_RETRIES, 0);
  const headers = { ...options.headers, "content-type": "text/plain", accept: "application/vnd.ipld.car" };
  const gateway = `${base.origin}${base.pathname}`;
  const url = new URL(CAR_GATEWAY_PATH, base);
  let queue: Pending[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length > 0) void request(batch);
  };

  async function request(batch: Pending[]): Promise<void> {
    const controller = new AbortController();
    const live = () => batch.filter((p) => !p.settled);
    const onAbort = (pending: Pending) => () => {
      if (pending.settled) return;
      pending.settled = true;
      pending.reject(pending.signal?.reason);
      if (live().length === 0) controller.abort();
    };
    const listeners = batch.map((p) => {
      const listener = onAbort(p);
      // Aborted while queued: settled now, and left out of the request.
      if (p.signal?.aborted) listener();
      else p.signal?.addEventListener("abort", listener, { once: true });
      return listener;
    });
    try {
      if (live().length === 0) return;
      const blocks = await post(live(), controller.signal);
      for (const p of live()) {
        p.settled = true;
        const bytes = blocks.get(toHex(p.cid.bytes));
        if (bytes === undefined) {
          p.reject(
            new SourceError("BLOCK_NOT_FOUND", "The gateway does not have the block", {
              hint: "Pin the block where this gateway can find it, or fetch it from another source.",
              evidence: { cid: p.text, gateway },
            }),
          );
          continue;
        }
        try {
          // A copy, so the fetch does not keep the whole response alive.
          p.resolve(checkBlock(p.cid, Uint8Array.from(bytes), gateway, nodeSha256));
        } catch (error) {
          p.reject(error);
        }
      }
    } catch (error) {
      for (const p of live()) {
        p.settled = true;
        p.reject(error);
      }
    } finally {
      batch.forEach((p, i) => {
        p.signal?.removeEventListener("abort", listeners[i] as () => void);
      });
    }
  }

  async function post(batch: Pending[], signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    const body = `${batch.map((p) => p.text).join("\n")}\n`;
    const limit = batch.length * (MAX_BLOCK_BYTES + 64) + MAX_CAR_HEADER;
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = AbortSignal.any([signal, timeout]);
      let failure: SourceError;
      try {
        const response = await fetch(url, { method: "POST", headers, body, signal: combined });
        if (response.ok) return readCarBlocks(await readLimited(response, limit, gateway), gateway);
        await response.body?.cancel().catch(() => {});
        failure = new SourceError("SOURCE_UNREACHABLE", `The gateway answered HTTP ${response.status}`, {
          hint:
            response.status === 404 || response.status === 405
              ? "This gateway has no Ancora batch endpoint: use gatewayFetcher (one block per request)."
              : "Retry later or use another source.",
          evidence: { gateway, status: response.status, cids: batch.length },
        });
        if (response.status < 500 && response.status !== 429) throw failure;
      } catch (error) {
        if (error instanceof SourceError) throw error;
        if (signal.aborted) throw signal.reason;
        if (timeout.aborted) {
          throw new SourceError("SOURCE_TIMEOUT", `The gateway did not answer within ${timeoutMs} ms`, {
            hint: "Retry, raise timeoutMs, or lower batchSize.",
            cause: error,
            evidence: { gateway, timeoutMs, cids: batch.length },
          });
        }
        failure = new SourceError("SOURCE_UNREACHABLE", "The gateway cannot be reached", {
          hint: "Check the gateway URL and the network, or use another source.",
          cause: error,
          evidence: { gateway, attempts: attempt + 1 },
        });
      }
      if (attempt >= retries) throw failure;
      await backoff(attempt, signal);
    }
  }

  return (cidText, fetchOptions = {}) => {
    try {
      const cid = requireBlockCid(cidText);
      const signal = fetchOptions.signal;
      throwIfAborted(signal);
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ cid, text: cidText, resolve, reject, signal, settled: false });
        if (queue.length >= batchSize) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** The body, refused beyond `limit` bytes (what the blocks asked for can add up to). */
function readLimited(response: Response, limit: number, gateway: string): Promise<Uint8Array> {
  return readBounded(
    response,
    limit,
    () =>
      new SourceError("BLOCK_TOO_LARGE", "The gateway's answer is larger than the blocks asked for", {
        hint: "The gateway serves something else; use another source.",
        evidence: { gateway, limit },
      }),
  );
}
