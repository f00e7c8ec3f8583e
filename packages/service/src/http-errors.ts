/**
 * The one JSON shape every 4xx/5xx answer has, `{ "error": { "code", "message", "hint" } }`, and the
 * status each error answers with (the service's own, and the SDK's and core's that pass through).
 */
import { AncoraError } from "@ancora/core";
import { ServiceError } from "./errors.js";

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
    if (code === "STORE_UNREACHABLE") {
      return {
        status: 503,
        body: body(
          code,
          "The PostgreSQL log could not be read",
          "The replica could not bring its copy of the log up to date; retry later.",
        ),
        retryAfter: 1,
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
