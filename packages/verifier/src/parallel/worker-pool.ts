/**
 * A pool of range worker threads (./range-worker.ts) with one queue: ranges of every stream wait in
 * it and each worker takes the next one when it is free, so all threads stay busy whatever the
 * streams' lengths. Workers start lazily, at most `threads` of them, and are reused.
 *
 * A worker that cannot start, crashes, or does not answer within a limit proportional to its range
 * rejects that range (the caller verifies the stream serially); a worker that failed to start, or
 * every worker lost, marks the pool broken: queued and later ranges are rejected at once, with the
 * reason in {@link VerifyPool.broken}. Nothing here can make a check pass: a rejection only ever sends
 * a stream to the serial path.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ParallelOptionError, RangeWorkerError } from "../errors.js";
import type { RangeChecker, RangeFacts, RecordsRange } from "../range-checker.js";
import { jobRecords, type LocalRangeJob, packRecords, type RangeJob } from "./range-jobs.js";
import { RANGE_WORKER_EXEC_ARGV, RANGE_WORKER_URL } from "./worker-script.js";

/** Most threads a pool may use. */
export const MAX_VERIFY_THREADS = 64;
/** Threads used by default: the available cores, at most 8. */
export const DEFAULT_VERIFY_THREADS = Math.min(availableParallelism(), 8);
/** Time a range may take: this much, plus {@link RANGE_MS_PER_RECORD} per record. */
export const RANGE_BASE_TIMEOUT_MS = 60_000;
/** Generous: a worker checks thousands of records per second even on a loaded machine. */
export const RANGE_MS_PER_RECORD = 2;

/** Options of {@link createVerifyPool}. */
export interface VerifyPoolOptions {
  /** Worker threads (default {@link DEFAULT_VERIFY_THREADS}); an integer from 1 to 64. */
  threads?: number;
}

/** Test-only knobs: another worker script, shorter time limits. */
export interface VerifyPoolInternals {
  workerUrl?: URL;
  execArgv?: readonly string[];
  baseTimeoutMs?: number;
  msPerRecord?: number;
}

/** A pool of worker threads that check ranges of streams; see {@link createVerifyPool}. */
export interface VerifyPool extends RangeChecker {
  /** Checks a seq range of a local SQLite log, read by the worker with its own connection. */
  checkLocal(job: Omit<LocalRangeJob, "kind">, onProgress?: (records: number) => void): Promise<RangeFacts>;
  /**
   * Why the pool stopped using workers (a worker that could not start, every worker lost), or
   * undefined while it works.
   */
  readonly broken: string | undefined;
  /** Stops the workers; queued ranges are rejected. */
  close(): Promise<void>;
}

/**
 * Checks `threads`: an integer from 1 to {@link MAX_VERIFY_THREADS}.
 *
 * @throws {ParallelOptionError} `PARALLEL_BAD_OPTION` otherwise.
 * @example
 * ```ts
 * validThreads(undefined); // DEFAULT_VERIFY_THREADS
 * validThreads(0); // throws PARALLEL_BAD_OPTION
 * ```
 */
export function validThreads(threads: number | undefined): number {
  const value = threads ?? DEFAULT_VERIFY_THREADS;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_VERIFY_THREADS) {
    throw new ParallelOptionError(
      "PARALLEL_BAD_OPTION",
      `threads must be an integer from 1 to ${MAX_VERIFY_THREADS}`,
      {
        hint: "Pass a thread count such as 4 (1 verifies on the calling thread only), or leave it out.",
        evidence: { threads: String(value) },
      },
    );
  }
  return value;
}

interface Task {
  readonly id: number;
  readonly job: RangeJob;
  readonly transfer: ArrayBuffer[];
  readonly onProgress: ((records: number) => void) | undefined;
  readonly resolve: (facts: RangeFacts) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  task: Task | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Whether it ever answered: one that never did and dies could not start. */
  answered: boolean;
  dead: boolean;
}

/**
 * Starts a pool of range workers (lazily: no thread runs until the first range is queued).
 *
 * @throws {ParallelOptionError} `PARALLEL_BAD_OPTION` for a bad thread count.
 * @example
 * ```ts
 * const pool = createVerifyPool({ threads: 4 });
 * try {
 *   const result = await verifyLocalLog("ancora.db", { pool });
 * } finally {
 *   await pool.close();
 * }
 * ```
 */
export function createVerifyPool(options: VerifyPoolOptions = {}): VerifyPool {
  return startVerifyPool(options);
}

