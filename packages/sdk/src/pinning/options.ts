/** The options of the two pinning adapters, {@link kuboService} and {@link pinataService}. */

/** Options of {@link kuboService}. */
export interface KuboServiceOptions {
  /** RPC API URL, e.g. http://127.0.0.1:5001/api/v0. Default: `process.env.KUBO_RPC_URL`. */
  url?: string;
  /** Extra headers (e.g. `Authorization` for a protected endpoint; from the environment, never logged). */
  headers?: Record<string, string>;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

/** Options of {@link pinataService}. */
export interface PinataServiceOptions {
  /** The JWT. Default: `process.env.PINATA_JWT`. Never logged. */
  jwt?: string;
  /** Upload API base (default the SDK's, https://uploads.pinata.cloud/v3). */
  uploadUrl?: string;
  /** API base for other calls (default the SDK's). */
  endpointUrl?: string;
  /** The SDK hides Retry-After: wait this long after a 429 (Pinata's free plan allows 60 requests/min). */
  rateLimitWaitMs?: number;
}
