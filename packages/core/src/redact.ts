/**
 * Removing secrets from text that leaves the process: log lines, the outbox's `last_error`, CLI
 * output. Ancora's own error messages hold sizes, roots, CIDs and hashes, never secrets, but they may
 * name an endpoint; the messages of errors from other code (viem, fetch, SQLite) may hold anything an
 * endpoint or a caller put in them.
 */

const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const HEX32_PATTERN = /\b0x[0-9a-fA-F]{64}\b/g;

/**
 * Replaces every URL with `<url>`: RPC, gateway and pinning URLs often carry an API key or a password.
 *
 * @example
 * ```ts
 * redactUrls("POST https://eth.example/v2/KEY failed"); // "POST <url> failed"
 * ```
 */
export function redactUrls(text: string): string {
  return text.replace(URL_PATTERN, "<url>");
}

/**
 * {@link redactUrls}, and every 32-byte hex string replaced with `<redacted>`, since it could be a
 * private key. For the messages of errors Ancora did not make; its own keep their roots and hashes.
 *
 * @example
 * ```ts
 * redactForeign(`bad key 0x${"ab".repeat(32)} for https://rpc/KEY`); // "bad key <redacted> for <url>"
 * ```
 */
export function redactForeign(text: string): string {
  return redactUrls(text).replace(HEX32_PATTERN, "<redacted>");
}
