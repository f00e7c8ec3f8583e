/**
 * A local log checked against the registry on chain (docs/verifier.md, "Checks against the chain"): the
 * anchor history proven against the chained head in contract state, then, in one pass over each
 * stream's records, the log's own checks and its roots at every anchored size, its manifests against the
 * anchored digests, and its anchor rows against what the registry holds.
 */
import { encodeStreamId, isBytes32 } from "@ancora/contracts";
import { AncoraError, manifestDigest, parseBlockCid, type Sha256 } from "@ancora/core";
import { toHex } from "viem";
import { ChainVerifyError, SourceError } from "../errors.js";
import { toHex0x } from "../internal/hex.js";
import type { VerificationFailure } from "../result.js";
import type { StoredRecord } from "../source.js";
import type { AsyncLocalLog, LocalAnchor, LocalLog } from "../sources/types.js";
import { StreamVerifier } from "../stream-verifier.js";
import { DEFAULT_MAX_FAILURES } from "../verify-options.js";
import type { AnchoredConsistency, ChainStreamResult, ChainVerificationResult } from "./chain-result.js";
import {
  type HistoryOutcome,
  type ProvenAnchor,
  proveHistoryFromEvents,
  proveHistoryFromLocalAnchors,
} from "./history-proof.js";
import { checkManifests, summariseManifests } from "./manifest-checks.js";
import { findTrueSizes, findTrueSizesAsync, misstatedSizeFailure, suspectAnchors } from "./misstated-size.js";
import { type WalkOutput, type WalkSetup, walkRecords, walkRecordsAsync } from "./record-walk.js";
import type { RegistryStream, RegistryView } from "./registry-view.js";
import { registeredName } from "./stream-names.js";

/** Options of {@link verifyAgainstChain}. */
export interface VerifyAgainstChainOptions {
  /**
   * The log to check: an SQLite log (`openLocalLog`), or one read asynchronously, such as a
   * PostgreSQL log (`openPostgresLog`).
   */
  readonly local: LocalLog | AsyncLocalLog;
  /** The registry, read at one block (see `registryView`). */
  readonly registry: RegistryView;
  /**
   * Streams to check; default every stream of the log and every stream the registry anchors. A stream
   * the registry anchors but the log lacks is a `STREAM_MISSING` failure, whether asked for or not.
   */
  readonly streams?: readonly string[];
  /** SHA-256 implementation (inject node:crypto's in Node). */
  readonly sha256?: Sha256;
  /** Failures kept per stream (default {@link DEFAULT_MAX_FAILURES}); all are counted. */
  readonly maxFailures?: number;
  /**
   * When true, records beyond a stream's latest anchor are an `UNANCHORED_RECORDS` failure: for an
   * audit that must find every record protected by the chain. Default false: they are counted in
   * `unanchored`, with the time of the oldest.
   */
  readonly requireAnchored?: boolean;
}

/**
 * Splits a log's anchors of a stream: those naming another chain or registry are `ANCHOR_FOREIGN`
 * failures (the log claims protection this registry does not give) and never evidence; of the rest, the confirmed ones mined at or before the view's block are
 * the claims to check (later ones are not visible at that block yet).
 *
 * @example
 * ```ts
 * const { own, foreign } = classifyLocalAnchors(view, "loans", log.anchors("loans"));
 * ```
 */
export function classifyLocalAnchors(
  view: Pick<RegistryView, "chainId" | "address" | "blockNumber">,
  stream: string,
  anchors: readonly LocalAnchor[],
): { own: LocalAnchor[]; foreign: VerificationFailure[] } {
  const own: LocalAnchor[] = [];
  const foreign: VerificationFailure[] = [];
  const registry = view.address.toLowerCase();
  for (const anchor of anchors) {
    if (anchor.chainId !== view.chainId || anchor.registry.toLowerCase() !== registry) {
      foreign.push({
        code: "ANCHOR_FOREIGN",
        stream,
        seq: Math.max(0, anchor.size - 1),
        expected: `chain ${view.chainId} registry ${registry}`,
        found: `chain ${anchor.chainId} registry ${anchor.registry.toLowerCase()} (anchor of size ${anchor.size})`,
      });
      continue;
    }
    if (anchor.status !== "confirmed") continue;
    if (anchor.blockNumber !== null && BigInt(anchor.blockNumber) > view.blockNumber) continue;
    own.push(anchor);
  }
  return { own, foreign };
}

function notOnChain(stream: string, anchor: LocalAnchor, expected: string): VerificationFailure {
  return {
    code: "ANCHOR_NOT_ON_CHAIN",
    stream,
    seq: Math.max(0, anchor.size - 1),
    expected,
    found: `confirmed anchor of size ${anchor.size} root ${toHex0x(anchor.root)} tx ${anchor.txHash}`,
  };
}

