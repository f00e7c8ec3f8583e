/**
 * How a pinning adapter turns an HTTP status and a Retry-After header into a {@link PinError}, never
 * copying the service's message or URL (they may echo a secret).
 */
import { PinError } from "../errors.js";

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
