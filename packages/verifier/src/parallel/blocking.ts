/**
 * One stream of a local log verified in ranges *synchronously*, for callers that cannot await (the
 * SDK's `store.verify()` runs inside its read transaction and returns a result, not a promise). The
 * caller hands over what it read in its own snapshot (a {@link LocalStreamSnapshot}); ranges run on
 * one-shot workers (./range-worker.ts in `once` mode) and on the calling thread, which then blocks in
 * `Atomics.wait` until each worker raises its flag or its time is up. Same range checks, same
 * stitching as the asynchronous pool (./verify-local.ts).
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { RangeFacts } from "../range-checker.js";
import type { VerificationResult } from "../result.js";
import type { VerifyOptions } from "../verify-options.js";
import type { LocalRangeJob } from "./range-jobs.js";
import { runRangeJob } from "./range-jobs.js";
import { type LocalStreamSnapshot, planRanges, type RangePlan, stitchLocal } from "./range-plan.js";
import { RANGE_BASE_TIMEOUT_MS, RANGE_MS_PER_RECORD, validThreads } from "./worker-pool.js";
import { RANGE_WORKER_EXEC_ARGV, RANGE_WORKER_PRELOAD, RANGE_WORKER_URL } from "./worker-script.js";

/** Options of {@link verifyLocalStreamBlocking}. */
export interface BlockingVerifyOptions extends VerifyOptions {
  /** Threads, the calling one included: the stream is split into this many ranges. */
  threads: number;
  /** `inline` runs every range on the calling thread, one after another (tests). */
  mode?: "workers" | "inline";
  /** Test-only: another worker script and time limit. */
  workerUrl?: URL;
  baseTimeoutMs?: number;
}

/** The outcome of {@link verifyLocalStreamBlocking}: a stitched success, or why the caller must go serial. */
export type BlockingOutcome =
  | { readonly ok: true; readonly result: VerificationResult }
  | { readonly ok: false; readonly reason: string };

interface Running {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly flag: Int32Array;
  readonly records: number;
}

/**
 * Verifies one stream of a local log in `threads` ranges, blocking the calling thread. A success is
 * exactly the serial success; anything else (a failure found, facts that do not add up, a worker
 * that could not start, crashed or did not answer in time) returns `ok: false` with the reason, and
 * the caller verifies the stream serially.
 *
 * @throws {ParallelOptionError} `PARALLEL_BAD_OPTION` for a bad thread count.
 * @example
 * ```ts
 * const outcome = verifyLocalStreamBlocking(snapshot, { threads: 4, sha256: nodeSha256 });
 * const result = outcome.ok ? outcome.result : verifyStream(source, "credit", { sha256: nodeSha256 });
 * ```
 */
export function verifyLocalStreamBlocking(
  snapshot: LocalStreamSnapshot,
  options: BlockingVerifyOptions,
): BlockingOutcome {
  const threads = validThreads(options.threads);
  const verifyOptions: VerifyOptions = {
    ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
    ...(options.maxFailures === undefined ? {} : { maxFailures: options.maxFailures }),
  };
  if (snapshot.size < 1) return { ok: false, reason: "an empty stream" };
  const plan = planRanges(snapshot, threads, Number.MAX_SAFE_INTEGER, options.sha256);
  if (plan === undefined) return { ok: false, reason: "a label or config record does not decode" };
  const jobs = jobsOf(snapshot, plan);
  if (options.mode === "inline") {
    return outcome(
      snapshot,
      plan,
      jobs.map((job) => tryRun(job)),
      verifyOptions,
    );
  }
  const running: Running[] = [];
  try {
    // Workers take every range but the last, which this thread checks while they run.
    for (const job of jobs.slice(0, -1)) running.push(start(job, options.workerUrl));
    const facts: Array<RangeFacts | string> = [];
    const last = tryRun(jobs[jobs.length - 1] as LocalRangeJob);
    for (const r of running) facts.push(wait(r, options.baseTimeoutMs ?? RANGE_BASE_TIMEOUT_MS));
    facts.push(last);
    return outcome(snapshot, plan, facts, verifyOptions);
  } finally {
    for (const r of running) {
      r.port.close();
      void r.worker.terminate();
    }
  }
}

function jobsOf(snapshot: LocalStreamSnapshot, plan: RangePlan): LocalRangeJob[] {
  return plan.ranges.map((range) => ({
    kind: "local",
    path: snapshot.path,
    stream: snapshot.stream,
    start: range.start,
    to: range.to,
    cidTextsAt: plan.cidTextsAt,
  }));
}

function tryRun(job: LocalRangeJob): RangeFacts | string {
  try {
    return runRangeJob(job);
  } catch (error) {
    return `a range could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function outcome(
  snapshot: LocalStreamSnapshot,
  plan: RangePlan,
  facts: ReadonlyArray<RangeFacts | string>,
  options: VerifyOptions,
): BlockingOutcome {
  const checked: RangeFacts[] = [];
  for (const f of facts) {
    if (typeof f === "string") return { ok: false, reason: f };
    checked.push(f);
  }
  const result = stitchLocal(snapshot, plan, checked, options);
  return typeof result === "string" ? { ok: false, reason: result } : { ok: true, result };
}

/**
 * A one-shot worker. It starts from a small bootstrap that imports the worker script: a script that
 * cannot be loaded raises the flag with the error at once, instead of leaving this thread blocked
 * until the time limit (its "error" event cannot be heard while this thread waits).
 */
const BOOTSTRAP = `const { workerData } = require("node:worker_threads");
(async () => {
  for (const url of workerData.preload) await import(url);
  await import(workerData.url);
})().catch((error) => {
  workerData.port.postMessage({ error: String(error) });
  Atomics.store(workerData.flag, 0, 1);
  Atomics.notify(workerData.flag, 0);
});`;

function start(job: LocalRangeJob, url: URL | undefined): Running {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: {
      mode: "once",
      preload: RANGE_WORKER_PRELOAD,
      url: (url ?? RANGE_WORKER_URL).href,
      job,
      port: port2,
      flag,
    },
    transferList: [port2],
    execArgv: [...RANGE_WORKER_EXEC_ARGV],
  });
  worker.on("error", () => undefined); // reported through the flag or the time limit
  worker.unref();
  return { worker, port: port1, flag, records: job.to - job.start.seq };
}

/** Blocks until the worker's facts arrive, or returns why they did not. */
function wait(r: Running, baseTimeoutMs: number): RangeFacts | string {
  const limit = baseTimeoutMs + r.records * RANGE_MS_PER_RECORD;
  const deadline = Date.now() + limit;
  while (Atomics.load(r.flag, 0) === 0) {
    const left = deadline - Date.now();
    if (left <= 0) return `a worker did not answer within ${limit} ms`;
    Atomics.wait(r.flag, 0, 0, Math.min(left, 1000));
  }
  const message = receiveMessageOnPort(r.port)?.message as { facts?: RangeFacts; error?: string } | undefined;
  if (message?.facts !== undefined) return message.facts;
  return `a worker failed: ${message?.error ?? "no answer"}`;
}
