/**
 * A range worker thread (see ./worker-pool.ts and ./blocking.ts): runs {@link runRangeJob} for the jobs
 * it is sent and posts their facts. Two ways to be driven:
 *
 * - `pool`: jobs arrive as `{ id, job }` messages on the parent port, one at a time; answers are
 *   `{ id, progress }`, then `{ id, facts }` or `{ id, error }`;
 * - `once`: one job in `workerData`, the answer posted on a given port, then a shared flag is raised
 *   so that a caller blocked in `Atomics.wait` (a synchronous API) wakes up.
 *
 * Modules are loaded dynamically: in `once` mode a failure to load them is an answer, not a silent exit;
 * in `pool` mode it is the worker's "error" event.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import type { RangeFacts } from "../range-checker.js";
import type { RangeJob } from "./range-jobs.js";

type Data = { mode: "pool" } | { mode: "once"; job: RangeJob; port: MessagePort; flag: Int32Array };

const data = workerData as Data;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The facts' block hashes are moved, not copied, back to the caller. */
function transferOf(facts: RangeFacts): ArrayBuffer[] {
  return [facts.blockHashes.buffer as ArrayBuffer];
}

if (data.mode === "once") {
  try {
    const { runRangeJob } = await import("./range-jobs.js");
    const facts = runRangeJob(data.job);
    data.port.postMessage({ facts }, transferOf(facts));
  } catch (error) {
    data.port.postMessage({ error: describe(error) });
  } finally {
    Atomics.store(data.flag, 0, 1);
    Atomics.notify(data.flag, 0);
  }
} else {
  const port = parentPort as NonNullable<typeof parentPort>;
  // Not caught: a worker whose checks do not load fails with an "error" event, which the pool reads
  // as "could not start". The first message says it did.
  const { runRangeJob } = await import("./range-jobs.js");
  port.on("message", (message: { id: number; job: RangeJob }) => {
    const { id, job } = message;
    try {
      const facts = runRangeJob(job, (progress) => port.postMessage({ id, progress }));
      port.postMessage({ id, facts }, transferOf(facts));
    } catch (error) {
      port.postMessage({ id, error: describe(error) });
    }
  });
  port.postMessage({ id: -1, ready: true });
}
