/**
 * Pinning failures: {@link PinError} with its code union, and how an adapter turns an HTTP status and a
 * Retry-After header into one (never copying the service's message or URL, which may echo a secret).
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/** Codes of {@link PinError}. */
export type PinErrorCode =
  /** The service reported another CID for the bytes than the local one (evidence: both). */
  | "PIN_CID_MISMATCH"
  /** 401/403: the credentials were refused. */
  | "PIN_UNAUTHORIZED"
  /** 429: rate limited; `retryAfterMs` when the service said (Retry-After). */
  | "PIN_RATE_LIMITED"
  /** 5xx, a network failure or a timeout: try again later. */
  | "PIN_UNAVAILABLE"
  /** Another 4xx: the service refused the upload. */
  | "PIN_REJECTED"
  /** Bad adapter options (a missing JWT or URL). */
  | "PIN_INVALID_OPTION";

/** A pinning failure. Carries the HTTP status (when there was one) and how long the service asked to wait. */
export class PinError extends AncoraError<PinErrorCode> {
  override name = "PinError";
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    code: PinErrorCode,
    shortMessage: string,
    options: AncoraErrorOptions & { status?: number; retryAfterMs?: number } = {},
  ) {
    super(code, shortMessage, options);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Parses an HTTP Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error for an HTTP status (never the service's message, which may echo a request). */
export function pinErrorForStatus(
  service: string,
  status: number | undefined,
  retryAfterMs?: number,
  cause?: unknown,
): PinError {
  const base = { ...(status === undefined ? {} : { status }), evidence: { service, status: status ?? null } };
  if (status === 401 || status === 403) {
    return new PinError("PIN_UNAUTHORIZED", `${service} refused the credentials (${status})`, {
      ...base,
      hint: "Check the JWT / API key given in the options or the environment.",
    });
  }
  if (status === 429) {
    return new PinError("PIN_RATE_LIMITED", `${service} is rate limiting uploads (429)`, {
      ...base,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new PinError("PIN_REJECTED", `${service} rejected the upload (${status})`, base);
  }
  return new PinError(
    "PIN_UNAVAILABLE",
    `${service} is unavailable${status === undefined ? "" : ` (${status})`}`,
    {
      ...base,
      ...(cause === undefined ? {} : { details: cause instanceof Error ? cause.name : "unknown" }),
    },
  );
}
