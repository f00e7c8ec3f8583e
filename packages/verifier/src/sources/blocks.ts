/**
 * Block fetchers over HTTP: an IPFS trustless gateway (IPIP-0328 raw blocks), and `fetchAll`, which
 * drives any {@link BlockFetcher} over many CIDs with bounded concurrency. A gateway is untrusted: every
 * block is checked against its CID before it is returned (see block-check.ts). Pure (fetch and timers
 * only, no node: import), so the browser's receipt page fetches a record's config with this same code.
 */
import { ArgumentError, type Sha256 } from "@ancora/core";
import { SourceError } from "../errors.js";
import { checkBlock, MAX_BLOCK_BYTES, requireBlockCid, throwIfAborted, tooLarge } from "./block-check.js";
import type { BlockFetcher } from "./types.js";

/** Time allowed for one gateway request, body included, in ms. */
export const DEFAULT_GATEWAY_TIMEOUT_MS = 30_000;
/** Retries after a 5xx, 429 or connection failure (so three attempts in all). */
export const DEFAULT_GATEWAY_RETRIES = 2;
/** First retry delay in ms; each next one doubles, with ±25% jitter, up to {@link MAX_BACKOFF_MS}. */
export const GATEWAY_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
/** Concurrent fetches of {@link fetchAll} unless told otherwise. */
export const DEFAULT_FETCH_CONCURRENCY = 32;

/** Options of {@link gatewayFetcher}. */
export interface GatewayFetcherOptions {
  /** Time allowed per request, body included (default {@link DEFAULT_GATEWAY_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Extra request headers, e.g. an `Authorization` for a private gateway. Never logged or reported. */
  headers?: Readonly<Record<string, string>>;
  /** Retries after a 5xx, 429 or connection failure (default {@link DEFAULT_GATEWAY_RETRIES}). */
  retries?: number;
  /** SHA-256 for the CID check (default core's; Node callers inject node:crypto's, `nodeSha256`). */
  sha256?: Sha256;
}

/** A gateway base URL, checked (http(s), no credentials, query or fragment) and ending in `/`. */
export function gatewayUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new ArgumentError("The gateway URL is not a URL", {
      hint: "Pass a URL such as https://ipfs.example.org or http://127.0.0.1:8080.",
      cause: error,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ArgumentError("The gateway URL must be http or https", {
      evidence: { protocol: url.protocol },
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new ArgumentError("The gateway URL must not carry credentials", {
      hint: "Pass credentials as a header: gatewayFetcher(url, { headers: { authorization: … } }).",
    });
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ArgumentError("The gateway URL must not have a query or fragment", {
      hint: "Pass the gateway's base URL; /ipfs/<cid>?format=raw is appended to it.",
    });
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

export function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new ArgumentError(`${name} must be an integer of at least ${min}`, { evidence: { [name]: v } });
  }
  return v;
}

/**
 * A {@link BlockFetcher} over an IPFS trustless gateway: `GET {base}/ipfs/{cid}?format=raw` with
 * `Accept: application/vnd.ipld.raw`.
 *
 * - 404 or 410: `BLOCK_NOT_FOUND`, at once (the gateway answered).
 * - 5xx, 429 or a connection failure (refused, reset, DNS): retried `retries` times with exponential
 *   backoff, then `SOURCE_UNREACHABLE`. Any other status: `SOURCE_UNREACHABLE` at once (evidence
 *   `status`; 401/403 usually mean a missing `Authorization` header).
 * - no complete answer within `timeoutMs`: `SOURCE_TIMEOUT` (not retried: it already cost the timeout).
 * - a body over {@link MAX_BLOCK_BYTES}: `BLOCK_TOO_LARGE`, without reading the rest.
 * - bytes that hash to another CID: `BLOCK_CID_MISMATCH`.
 * - a CID that is not a canonical Ancora block CID: `SOURCE_UNSUPPORTED_CID`, with no request made.
 *
 * The caller's `signal` aborts a fetch (and its backoff) with the signal's reason.
 *
 * @throws {ArgumentError} at construction, for a base URL that is not http(s), carries credentials, a
 *   query or a fragment, or for a timeout below 1 ms or a negative retry count.
 * @example
 * ```ts
 * const fetch = gatewayFetcher("https://ipfs.example.org", { timeoutMs: 10_000 });
 * const bytes = await fetch("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq");
 * ```
 */
export function gatewayFetcher(baseUrl: string, options: GatewayFetcherOptions = {}): BlockFetcher {
  const base = gatewayUrl(baseUrl);
  const timeoutMs = integerOption("timeoutMs", options.timeoutMs, DEFAULT_GATEWAY_TIMEOUT_MS, 1);
  const retries = integerOption("retries", options.retries, DEFAULT_GATEWAY_RETRIES, 0);
  const headers = { ...options.headers, accept: "application/vnd.ipld.raw" };
  const gateway = `${base.origin}${base.pathname}`;

  return async (cidText, fetchOptions = {}) => {
    const cid = requireBlockCid(cidText);
    const signal = fetchOptions.signal;
    const url = new URL(`ipfs/${cidText}?format=raw`, base);
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
      let failure: SourceError;
      try {
        const response = await fetch(url, { headers, signal: combined, redirect: "follow" });
        if (response.ok) {
          return checkBlock(cid, await readBody(response, cidText, gateway), gateway, options.sha256);
        }
        await response.body?.cancel().catch(() => {});
        const evidence = { cid: cidText, gateway, status: response.status };
        if (response.status === 404 || response.status === 410) {
          throw new SourceError("BLOCK_NOT_FOUND", "The gateway does not have the block", {
            hint: "Pin the block where this gateway can find it, or fetch it from another gateway or peer.",
            evidence,
          });
        }
        failure = new SourceError("SOURCE_UNREACHABLE", `The gateway answered HTTP ${response.status}`, {
          hint:
            response.status === 401 || response.status === 403
              ? "The gateway needs credentials: pass them in `headers`."
              : "Retry later or use another gateway.",
          evidence,
        });
        if (response.status < 500 && response.status !== 429) throw failure;
      } catch (error) {
        if (error instanceof SourceError) throw error;
        throwIfAborted(signal);
        if (timeout.aborted) {
          throw new SourceError("SOURCE_TIMEOUT", `The gateway did not answer within ${timeoutMs} ms`, {
            hint: "Retry, raise timeoutMs, or use another gateway.",
            cause: error,
            evidence: { cid: cidText, gateway, timeoutMs },
          });
        }
        failure = new SourceError("SOURCE_UNREACHABLE", "The gateway cannot be reached", {
          hint: "Check the gateway URL and the network, or use another gateway.",
          cause: error,
          evidence: { cid: cidText, gateway, attempts: attempt + 1 },
        });
      }
      if (attempt >= retries) throw failure;
      await backoff(attempt, signal);
    }
  };
}

/** The response body, read until {@link MAX_BLOCK_BYTES} and no further. */
async function readBody(response: Response, cid: string, gateway: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_BLOCK_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(cid, gateway, declared);
  }
  return readBounded(response, MAX_BLOCK_BYTES, () => tooLarge(cid, gateway));
}

