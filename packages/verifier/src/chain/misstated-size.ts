/**
 * Wrong-size anchors (docs/threat-model.md, "A wrong-size anchor"): an anchor whose root is not the
 * log's root at the size it states, but is the log's root at another size. RFC 6962 proofs cannot bind
 * a tree size, so the registry accepts such an anchor from anyone holding the anchorer key; the log is
 * intact, the anchorer misstated the size. The verifier names it `ANCHOR_SIZE_MISSTATED` with the
 * stated and the true size, the anchor's sequence and its transaction, and never reports the log as
 * tampered for it.
 *
 * Finding the true size costs nothing while every anchored root matches: only anchors that do not
 * (suspects) are looked at, in a second pass over the records that computes the root at the sizes
 * where the true size can be (see {@link misstatementCandidates}); docs/verifier.md gives the
 * measurements behind this choice.
 */
import { CompactRange, computeCid, consistencyProofSizes, type Sha256, type SizeRange } from "@ancora/core";
import { toHex0x } from "../internal/hex.js";
import type { VerificationFailure } from "../result.js";
import type { StoredRecord } from "../source.js";
import type { ProvenAnchor } from "./history-proof.js";

/**
 * Where the true size of `anchor` can be, up to `limit` (the log's size): after a consistency-checked
 * anchor, the sizes for which its proof from `previous` also verifies (core's
 * `consistencyProofSizes`: the registry would have accepted the same proof there); after an anchor
 * made without a proof (a stream's first, or one whose registry did not check consistency), any size
 * after `previous`.
 *
 * @example
 * ```ts
 * misstatementCandidates({ treeSize: 1n, … }, { treeSize: 704n, consistencyChecked: true, … }, 2000);
 * // [{ from: 513, to: 1024 }]
 * ```
 */
export function misstatementCandidates(
  previous: Pick<ProvenAnchor, "treeSize"> | undefined,
  anchor: Pick<ProvenAnchor, "treeSize" | "consistencyChecked">,
  limit: number,
): SizeRange[] {
  const after = previous === undefined ? 0 : Number(previous.treeSize);
  const stated = Number(anchor.treeSize);
  if (limit <= after || !Number.isSafeInteger(stated)) return [];
  const ranges =
    previous === undefined || after === 0 || anchor.consistencyChecked !== true || stated <= after
      ? [{ from: after + 1, to: limit }]
      : consistencyProofSizes(after, stated);
  return ranges.flatMap((r) => {
    const from = Math.max(r.from, after + 1);
    const to = Math.min(r.to, limit);
    return from <= to ? [{ from, to }] : [];
  });
}

/** An anchor whose root does not match the log at its stated size, and where to look for its size. */
interface Suspect {
  readonly anchor: ProvenAnchor;
  readonly ranges: readonly SizeRange[];
  next: number;
}

/**
 * Finds, record by record, the true size of every anchor of `suspects` (indexes into `anchors`) whose
 * root is the log's root at one of its candidate sizes (see {@link misstatementCandidates}); the root is
 * computed only at candidate sizes. For a caller that already walks the records (public verification);
 * {@link findTrueSizes} walks them itself.
 *
 * @example
 * ```ts
 * const finder = new TrueSizeFinder(anchors, [2], log.size);
 * for (const record of records) if (!finder.add(record)) break;
 * finder.found.get(anchors[2].sequence); // 705
 * ```
 */
export class TrueSizeFinder {
  /** The true size of each misstated anchor found, by anchor sequence. */
  readonly found = new Map<bigint, number>();
  readonly #open: Suspect[] = [];
  readonly #end: number;
  readonly #tree: CompactRange;
  readonly #sha256: Sha256 | undefined;

  constructor(anchors: readonly ProvenAnchor[], suspects: readonly number[], limit: number, sha256?: Sha256) {
    const suspected = new Set(suspects);
    for (const i of suspects) {
      const anchor = anchors[i];
      if (anchor === undefined) continue;
      // After a suspect, the proof was checked against a size that may not be the previous tree's: look
      // everywhere after it.
      const checked = suspected.has(i - 1) ? { ...anchor, consistencyChecked: false } : anchor;
      const ranges = misstatementCandidates(anchors[i - 1], checked, limit);
      if (ranges.length > 0) this.#open.push({ anchor, ranges, next: 0 });
    }
    this.#end = Math.max(0, ...this.#open.map((s) => s.ranges.at(-1)?.to ?? 0));
    this.#tree = new CompactRange(sha256);
    this.#sha256 = sha256;
  }

