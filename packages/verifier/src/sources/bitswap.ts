/**
 * A block fetcher over bitswap: a minimal Helia light node of the auditor's own (helia-node.ts: TCP on
 * loopback, no bootstrap, no discovery, no delegated routing or gateways; here an in-memory
 * blockstore) that dials only the peers it is given and asks them for blocks. Every block is checked against its CID here, not
 * only by Helia, so the guarantee does not depend on a library's defaults.
 */
import { ArgumentError } from "@ancora/core";
import type { Blockstore } from "interface-blockstore";
import { SourceError } from "../errors.js";
import { HELIA_PACKAGES, importOptional } from "../optional-dependency.js";
import { checkBlock, requireBlockCid, throwIfAborted } from "./block-check.js";
import { startOfflineHelia } from "./helia-node.js";
import { nodeSha256 } from "./node-sha256.js";
import type { BlockFetcher } from "./types.js";

/** Time allowed to fetch one block, in ms. */
export const DEFAULT_BITSWAP_TIMEOUT_MS = 10_000;
/** Time allowed to dial each peer at start, in ms. */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000;
/**
 * Bytes of fetched blocks the node keeps (oldest dropped first). Helia stores every block it fetches;
 * without a bound a run over millions of records grows without end. Blocks are kept rather than
 * dropped at once because Helia 7's bitswap client never sends cancels, and its server does not
 * resend a block it sent in the last 5 s (`doNotResendBlockWindow`): a block asked for again in that
 * window, once dropped, would time out. 64 MiB holds far more than 5 s of blocks at any rate measured.
 */
export const BITSWAP_KEPT_BYTES = 64 * 1024 * 1024;

/** Options of {@link startBitswapFetcher}. */
export interface BitswapFetcherOptions {
  /** Peers to fetch from: multiaddrs ending in `/p2p/<peer id>` (e.g. an SDK node's `addresses`). */
  peers: readonly string[];
  /** Time allowed per block (default {@link DEFAULT_BITSWAP_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Time allowed to dial each peer (default {@link DEFAULT_DIAL_TIMEOUT_MS}). */
  dialTimeoutMs?: number;
}

/** A running bitswap fetcher. */
export interface BitswapFetcher {
  readonly fetch: BlockFetcher;
  /** Stops the node; fetches in flight reject. Idempotent. */
  close(): Promise<void>;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new ArgumentError(`${name} must be a positive integer`, { evidence: { [name]: v } });
  }
  return v;
}

/** `store`, dropping its oldest blocks once it holds more than `limit` bytes. */
export function boundedBlockstore<S extends Blockstore>(store: S, limit = BITSWAP_KEPT_BYTES): S {
  const kept: Array<{ cid: Parameters<S["put"]>[0]; size: number }> = [];
  let bytes = 0;
  const put = store.put.bind(store);
  store.put = async (cid, value, options) => {
    const block = value instanceof Uint8Array ? value : new Uint8Array(Buffer.concat(await collect(value)));
    const stored = await put(cid, block, options);
    kept.push({ cid, size: block.length });
    bytes += block.length;
    while (bytes > limit && kept.length > 1) {
      const oldest = kept.shift() as (typeof kept)[number];
      bytes -= oldest.size;
      await store.delete(oldest.cid);
    }
    return stored;
  };
  return store;
}

