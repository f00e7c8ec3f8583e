/**
 * @ancora/sdk: the durable hash-chained SQLite log and the ProvenanceLogger that inference services
 * wrap around their models. Verification is @ancora/verifier's, over this store as a record source.
 */
export {
  ClosedError,
  ConfigMissingError,
  InputError,
  type InputErrorCode,
  LabelUnknownError,
  type SdkErrorCode,
  StoreError,
  type StoreErrorCode,
  StreamUnknownError,
} from "./errors.js";
export {
  type EvidenceConfig,
  type EvidencePack,
  type EvidencePackOptions,
  evidencePack,
  exportJsonl,
  type JsonlExportSummary,
  renderEvidencePack,
} from "./exports.js";
export type { CommitmentOption } from "./internal/commitments.js";
export { DEFAULT_BUSY_TIMEOUT_MS } from "./internal/database.js";
export { SCHEMA_VERSION } from "./internal/schema.js";
export {
  type ChangeMeta,
  type ConfigInput,
  createLogger,
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_WINDOW_MS,
  type DecisionEntry,
  type ErrorHandler,
  type LabelInfo,
  type LoggerOptions,
  ProvenanceLogger,
  type Recorded,
  type RecordedConfig,
  type RecordedDecision,
  type WrapOptions,
} from "./logger.js";
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type SearchItem,
  type SearchPage,
  type SearchQuery,
} from "./search.js";
export {
  AncoraStore,
  type ConsistencyProofInfo,
  type InclusionProofInfo,
  type OutboxJob,
  openStore,
  type StoredRecordInfo,
  type StoreOptions,
  type StoreVerifyOptions,
  type StreamInfo,
} from "./store.js";