  /** Whether more records can still tell anything (false once every suspect is found or passed). */
  get wanted(): boolean {
    return this.#tree.size < this.#end && this.found.size < this.#open.length;
  }

  /** Takes the next record in log order; returns {@link TrueSizeFinder.wanted}. */
  add(stored: StoredRecord): boolean {
    if (!this.wanted) return false;
    this.#tree.appendLeaf(computeCid(stored.bytes, this.#sha256).bytes);
    const size = this.#tree.size;
    let root: string | undefined;
    for (const suspect of this.#open) {
      if (this.found.has(suspect.anchor.sequence)) continue;
      while ((suspect.ranges[suspect.next]?.to ?? Number.POSITIVE_INFINITY) < size) suspect.next++;
      const range = suspect.ranges[suspect.next];
      if (range === undefined || range.from > size || size === Number(suspect.anchor.treeSize)) continue;
      root ??= toHex0x(this.#tree.root());
      if (root === suspect.anchor.root) this.found.set(suspect.anchor.sequence, size);
    }
    return this.wanted;
  }
}

/**
 * The true size of every anchor of `suspects` whose root is the log's root at one of its candidate
 * sizes, by anchor sequence: one pass over `records`, stopping after the last candidate size.
 *
 * @example
 * ```ts
 * const sizes = findTrueSizes(log.source.records("loans"), anchors, [2], log.size);
 * sizes.get(anchors[2].sequence); // 705
 * ```
 */
export function findTrueSizes(
  records: Iterable<StoredRecord>,
  anchors: readonly ProvenAnchor[],
  suspects: readonly number[],
  limit: number,
  sha256?: Sha256,
): Map<bigint, number> {
  const finder = new TrueSizeFinder(anchors, suspects, limit, sha256);
  if (!finder.wanted) return finder.found;
  for (const stored of records) if (!finder.add(stored)) break;
  return finder.found;
}

/**
 * {@link findTrueSizes} over records that may arrive asynchronously (a PostgreSQL log).
 *
 * @example
 * ```ts
 * const sizes = await findTrueSizesAsync(pgLog.source.records("loans"), anchors, [2], size);
 * ```
 */
export async function findTrueSizesAsync(
  records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>,
  anchors: readonly ProvenAnchor[],
  suspects: readonly number[],
  limit: number,
  sha256?: Sha256,
): Promise<Map<bigint, number>> {
  const finder = new TrueSizeFinder(anchors, suspects, limit, sha256);
  if (!finder.wanted) return finder.found;
  for await (const stored of records) if (!finder.add(stored)) break;
  return finder.found;
}

/**
 * The indexes of the anchors whose root is not the log's root at their stated size (or that state a
 * size beyond the log): the only ones {@link findTrueSizes} needs to look at.
 */
export function suspectAnchors(
  anchors: readonly ProvenAnchor[],
  localRoots: ReadonlyMap<number, Uint8Array>,
): number[] {
  const out: number[] = [];
  anchors.forEach((anchor, i) => {
    const local = localRoots.get(Number(anchor.treeSize));
    if (local === undefined || toHex0x(local) !== anchor.root) out.push(i);
  });
  return out;
}

/**
 * The `ANCHOR_SIZE_MISSTATED` failure of an anchor that states `anchor.treeSize` but commits the log's
 * root at `trueSize`. `seq` is the first record the stated and the true size disagree on.
 */
export function misstatedSizeFailure(
  stream: string,
  anchor: ProvenAnchor,
  trueSize: number,
): VerificationFailure {
  const stated = Number(anchor.treeSize);
  const tx = anchor.transactionHash ?? "unknown (history not read from events)";
  return {
    code: "ANCHOR_SIZE_MISSTATED",
    stream,
    seq: Math.min(stated, trueSize),
    expected: `anchor ${anchor.sequence} (tx ${tx}) of size ${stated} to commit the log's root at size ${stated}`,
    found: `root ${anchor.root}, the log's root at size ${trueSize}: the anchorer misstated the size (the log matches what was anchored)`,
  };
}