function digestOf(anchor: LocalAnchor): string | undefined {
  const cid = parseBlockCid(anchor.manifestCid);
  return cid === undefined ? undefined : toHex(manifestDigest(cid));
}

/**
 * The log's confirmed anchors (from {@link classifyLocalAnchors}) against the registry: each must be an
 * anchor of the proven history with the same root, manifest (and transaction and block, when the
 * history came from events), else `ANCHOR_NOT_ON_CHAIN`. When only the state's latest checkpoint is
 * known, anchors beyond it, or at its size with another root, are not on chain; the others cannot be
 * checked (the `HISTORY_UNPROVEN` warning says so).
 *
 * @example
 * ```ts
 * const failures = checkLocalAnchors("loans", own, entry, history);
 * ```
 */
export function checkLocalAnchors(
  stream: string,
  own: readonly LocalAnchor[],
  entry: RegistryStream | undefined,
  history: HistoryOutcome,
): VerificationFailure[] {
  if (entry === undefined)
    return own.map((a) => notOnChain(stream, a, "the stream registered in this registry"));
  const failures: VerificationFailure[] = [];
  const proven = history.failures.length === 0 && history.proof !== "state";
  const bySize = new Map(history.anchors.map((a) => [a.treeSize, a]));
  for (const anchor of own) {
    const size = BigInt(anchor.size);
    const onChain = bySize.get(size);
    const root = toHex0x(anchor.root);
    if (!proven) {
      if (size > entry.state.treeSize) {
        failures.push(notOnChain(stream, anchor, `an anchor up to size ${entry.state.treeSize} (state)`));
      } else if (size === entry.state.treeSize && root !== entry.state.root.toLowerCase()) {
        failures.push(
          notOnChain(stream, anchor, `root ${entry.state.root.toLowerCase()} at size ${size} (state)`),
        );
      }
      continue;
    }
    if (onChain === undefined) {
      failures.push(notOnChain(stream, anchor, `an anchor of size ${anchor.size} on chain`));
      continue;
    }
    const differs =
      onChain.root !== root ||
      (onChain.manifestDigest !== undefined && onChain.manifestDigest !== digestOf(anchor)) ||
      (onChain.transactionHash !== undefined && onChain.transactionHash !== anchor.txHash.toLowerCase()) ||
      (onChain.blockNumber !== undefined &&
        anchor.blockNumber !== null &&
        onChain.blockNumber !== BigInt(anchor.blockNumber));
    if (differs) {
      failures.push(
        notOnChain(
          stream,
          anchor,
          `anchor ${onChain.sequence}: root ${onChain.root} manifest ${onChain.manifestDigest ?? "?"} tx ${onChain.transactionHash ?? "?"} block ${onChain.blockNumber ?? "?"}`,
        ),
      );
    }
  }
  return failures;
}

/**
 * Every anchored root against the log's root at its size: `ANCHOR_BEYOND_LOG` (seq = first missing
 * record) when the log is shorter, `ANCHOR_ROOT_MISMATCH` when the roots differ, at the first record of
 * the anchor's range whose CID differs from the trusted manifests, else the earlier divergence that
 * explains it, else the range's start. An anchor in `misstated` (its sequence → the size whose root
 * it commits) is `ANCHOR_SIZE_MISSTATED` instead: the anchorer's fault, not the log's.
 *
 * @example
 * ```ts
 * const failures = checkAnchoredRoots("loans", history.anchors, walkRecords(input));
 * ```
 */
export function checkAnchoredRoots(
  stream: string,
  anchors: readonly ProvenAnchor[],
  walk: WalkOutput,
  misstated: ReadonlyMap<bigint, number> = new Map(),
): VerificationFailure[] {
  const failures: VerificationFailure[] = [];
  let rangeStart = 0;
  for (const [i, anchor] of anchors.entries()) {
    const start = rangeStart;
    rangeStart = Number(anchor.treeSize);
    const trueSize = misstated.get(anchor.sequence);
    if (trueSize !== undefined) {
      failures.push(misstatedSizeFailure(stream, anchor, trueSize));
      continue;
    }
    if (anchor.treeSize > BigInt(walk.count)) {
      failures.push({
        code: "ANCHOR_BEYOND_LOG",
        stream,
        seq: walk.count,
        expected: `at least ${anchor.treeSize} records (anchor ${anchor.sequence})`,
        found: `${walk.count} records`,
      });
      continue;
    }
    const local = walk.localRoots.get(Number(anchor.treeSize));
    const found = local === undefined ? "no root" : toHex0x(local);
    if (found === anchor.root) continue;
    const divergence = walk.divergence;
    const seq =
      walk.firstDiffInRange.get(i) ?? (divergence !== undefined && divergence < start ? divergence : start);
    failures.push({
      code: "ANCHOR_ROOT_MISMATCH",
      stream,
      seq,
      expected: `root ${anchor.root} at size ${anchor.treeSize} (anchor ${anchor.sequence})`,
      found: `root ${found}`,
    });
  }
  return failures;
}

