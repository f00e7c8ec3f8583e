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

/** What a {@link RecordWalker} needs: everything {@link walkRecords} does but the records. */
export interface WalkSetup {
  readonly stream: string;
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

/** What {@link walkRecords} needs. */
export interface WalkInput extends WalkSetup {
  readonly records: Iterable<StoredRecord>;
}

/** What {@link walkRecordsAsync} needs: the records may arrive asynchronously (a PostgreSQL log). */
export interface AsyncWalkInput extends WalkSetup {
  readonly records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>;
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
 * Walks `records` once; see the module comment. A plain loop over a {@link RecordWalker}.
 *
 * @example
 * ```ts
 * const walk = walkRecords({ stream, records: log.source.records(stream), anchors, manifests, trusted });
 * walk.localRoots.get(100); // the log's root at size 100
 * ```
 */
export function walkRecords(input: WalkInput): WalkOutput {
  const walker = new RecordWalker(input);
  for (const stored of input.records) walker.add(stored);
  return walker.finish();
}

/**
 * {@link walkRecords} over records that may arrive asynchronously (one `await` per record: the
 * synchronous loop stays for sources that are).
 *
 * @example
 * ```ts
 * const walk = await walkRecordsAsync({ stream, records: pgLog.source.records(stream), anchors, manifests, trusted });
 * ```
 */
export async function walkRecordsAsync(input: AsyncWalkInput): Promise<WalkOutput> {
  const walker = new RecordWalker(input);
  for await (const stored of input.records) walker.add(stored);
  return walker.finish();
}

/**
 * The pass of {@link walkRecords}, one record at a time: {@link RecordWalker.add} each record in
 * stored order, then {@link RecordWalker.finish} once. Memory stays O(log n) plus the manifests. The
 * drivers ({@link walkRecords}, {@link walkRecordsAsync}) are loops around it, so that a synchronous
 * source (SQLite) is walked without an `await` per record and every source by the same code.
 *
 * @example
 * ```ts
 * const walker = new RecordWalker({ stream, anchors, manifests, trusted });
 * for (const record of rows) walker.add(record);
 * const walk = walker.finish();
 * ```
 */
export class RecordWalker {
  readonly #setup: WalkSetup;
  readonly #tree: CompactRange;
  readonly #interest = new Set<number>();
  readonly #localRoots = new Map<number, Uint8Array>();
  readonly #anchoredRoots = new Map<number, Uint8Array>();
  readonly #failures: VerificationFailure[] = [];
  readonly #firstDiffInRange = new Map<number, number>();
  readonly #reported = new Set<ManifestSummary>();
  readonly #lastAnchored: bigint;
  #active: ManifestSummary[] = [];
  #nextManifest = 0;
  #nextTrusted = 0;
  #anchorIndex = 0;
  /** The anchored tree: `undefined` while it equals the log's tree (no divergence yet). */
  #anchored: CompactRange | undefined;
  #divergence: number | undefined;
  #covered = true;
  #firstUnanchoredTs: string | undefined;
  /** Records walked so far (the next record's position). */
  #p = 0;

  constructor(setup: WalkSetup) {
    this.#setup = setup;
    this.#tree = new CompactRange(setup.sha256);
    for (const a of setup.anchors)
      if (a.treeSize <= BigInt(Number.MAX_SAFE_INTEGER)) this.#interest.add(Number(a.treeSize));
    for (const m of setup.trusted) this.#interest.add(m.size);
    this.#lastAnchored = setup.anchors.at(-1)?.treeSize ?? 0n;
  }

