/**
 * Errors of the verifier's sources: a local log, an export file, a gateway or a peer could not give
 * what was asked. These are not verification failures (those are results, see result.ts): a source
 * error says the evidence could not be read, never that it was read and found wrong, except for
 * `BLOCK_CID_MISMATCH`, where a fetcher refuses bytes that do not hash to the CID it asked for.
 */
import { AncoraError } from "@ancora/core";

/**
 * Every way a source can fail. Codes are stable: callers and tests branch on them, never on wording.
 *
 * - `SOURCE_NOT_FOUND`: the file, URL or stream does not exist.
 * - `SOURCE_UNREADABLE`: the file exists but cannot be opened for reading (permissions, or a WAL store
 *   in a read-only directory without its `-shm` file).
 * - `SOURCE_INVALID`: not an Ancora store, or a malformed export line (evidence: `line`).
 * - `SOURCE_UNSUPPORTED_VERSION`: a store schema or export format newer than this verifier knows.
 * - `SOURCE_UNREACHABLE`: connection refused, DNS failure, 5xx after retries, a peer that cannot be dialled.
 * - `SOURCE_TIMEOUT`: no answer within the time allowed.
 * - `BLOCK_NOT_FOUND`: the source does not have the block (404/410, not provided by any peer).
 * - `BLOCK_CID_MISMATCH`: the bytes served for a CID hash to another CID (evidence: `expected`, `found`).
 * - `BLOCK_TOO_LARGE`: the block is larger than any Ancora block may be (evidence: `limit`).
 * - `SOURCE_UNSUPPORTED_CID`: the CID is not a CIDv1 raw sha2-256 CID in its canonical base32 spelling.
 * - `HISTORY_UNAVAILABLE`: the chain node no longer serves the event logs asked for (EIP-4444).
 */
export type SourceErrorCode =
  | "SOURCE_NOT_FOUND"
  | "SOURCE_UNREADABLE"
  | "SOURCE_INVALID"
  | "SOURCE_UNSUPPORTED_VERSION"
  | "SOURCE_UNREACHABLE"
  | "SOURCE_TIMEOUT"
  | "BLOCK_NOT_FOUND"
  | "BLOCK_CID_MISMATCH"
  | "BLOCK_TOO_LARGE"
  | "SOURCE_UNSUPPORTED_CID"
  | "HISTORY_UNAVAILABLE";

/**
 * A source could not deliver what was asked. `evidence` holds paths, URLs without credentials, line
 * numbers, CIDs and sizes only.
 *
 * @example
 * ```ts
 * try {
 *   openLocalLog("missing.db");
 * } catch (error) {
 *   if (error instanceof SourceError && error.code === "SOURCE_NOT_FOUND") console.error(error.hint);
 * }
 * ```
 */
export class SourceError extends AncoraError<SourceErrorCode> {
  override name = "SourceError";
}
