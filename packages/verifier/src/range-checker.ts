/**
 * The contract between the pure checks and a pool of threads that verifies seq ranges of a stream
 * (`createVerifyPool` in `@ancora/verifier/node` implements it with worker threads). The pure entry
 * only knows this interface, so `verifyPublic` stays loadable in a browser.
 */
import type { StoredRecord } from "./source.js";
import type { RangeFacts, RangeStart } from "./stream-verifier.js";

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
