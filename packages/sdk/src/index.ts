/**
 * @ancora/sdk: the durable hash-chained SQLite log and the ProvenanceLogger that inference services
 * wrap around their models. Verification is @ancora/verifier's, over this store as a record source.
 */

export {
  OptionalDependencyError,
  type OptionalDependencyErrorCode,
  parseRpcHeaders,
  type RpcEndpoints,
  rpcEndpointsProblem,
  rpcTransport,
  type SampleChainVerification,
  splitRpcUrls,
  verifySampleChain,
} from "@ancora/verifier";
export type { AnchoredCheckpoint, AnchorStatus } from "./anchoring/anchor-store.js";
export { type AnchorBacklog, Anchorer, createAnchorer, type TickResult } from "./anchoring/anchorer.js";
export {
  type AnchorErrorContext,
  type AnchorerOptions,
  type AnchorerTuning,
  type AnchorNotice,
  type AnchorWalletClient,
  DEFAULT_ANCHOR_CONFIRMATIONS,
  DEFAULT_ANCHOR_EVERY_MS,
  DEFAULT_ANCHOR_EVERY_RECORDS,
  DEFAULT_BACKOFF,
  DEFAULT_MAX_FEE_PER_GAS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_REORG_DEPTH,
  DEFAULT_REPLACE_AFTER_MS,
  type Recovery,
} from "./anchoring/anchorer-options.js";
export {
  type EthersSignerLike,
  type EthersTransactionRequest,
  ethersSignerToAccount,
} from "./anchoring/ethers-account.js";
export { anchoringLag, type StreamLag } from "./anchoring/lag.js";
export {
  type AfterMisstatedOptions,
  type AfterMisstatedResult,
  anchorAfterMisstatedAnchor,
} from "./anchoring/misstated.js";
export type { ReceiptOptions } from "./anchoring/receipt-builder.js";
export {
  AnchoringWorker,
  type AnchoringWorkerOptions,
  DEFAULT_WORKER_PIN_INTERVAL_MS,
  startAnchoringWorker,
} from "./anchoring/worker.js";
export {
  ATOMIC_WRITE_PAUSE_ENV,
  type AtomicWriteResult,
  writeFileAtomically,
} from "./atomic-file.js";
export type { AppendBatchOptions, BatchDecision, BatchEntry, BatchResult } from "./batch.js";
export {
  CAPSULE_KEY_SALT_BYTES,
  CAPSULE_VERSION,
  type Capsule,
  type CapsuleKeySource,
  type CapsuleMeta,
  DEFAULT_SCRYPT,
  decodeCapsule,
  MAX_CAPSULE_PAYLOAD_BYTES,
  openCapsule,
  type ScryptParams,
  type SealedCapsule,
  sealCapsule,
} from "./capsules/capsule.js";
export {
  type LogCapsuleOptions,
  type LoggedCapsule,
  logCapsule,
  openLoggedCapsule,
} from "./capsules/logged-capsule.js";
export {
  type ConsentGrant,
  type ConsentRequirement,
  checkConsent,
  grantConsent,
  type RecordedConsent,
  revokeConsent,
} from "./consent/consent.js";
export {
  type ConsentDenialReason,
  type ConsentPolicyState,
  type ConsentRequest,
  type ConsentVerdict,
  evaluateConsent,
} from "./consent/evaluate.js";
export {
  AnchorError,
  type AnchorErrorCode,
  BatchEntryError,
  CapsuleError,
  type CapsuleErrorCode,
  ClosedError,
  ConfigMissingError,
  type ConsentDeniedCode,
  ConsentDeniedError,
  type ConsentInputCode,
  ConsentInputError,
  ExportFileError,
  InputError,
  type InputErrorCode,
  IpfsIdentityError,
  type IpfsIdentityErrorCode,
  LabelUnknownError,
  LineageError,
  type LineageErrorCode,
  ModelUnknownError,
  NotAnchoredError,
  PinError,
  type PinErrorCode,
  type SdkErrorCode,
  StoreError,
  type StoreErrorCode,
  StreamUnknownError,
} from "./errors.js";
export { assessorCommand } from "./evidence/assessor.js";
export {
  DEFAULT_BUNDLE_RECEIPTS,
  type EvidenceBundleOptions,
  type EvidenceBundleSummary,
  writeEvidenceBundle,
} from "./evidence/bundle.js";
export { chainName } from "./evidence/chain-name.js";
export { plural } from "./evidence/document.js";
export { exportJsonl, type JsonlExportSummary } from "./evidence/jsonl-export.js";
export { type EvidencePackOptions, evidencePack } from "./evidence/pack.js";
export { renderEvidencePack, renderEvidencePackHtml } from "./evidence/render.js";
export {
  EVIDENCE_PACK_FORMAT,
  EVIDENCE_PACK_VERSION,
  type EvidenceAnchor,
  type EvidenceAssessor,
  type EvidenceChain,
  type EvidenceChainCheck,
  type EvidenceConfig,
  type EvidencePack,
} from "./evidence/types.js";
export type { CommitmentOption } from "./internal/commitments.js";
export { DEFAULT_BUSY_TIMEOUT_MS } from "./internal/database.js";
export { SCHEMA_VERSION } from "./internal/schema.js";
export {
  type BlockGateway,
  type BlockGatewayOptions,
  GATEWAY_BATCH_PATH,
  MAX_GATEWAY_BATCH,
  startBlockGateway,
} from "./ipfs/gateway.js";
export { DEFAULT_LISTEN, type IpfsNode, type IpfsNodeOptions, startIpfsNode } from "./ipfs/node.js";
export { SqliteBlockstore } from "./ipfs/sqlite-blockstore.js";
export {
  LINEAGE_GRAPH_VERSION,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  type LineageNodeKind,
  type LineageProof,
  shortCid,
} from "./lineage/graph.js";
export {
  type DatasetInput,
  grantAccess,
  logDataset,
  logModel,
  logReproducibility,
  logTraining,
  MAX_DATASET_SAMPLES,
  type ModelInput,
  type RecordedLineage,
  readReproducibility,
  recordOwnership,
  setRetention,
  sha256Digest,
  type TrainingInput,
} from "./lineage/kinds.js";
export {
  type ChainLink,
  DEFAULT_LINEAGE_DECISIONS,
  type LineageGraphOptions,
  lineageGraph,
  proveSampleInTraining,
  type RecordRef,
  type SampleChain,
} from "./lineage/query.js";
export {
  dotOfLineage,
  type LineageFormat,
  mermaidOfLineage,
  renderLineage,
  svgOfLineage,
} from "./lineage/render.js";

