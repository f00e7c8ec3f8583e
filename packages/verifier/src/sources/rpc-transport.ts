/**
 * The one way Ancora builds its JSON-RPC transport from endpoints given as data (`ancora-verify`, the
 * SDK's anchoring worker, `ancora serve` and the `ancora` CLI): one endpoint or several, tried in
 * order, with optional headers.
 */
import { fallback, http, type Transport } from "viem";

/** Where the chain is: one or more HTTP(S) JSON-RPC URLs, and headers sent with every request. */
export interface RpcEndpoints {
  /** Tried in order: a request that fails on one goes to the next (viem's fallback transport). */
  urls: readonly string[];
  /** For providers that take their key in a header. Like URLs, never logged or put in errors. */
  headers?: Readonly<Record<string, string>>;
}

/** Header names as HTTP defines them (RFC 9110 token characters). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Why `endpoints` cannot be used, or undefined when they can: at least one http(s) URL, header names
 * that are HTTP tokens and string values. The reason never repeats a URL or a header value.
 */
export function rpcEndpointsProblem(endpoints: RpcEndpoints): string | undefined {
  const { urls, headers } = endpoints;
  if (!Array.isArray(urls) || urls.length === 0) return "no RPC URL";
  if (!urls.every((url) => typeof url === "string" && /^https?:\/\//i.test(url))) {
    return "every RPC URL must start with http:// or https://";
  }
  if (headers === undefined) return undefined;
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    return "RPC headers must be an object of header names and string values";
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || typeof value !== "string") {
      return "RPC headers must be an object of header names and string values";
    }
  }
  return undefined;
}

/** The URLs of a command-line or environment value: one URL, or several separated by white space. */
export function splitRpcUrls(text: string): string[] {
  return text.split(/\s+/).filter((url) => url.length > 0);
}

/**
 * The value of an `ANCORA_RPC_HEADERS`-style setting, parsed as JSON: undefined when unset or blank,
 * null when it is not JSON. Check the result with {@link rpcEndpointsProblem}, and report a problem
 * without the text, which holds the key.
 */
export function parseRpcHeaders(json: string | undefined): unknown {
  if (json === undefined || json.trim() === "") return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/**
 * A viem transport over `endpoints`. `retryCount` is per endpoint (0: a failure goes straight to the
 * next endpoint, or to the caller's own retry with backoff).
 *
 * @example
 * ```ts
 * const transport = rpcTransport({ urls: [primary, backup], headers: { "x-api-key": key } }, { timeoutMs: 10_000 });
 * ```
 */
export function rpcTransport(
  endpoints: RpcEndpoints,
  options: { timeoutMs: number; retryCount?: number },
): Transport {
  const retryCount = options.retryCount ?? 0;
  const transports = endpoints.urls.map((url) =>
    http(url, {
      timeout: options.timeoutMs,
      retryCount,
      ...(endpoints.headers === undefined ? {} : { fetchOptions: { headers: { ...endpoints.headers } } }),
    }),
  );
  return transports.length === 1 ? (transports[0] as Transport) : fallback(transports, { retryCount: 0 });
}
