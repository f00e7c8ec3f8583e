/**
 * Public verification: an auditor holding only a registry address, a chain and an IPFS source rebuilds
 * every stream from what was anchored and published, with no access to the organisation's database.
 *
 * Per stream: the anchor history is proven against the chained head in contract state
 * (./anchor-history.ts); each anchor's manifest CID is rebuilt from its digest and the manifest chain is
 * walked and checked (./manifest-chain.ts); then, manifest by manifest, the records are fetched in
 * parallel and fed in seq order to the same {@link StreamVerifier} that checks a local log, with the
 * manifests' (size, root, head) as the checkpoints: every record rule applies, and the root recomputed
 * at every manifest's size must be the manifest's root, which for an anchored manifest is the anchored
 * root. Memory is bounded by two manifests' records (one being verified, the next being fetched).
 * With a `pool` (a {@link RangeChecker}), the records are checked in ranges on other threads while this
 * one fetches (./range-dispatch.ts), and a stream that is not a plain success is verified again here.
 */
import { encodeStreamId, isBytes32 } from "@ancora/contracts";
import { AncoraError, type Sha256 } from "@ancora/core";
import type { Hex } from "viem";
import { type ProvenAnchor, proveHistoryFromEvents } from "../chain/history-proof.js";
import { misstatedSizeFailure, TrueSizeFinder } from "../chain/misstated-size.js";
import type { RegistryStream, RegistryView } from "../chain/registry-view.js";
import { registeredName } from "../chain/stream-names.js";
import { PublicVerifyError } from "../errors.js";
import type { RangeChecker } from "../range-checker.js";
import { RANGE_BLOCK } from "../range-checker.js";
import type { VerificationFailure, VerificationResult } from "../result.js";
import type { StoredRecord } from "../source.js";
import type { BlockFetcher } from "../sources/types.js";
import { StreamVerifier } from "../stream-verifier.js";
import { DEFAULT_MAX_FAILURES } from "../verify-options.js";
import { fetchInParallel } from "./fetch-pool.js";
import {
  type AnchorFacts,
  type BlockOutcome,
  blockFailure,
  fetchManifest,
  fetchOutcome,
  type ManifestLink,
  manifestsOfStream,
} from "./manifest-chain.js";
import { RangeDispatcher } from "./range-dispatch.js";

/** Blocks requested at once by default: enough to hide a loopback or LAN round trip. */
export const DEFAULT_PUBLIC_CONCURRENCY = 32;

/** Records per range checked by a {@link PublicVerifyOptions.pool} (about 0.2 s of work). */
export const DEFAULT_PUBLIC_RANGE_RECORDS = 4_096;

/** How a stream's anchor history was proven, as results and reports name it. */
export const HISTORY_PROOF = "events replayed from genesis to the chained head in state";

/** Progress of a public run, reported after each manifest's records are verified. */
export interface PublicProgress {
  /** The stream being verified (its name once known, else its 0x id). */
  readonly stream: string;
  /** Records verified so far, over every stream. */
  readonly records: number;
  /** Records anchored over every stream selected: what a complete run verifies. */
  readonly total: number;
}

/** Options of {@link verifyPublic}. */
export interface PublicVerifyOptions {
  /** The registry, read at one block. */
  readonly registry: RegistryView;
  /** Where blocks come from (a gateway, a bitswap node, a test). */
  readonly fetchBlock: BlockFetcher;
  /** Streams to verify, by name or 0x id; default every registered stream. */
  readonly streams?: readonly string[];
  /** Blocks requested at once (default {@link DEFAULT_PUBLIC_CONCURRENCY}). */
  readonly concurrency?: number;
  readonly onProgress?: (progress: PublicProgress) => void;
  /** SHA-256 implementation (node:crypto's is several times faster in Node). */
  readonly sha256?: Sha256;
  /** Failures kept per stream (default {@link DEFAULT_MAX_FAILURES}); all are counted. */
  readonly maxFailures?: number;
  readonly signal?: AbortSignal;
  /**
   * Checks ranges of records on other threads (`createVerifyPool` of `@ancora/verifier/node`) while
   * this thread goes on fetching. Results are the same without it: a stream whose ranges are not a
   * plain success is verified again on this thread.
   */
  readonly pool?: RangeChecker;
  /**
   * Records per range given to `pool`, a multiple of 16 (default {@link DEFAULT_PUBLIC_RANGE_RECORDS});
   * streams of at most this many records are checked on this thread.
   */
  readonly rangeRecords?: number;
}

