/**
 * Exit codes of `ancora-verify`, and which errors map to which. A failure found in the evidence is 1;
 * an error says the evidence could not be read: 2 when the command or its configuration is wrong (the
 * auditor can fix it), 3 when a source did not answer (retry later, or use another source).
 */
import { AncoraError } from "@ancora/core";

export const EXIT_VERIFIED = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;

/** Codes of errors that mean "a source did not answer": nothing can be concluded from them. */
const UNREACHABLE = new Set([
  "SOURCE_UNREACHABLE",
  "SOURCE_TIMEOUT",
  "HISTORY_UNAVAILABLE",
  "BLOCK_NOT_FOUND",
]);

/**
 * The exit code for an error that stopped a run: 3 for an unreachable or timed-out source, else 2
 * (a bad option, a file that does not exist or is not a log, a bad address, an unregistered stream).
 *
 * @example
 * ```ts
 * exitCodeOf(new SourceError("SOURCE_UNREACHABLE", "connection refused")); // 3
 * ```
 */
export function exitCodeOf(error: unknown): number {
  return error instanceof AncoraError && UNREACHABLE.has(error.code) ? EXIT_UNREACHABLE : EXIT_USAGE;
}
