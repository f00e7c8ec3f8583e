/**
 * The contract of verifying a stream in ranges: where a range starts ({@link RangeStart}), what
 * checking it found ({@link RangeFacts}, plain data that crosses a worker thread boundary), and the
 * interface of a pool of threads that checks ranges (`createVerifyPool` in `@ancora/verifier/node`
 * implements it with worker threads). The pure entry only knows this interface, so `verifyPublic`
 * stays loadable in a browser. The checking and the stitching themselves are in range-verifier.ts.
 */
import type { StoredRecord } from "./source.js";

/** Level of the Merkle nodes a range returns; ranges start at multiples of {@link RANGE_BLOCK}. */
export const RANGE_BLOCK_LEVEL = 4;
/** Leaves per block: range starts must be multiples of it. */
export const RANGE_BLOCK = 2 ** RANGE_BLOCK_LEVEL;

/**
 * Where a range of a stream starts, for verifying a stream in parts (see {@link RangeFacts}): the
 * first seq of the range and the stream's state before it, as the caller believes it to be (a hint
 * that `stitchRanges` checks against what the ranges actually contain).
 */
export interface RangeStart {
  /** First seq (and position) of the range. */
  readonly seq: number;
  /** The bytes of the config record current before the range, if any. */
  readonly config?: Uint8Array;
  /** Label ids defined before the range. */
  readonly labels: readonly string[];
}

/** A label or config record, as `stitchRanges` compares them with the hints. */
export interface ControlEvent {
  readonly seq: number;
  readonly kind: "label" | "config";
  /** CID string of the record. */
  readonly cid: string;
}

/**
 * What checking one range of a stream found: everything `stitchRanges` needs to finish the
 * cross-record checks (the chain across range boundaries, the Merkle tree, checkpoints, head). Plain
 * data, so that it can cross a worker thread boundary.
 */
export interface RangeFacts {
  readonly from: number;
  readonly count: number;
  readonly failureCount: number;
  /** `prev` of the first record, as bytes; `null` when it has none (or there is no record). */
  readonly firstPrev: Uint8Array | null;
  /** CID bytes of the last record; `null` when the range is empty. */
  readonly lastCid: Uint8Array | null;
  /**
   * Roots of the range's complete blocks of {@link RANGE_BLOCK} leaves (Merkle nodes at level
   * {@link RANGE_BLOCK_LEVEL}), 32 bytes each, in order. The range checked every node below them.
   */
  readonly blockHashes: Uint8Array;
  /**
   * For the tree sizes asked for (and the range's end): the perfect subtrees of that size's binary
   * decomposition smaller than a block, largest first (what the root needs besides the blocks).
   */
  readonly lowPeaks: ReadonlyMap<number, readonly Uint8Array[]>;
  /** CID strings of the records at positions `size - 1` for the sizes asked for, and of the last one. */
  readonly cidTexts: ReadonlyMap<number, string>;
  /** The range's label and config records, in order. */
  readonly controls: readonly ControlEvent[];
  /**
   * References the range could not resolve inside itself (to earlier ranges, other streams or
   * decisions): `stitchRanges` leaves such a stream to the serial path, which resolves them.
   */
  readonly pendingReferences: number;
}

/** A range of records already in memory (public verification: fetched and checked against their CIDs). */
export interface RecordsRange {
  readonly stream: string;
  /** Where the range starts and the state before it (a hint that `stitchRanges` checks). */
  readonly start: RangeStart;
  /** The records, in seq order from `start.seq`. */
  readonly records: readonly StoredRecord[];
  /** Tree sizes whose root parts and head CID the stitching needs (the checkpoints' sizes). */
  readonly cidTextsAt: readonly number[];
}

/**
 * Checks ranges of a stream off the calling thread and returns their {@link RangeFacts}. A rejection
 * means only that the range could not be checked there (a worker that did not start, crashed or hung):
 * the caller then verifies the stream on its own thread.
 */
export interface RangeChecker {
  /** Ranges checked at once. */
  readonly threads: number;
  /**
   * Checks `range` (every per-record check of `StreamVerifier.range`). The records' bytes are packed
   * once into one buffer that is moved (not copied) to the checking thread; `range` itself is untouched.
   */
  checkRecords(range: RecordsRange): Promise<RangeFacts>;
}
