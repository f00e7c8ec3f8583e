/**
 * @ancora/verifier/node: the verifier's node-only sources. They read a local SQLite log read-only, an
 * audit export, an IPFS gateway or bitswap peers, and hand the pure checks of `@ancora/verifier` what
 * they read; every block is checked against its CID before it is returned.
 */
export {
  OptionalDependencyError,
  type OptionalDependencyErrorCode,
  ParallelOptionError,
  type ParallelOptionErrorCode,
  SourceError,
  type SourceErrorCode,
} from "./errors.js";
export {
  assertInstalled,
  HELIA_PACKAGES,
  importOptional,
  isMissingPackage,
  POSTGRES_PACKAGES,
} from "./optional-dependency.js";
export {
  type BlockingOutcome,
  type BlockingVerifyOptions,
  verifyLocalStreamBlocking,
} from "./parallel/blocking.js";
export type { LocalStreamSnapshot } from "./parallel/range-plan.js";
export {
  DEFAULT_PARALLEL_MIN_RECORDS,
  DEFAULT_RANGE_RECORDS,
  type LocalProgress,
  type LocalVerificationResult,
  type SerialFallback,
  type VerifyLocalLogOptions,
  verifyLocalLog,
} from "./parallel/verify-local.js";
export {
  createVerifyPool,
  DEFAULT_VERIFY_THREADS,
  MAX_VERIFY_THREADS,
  type VerifyPool,
  type VerifyPoolOptions,
} from "./parallel/worker-pool.js";
export { workerScript } from "./parallel/worker-script.js";
export {
  type BitswapFetcher,
  type BitswapFetcherOptions,
  DEFAULT_BITSWAP_TIMEOUT_MS,
  DEFAULT_DIAL_TIMEOUT_MS,
  startBitswapFetcher,
} from "./sources/bitswap.js";
export { MAX_BLOCK_BYTES } from "./sources/block-check.js";
export {
  DEFAULT_FETCH_CONCURRENCY,
  DEFAULT_GATEWAY_RETRIES,
  DEFAULT_GATEWAY_TIMEOUT_MS,
  type FetchAllOptions,
  fetchAll,
  type GatewayFetcherOptions,
  gatewayFetcher,
} from "./sources/blocks.js";
export {
  CAR_GATEWAY_PATH,
  type CarGatewayFetcherOptions,
  carGatewayFetcher,
  DEFAULT_BLOCKS_PER_REQUEST,
  readCarBlocks,
} from "./sources/car-gateway.js";
export {
  type CarContents,
  type CarReadOptions,
  type CarSection,
  readCar,
} from "./sources/car-reader.js";
export {
  DEFAULT_HELIA_LISTEN,
  type OfflineHelia,
  type OfflineHeliaKey,
  type OfflineHeliaOptions,
  startOfflineHelia,
} from "./sources/helia-node.js";
export { HTTP_FETCH_CONCURRENCY, httpBlockFetcher } from "./sources/http-blocks.js";
export {
  AUDIT_LOG_FORMAT,
  AUDIT_LOG_VERSION,
  MAX_EXPORT_LINE_BYTES,
  readJsonlExport,
} from "./sources/jsonl.js";
export { nodeSha256, nodeSha256Text } from "./sources/node-sha256.js";
export {
  isPostgresUrl,
  MAX_POSTGRES_SCHEMA,
  openPostgresLog,
  type PostgresLog,
} from "./sources/postgres.js";
export {
  DEFAULT_LOCAL_BUSY_TIMEOUT_MS,
  MAX_STORE_SCHEMA,
  type OpenLocalLogOptions,
  openLocalLog,
  sqliteRecordSource,
} from "./sources/sqlite.js";
export type { AsyncLocalLog, BlockFetcher, LocalAnchor, LocalLog, LocalManifest } from "./sources/types.js";
