/**
 * When the chain fails. The health probe each pass reads the head block; while it fails the anchorer
 * tries no job, and the outage is reported once per backoff step, not once per pass. The first answer
 * ends the backoff the outage gave the jobs (they are all due at once) and calls `onRecovered`; the
 * very first also plans the confirmations the chain gets. Failed jobs back off exponentially, with
 * jitter. A failure reaches `onError` redacted unless it is typed.
 */
import { planConfirmations } from "@ancora/contracts";
import { AncoraError } from "@ancora/core";
import type Database from "better-sqlite3";
import type { PublicClient } from "viem";
import { AnchorError } from "../errors.js";
import { describeError } from "../internal/describe-error.js";
import { retryBackedOffJobs } from "./anchor-store.js";
import type {
  AnchorErrorContext,
  AnchorerOptions,
  AnchorNotice,
  ParsedOptions,
  Recovery,
} from "./anchorer-options.js";

/**
 * Which failures of an anchor job an outage explains, as a condition on the outbox's `last_error`
 * (describeError's text): anything that is not one of our typed AnchorErrors (transport errors, which
 * `onError` reports as ANCHOR_CHAIN_UNAVAILABLE), or that code itself. A fork, a revert or the fee cap
 * keep their backoff when the chain comes back.
 */
const CHAIN_TRANSIENT =
  "last_error NOT LIKE 'AnchorError ANCHOR%' OR last_error LIKE 'AnchorError ANCHOR_CHAIN_UNAVAILABLE%'";

/** How long to wait before attempt `attempts` + 1: exponential from the base, capped, with jitter. */
export function backoffMs(
  attempts: number,
  backoff: Pick<ParsedOptions, "backoffBase" | "backoffMax">,
  random: () => number,
): number {
  const exp = Math.min(backoff.backoffMax, backoff.backoffBase * 2 ** Math.min(attempts, 30));
  // "Equal jitter": half fixed, half random, so retries of many anchorers spread out but never collapse to 0.
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Makes the streams' anchor jobs that failed because the chain was unreachable due at `at`, attempts reset. */
export function retryAfterOutage(db: Database.Database, streams: readonly string[], at: number): void {
  retryBackedOffJobs(db, { kind: "anchor", at, transient: CHAIN_TRANSIENT, streams });
}

/**
 * Hands a failure to `handlers.onError` and returns its text (describeError's). Transport errors carry
 * the RPC URL (often with an API key) in their details: handlers get our typed errors as they are and
 * anything else as a redacted ANCHOR_CHAIN_UNAVAILABLE.
 */
export function reportError(
  handlers: Pick<AnchorerOptions, "onError">,
  error: unknown,
  context: AnchorErrorContext,
): string {
  const described = describeError(error);
  const safe =
    error instanceof AncoraError
      ? error
      : new AnchorError("ANCHOR_CHAIN_UNAVAILABLE", described, {
          hint: "The RPC endpoint failed; the job is retried with backoff.",
        });
  try {
    handlers.onError?.(safe, context);
  } catch {
    // A failing error handler must not stop anchoring.
  }
  return described;
}

/** What the probe is handed. */
export interface ProbeIo {
  publicClient: PublicClient;
  now: () => number;
  pollIntervalMs: number;
  /** The wait before the next report of the outage, after `reports` of them. */
  backoffMs: (reports: number) => number;
  report: (error: unknown, context: AnchorErrorContext) => void;
  /** Ends the backoff the outage gave the jobs (see {@link retryAfterOutage}). */
  retryBackedOff: () => void;
  /** What waited when the chain came back: jobs, and records not covered by a confirmed anchor. */
  waiting: () => { jobs: number; unanchoredRecords: number };
  onRecovered: (recovery: Recovery) => void;
  /** The confirmations asked for, and where to say that the chain gets fewer (see {@link AnchorNotice}). */
  confirmations: number;
  onNotice: (notice: AnchorNotice) => void;
}

/**
 * The health probe, and what it learnt: the chain id (read once), this pass's head block, and the
 * confirmations the chain gets.
 */
export class ChainProbe {
  readonly #io: ProbeIo;
  #chainId: number | undefined;
  #head: number | undefined;
  #confirmations: number | undefined;
  /**
   * Set while the health probe fails: since when, and when to report it next (the report backs off like
   * a job: one line per step, not one per pass).
   */
  #outage: { since: number; reports: number; nextReportAt: number } | undefined;
  /** Whether the probe has answered once: the first answer also ends the backoff of a previous process's outage. */
  #answered = false;

  constructor(io: ProbeIo) {
    this.#io = io;
  }

  /** The chain id, once the chain has answered. */
  get chainId(): number | undefined {
    return this.#chainId;
  }

  /** The head block number the current pass's probe read (a pass's requests are sequential and short). */
  get head(): number | undefined {
    return this.#head;
  }

  /** The confirmations this chain gets, once planned (see {@link ChainProbe.planConfirmations}). */
  get confirmations(): number | undefined {
    return this.#confirmations;
  }

  /**
   * The chain id (once) and the head block. Returns the head, or undefined while the chain is
   * unreachable (reported once per backoff step). The first answer after an outage makes every job the
   * outage backed off due at once, and calls `onRecovered`.
   */
  async probe(): Promise<number | undefined> {
    const io = this.#io;
    let head: number;
    try {
      this.#chainId ??= await io.publicClient.getChainId();
      head = Number(await io.publicClient.getBlockNumber({ cacheTime: 0 }));
      this.#head = head;
    } catch (error) {
      this.#head = undefined;
      const now = io.now();
      this.#outage ??= { since: now, reports: 0, nextReportAt: now };
      const outage = this.#outage;
      if (now >= outage.nextReportAt) {
        outage.nextReportAt = now + io.backoffMs(outage.reports++);
        io.report(error, { nextAttemptAt: this.#nextAttemptAt(now) });
      }
      return undefined;
    }
    const outage = this.#outage;
    this.#outage = undefined;
    if (outage !== undefined || !this.#answered) {
      this.#answered = true;
      io.retryBackedOff();
      if (outage !== undefined) {
        const waiting = io.waiting();
        try {
          io.onRecovered({
            service: "chain",
            unreachableMs: io.now() - outage.since,
            jobs: waiting.jobs,
            unanchoredRecords: waiting.unanchoredRecords,
          });
        } catch {
          // A failing handler must not stop anchoring.
        }
      }
    }
    return head;
  }

  /**
   * Once per anchorer, when the chain first answers: on a node that mines only on demand nothing would
   * ever make the block after an anchor's, so its confirmations are 1, said once through `onNotice`.
   * False (jobs wait for the next pass) when the node did not answer the question.
   */
  async planConfirmations(): Promise<boolean> {
    const io = this.#io;
    try {
      const plan = await planConfirmations(io.publicClient, io.confirmations);
      this.#confirmations = plan.confirmations;
      if (plan.notice !== undefined) {
        try {
          io.onNotice({
            code: "CHAIN_MINES_ON_DEMAND",
            message: plan.notice,
            requested: plan.requested,
            confirmations: plan.confirmations,
          });
        } catch {
          // A failing handler must not stop anchoring.
        }
      }
      return true;
    } catch (error) {
      io.report(error, { nextAttemptAt: this.#nextAttemptAt(io.now()) });
      return false;
    }
  }

  /** When the probe runs next, after a failure at `now` (ISO 8601). */
  #nextAttemptAt(now: number): string {
    return new Date(now + this.#io.pollIntervalMs).toISOString();
  }
}