/** One stream's public verification. */
export interface PublicStreamResult extends VerificationResult {
  readonly streamId: Hex;
  /** Anchors in the proven history. */
  readonly anchors: number;
  /** Manifests checked (anchored and intermediate). */
  readonly manifests: number;
  /** The latest anchored tree size and root (state), 0 and null before the first anchor. */
  readonly anchoredSize: number;
  readonly anchoredRoot: Hex | null;
  /** How the history was proven ({@link HISTORY_PROOF}), or why it was not. */
  readonly history: string;
  /** False when a failure stopped the stream before its last anchored record. */
  readonly complete: boolean;
  /**
   * Set when the stream's records were checked in ranges on `pool` and that was not a plain success:
   * why. The stream was then fetched and verified again on the calling thread (the result is that
   * run's); blocks the source did not have are not asked for twice.
   */
  readonly serialFallback?: string;
}

/** The result of a public run. */
export interface PublicVerificationResult {
  readonly ok: boolean;
  /** Records verified over every stream. */
  readonly checked: number;
  /** Anchors proven over every stream. */
  readonly anchors: number;
  /** Every stream's failures, stream by stream, each sorted by seq. */
  readonly failures: readonly VerificationFailure[];
  readonly streams: readonly PublicStreamResult[];
  readonly chainId: number;
  readonly registry: string;
  readonly blockNumber: bigint;
}

/**
 * Verifies a registry's streams from the chain and IPFS alone.
 *
 * @example
 * ```ts
 * const result = await verifyPublic({
 *   registry: await registryView(publicClient, "0x5FbD…"),
 *   fetchBlock: gatewayFetcher("https://ipfs.example.org"),
 *   streams: ["loans"],
 * });
 * result.ok; // false
 * result.failures[0]; // { code: "BLOCK_MISSING", stream: "loans", seq: 1234, expected: "bafkrei…", found: "not found at the source" }
 * ```
 * @throws {PublicVerifyError} for a bad option or an unregistered stream; the source's own errors
 * (`SourceError` unreachable or timed out, `HISTORY_UNAVAILABLE`) when a source cannot answer.
 */
export async function verifyPublic(options: PublicVerifyOptions): Promise<PublicVerificationResult> {
  const concurrency = options.concurrency ?? DEFAULT_PUBLIC_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1024) {
    throw new PublicVerifyError("PUBLIC_BAD_OPTION", `concurrency must be an integer from 1 to 1024`, {
      hint: "Pass a concurrency such as 32, or leave it out.",
      evidence: { concurrency },
    });
  }
  const rangeRecords = options.rangeRecords ?? DEFAULT_PUBLIC_RANGE_RECORDS;
  if (!Number.isSafeInteger(rangeRecords) || rangeRecords < RANGE_BLOCK || rangeRecords % RANGE_BLOCK !== 0) {
    throw new PublicVerifyError(
      "PUBLIC_BAD_OPTION",
      `rangeRecords must be a positive multiple of ${RANGE_BLOCK}`,
      {
        hint: "Pass a range size such as 4096, or leave it out.",
        evidence: { rangeRecords },
      },
    );
  }
  const { registry } = options;
  const entries = await selectStreams(registry, options.streams);
  const total = entries.reduce((sum, e) => sum + Number(e.entry.state.treeSize), 0);
  const progress = { done: 0, total };
  const results: PublicStreamResult[] = [];
  for (const { entry, label } of entries) {
    options.signal?.throwIfAborted();
    results.push(await verifyOneStream(options, concurrency, entry, label, progress));
  }
  return {
    ok: results.every((r) => r.ok),
    checked: results.reduce((sum, r) => sum + r.checked, 0),
    anchors: results.reduce((sum, r) => sum + r.anchors, 0),
    failures: results.flatMap((r) => r.failures),
    streams: results,
    chainId: registry.chainId,
    registry: registry.address,
    blockNumber: registry.blockNumber,
  };
}

async function selectStreams(
  registry: RegistryView,
  wanted: readonly string[] | undefined,
): Promise<Array<{ entry: RegistryStream; label: string }>> {
  const label = (entry: RegistryStream, given?: string) => given ?? registeredName(entry) ?? entry.streamId;
  if (wanted === undefined)
    return (await registry.streams()).map((entry) => ({ entry, label: label(entry) }));
  const seen = new Set<string>();
  const out: Array<{ entry: RegistryStream; label: string }> = [];
  for (const item of wanted) {
    const id = (isBytes32(item) ? item : encodeStreamId(item)).toLowerCase() as Hex;
    if (seen.has(id)) continue;
    seen.add(id);
    let entry: RegistryStream;
    try {
      entry = await registry.stream(id);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "UNKNOWN_STREAM" && code !== "REGISTRY_UNKNOWN_STREAM") throw error;
      throw new PublicVerifyError(
        "PUBLIC_UNKNOWN_STREAM",
        `stream ${item} is not registered in this registry`,
        {
          hint: "Check the stream name and the registry address (and the chain the RPC URL points at).",
          evidence: { stream: item, streamId: id, registry: registry.address, chainId: registry.chainId },
          cause: error,
        },
      );
    }
    out.push({ entry, label: label(entry, isBytes32(item) ? undefined : item) });
  }
  return out;
}

