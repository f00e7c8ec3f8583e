/**
 * The single pass over a stream's records that every chain check needs: the log's own checks
 * (StreamVerifier), the RFC 6962 root at every anchored size from one CompactRange, each manifest's
 * listed CIDs against the records, and the "anchored tree": the log's tree up to the first record that
 * differs from a trusted manifest, the trusted manifests' CIDs after it. Memory stays O(log n) plus the
 * manifests.
 */
import { bytesEqual, CID, CompactRange, computeCid, decodeRecord, type Sha256 } from "@ancora/core";
import type { VerificationFailure } from "../result.js";
import type { StoredRecord } from "../source.js";
import type { StreamVerifier } from "../stream-verifier.js";
import type { ProvenAnchor } from "./history-proof.js";
import { listedCid, type ManifestSummary } from "./manifest-checks.js";

/** What {@link walkRecords} needs. */
export interface WalkInput {
  readonly stream: string;
  readonly records: Iterable<StoredRecord>;
  /** Fed every record in stored order (the caller finishes it). */
  readonly verifier?: StreamVerifier;
  /** Ascending by tree size. */
  readonly anchors: readonly ProvenAnchor[];
  /** Every decoded local manifest, ascending by `from`. */
  readonly manifests: readonly ManifestSummary[];
  /** The trusted ones (see manifest-checks.ts), ascending by `from`. */
  readonly trusted: readonly ManifestSummary[];
  readonly sha256?: Sha256 | undefined;
}

/** What one pass found. */
export interface WalkOutput {
  /** Records walked. */
  readonly count: number;
  /** `MANIFEST_RECORD_MISMATCH`es, one per manifest at its first differing record. */
  readonly failures: readonly VerificationFailure[];
  /** The log's root at each anchored and trusted-manifest size it reached. */
  readonly localRoots: ReadonlyMap<number, Uint8Array>;
  /**
   * The anchored tree's root at those sizes, when every record below the size is listed by a trusted
   * manifest (`undefined` otherwise): what was anchored, rebuilt without trusting the log's records.
   */
  readonly anchoredRoots: ReadonlyMap<number, Uint8Array>;
  /** The first record whose CID is not what a trusted manifest lists. */
  readonly divergence: number | undefined;
  /** Per anchor (by index in `anchors`): the first differing record within its range. */
  readonly firstDiffInRange: ReadonlyMap<number, number>;
  /**
   * The `ts` of the first record beyond the latest anchor (the oldest one the chain does not protect
   * yet), when there is one and it can be read.
   */
  readonly firstUnanchoredTs: string | undefined;
}

/**
 * Walks `records` once; see the module comment.
 *
 * @example
 * ```ts
 * const walk = walkRecords({ stream, records: log.source.records(stream), anchors, manifests, trusted });
 * walk.localRoots.get(100); // the log's root at size 100
 * ```
 */