/**
 * Whether the anchored checkpoints form one append-only tree (see {@link AnchoredConsistency}).
 *
 * @example
 * ```ts
 * anchoredConsistency(history.anchors, walk); // { consistent: true, by: "local-tree" }
 * ```
 */
export function anchoredConsistency(anchors: readonly ProvenAnchor[], walk: WalkOutput): AnchoredConsistency {
  if (anchors.length <= 1) return { consistent: true, by: "single-anchor" };
  const rootAt = (map: ReadonlyMap<number, Uint8Array>, a: ProvenAnchor) => {
    const root = a.treeSize <= BigInt(Number.MAX_SAFE_INTEGER) ? map.get(Number(a.treeSize)) : undefined;
    return root === undefined ? undefined : toHex0x(root);
  };
  if (anchors.every((a) => rootAt(walk.localRoots, a) === a.root))
    return { consistent: true, by: "local-tree" };
  if (anchors.slice(1).every((a) => a.consistencyChecked === true))
    return { consistent: true, by: "contract" };
  const rebuilt = anchors.map((a) => [rootAt(walk.anchoredRoots, a), a.root] as const);
  if (rebuilt.some(([r, root]) => r !== undefined && r !== root))
    return { consistent: false, by: "manifests" };
  if (rebuilt.every(([r]) => r !== undefined)) return { consistent: true, by: "manifests" };
  return { consistent: undefined, by: "none" };
}

function isUnknownStream(error: unknown): boolean {
  return (
    error instanceof AncoraError &&
    (error.code === "UNKNOWN_STREAM" || error.code === "REGISTRY_UNKNOWN_STREAM")
  );
}

async function historyOf(
  registry: RegistryView,
  entry: RegistryStream | undefined,
  own: readonly LocalAnchor[],
  stream: string,
): Promise<HistoryOutcome> {
  if (entry === undefined) return { proof: "unregistered", anchors: [], failures: [], warnings: [] };
  let events: Awaited<ReturnType<RegistryView["anchorHistory"]>>;
  try {
    events = await registry.anchorHistory(entry.streamId);
  } catch (error) {
    if (error instanceof SourceError && error.code === "HISTORY_UNAVAILABLE") {
      return proveHistoryFromLocalAnchors(registry, entry, own, stream);
    }
    throw error;
  }
  return proveHistoryFromEvents(registry, entry, events, stream);
}

/**
 * Checks one stream of `local` against `registry`; see {@link verifyAgainstChain}.
 *
 * @example
 * ```ts
 * const result = await verifyStreamAgainstChain({ local, registry }, "loans");
 * ```
 */