async function collect(parts: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

/**
 * Starts a client-only Helia node, dials every peer, and returns a {@link BlockFetcher} that asks them
 * for blocks over bitswap. Helia and libp2p are optional peer dependencies: without them this throws
 * `OPTIONAL_DEPENDENCY_MISSING` (an `OptionalDependencyError` naming the `npm install` to run).
 *
 * - A peer that cannot be dialled at start: `SOURCE_UNREACHABLE` (evidence `peer`), node stopped.
 * - A block no connected peer provides within `timeoutMs`: `BLOCK_NOT_FOUND` (evidence `timeoutMs`).
 *   Bitswap peers do not answer "I don't have it" reliably, so a timeout is how absence shows; it is
 *   reported as absence rather than `SOURCE_TIMEOUT` because the peers are connected and asked. When
 *   every peer has disconnected by then, it is `SOURCE_UNREACHABLE` instead.
 * - Bytes that hash to another CID: `BLOCK_CID_MISMATCH`; an unsupported CID: `SOURCE_UNSUPPORTED_CID`.
 *
 * Fetched blocks stay in the node's in-memory blockstore up to {@link BITSWAP_KEPT_BYTES}, oldest
 * dropped first, so memory is bounded however long the run. Always `close()` the fetcher.
 *
 * @throws {ArgumentError} when `peers` is empty or holds an address that is not a multiaddr with a
 *   `/p2p/` peer id.
 * @example
 * ```ts
 * const bitswap = await startBitswapFetcher({ peers: ["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…"] });
 * try {
 *   const blocks = await fetchAll(bitswap.fetch, cids);
 * } finally {
 *   await bitswap.close();
 * }
 * ```
 */
export async function startBitswapFetcher(options: BitswapFetcherOptions): Promise<BitswapFetcher> {
  const timeoutMs = positiveInteger("timeoutMs", options.timeoutMs, DEFAULT_BITSWAP_TIMEOUT_MS);
  const dialTimeoutMs = positiveInteger("dialTimeoutMs", options.dialTimeoutMs, DEFAULT_DIAL_TIMEOUT_MS);
  // Loaded on first use, so importing the verifier does not pay for libp2p (nor does helia-node.ts).
  const [{ multiaddr }, { MemoryBlockstore }] = await importOptional(
    "Fetching blocks over bitswap",
    HELIA_PACKAGES,
    () => Promise.all([import("@multiformats/multiaddr"), import("blockstore-core")]),
  );
  if (!Array.isArray(options.peers) || options.peers.length === 0) {
    throw new ArgumentError("startBitswapFetcher needs at least one peer", {
      hint: "Pass the multiaddrs of the nodes serving the log, e.g. an SDK IPFS node's `addresses`.",
    });
  }
  const peers: string[] = options.peers.map((peer) => {
    let address: ReturnType<typeof multiaddr>;
    try {
      address = multiaddr(peer);
    } catch (error) {
      throw new ArgumentError("A peer address is not a multiaddr", { cause: error, evidence: { peer } });
    }
    if (!address.getComponents().some((c) => c.name === "p2p")) {
      throw new ArgumentError("A peer address has no /p2p/<peer id>", {
        hint: "Bitswap peers are dialled by identity: append /p2p/<peer id> to the address.",
        evidence: { peer },
      });
    }
    return peer;
  });

  const helia = await startOfflineHelia({ blockstore: boundedBlockstore(new MemoryBlockstore()) });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await helia.stop();
  };
  for (const peer of peers) {
    try {
      await helia.dial(peer, { signal: AbortSignal.timeout(dialTimeoutMs) });
    } catch (error) {
      await close();
      throw new SourceError("SOURCE_UNREACHABLE", "A bitswap peer cannot be dialled", {
        hint: "Check that the node serving the log is running and that its address and peer id are right.",
        cause: error,
        evidence: { peer, dialTimeoutMs },
      });
    }
  }

  const fetch: BlockFetcher = async (cidText, fetchOptions = {}) => {
    const cid = requireBlockCid(cidText);
    const signal = fetchOptions.signal;
    throwIfAborted(signal);
    if (closed) {
      throw new SourceError("SOURCE_UNREACHABLE", "The bitswap fetcher is closed", {
        hint: "Start a new fetcher with startBitswapFetcher.",
        evidence: { cid: cidText },
      });
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    const parts: Uint8Array[] = [];
    try {
      for await (const part of helia.get(cid, { signal: combined })) parts.push(part);
    } catch (error) {
      throwIfAborted(signal);
      const connected = !closed && helia.connections() > 0;
      if (timeout.aborted && connected) {
        throw new SourceError("BLOCK_NOT_FOUND", `No peer provided the block within ${timeoutMs} ms`, {
          hint: "Check that the peers serve this log (and are caught up), or raise timeoutMs.",
          cause: error,
          evidence: { cid: cidText, peers, timeoutMs },
        });
      }
      throw new SourceError("SOURCE_UNREACHABLE", "The bitswap peers are no longer reachable", {
        hint: "Check that the node serving the log is still running, then start a new fetcher.",
        cause: error,
        evidence: { cid: cidText, peers },
      });
    }
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : new Uint8Array(Buffer.concat(parts));
    return checkBlock(cid, bytes, "bitswap", nodeSha256);
  };

  return { fetch, close };
}
