/**
 * The typed errors of @ancora/service: the HTTP service's ({@link ServiceError}, with the status it
 * answers with) and the `ancora` command's ({@link CliError}). Messages name fields, limits, streams
 * and sequence numbers only: never a request value (it may be personal data), a token or a key. How an
 * error is answered is in http-errors.ts (HTTP) and cli/error-output.ts (exit code and printed text).
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/** Codes the service raises itself (SDK and core codes pass through, see {@link toHttpError}). */
export type ServiceErrorCode =
  | "BAD_REQUEST"
  | "MALFORMED_JSON"
  /** The request's URL is not valid percent-encoding (Fastify's FST_ERR_BAD_URL). */
  | "MALFORMED_URL"
  /** A path parameter is longer than the router accepts. */
  | "URI_TOO_LONG"
  /** The request line and headers together exceed Node's header limit (16 KiB by default). */
  | "HEADERS_TOO_LARGE"
  /** The client sent its request too slowly. */
  | "REQUEST_TIMEOUT"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "NOT_ACCEPTABLE"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  /** `ancora serve` was started from a checkout where `@ancora/verify-page` is not built. */
  | "VERIFY_PAGE_MISSING"
  /** No decision of the stream names this model (and version): there is nothing to give evidence of. */
  | "MODEL_UNKNOWN"
  | "STREAM_INVALID"
  | "PAYLOAD_TOO_LARGE"
  | "BATCH_TOO_LARGE"
  | "CONFIG_REQUIRED"
  | "OVERLOADED"
  | "SHUTTING_DOWN"
  | "INTERNAL"
  | "INVALID_OPTION"
  | "KEY_FILE_INVALID"
  | "KEY_NOT_FOUND"
  /** The log is kept in PostgreSQL, where this route is not served yet (decisions and configs are). */
  | "NOT_ON_POSTGRES";

/** HTTP status of each service code. */
const STATUS: Record<ServiceErrorCode, number> = {
  BAD_REQUEST: 400,
  MALFORMED_JSON: 400,
  MALFORMED_URL: 400,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  STREAM_INVALID: 400,
  BATCH_TOO_LARGE: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ACCEPTABLE: 406,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VERIFY_PAGE_MISSING: 404,
  MODEL_UNKNOWN: 404,
  KEY_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  CONFIG_REQUIRED: 409,
  OVERLOADED: 503,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
  INVALID_OPTION: 500,
  KEY_FILE_INVALID: 500,
  NOT_ON_POSTGRES: 501,
};

/** A failure of the service, with the HTTP status it answers with. */
export class ServiceError extends AncoraError<ServiceErrorCode> {
  override name = "ServiceError";
  readonly status: number;
  /** Seconds a client should wait before retrying (503s): sent as `Retry-After`. */
  readonly retryAfter: number | undefined;
  constructor(
    code: ServiceErrorCode,
    shortMessage: string,
    options: AncoraErrorOptions & { retryAfter?: number } = {},
  ) {
    super(code, shortMessage, options);
    this.status = STATUS[code];
    this.retryAfter = options.retryAfter;
  }
}

/** Codes of {@link CliError}. */
export type CliErrorCode =
  /** Bad flags or arguments (commander's own errors included). */
  | "USAGE"
  /** The data directory has no `ancora.json` (run `ancora init`). */
  | "CONFIG_NOT_FOUND"
  /** `ancora.json` is not a valid config, or lacks what the command needs (e.g. a registry). */
  | "CONFIG_INVALID"
  /** `ancora init` would overwrite an existing data directory. */
  | "DATA_DIR_EXISTS"
  /** A secret the command needs is not in the environment. */
  | "SECRET_MISSING"
  /** A public development key would hold a role on a chain other than the local one. */
  | "DEV_KEY_REFUSED"
  /** The RPC endpoint could not be reached. */
  | "CHAIN_UNREACHABLE"
  /** The verifier's CLI is not available in this build. */
  | "VERIFY_UNAVAILABLE"
  /** `ancora demo` runs from a checkout of the repository only. */
  | "DEMO_UNAVAILABLE"
  /** `ancora anchor` stopped before every checkpoint was confirmed. */
  | "ANCHOR_INCOMPLETE"
  /** The key `serve` anchors with lacks ANCHORER_ROLE in the registry (grant it with `ancora roles grant`). */
  | "ROLE_MISSING"
  /** A stream of the store is not registered in the registry, or is retired: it cannot be anchored. */
  | "STREAM_NOT_REGISTERED"
  /** `ancora serve`'s address is taken by another process. */
  | "PORT_IN_USE"
  /** No confirmed anchor covers the record yet: there is no receipt to give. */
  | "NOT_ANCHORED"
  /** An input or output file could not be read or written. */
  | "FILE_UNREADABLE"
  | "FILE_UNWRITABLE"
  /** `ancora lineage --format png` found no font to draw text with. */
  | "FONTS_MISSING";

/** A failure of the `ancora` CLI itself (the SDK's and core's errors are printed as they are). */
export class CliError extends AncoraError<CliErrorCode> {
  override name = "CliError";
  constructor(code: CliErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/** Every code @ancora/service throws itself (SDK, verifier and core codes pass through). */
export type AnyServiceErrorCode = ServiceErrorCode | CliErrorCode;

/** Codes of {@link IngestError}. */
export type IngestErrorCode =
  | "INGEST_BAD_JSON"
  | "INGEST_NOT_OBJECT"
  | "INGEST_UNKNOWN_KIND"
  | "INGEST_MISSING_FIELD"
  | "INGEST_UNKNOWN_FIELD"
  | "INGEST_BAD_FIELD"
  | "INGEST_BAD_STREAM"
  | "INGEST_BAD_MODEL"
  | "INGEST_NOT_ENCODABLE"
  | "INGEST_EMPTY"
  | "INGEST_CONFIG_MISSING"
  | "INGEST_LABEL_UNKNOWN";

/**
 * A line of `ancora ingest` input that cannot be logged. `evidence.line` is its 1-based line number;
 * messages and evidence name fields, never values (inputs may be personal data).
 */
export class IngestError extends AncoraError<IngestErrorCode> {
  override name = "IngestError";
  readonly line: number | undefined;
  constructor(
    code: IngestErrorCode,
    line: number | undefined,
    shortMessage: string,
    options: AncoraErrorOptions = {},
  ) {
    super(code, line === undefined ? shortMessage : `line ${line}: ${shortMessage}`, {
      hint: "Fix the line and run ingest again: nothing from this input was written.",
      ...options,
      evidence: { ...(line === undefined ? {} : { line }), ...options.evidence },
    });
    this.line = line;
  }
}
