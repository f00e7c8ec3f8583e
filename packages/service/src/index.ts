/**
 * @ancora/service: the HTTP service over the SDK. Decisions in, records, receipts, verification and
 * audit exports out, behind hashed API keys. See docs/service.md.
 */

export {
  type AnyServiceErrorCode,
  CliError,
  type CliErrorCode,
  ServiceError,
  type ServiceErrorCode,
} from "./errors.js";
export { type ErrorBody, type HttpError, toHttpError } from "./http-errors.js";
export {
  type ApiKeyInfo,
  type CreatedApiKey,
  createApiKey,
  KEY_FILE,
  listApiKeys,
  revokeApiKey,
  SCOPES,
  type Scope,
} from "./keys.js";
export { COMMIT_LATENCY_BUCKETS } from "./metrics.js";
export {
  type AnchoringConnection,
  type AnchoringOptions,
  DEFAULT_BODY_LIMIT,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_INFLIGHT,
  DEFAULT_MAX_PAGE_SIZE,
  DEFAULT_RETRY_AFTER_SECONDS,
  LOG_FILE,
  type LogOption,
  type PinningOptions,
  type ServiceOptions,
} from "./options.js";
export {
  type AncoraService,
  createService,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type RunningService,
  type StartOptions,
  startService,
} from "./service.js";