/**
 * A response body read as it streams in, cancelled and refused with `tooLarge()` as soon as it passes
 * `limit` bytes (never buffered beyond that).
 */
export async function readBounded(
  response: Response,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/** Waits before retry `attempt` (exponential, ±25% jitter); the caller's signal cuts it short. */
export async function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  const delay = Math.min(MAX_BACKOFF_MS, GATEWAY_BACKOFF_MS * 2 ** attempt) * (0.75 + Math.random() / 2);
  throwIfAborted(signal);
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, delay);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Options of {@link fetchAll}. */
export interface FetchAllOptions {
  /** Fetches in flight at once (default {@link DEFAULT_FETCH_CONCURRENCY}). */
  concurrency?: number;
  /** Called after each block arrives with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts every fetch in flight and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Fetches every CID with at most `concurrency` fetches in flight, and returns the blocks in the order
 * of `cids`. The first error (a fetch's, `onProgress`'s, or the caller's abort) rejects at once and
 * aborts the fetches still in flight through the signal they were given; no new fetch starts after it.
 *
 * @throws {ArgumentError} when `concurrency` is not a positive integer.
 * @example
 * ```ts
 * const blocks = await fetchAll(gatewayFetcher(url), cids, {
 *   concurrency: 16,
 *   onProgress: (done, total) => process.stderr.write(`\r${done}/${total}`),
 * });
 * ```
 */
export function fetchAll(
  fetch: BlockFetcher,
  cids: readonly string[],
  options: FetchAllOptions = {},
): Promise<Uint8Array[]> {
  const concurrency = options.concurrency ?? DEFAULT_FETCH_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    return Promise.reject(
      new ArgumentError("concurrency must be a positive integer", { evidence: { concurrency } }),
    );
  }
  const { signal, onProgress } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const total = cids.length;
  const results = new Array<Uint8Array>(total);
  if (total === 0) return Promise.resolve(results);
  const controller = new AbortController();
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const onAbort = () => fail(signal?.reason);
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      signal?.removeEventListener("abort", onAbort);
      controller.abort(error);
      reject(error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const launch = () => {
      while (!failed && next < total && next - done < concurrency) {
        const index = next++;
        const cid = cids[index] as string;
        Promise.resolve()
          .then(() => (failed ? undefined : fetch(cid, { signal: controller.signal })))
          .then((bytes) => {
            if (failed || bytes === undefined) return;
            results[index] = bytes;
            done++;
            onProgress?.(done, total);
            if (done === total) {
              signal?.removeEventListener("abort", onAbort);
              resolve(results);
            } else {
              launch();
            }
          })
          .catch(fail);
      }
    };
    launch();
  });
}
