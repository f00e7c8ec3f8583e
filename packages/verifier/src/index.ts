/**
 * @ancora/verifier: checks a stream of records from nothing but their bytes. It never imports the SDK
 * and never opens a database or socket itself; a store, IPFS or a test supplies a record source.
 */
export { BUNDLE_DIR, BUNDLE_FILES, BUNDLE_MANIFESTS, BUNDLE_RECEIPTS } from "./bundle/format.js";
export { readTar, TAR_BLOCK, TAR_END, tarHeader, tarPadding } from "./bundle/tar.js";
export {
  type BundleFailure,
  type BundleVerification,
  type VerifyBundleOptions,
  verifyEvidenceBundle,
} from "./bundle/verify-bundle.js";
export type {
  AnchoredConsistency,
  ChainStreamResult,
  ChainVerificationResult,
  HistoryProof,
} from "./chain/chain-result.js";
export {
  type HistoryOutcome,
  type ProvenAnchor,
  proveHistoryFromEvents,
  proveHistoryFromLocalAnchors,
  stateAnchors,
} from "./chain/history-proof.js";
export {
  anchoredConsistency,
  checkAnchoredRoots,
  checkLocalAnchors,
  classifyLocalAnchors,
  type VerifyAgainstChainOptions,
  verifyAgainstChain,
  verifyStreamAgainstChain,
} from "./chain/local-vs-chain.js";
export { checkManifests, type ManifestSummary, summariseManifests } from "./chain/manifest-checks.js";
export { findTrueSizes, misstatedSizeFailure, misstatementCandidates } from "./chain/misstated-size.js";
export { type WalkInput, type WalkOutput, walkRecords } from "./chain/record-walk.js";
export type { RegistryAnchor, RegistryStream, RegistryView } from "./chain/registry-view.js";
export { registeredName } from "./chain/stream-names.js";
export { type RegistryViewOptions, registryView } from "./chain/viem-registry.js";
export { type IndexColumns, indexColumns } from "./columns.js";
export {
  ChainVerifyError,
  type ChainVerifyErrorCode,
  OffLogDocumentError,
  type OffLogDocumentErrorCode,
  OptionalDependencyError,
  type OptionalDependencyErrorCode,
  PublicVerifyError,
  type PublicVerifyErrorCode,
  RangeWorkerError,
  SourceError,
  type SourceErrorCode,
  StreamVerifierError,
  type StreamVerifierErrorCode,
  TarFormatError,
  type VerifierErrorCode,
} from "./errors.js";
export { withFailures } from "./failures.js";
export {
  type ChainLink,
  type LineageProof,
  type SampleChain,
  type SampleChainVerification,
  verifySampleChain,
} from "./lineage-chain.js";
export {
  type OffLogDocumentKind,
  type OffLogDocumentResult,
  verifyOffLogDocument,
} from "./lineage-documents.js";
export {
  DEFAULT_PUBLIC_CONCURRENCY,
  DEFAULT_PUBLIC_RANGE_RECORDS,
  HISTORY_PROOF,
  type PublicProgress,
  type PublicStreamResult,
  type PublicVerificationResult,
  type PublicVerifyOptions,
  verifyPublic,
} from "./public/verify-public.js";
export {
  type ControlEvent,
  RANGE_BLOCK,
  RANGE_BLOCK_LEVEL,
  type RangeChecker,
  type RangeFacts,
  type RangeStart,
  type RecordsRange,
} from "./range-checker.js";
export { rangeStarts, stitchRanges } from "./range-verifier.js";
export {
  type ReceiptFailure,
  type ReceiptOnChainOptions,
  type ReceiptVerification,
  verifyReceiptOnChain,
} from "./receipt/receipt-on-chain.js";
export {
  type PendingReference,
  type Reference,
  type ReferenceRule,
  type ReferenceTarget,
  referencesOf,
  resolveReferences,
  type StreamReferences,
  targetOf,
} from "./references.js";
export type {
  BundleFailureCode,
  ChainFailureCode,
  FailureCode,
  PublicFailureCode,
  ReceiptFailureCode,
  ReferenceFailureCode,
  SourceVerificationResult,
  VerificationFailure,
  VerificationResult,
} from "./result.js";
export type {
  AsyncRecordSource,
  IndexedColumns,
  RecordSource,
  StoredCheckpoint,
  StoredHead,
  StoredRecord,
} from "./source.js";
export { type GatewayFetcherOptions, gatewayFetcher } from "./sources/blocks.js";
export {
  parseRpcHeaders,
  type RpcEndpoints,
  rpcEndpointsProblem,
  rpcTransport,
  splitRpcUrls,
} from "./sources/rpc-transport.js";
export { StreamVerifier } from "./stream-verifier.js";
export { DEFAULT_MAX_FAILURES, type NodeLookup, type VerifyOptions } from "./verify-options.js";
export {
  combineResults,
  type StreamPass,
  streamPass,
  verifyStream,
  verifyStreamAsync,
  verifyStreams,
} from "./verify-streams.js";
