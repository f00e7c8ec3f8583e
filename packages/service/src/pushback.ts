/**
 * Pushback (tessera's ErrPushback): decisions accepted but not yet durable are counted, and a write
 * that would take the count past the limit is refused with 503 and Retry-After instead of queueing.
 * The queue in front of the log is therefore bounded, and so are memory and latency under overload.
 */
import { ServiceError } from "./errors.js";

/** The count of decisions in flight, with its limit. */
export class InflightGate {
  readonly limit: number;
  readonly #retryAfter: number;
  #count = 0;

  constructor(limit: number, retryAfterSeconds: number) {
    this.limit = limit;
    this.#retryAfter = retryAfterSeconds;
  }

  get count(): number {
    return this.#count;
  }

  /** True when not even one more decision would be admitted. */
  get full(): boolean {
    return this.#count >= this.limit;
  }

  /** Admits `n` decisions or throws OVERLOADED (503). Pair with {@link release}. */
  acquire(n: number): void {
    if (this.#count + n > this.limit) throw this.overloaded();
    this.#count += n;
  }

  release(n: number): void {
    this.#count -= n;
  }

  overloaded(): ServiceError {
    return new ServiceError("OVERLOADED", "Too many decisions are waiting to be written", {
      hint: "Retry after the Retry-After delay, or send fewer decisions at once.",
      retryAfter: this.#retryAfter,
    });
  }
}
