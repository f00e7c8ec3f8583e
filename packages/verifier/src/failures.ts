/**
 * How a stream's failures are kept: at most `maxFailures` of them, every one counted, sorted by seq
 * when the result is made; and how failures found after a stream's own pass (cross-stream references)
 * join its result.
 */
import type { FailureCode, VerificationFailure, VerificationResult } from "./result.js";
import { DEFAULT_MAX_FAILURES, type VerifyOptions } from "./verify-options.js";

/** Reports one failure of the stream being verified, at `seq`. */
export type Fail = (code: FailureCode, seq: number, expected: string, found: string) => void;

/** The failures of one stream: the first `maxFailures` kept, all of them counted. */
export class FailureLog {
  readonly #stream: string;
  readonly #max: number;
  readonly #kept: VerificationFailure[] = [];
  #count = 0;

  constructor(stream: string, maxFailures: number = DEFAULT_MAX_FAILURES) {
    this.#stream = stream;
    this.#max = maxFailures;
  }

  /** Reports a failure (bound: it can be handed to the checks as it is). */
  readonly fail: Fail = (code, seq, expected, found) => {
    this.#count++;
    if (this.#kept.length < this.#max) this.#kept.push({ code, stream: this.#stream, seq, expected, found });
  };

  /** Failures reported so far, kept or not. */
  get count(): number {
    return this.#count;
  }

  /** The kept failures sorted by seq; stable, so failures of one seq keep the order they were found in. */
  sorted(): VerificationFailure[] {
    return [...this.#kept].sort((a, b) => a.seq - b.seq);
  }
}

/**
 * `result` with `extra` failures added (kept within `maxFailures`, counted in full, sorted by seq): how
 * checks made after a stream's own pass (cross-stream references) join its result.
 */
export function withFailures(
  result: VerificationResult,
  extra: readonly VerificationFailure[],
  options: VerifyOptions,
): VerificationResult {
  if (extra.length === 0) return result;
  const max = options.maxFailures ?? DEFAULT_MAX_FAILURES;
  const failures = [...result.failures, ...extra].sort((a, b) => a.seq - b.seq).slice(0, max);
  const first = failures[0];
  return {
    ...result,
    ok: false,
    failures,
    failureCount: result.failureCount + extra.length,
    ...(first === undefined ? {} : { firstBadSeq: first.seq }),
  };
}