interface Fetched {
  readonly link: ManifestLink;
  readonly records: StoredRecord[];
  readonly failures: VerificationFailure[];
}

/** Raised inside a fetch to stop a manifest's fetches at the first block the source does not have. */
class Unavailable extends Error {
  readonly index: number;
  readonly outcome: Exclude<BlockOutcome, { ok: true }>;
  constructor(index: number, outcome: Exclude<BlockOutcome, { ok: true }>) {
    super("block unavailable");
    this.index = index;
    this.outcome = outcome;
  }
}

/**
 * Fetches one manifest (again: only its facts were kept) and its records, in parallel. The first
 * record the source does not have stops the manifest's fetches (with bitswap, absence shows only as a
 * timeout, so waiting for every other absent block would multiply it) and is the failure reported.
 */
async function fetchManifestRecords(
  options: PublicVerifyOptions,
  concurrency: number,
  streamId: string,
  stream: string,
  link: ManifestLink,
): Promise<Fetched> {
  const fetched = await fetchManifest(options.fetchBlock, link.cid, streamId, stream, link.from, options);
  if (!fetched.ok) return { link, records: [], failures: [fetched.failure] };
  const cids = fetched.manifest.records.map((cid) => cid.toString());
  const indexOf = new Map(cids.map((cid, i) => [cid, i]));
  const fetchOne: BlockFetcher = async (cid, fetchOptions) => {
    const outcome = await fetchOutcome(options.fetchBlock, cid, fetchOptions?.signal);
    if (!outcome.ok) throw new Unavailable(indexOf.get(cid) ?? 0, outcome);
    return outcome.bytes;
  };
  let blocks: Uint8Array[];
  try {
    blocks = await fetchInParallel(fetchOne, cids, concurrency, options.signal);
  } catch (error) {
    if (!(error instanceof Unavailable)) throw error;
    const seq = link.from + error.index;
    return {
      link,
      records: [],
      failures: [blockFailure(error.outcome, "BLOCK_MISSING", stream, seq, cids[error.index] as string)],
    };
  }
  const records = blocks.map((bytes, i) => ({ seq: link.from + i, bytes, cid: cids[i] as string }));
  return { link, records, failures: [] };
}