export async function verifyStreamAgainstChain(
  options: Omit<VerifyAgainstChainOptions, "streams">,
  stream: string,
): Promise<ChainStreamResult> {
  const { local, registry, sha256 } = options;
  const maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
  let streamId: `0x${string}` | null = null;
  try {
    streamId = encodeStreamId(stream);
  } catch {
    streamId = null;
  }
  let entry: RegistryStream | undefined;
  if (streamId !== null) {
    try {
      entry = await registry.stream(streamId);
    } catch (error) {
      if (!isUnknownStream(error)) throw error;
    }
  }
  const { own, foreign } = classifyLocalAnchors(registry, stream, await local.anchors(stream));
  const history = await historyOf(registry, entry, own, stream);
  const anchors = history.anchors;
  const summary = summariseManifests(stream, await local.manifests(stream), sha256);
  const manifests = checkManifests(stream, summary.manifests, anchors);

  const source = local.source;
  // Node lookups are synchronous by nature (a local node store); an async source checks leaves only.
  const node = "node" in source ? source.node?.bind(source) : undefined;
  const verifier = new StreamVerifier(stream, await source.checkpoints(stream), {
    maxFailures,
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(node === undefined ? {} : { nodes: (level: number, index: number) => node(stream, level, index) }),
  });
  const setup: WalkSetup = {
    stream,
    verifier,
    anchors,
    manifests: summary.manifests,
    trusted: manifests.trusted,
    sha256,
  };
  const records = source.records(stream);
  const walk = isSync(records)
    ? walkRecords({ ...setup, records })
    : await walkRecordsAsync({ ...setup, records });
  const localResult = verifier.finish(await source.head?.(stream));
  // An anchor whose root is the log's root at another size was misstated by the anchorer
  // (misstated-size.ts): it is named for that, and the manifest checks skip it (the operator's
  // recovery anchor extends the anchor before it; docs/operations.md).
  const suspects = suspectAnchors(anchors, walk.localRoots);
  const again = suspects.length === 0 ? undefined : source.records(stream);
  const misstated =
    again === undefined
      ? new Map<bigint, number>()
      : isSync(again)
        ? findTrueSizes(again, anchors, suspects, walk.count, sha256)
        : await findTrueSizesAsync(again, anchors, suspects, walk.count, sha256);
  const kept = misstated.size === 0 ? anchors : anchors.filter((a) => !misstated.has(a.sequence));
  const manifestFailures =
    misstated.size === 0 ? manifests.failures : checkManifests(stream, summary.manifests, kept).failures;

  const anchoredSize = anchors.at(-1)?.treeSize ?? 0n;
  const unanchored = BigInt(walk.count) > anchoredSize ? walk.count - Number(anchoredSize) : 0;
  const chainFailures = [
    ...foreign,
    ...history.failures,
    ...checkLocalAnchors(stream, own, entry, history),
    ...summary.failures,
    ...manifestFailures,
    ...walk.failures,
    ...checkAnchoredRoots(stream, anchors, walk, misstated),
    ...(options.requireAnchored === true && unanchored > 0
      ? [unanchoredFailure(stream, Number(anchoredSize), unanchored, walk.firstUnanchoredTs)]
      : []),
  ];
  const all = [...localResult.failures, ...chainFailures].sort((a, b) => a.seq - b.seq);
  const failureCount = localResult.failureCount + chainFailures.length;
  return {
    ok: failureCount === 0,
    stream,
    streamId,
    history: history.proof,
    records: walk.count,
    anchors: anchors.length,
    anchoredSize: Number(anchoredSize),
    anchoredRoot: anchors.at(-1)?.root ?? null,
    unanchored,
    ...(unanchored > 0 && walk.firstUnanchoredTs !== undefined
      ? { oldestUnanchoredTs: walk.firstUnanchoredTs }
      : {}),
    consistency: anchoredConsistency(kept, walk),
    failures: all.slice(0, maxFailures),
    failureCount,
    warnings: history.warnings,
    local: localResult,
  };
}

/**
 * Checks a local log against a registry on chain, stream by stream. It catches, each with its own code
 * and the first sequence number concerned: a log truncated below an anchored size
 * (`ANCHOR_BEYOND_LOG`); a rewritten or forked history, even fully recomputed
 * (`ANCHOR_ROOT_MISMATCH`); manifests that are not the anchored ones, do not list the log's records,
 * do not chain or do not match their anchor (`ANCHOR_MANIFEST_MISMATCH`, `MANIFEST_RECORD_MISMATCH`,
 * `MANIFEST_CHAIN_BROKEN`, `MANIFEST_INVALID`); an anchor history that does not replay to the chained
 * head (`ANCHOR_HISTORY_MISMATCH`); anchors the log records as confirmed that the registry does not hold
 * (`ANCHOR_NOT_ON_CHAIN`); plus every check of the log alone ({@link StreamVerifier}), in the same pass.
 * Records beyond the last anchor are counted as `unanchored`, not failed. The log may be an SQLite log
 * (walked by a plain loop) or one read asynchronously, such as a PostgreSQL log: same checks, same
 * result.
 *
 * @throws {SourceError} `SOURCE_UNREACHABLE` when the registry (or an asynchronous log) cannot be read.
 * @example
 * ```ts
 * const registry = await registryView(publicClient, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
 * const result = await verifyAgainstChain({ local: openLocalLog("ancora.db"), registry });
 * if (!result.ok) console.log(result.failures[0]); // { code: "ANCHOR_ROOT_MISMATCH", stream, seq: 17, … }
 *
 * const pg = await openPostgresLog("postgres://auditor@db.example.org/ancora");
 * const same = await verifyAgainstChain({ local: pg, registry }).finally(() => pg.close());
 * ```
 */
