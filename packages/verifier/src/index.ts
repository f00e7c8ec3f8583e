/**
 * @ancora/verifier: checks a stream of records from nothing but their bytes. It never imports the SDK
 * and never opens a database or socket itself; a store, IPFS or a test supplies a record source.
 */
export { type IndexColumns, indexColumns } from "./columns.js";
export type {
  FailureCode,
  SourceVerificationResult,
  VerificationFailure,
  VerificationResult,
} from "./result.js";
export type {
  AsyncRecordSource,
  RecordSource,
  StoredCheckpoint,
  StoredHead,
  StoredRecord,
} from "./source.js";
export {
  combineResults,
  DEFAULT_MAX_FAILURES,
  type NodeLookup,
  StreamVerifier,
  type VerifyOptions,
  verifyStream,
  verifyStreamAsync,
  verifyStreams,
} from "./stream-verifier.js";