async function verifyOneStream(
  options: PublicVerifyOptions,
  concurrency: number,
  entry: RegistryStream,
  initialLabel: string,
  progress: { done: number; total: number },
): Promise<PublicStreamResult> {
  const { registry, fetchBlock } = options;
  const { streamId, state } = entry;
  const maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
  let stream = initialLabel;
  const base = {
    streamId,
    anchoredSize: Number(state.treeSize),
    anchoredRoot: state.treeSize === 0n ? null : state.root,
  };
  const stopped = (failure: VerificationFailure, history: string): PublicStreamResult => ({
    ...base,
    ok: false,
    stream,
    checked: 0,
    checkpoints: 0,
    anchors: 0,
    manifests: 0,
    failures: [failure],
    failureCount: 1,
    firstBadSeq: failure.seq,
    history,
    complete: false,
  });

  // The events are untrusted until they replay from the genesis head to the chained head in state.
  const proven = proveHistoryFromEvents(registry, entry, await registry.anchorHistory(streamId), stream);
  const historyFailure = proven.failures[0];
  if (historyFailure !== undefined) {
    return stopped(historyFailure, "not proven: the events do not replay to the chained head");
  }
  const anchors: AnchorFacts[] = proven.anchors.map((a) => ({
    sequence: a.sequence,
    treeSize: a.treeSize,
    root: a.root,
    manifestDigest: a.manifestDigest ?? "",
  }));

  // Every manifest of the stream, in order; a broken one stops the walk (later ones cannot be linked),
  // but an anchor a later one goes around is `skipped` and judged by the records (manifest-chain.ts).
  const walked = await manifestsOfStream(fetchBlock, streamId, stream, anchors, options);
  const { links, skipped } = walked;
  const walkFailure = walked.failure;
  stream = walked.name;
  if (links.length === 0) {
    if (walkFailure !== undefined) return { ...stopped(walkFailure, HISTORY_PROOF), anchors: anchors.length };
    // Registered, never anchored: nothing is published yet, and nothing is claimed.
    return {
      ...base,
      ok: true,
      stream,
      checked: 0,
      checkpoints: 0,
      anchors: 0,
      manifests: 0,
      failures: [],
      failureCount: 0,
      history: HISTORY_PROOF,
      complete: true,
    };
  }

  const checkpoints = links.map((l) => ({ size: l.size, root: l.root, head: l.head }));
  const verifyOptions = { maxFailures, ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }) };
  let serialFallback: string | undefined;
  let serialFetch = fetchBlock;
  const last = links[links.length - 1] as ManifestLink;
  const pool = options.pool;
  const rangeRecords = options.rangeRecords ?? DEFAULT_PUBLIC_RANGE_RECORDS;
  const ranged = walkFailure === undefined && skipped === undefined && pool !== undefined;
  if (ranged && pool.threads > 1 && last.size > rangeRecords) {
    const before = progress.done;
    const remembering = rememberAbsences(fetchBlock);
    const outcome = await verifyInRanges(
      { ...options, fetchBlock: remembering.fetch },
      concurrency,
      streamId,
      stream,
      links,
      checkpoints,
      pool,
      rangeRecords,
      progress,
    );
    if (typeof outcome !== "string") {
      return {
        ...base,
        ...outcome,
        anchors: anchors.length,
        manifests: links.length,
        history: HISTORY_PROOF,
        complete: true,
      };
    }
    serialFallback = outcome;
    progress.done = before;
    serialFetch = remembering.replay;
  }

  const verifier = new StreamVerifier(stream, checkpoints, verifyOptions);
  // A skipped anchor is misstated when its root is the rebuilt tree's at another size (misstated-size.ts).
  const finder =
    skipped === undefined
      ? undefined
      : new TrueSizeFinder(proven.anchors, [skipped.index], last.size, options.sha256);
  const extra: VerificationFailure[] = walkFailure === undefined ? [] : [walkFailure];
  let complete = walkFailure === undefined;
  let reached = 0;
  const serialOptions = { ...options, fetchBlock: serialFetch };
  // One manifest of lookahead: the next manifest's records are fetched while this one's are checked.
  let pending: Promise<Fetched> | undefined = fetchManifestRecords(
    serialOptions,
    concurrency,
    streamId,
    stream,
    links[0] as ManifestLink,
  );
  for (let i = 0; pending !== undefined; i++) {
    const batch: Fetched = await pending;
    const next = links[i + 1];
    pending = undefined;
    if (batch.failures.length > 0) {
      // A record that cannot be read breaks the chain after it: stop here, with the evidence.
      extra.push(...batch.failures);
      complete = false;
      break;
    }
    if (next !== undefined) {
      pending = fetchManifestRecords(serialOptions, concurrency, streamId, stream, next);
      // Settled below or dropped with the stream; never an unhandled rejection.
      pending.catch(() => undefined);
    }
    for (const record of batch.records) {
      verifier.add(record);
      finder?.add(record);
    }
    reached = batch.link.size;
    progress.done += batch.records.length;
    options.onProgress?.({ stream, records: progress.done, total: progress.total });
  }

  if (skipped !== undefined) {
    const anchor = proven.anchors[skipped.index] as ProvenAnchor;
    const trueSize = finder?.found.get(anchor.sequence);
    extra.push(trueSize === undefined ? skipped.failure : misstatedSizeFailure(stream, anchor, trueSize));
  }
  const result = verifier.finish();
  // Stopped early: the checkpoints beyond the last verified record are not "truncation" findings,
  // they are unverifiable; the failure that stopped the stream says why.
  // Likewise "no records" when the very first manifest could not be read.
  const unreached = complete ? 0 : links.filter((l) => l.size > reached).length;
  const noGenesis = !complete && result.checked === 0 ? 1 : 0;
  const consequence = (f: VerificationFailure): boolean =>
    !complete && (f.code === "CHECKPOINT_BEYOND_LOG" || (noGenesis === 1 && f.code === "GENESIS_MISSING"));
  const bySize = new Map(links.map((l) => [l.size, l]));
  const failures = [
    ...result.failures.filter((f) => !consequence(f)).map((f) => asManifestFailure(f, bySize)),
    ...extra,
  ].sort((a, b) => a.seq - b.seq);
  const kept = failures.slice(0, Math.max(maxFailures, extra.length));
  const failureCount = result.failureCount - unreached - noGenesis + extra.length;
  const first = kept[0];
  return {
    ...base,
    ok: failureCount === 0,
    stream,
    checked: result.checked,
    checkpoints: result.checkpoints - unreached,
    anchors: anchors.length,
    manifests: links.length,
    failures: kept,
    failureCount,
    ...(first === undefined ? {} : { firstBadSeq: first.seq }),
    ...(result.root === undefined ? {} : { root: result.root }),
    history: HISTORY_PROOF,
    complete,
    ...(serialFallback === undefined ? {} : { serialFallback }),
  };
}