export async function verifyAgainstChain(
  options: VerifyAgainstChainOptions,
): Promise<ChainVerificationResult> {
  const plan = await planStreams(options.local, options.registry, options.streams);
  const streams: ChainStreamResult[] = [];
  for (const item of plan) {
    streams.push(
      item.missing === undefined
        ? await verifyStreamAgainstChain(options, item.name)
        : missingStream(item.name, item.missing),
    );
  }
  return {
    ok: streams.every((s) => s.ok),
    chainId: options.registry.chainId,
    registry: options.registry.address.toLowerCase(),
    blockNumber: String(options.registry.blockNumber),
    streams,
    failures: streams.flatMap((s) => s.failures),
    warnings: streams.flatMap((s) => s.warnings),
  };
}

/**
 * Whether a source's records can be walked by a plain loop: a synchronous source (SQLite) is, so that
 * its benchmarked pass takes no `await` per record.
 */
function isSync(
  records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>,
): records is Iterable<StoredRecord> {
  return Symbol.iterator in records;
}

/** A stream to check: in the log, or anchored by the registry and missing from the log. */
interface PlannedStream {
  readonly name: string;
  readonly missing?: RegistryStream;
}

/**
 * Which streams a chain check covers: those asked for, else every stream of the log; and, always,
 * every stream the registry has anchored (tree size > 0) that the log lacks. The registry's list is
 * what makes a deleted stream visible: taking the list from the log alone would let it vanish.
 */
async function planStreams(
  local: Pick<AsyncLocalLog, "streams">,
  registry: RegistryView,
  wanted: readonly string[] | undefined,
): Promise<PlannedStream[]> {
  const inLog = local.streams();
  const logIds = new Set(inLog.flatMap((name) => idOf(name) ?? []));
  const anchoredElsewhere = (await registry.streams()).filter(
    (entry) => entry.state.treeSize > 0n && !logIds.has(entry.streamId.toLowerCase()),
  );
  const missingName = (entry: RegistryStream) => registeredName(entry) ?? entry.streamId.toLowerCase();
  if (wanted === undefined) {
    return [
      ...inLog.map((name) => ({ name })),
      ...anchoredElsewhere.map((entry) => ({ name: missingName(entry), missing: entry })),
    ];
  }
  const plan: PlannedStream[] = [];
  for (const name of new Set(wanted)) {
    if (inLog.includes(name)) {
      plan.push({ name });
      continue;
    }
    const id = isBytes32(name) ? name.toLowerCase() : idOf(name);
    const entry = anchoredElsewhere.find((e) => e.streamId.toLowerCase() === id);
    if (entry === undefined) {
      throw new ChainVerifyError(
        "CHAIN_UNKNOWN_STREAM",
        `stream ${JSON.stringify(name)} is neither in the log nor anchored in this registry`,
        {
          hint: `Pass one of the log's streams (${inLog.join(", ") || "none"}), or check the registry address and the chain the RPC URL points at.`,
          evidence: { stream: name, registry: registry.address, chainId: registry.chainId },
        },
      );
    }
    plan.push({ name: isBytes32(name) ? missingName(entry) : name, missing: entry });
  }
  return plan;
}

function idOf(name: string): string | undefined {
  try {
    return encodeStreamId(name).toLowerCase();
  } catch {
    return undefined;
  }
}

/** The result for a stream the registry anchors and the log lacks: one `STREAM_MISSING` failure. */
function missingStream(name: string, entry: RegistryStream): ChainStreamResult {
  const { treeSize, root, anchorCount } = entry.state;
  const failure: VerificationFailure = {
    code: "STREAM_MISSING",
    stream: name,
    seq: 0,
    expected: `${treeSize} anchored records (${anchorCount} anchors, latest root ${root.toLowerCase()}) of stream ${entry.streamId.toLowerCase()}`,
    found: "no such stream in the log",
  };
  return {
    ok: false,
    stream: name,
    streamId: entry.streamId.toLowerCase(),
    history: "missing",
    records: 0,
    anchors: Number(anchorCount),
    anchoredSize: Number(treeSize),
    anchoredRoot: root.toLowerCase(),
    unanchored: 0,
    consistency: { consistent: undefined, by: "none" },
    failures: [failure],
    failureCount: 1,
    warnings: [],
    local: { ok: false, stream: name, checked: 0, checkpoints: 0, failures: [], failureCount: 0 },
  };
}

/** `UNANCHORED_RECORDS` at the first record beyond the latest anchor (with `requireAnchored`). */
function unanchoredFailure(
  stream: string,
  anchoredSize: number,
  unanchored: number,
  oldestTs: string | undefined,
): VerificationFailure {
  return {
    code: "UNANCHORED_RECORDS",
    stream,
    seq: anchoredSize,
    expected: `every record anchored (latest anchor covers ${anchoredSize})`,
    found: `${unanchored} records beyond the latest anchor${oldestTs === undefined ? "" : `, the oldest from ${oldestTs}`}`,
  };
}