  /** Takes the next record in stored order. */
  add(stored: StoredRecord): void {
    const { stream, verifier, anchors, manifests, sha256 } = this.#setup;
    const p = this.#p;
    verifier?.add(stored);
    if (BigInt(p) === this.#lastAnchored) this.#firstUnanchoredTs = timeOf(stored);
    const block = computeCid(stored.bytes, sha256);
    const cid = block.bytes;
    // Every local manifest covering p must list this record's CID.
    while (
      this.#nextManifest < manifests.length &&
      (manifests[this.#nextManifest] as ManifestSummary).from <= p
    ) {
      this.#active.push(manifests[this.#nextManifest] as ManifestSummary);
      this.#nextManifest++;
    }
    if (this.#active.some((m) => m.size <= p)) this.#active = this.#active.filter((m) => m.size > p);
    for (const m of this.#active) {
      if (this.#reported.has(m)) continue;
      const listed = listedCid(m, p);
      if (!bytesEqual(listed, cid)) {
        this.#reported.add(m);
        this.#failures.push({
          code: "MANIFEST_RECORD_MISMATCH",
          stream,
          seq: p,
          expected: `${cidText(listed)} (manifest ${m.cid})`,
          found: block.toString(),
        });
      }
    }
    // The anchored tree and the first record that differs from what was anchored.
    while (
      this.#anchorIndex < anchors.length &&
      (anchors[this.#anchorIndex] as ProvenAnchor).treeSize <= BigInt(p)
    )
      this.#anchorIndex++;
    const listed = this.#trustedAt(p);
    if (listed === undefined) this.#covered = false;
    else if (!bytesEqual(listed, cid)) {
      if (this.#divergence === undefined) {
        this.#divergence = p;
        this.#anchored = CompactRange.fromState(this.#tree.state(), sha256);
      }
      if (!this.#firstDiffInRange.has(this.#anchorIndex)) this.#firstDiffInRange.set(this.#anchorIndex, p);
    }
    this.#tree.appendLeaf(cid);
    if (this.#anchored !== undefined) {
      if (listed === undefined) this.#covered = false;
      else this.#anchored.appendLeaf(listed);
    }
    this.#p = p + 1;
    if (this.#interest.has(this.#p)) this.#noteRoots(this.#p, this.#tree.root());
  }

  /** Ends the pass: what it found (call it once, after the last record). */
  finish(): WalkOutput {
    const { stream, manifests, sha256 } = this.#setup;
    const p = this.#p;
    // Manifests that claim records the log no longer has.
    for (const m of [...this.#active, ...manifests.slice(this.#nextManifest)]) {
      if (m.size > p && !this.#reported.has(m)) {
        this.#failures.push({
          code: "MANIFEST_RECORD_MISMATCH",
          stream,
          seq: Math.max(p, m.from),
          expected: `${cidText(listedCid(m, Math.max(p, m.from)))} (manifest ${m.cid})`,
          found: "missing",
        });
      }
    }
    // The anchored tree goes on from the trusted manifests past the log's end (truncation).
    for (let q = p; this.#covered; q++) {
      const listed = this.#trustedAt(q);
      if (listed === undefined) break;
      this.#anchored ??= CompactRange.fromState(this.#tree.state(), sha256);
      this.#anchored.appendLeaf(listed);
      this.#noteRoots(q + 1, undefined);
    }
    return {
      count: p,
      failures: this.#failures,
      localRoots: this.#localRoots,
      anchoredRoots: this.#anchoredRoots,
      divergence: this.#divergence,
      firstDiffInRange: this.#firstDiffInRange,
      firstUnanchoredTs: this.#firstUnanchoredTs,
    };
  }

  /** The CID a trusted manifest lists at `p` (positions only ever grow). */
  #trustedAt(p: number): Uint8Array | undefined {
    const trusted = this.#setup.trusted;
    while (this.#nextTrusted < trusted.length && (trusted[this.#nextTrusted] as ManifestSummary).size <= p)
      this.#nextTrusted++;
    const t = trusted[this.#nextTrusted];
    return t !== undefined && t.from <= p ? listedCid(t, p) : undefined;
  }

  #noteRoots(size: number, local: Uint8Array | undefined): void {
    if (!this.#interest.has(size)) return;
    if (local !== undefined) this.#localRoots.set(size, local);
    if (!this.#covered) return;
    const root = this.#anchored === undefined ? local : this.#anchored.root();
    if (root !== undefined) this.#anchoredRoots.set(size, root);
  }
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
