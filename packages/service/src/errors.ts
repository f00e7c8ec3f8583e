/**
 * The service's typed errors and the one JSON shape every 4xx/5xx answer has:
 * `{ "error": { "code", "message", "hint" } }`. Messages name fields, limits, streams and sequence
 * numbers only: never a request value (it may be personal data), a token or a key.
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
  | "KEY_NOT_FOUND";

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

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

/** An error as the HTTP layer answers it. */
export interface HttpError {
  status: number;
  body: ErrorBody;
  retryAfter?: number;
}

/** SDK and core codes and their statuses; anything else from the SDK is a 500. */
const PASSTHROUGH: Record<string, number> = {
  INPUT_NOT_OBJECT: 400,
  INPUT_NOT_ENCODABLE: 400,
  INPUT_TOO_LARGE: 413,
  SCORE_INVALID: 400,
  INVALID_OPTION: 400,
  INVALID_CURSOR: 400,
  LABEL_UNKNOWN: 400,
  STREAM_UNKNOWN: 404,
  NOT_ANCHORED: 404,
  LINEAGE_UNKNOWN: 404,
  CONSENT_INVALID: 400,
  CONSENT_POLICY_UNKNOWN: 404,
  CONSENT_NOT_REVOCABLE: 409,
};

/** Codes of the verifier's sources that did not answer (`SourceError`): retryable, 503. */
const UNREACHABLE_SOURCES: ReadonlySet<string> = new Set([
  "SOURCE_UNREACHABLE",
  "SOURCE_TIMEOUT",
  "HISTORY_UNAVAILABLE",
]);

function body(code: string, message: string, hint: string | undefined): ErrorBody {
  return { error: { code, message, ...(hint === undefined ? {} : { hint }) } };
}

/**
 * Maps any thrown value to a status and the error body. Typed errors keep their code, message and
 * hint (they never carry values); core encoding and schema errors are the caller's (400); an SDK
 * write failure (lock timeout, I/O) and a source that did not answer (the chain or IPFS, while a pack
 * or a verification is computed) are retryable (503); everything else is a 500 whose message says
 * nothing about the cause (it is logged, not sent).
 *
 * @example
 * ```ts
 * toHttpError(new ServiceError("FORBIDDEN", "This key lacks the write scope")).status; // 403
 * ```
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof ServiceError) {
    return {
      status: error.status,
      body: body(error.code, error.shortMessage, error.hint),
      ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    };
  }
  if (error instanceof AncoraError) {
    const code: string = error.code;
    if (code === "CONFIG_MISSING") {
      return {
        status: 409,
        body: body("CONFIG_REQUIRED", error.shortMessage, "POST /v1/streams/{stream}/config (admin) first."),
      };
    }
    if (code === "CLOSED") {
      return {
        status: 503,
        body: body("SHUTTING_DOWN", "The service is shutting down", "Retry against another instance."),
        retryAfter: 1,
      };
    }
    if (UNREACHABLE_SOURCES.has(code)) {
      // The chain or IPFS did not answer while a pack or a verification was computed: nothing is
      // wrong with the request or the log, so the client may retry, and the hint says why.
      return {
        status: 503,
        body: body(
          code,
          error.shortMessage,
          error.hint ?? "A source (the chain's RPC endpoint or IPFS) did not answer; retry later.",
        ),
        retryAfter: 5,
      };
    }
    if (code === "STORE_WRITE_FAILED") {
      return {
        status: 503,
        body: body(code, "The write was rolled back (lock timeout or I/O error)", "Retry the request."),
        retryAfter: 1,
      };
    }
    const status =
      PASSTHROUGH[code] ?? (code.startsWith("ENCODING_") || code.startsWith("SCHEMA_") ? 400 : 500);
    if (status < 500) return { status, body: body(code, error.shortMessage, error.hint) };
  }
  return {
    status: 500,
    body: body(
      "INTERNAL",
      "Internal error",
      "Retry later; if it persists, the operator has the details in the log.",
    ),
  };
}
