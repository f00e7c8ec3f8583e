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
  type ControlEvent,
  combineResults,
  DEFAULT_MAX_FAILURES,
  type NodeLookup,
  RANGE_BLOCK,
  RANGE_BLOCK_LEVEL,
  type RangeFacts,
  type RangeStart,
  rangeStarts,
  StreamVerifier,
  stitchRanges,
  type VerifyOptions,
  verifyStream,
  verifyStreamAsync,
  verifyStreams,
} from "./stream-verifier.js";