/**
 * A fetcher that remembers the blocks the source answered it does not have (or served with other
 * bytes), and a `replay` fetcher that answers those at once the same way: a stream verified again
 * serially after its ranges failed does not wait twice for an absence (a bitswap timeout each).
 */
function rememberAbsences(fetchBlock: BlockFetcher): { fetch: BlockFetcher; replay: BlockFetcher } {
  const absent = new Map<string, unknown>();
  return {
    fetch: async (cid, fetchOptions) => {
      try {
        return await fetchBlock(cid, fetchOptions);
      } catch (error) {
        if (
          error instanceof AncoraError &&
          (error.code === "BLOCK_NOT_FOUND" || error.code === "BLOCK_CID_MISMATCH")
        ) {
          absent.set(cid, error);
        }
        throw error;
      }
    },
    replay: async (cid, fetchOptions) => {
      if (absent.has(cid)) throw absent.get(cid);
      return await fetchBlock(cid, fetchOptions);
    },
  };
}

/**
 * The stream's records fetched manifest by manifest, as on the serial path, and checked in ranges on
 * `pool` while the next ones are fetched. Returns the stitched success, or why the stream must be
 * verified serially (a block missing, a failure in a range, a worker lost...).
 */
async function verifyInRanges(
  options: PublicVerifyOptions,
  concurrency: number,
  streamId: string,
  stream: string,
  links: readonly ManifestLink[],
  checkpoints: readonly { size: number; root: Uint8Array; head: string }[],
  pool: RangeChecker,
  rangeRecords: number,
  progress: { done: number; total: number },
): Promise<VerificationResult | string> {
  const dispatcher = new RangeDispatcher(pool, stream, checkpoints, rangeRecords, {
    sha256: options.sha256,
    onChecked: (records) => {
      progress.done += records;
      options.onProgress?.({ stream, records: progress.done, total: progress.total });
    },
  });
  let pending: Promise<Fetched> | undefined = fetchManifestRecords(
    options,
    concurrency,
    streamId,
    stream,
    links[0] as ManifestLink,
  );
  try {
    for (let i = 0; pending !== undefined; i++) {
      const batch: Fetched = await pending;
      const next = links[i + 1];
      pending = undefined;
      if (batch.failures.length > 0) {
        return `${batch.failures[0]?.code} at seq ${batch.failures[0]?.seq}`;
      }
      if (next !== undefined) {
        pending = fetchManifestRecords(options, concurrency, streamId, stream, next);
        pending.catch(() => undefined);
      }
      for (const record of batch.records) await dispatcher.add(record);
    }
  } finally {
    // Whatever happens, no range is left unawaited.
    if (pending !== undefined) pending.catch(() => undefined);
  }
  const maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
  return await dispatcher.finish(checkpoints, {
    maxFailures,
    ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
  });
}

/**
 * The verifier's checkpoints are the manifests' (size, root, head) here, so its checkpoint findings are
 * named for what they say in public mode: a recomputed root that is not an anchored root is
 * `ANCHOR_ROOT_MISMATCH`, one that is not an intermediate manifest's root makes that manifest
 * `MANIFEST_INVALID`, and a head that is not the record listed last is `MANIFEST_RECORD_MISMATCH`.
 */
function asManifestFailure(
  failure: VerificationFailure,
  bySize: ReadonlyMap<number, ManifestLink>,
): VerificationFailure {
  const link = bySize.get(failure.seq + 1);
  if (link === undefined) return failure;
  if (failure.code === "CHECKPOINT_ROOT_MISMATCH") {
    return { ...failure, code: link.anchored ? "ANCHOR_ROOT_MISMATCH" : "MANIFEST_INVALID" };
  }
  if (failure.code === "CHECKPOINT_HEAD_MISMATCH") return { ...failure, code: "MANIFEST_RECORD_MISMATCH" };
  return failure;
}