/** {@link createVerifyPool} with test-only knobs (not exported from the package). */
export function startVerifyPool(options: VerifyPoolOptions, internals: VerifyPoolInternals = {}): VerifyPool {
  const threads = validThreads(options.threads);
  const baseTimeoutMs = internals.baseTimeoutMs ?? RANGE_BASE_TIMEOUT_MS;
  const msPerRecord = internals.msPerRecord ?? RANGE_MS_PER_RECORD;
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 0;
  let broken: string | undefined;
  let closed = false;

  const breakPool = (reason: string): void => {
    broken ??= reason;
    for (const task of queue.splice(0)) task.reject(new RangeWorkerError(reason));
  };

  const settle = (slot: Slot): Task | undefined => {
    const task = slot.task;
    slot.task = undefined;
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    return task;
  };

  const lose = (slot: Slot, reason: string): void => {
    if (slot.dead) return;
    slot.dead = true;
    const why = slot.answered ? reason : `a verification worker could not start: ${reason}`;
    settle(slot)?.reject(new RangeWorkerError(why));
    void slot.worker.terminate();
    if (!slot.answered) breakPool(why);
    else if (slots.every((s) => s.dead)) breakPool(`every verification worker was lost: ${reason}`);
    else dispatch();
  };

  const spawn = (): Slot => {
    const worker = new Worker(internals.workerUrl ?? RANGE_WORKER_URL, {
      workerData: { mode: "pool" },
      execArgv: [...(internals.execArgv ?? RANGE_WORKER_EXEC_ARGV)],
    });
    // An idle worker must not keep the process alive; a running range's timer does.
    worker.unref();
    const slot: Slot = { worker, task: undefined, timer: undefined, answered: false, dead: false };
    worker.on("message", (message: { id: number; progress?: number; facts?: RangeFacts; error?: string }) => {
      slot.answered = true;
      const task = slot.task;
      if (task === undefined || message.id !== task.id) return;
      if (message.progress !== undefined) {
        task.onProgress?.(message.progress);
        return;
      }
      settle(slot);
      if (message.facts !== undefined) task.resolve(message.facts);
      else task.reject(new RangeWorkerError(message.error ?? "the worker answered nothing"));
      dispatch();
    });
    worker.on("error", (error) => lose(slot, error instanceof Error ? error.message : String(error)));
    worker.on("exit", (code) => lose(slot, `the worker exited (code ${code})`));
    slots.push(slot);
    return slot;
  };

  const dispatch = (): void => {
    while (queue.length > 0 && broken === undefined && !closed) {
      const live = slots.filter((s) => !s.dead);
      const slot = live.find((s) => s.task === undefined) ?? (live.length < threads ? spawn() : undefined);
      if (slot === undefined) return;
      const task = queue.shift() as Task;
      slot.task = task;
      const limit = baseTimeoutMs + jobRecords(task.job) * msPerRecord;
      slot.timer = setTimeout(() => lose(slot, `no answer within ${limit} ms`), limit);
      try {
        slot.worker.postMessage({ id: task.id, job: task.job }, task.transfer);
      } catch (error) {
        lose(slot, error instanceof Error ? error.message : String(error));
      }
    }
  };

  const submit = (
    job: RangeJob,
    transfer: ArrayBuffer[],
    onProgress?: (records: number) => void,
  ): Promise<RangeFacts> =>
    new Promise<RangeFacts>((resolve, reject) => {
      if (closed || broken !== undefined) {
        reject(new RangeWorkerError(broken ?? "the verification pool is closed"));
        return;
      }
      queue.push({ id: nextId++, job, transfer, onProgress, resolve, reject });
      dispatch();
    });

  return {
    threads,
    get broken() {
      return broken;
    },
    checkLocal(job, onProgress) {
      return submit({ kind: "local", ...job }, [], onProgress);
    },
    checkRecords(range: RecordsRange) {
      const packed = packRecords(range.records);
      const job: RangeJob = {
        kind: "packed",
        stream: range.stream,
        start: range.start,
        cidTextsAt: range.cidTextsAt,
        ...packed,
      };
      return submit(job, [packed.bytes.buffer as ArrayBuffer, packed.offsets.buffer as ArrayBuffer]);
    },
    async close() {
      closed = true;
      for (const task of queue.splice(0))
        task.reject(new RangeWorkerError("the verification pool is closed"));
      await Promise.all(
        slots.map((slot) => {
          slot.dead = true;
          settle(slot)?.reject(new RangeWorkerError("the verification pool is closed"));
          return slot.worker.terminate();
        }),
      );
    },
  };
}
