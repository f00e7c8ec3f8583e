/**
 * The one place an error becomes text for the outbox or a log line (without RPC URLs, which often
 * carry an API key, and without request bodies).
 */
import { AncoraError, redactForeign, redactUrls } from "@ancora/core";

/**
 * A one-line description of an error for the outbox's `last_error` and for log lines: the error's
 * name and code and its short message (viem's `shortMessage` leaves out the URL and request body),
 * with any URL removed (and, from errors Ancora did not make, any 32-byte hex string: see core's
 * redactForeign).
 */
export function describeError(error: unknown): string {
  if (error instanceof AncoraError) return redactUrls(`${error.name} ${error.code}: ${error.shortMessage}`);
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    const text = typeof short === "string" ? short : (error.message.split("\n")[0] ?? "");
    return redactForeign(`${error.name}: ${text}`).slice(0, 500);
  }
  return "unknown error";
}
