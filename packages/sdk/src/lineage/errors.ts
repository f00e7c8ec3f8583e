/**
 * Errors of lineage queries and off-log documents. Evidence names CIDs and digests only.
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/** Codes of {@link LineageError}. */
export type LineageErrorCode =
  /** No record with this CID (or stream and seq) in the store. */
  | "LINEAGE_UNKNOWN"
  /** The sample is in no dataset of a training run behind a model with decisions (no proof exists). */
  | "SAMPLE_NOT_IN_TRAINING"
  /** A stored off-log document does not match the digest on the log. */
  | "DOCUMENT_MISMATCH"
  /** The off-log document was removed by retention or erasure; its digest stays on the log. */
  | "DOCUMENT_PURGED";

/** A lineage query or an off-log document failed. */
export class LineageError extends AncoraError<LineageErrorCode> {
  override name = "LineageError";
  constructor(code: LineageErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}
