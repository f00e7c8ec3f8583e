/**
 * Typed verification results. A failure names the stream, the first sequence number it concerns, and
 * what was expected against what was found (as strings, so a result is JSON and can be handed to a
 * third party as evidence). Codes are stable; tests and callers branch on them, never on wording.
 */

/**
 * Every way a stream can fail verification.
 *
 * - `CID_MISMATCH`: the stored CID is not the CID of the stored bytes (the bytes or the CID were edited).
 * - `RECORD_INVALID`: the bytes are not a canonical, valid v1 record.
 * - `SEQ_GAP`: a sequence number is missing (a deleted record); `seq` is the first missing one.
 * - `SEQ_MISMATCH`: the record's own `seq` is not where the store keeps it (reordered records).
 * - `STREAM_MISMATCH`: the record names another stream.
 * - `GENESIS_MISSING`: the stream does not start with a genesis record at seq 0.
 * - `PREV_MISMATCH`: `prev` is not the CID of the previous record's bytes (a broken hash chain).
 * - `KIND_COLUMN_MISMATCH`, `LABEL_COLUMN_MISMATCH`, `MODEL_COLUMN_MISMATCH`, `TS_COLUMN_MISMATCH`:
 *   an index column the store searches by disagrees with the record's bytes.
 * - `CONFIG_MISSING`: a decision comes before any config record of its stream.
 * - `CONFIG_MISMATCH`: a decision does not reference the latest config record before it in its stream.
 * - `LABEL_UNDEFINED`: a config or decision uses a label id no earlier label record of the stream defines.
 * - `LABEL_MISMATCH`: a decision's label is not what its config resolves its score to.
 * - `MERKLE_LEAF_MISMATCH`: the stored Merkle leaf node is not the hash of the record's CID (or is missing).
 * - `MERKLE_NODE_MISMATCH`: a stored node above the leaves is not the hash of its children (or is
 *   missing); `seq` is the record that completed it.
 * - `CHECKPOINT_ROOT_MISMATCH`: a stored checkpoint's root is not the tree head recomputed from the CIDs.
 * - `CHECKPOINT_HEAD_MISMATCH`: a stored checkpoint's head is not the CID of record `size - 1`.
 * - `CHECKPOINT_BEYOND_LOG`: a stored checkpoint covers records that are no longer there (truncation).
 * - `CHECKPOINT_INVALID`: a stored checkpoint is malformed (size < 1, root not 32 bytes).
 * - `HEAD_MISMATCH`: the store's recorded head (size, last CID, root) disagrees with its records.
 */
export type FailureCode =
  | "CID_MISMATCH"
  | "RECORD_INVALID"
  | "SEQ_GAP"
  | "SEQ_MISMATCH"
  | "STREAM_MISMATCH"
  | "GENESIS_MISSING"
  | "PREV_MISMATCH"
  | "KIND_COLUMN_MISMATCH"
  | "LABEL_COLUMN_MISMATCH"
  | "MODEL_COLUMN_MISMATCH"
  | "TS_COLUMN_MISMATCH"
  | "CONFIG_MISSING"
  | "CONFIG_MISMATCH"
  | "LABEL_UNDEFINED"
  | "LABEL_MISMATCH"
  | "MERKLE_LEAF_MISMATCH"
  | "MERKLE_NODE_MISMATCH"
  | "CHECKPOINT_ROOT_MISMATCH"
  | "CHECKPOINT_HEAD_MISMATCH"
  | "CHECKPOINT_BEYOND_LOG"
  | "CHECKPOINT_INVALID"
  | "HEAD_MISMATCH";

/** One failed check. */
export interface VerificationFailure {
  readonly code: FailureCode;
  readonly stream: string;
  /** The first sequence number the failure concerns. */
  readonly seq: number;
  /** What the bytes (or the recomputation) say. */
  readonly expected: string;
  /** What the store holds. */
  readonly found: string;
}

/** The result of verifying one stream. */
export interface VerificationResult {
  /** True when every check passed. */
  readonly ok: boolean;
  readonly stream: string;
  /** Number of records checked. */
  readonly checked: number;
  /** Number of checkpoints checked. */
  readonly checkpoints: number;
  /** Failures sorted by `seq` (then by the order found): `failures[0].seq` is the first bad seq. */
  readonly failures: readonly VerificationFailure[];
  /** The first bad sequence number, when there is one. */
  readonly firstBadSeq?: number;
  /** Failures found in all, including those beyond `maxFailures` that were not kept. */
  readonly failureCount: number;
  /** The Merkle tree head recomputed over the checked records (0x-hex), when there were any. */
  readonly root?: string;
}

/** The result of verifying several streams. */
export interface SourceVerificationResult {
  readonly ok: boolean;
  /** Records checked over all streams. */
  readonly checked: number;
  /** Every stream's failures, stream by stream, each sorted by seq. */
  readonly failures: readonly VerificationFailure[];
  readonly streams: readonly VerificationResult[];
}