export { createLogger, type DecisionEntry, ProvenanceLogger, type WrapOptions } from "./logger.js";
export {
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_WINDOW_MS,
  type ErrorHandler,
  type LoggerOptions,
  type PostgresLoggerOptions,
} from "./logger-options.js";
export { type PinBlock, type PinCar, type PinningService, pinBlock, pinCar } from "./pinning/adapter.js";
export { parseRetryAfter } from "./pinning/http-status.js";
export { kuboService } from "./pinning/kubo.js";
export {
  DAG_PB_CODEC,
  MANIFEST_ENTRY,
  MANIFEST_ENTRY_DIGITS,
  MAX_MANIFEST_DIRECTORY_BYTES,
  type ManifestCar,
  type ManifestDirectory,
  type ManifestDirectoryInput,
  manifestCar,
  manifestDirectory,
  manifestEntryName,
  type RawBlock,
} from "./pinning/manifest-directory.js";
export type { KuboServiceOptions, PinataServiceOptions } from "./pinning/options.js";
export { pinataService } from "./pinning/pinata.js";
export {
  createPinner,
  DEFAULT_PIN_CONCURRENCY,
  DEFAULT_PIN_JOB_RECORDS,
  PIN_PROBE_MAX_MS,
  Pinner,
  type PinnerOptions,
} from "./pinning/pinner.js";
export { appendBatchToPostgres } from "./postgres/pg-batch.js";
export {
  ANCHORING_LOCK,
  type LeaseHolder,
  type LeaseOptions,
  startLeaseHolder,
} from "./postgres/pg-lease.js";
export {
  DEFAULT_MAX_CONNECTIONS,
  type PostgresDecisionEntry,
  PostgresLogger,
} from "./postgres/pg-logger.js";
export {
  type MirrorOptions,
  type MirrorPull,
  type MirrorPush,
  openPostgresMirror,
  type PostgresMirror,
} from "./postgres/pg-mirror.js";
export { preparePostgresStore } from "./postgres/pg-prepare.js";
export type {
  ChangeMeta,
  ConfigInput,
  LabelInfo,
  PolicyCheck,
  Recorded,
  RecordedConfig,
  RecordedDecision,
} from "./recorded.js";
export {
  enforceRetention,
  type PurgeRecord,
  type RetentionOptions,
  type RetentionResult,
} from "./retention/enforce.js";
export { type ErasureResult, eraseSubject } from "./retention/erasure.js";
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type SearchItem,
  type SearchPage,
  type SearchQuery,
} from "./search.js";
export { AncoraStore, openStore } from "./store.js";
export type {
  ConsistencyProofInfo,
  InclusionProofInfo,
  OutboxJob,
  StoredRecordInfo,
  StoreOptions,
  StoreVerifyOptions,
  StreamInfo,
} from "./store-types.js";
export type { StreamLedger } from "./stream-ledger.js";
