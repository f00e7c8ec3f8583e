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
 * - `SEARCH_INDEX_MISMATCH`: the store's search index (schema v5 `record_index`) disagrees with the
 *   record's bytes, or lacks the record although it claims to cover it: searches, counts and evidence
 *   packs would not show the record as it is.
 *
 * References between records (lineage and governance kinds; docs/formats.md). `seq` is the referring
 * record's; `expected` names the field:
 * - `REFERENCE_UNRESOLVED`: a record names a CID that is no record of the verified streams (a training
 *   run's dataset, a revoked policy, an erased record that does not exist).
 * - `REFERENCE_FORWARD`: a record names a record written after it (a later seq of its stream, or a
 *   later `ts` in another stream).
 * - `REFERENCE_KIND`: a reference points at a record of the wrong kind (a training run's `datasets`
 *   naming a decision).
 * - `REFERENCE_MISMATCH`: the referenced record has the right kind but contradicts the reference: a
 *   revocation or denial naming another subject's consent policy, a revocation of a non-revocable
 *   policy, an ownership handoff from a record that owns something else.
 *
 * Checks of a local log against the registry on chain (`verifyAgainstChain`, docs/verifier.md):
 * - `ANCHOR_BEYOND_LOG`: an anchored tree size covers records the log no longer has (truncation);
 *   `seq` is the first missing record.
 * - `ANCHOR_SIZE_MISSTATED`: an anchor commits the log's root at another size than the one it states
 *   (`expected` names the anchor's sequence, transaction and stated size, `found` the true size). The
 *   anchorer misbehaved; the log matches what was anchored. RFC 6962 proofs cannot bind a size, so the
 *   registry accepts such an anchor (docs/threat-model.md); `seq` is the first record the sizes disagree on.
 * - `ANCHOR_ROOT_MISMATCH`: the root recomputed from the log at an anchored size is not the anchored
 *   root (rewritten or forked history); `seq` is the first record whose CID differs from what the
 *   anchored manifests list, or the anchored range's start when no trusted manifest says.
 * - `ANCHOR_MANIFEST_MISMATCH`: the log's manifest for an anchored checkpoint is missing or does not
 *   hash to the anchored manifest digest; `seq` is the anchored range's start.
 * - `MANIFEST_RECORD_MISMATCH`: a manifest lists a CID that is not the log's record CID at that seq.
 * - `MANIFEST_CHAIN_BROKEN`: a manifest's `prev`/`from` do not link it to the previous manifest.
 * - `MANIFEST_INVALID`: a manifest does not decode, names another stream, or its size or root is not
 *   the anchored one (or the root of the records it lists).
 * - `ANCHOR_HISTORY_MISMATCH`: the anchor links (events, or the log's own confirmed anchors) do not
 *   replay from the genesis head to the chained head in contract state.
 * - `ANCHOR_NOT_ON_CHAIN`: the log records an anchor as confirmed that the registry does not hold.
 * - `ANCHOR_FOREIGN`: the log records an anchor on another registry or chain: it claims protection
 *   this registry does not give, and is not used as evidence.
 * - `STREAM_MISSING`: the registry anchors a stream the log does not have (`seq` 0).
 * - `UNANCHORED_RECORDS`: with `requireAnchored`, records beyond the latest anchor; `seq` is the first.
 * - Warnings (reported in `warnings`, they do not make a result fail): `HISTORY_UNPROVEN`, the node
 *   serves no events and the log lacks the schema-v3 link fields, so only the latest checkpoint in
 *   contract state is checked (it still commits to every anchored record).
 *
 * Receipts checked on chain (`verifyReceiptOnChain`):
 * - `RECEIPT_INVALID`: not a well-formed receipt, or its record, stream or index do not add up.
 * - `RECEIPT_CID_MISMATCH`: the record bytes do not hash to the receipt's CID.
 * - `RECEIPT_PROOF_INVALID`: the inclusion proof does not lead to the checkpoint's root.
 * - `RECEIPT_CHAIN_MISMATCH`: the RPC endpoint serves another chain than the receipt names.
 * - `RECEIPT_TX_NOT_FOUND`: no such transaction, or not in the block the receipt names.
 * - `RECEIPT_TX_FAILED`: the anchor transaction reverted.
 * - `RECEIPT_ANCHOR_NOT_FOUND`: the transaction emitted no `CheckpointAnchored` of this stream, size and
 *   root from the receipt's registry, or the checkpoint is no longer part of the stream's history.
 *
 * Public verification from the chain and IPFS alone (`verifyPublic`), besides the codes above:
 * - `MANIFEST_MISSING`: the block source answered that it does not have a manifest the anchors commit
 *   to (the organisation did not publish it); `seq` is the first record that manifest's anchor adds.
 * - `BLOCK_MISSING`: the block source answered that it does not have a record a manifest lists; `seq`
 *   is that record's. (An unreachable or timed-out source is an error, not a failure: nothing can be
 *   concluded from it.)
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
  | "HEAD_MISMATCH"
  | "SEARCH_INDEX_MISMATCH"
  | ReferenceFailureCode
  | ChainFailureCode
  | ReceiptFailureCode
  | PublicFailureCode
  | BundleFailureCode;

/** Failures of references between records (see {@link FailureCode}). */
export type ReferenceFailureCode =
  | "REFERENCE_UNRESOLVED"
  | "REFERENCE_FORWARD"
  | "REFERENCE_KIND"
  | "REFERENCE_MISMATCH";

/** Failures found only by public verification (see {@link FailureCode}). */
export type PublicFailureCode = "MANIFEST_MISSING" | "BLOCK_MISSING";

/** Failures of a local log checked against the registry (see {@link FailureCode}). */
export type ChainFailureCode =
  | "ANCHOR_BEYOND_LOG"
  | "ANCHOR_ROOT_MISMATCH"
  | "ANCHOR_SIZE_MISSTATED"
  | "ANCHOR_MANIFEST_MISMATCH"
  | "MANIFEST_RECORD_MISMATCH"
  | "MANIFEST_CHAIN_BROKEN"
  | "MANIFEST_INVALID"
  | "ANCHOR_HISTORY_MISMATCH"
  | "ANCHOR_NOT_ON_CHAIN"
  | "HISTORY_UNPROVEN"
  | "ANCHOR_FOREIGN"
  | "STREAM_MISSING"
  | "UNANCHORED_RECORDS";

/** Failures of a receipt checked on chain (see {@link FailureCode}). */
export type ReceiptFailureCode =
  | "RECEIPT_INVALID"
  | "RECEIPT_CID_MISMATCH"
  | "RECEIPT_PROOF_INVALID"
  | "RECEIPT_CHAIN_MISMATCH"
  | "RECEIPT_TX_NOT_FOUND"
  | "RECEIPT_TX_FAILED"
  | "RECEIPT_ANCHOR_NOT_FOUND";

/** Failures of an evidence bundle checked against the chain (see bundle/verify-bundle.ts). */
export type BundleFailureCode =
  | "BUNDLE_MALFORMED"
  | "BUNDLE_FILE_MISSING"
  | "BUNDLE_FILE_UNLISTED"
  | "BUNDLE_DIGEST_MISMATCH"
  | "BUNDLE_PACK_INVALID"
  | "BUNDLE_NOT_ANCHORED"
  | "BUNDLE_CHAIN_MISMATCH"
  | "BUNDLE_HISTORY_UNPROVEN"
  | "BUNDLE_ANCHOR_NOT_ON_CHAIN"
  | "BUNDLE_MANIFEST_INVALID"
  | "BUNDLE_RECORD_CID_MISMATCH"
  | "BUNDLE_RECORD_OUT_OF_SCOPE"
  | "BUNDLE_RECORD_NOT_ANCHORED"
  | "BUNDLE_DECISION_COUNT_MISMATCH"
  | "BUNDLE_RECEIPT_INVALID";

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