export function walkRecords(input: WalkInput): WalkOutput {
  const { stream, verifier, anchors, manifests, trusted, sha256 } = input;
  const tree = new CompactRange(sha256);
  const interest = new Set<number>();
  for (const a of anchors)
    if (a.treeSize <= BigInt(Number.MAX_SAFE_INTEGER)) interest.add(Number(a.treeSize));
  for (const m of trusted) interest.add(m.size);
  const localRoots = new Map<number, Uint8Array>();
  const anchoredRoots = new Map<number, Uint8Array>();
  const failures: VerificationFailure[] = [];
  const firstDiffInRange = new Map<number, number>();
  const reported = new Set<ManifestSummary>();
  let active: ManifestSummary[] = [];
  let nextManifest = 0;
  let nextTrusted = 0;
  let anchorIndex = 0;
  // The anchored tree: `undefined` while it equals the log's tree (no divergence yet).
  let anchored: CompactRange | undefined;
  let divergence: number | undefined;
  let covered = true;
  const lastAnchored = anchors.at(-1)?.treeSize ?? 0n;
  let firstUnanchoredTs: string | undefined;

  const trustedAt = (p: number): Uint8Array | undefined => {
    while (nextTrusted < trusted.length && (trusted[nextTrusted] as ManifestSummary).size <= p) nextTrusted++;
    const t = trusted[nextTrusted];
    return t !== undefined && t.from <= p ? listedCid(t, p) : undefined;
  };
  const noteRoots = (size: number, local: Uint8Array | undefined) => {
    if (!interest.has(size)) return;
    if (local !== undefined) localRoots.set(size, local);
    if (!covered) return;
    const root = anchored === undefined ? local : anchored.root();
    if (root !== undefined) anchoredRoots.set(size, root);
  };

  let p = 0;
  for (const stored of input.records) {
    verifier?.add(stored);
    if (BigInt(p) === lastAnchored) firstUnanchoredTs = timeOf(stored);
    const block = computeCid(stored.bytes, sha256);
    const cid = block.bytes;
    // Every local manifest covering p must list this record's CID.
    while (nextManifest < manifests.length && (manifests[nextManifest] as ManifestSummary).from <= p) {
      active.push(manifests[nextManifest] as ManifestSummary);
      nextManifest++;
    }
    if (active.some((m) => m.size <= p)) active = active.filter((m) => m.size > p);
    for (const m of active) {
      if (reported.has(m)) continue;
      const listed = listedCid(m, p);
      if (!bytesEqual(listed, cid)) {
        reported.add(m);
        failures.push({
          code: "MANIFEST_RECORD_MISMATCH",
          stream,
          seq: p,
          expected: `${cidText(listed)} (manifest ${m.cid})`,
          found: block.toString(),
        });
      }
    }
    // The anchored tree and the first record that differs from what was anchored.
    while (anchorIndex < anchors.length && (anchors[anchorIndex] as ProvenAnchor).treeSize <= BigInt(p))
      anchorIndex++;
    const listed = trustedAt(p);
    if (listed === undefined) covered = false;
    else if (!bytesEqual(listed, cid)) {
      if (divergence === undefined) {
        divergence = p;
        anchored = CompactRange.fromState(tree.state(), sha256);
      }
      if (!firstDiffInRange.has(anchorIndex)) firstDiffInRange.set(anchorIndex, p);
    }
    tree.appendLeaf(cid);
    if (anchored !== undefined) {
      if (listed === undefined) covered = false;
      else anchored.appendLeaf(listed);
    }
    p++;
    if (interest.has(p)) noteRoots(p, tree.root());
  }
  // Manifests that claim records the log no longer has.
  for (const m of [...active, ...manifests.slice(nextManifest)]) {
    if (m.size > p && !reported.has(m)) {
      failures.push({
        code: "MANIFEST_RECORD_MISMATCH",
        stream,
        seq: Math.max(p, m.from),
        expected: `${cidText(listedCid(m, Math.max(p, m.from)))} (manifest ${m.cid})`,
        found: "missing",
      });
    }
  }
  // The anchored tree goes on from the trusted manifests past the log's end (truncation).
  for (let q = p; covered; q++) {
    const listed = trustedAt(q);
    if (listed === undefined) break;
    anchored ??= CompactRange.fromState(tree.state(), sha256);
    anchored.appendLeaf(listed);
    noteRoots(q + 1, undefined);
  }
  return { count: p, failures, localRoots, anchoredRoots, divergence, firstDiffInRange, firstUnanchoredTs };
}

/** A record's `ts`: the index column when the source has one (checked against the bytes), else decoded. */
function timeOf(stored: StoredRecord): string | undefined {
  if (stored.ts !== undefined) return stored.ts;
  try {
    return decodeRecord(stored.bytes).ts;
  } catch {
    // A record that does not decode is reported by the verifier (RECORD_INVALID); it has no time.
    return undefined;
  }
}

function cidText(bytes: Uint8Array): string {
  return CID.decode(bytes).toString();
}
