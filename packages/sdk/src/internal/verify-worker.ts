/**
 * Worker thread of parallel verification (see parallel-verify.ts): checks one seq range of a stream
 * over its own read-only connection and posts the range's facts. Any error is posted as such (the
 * caller then verifies serially); modules are loaded dynamically so that even a load failure is.
 */
import { workerData } from "node:worker_threads";

const { job, port, flag } = workerData as {
  job: import("./parallel-verify.js").RangeJob;
  port: import("node:worker_threads").MessagePort;
  flag: Int32Array;
};

function signal(): void {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

try {
  const { default: Database } = await import("better-sqlite3");
  const { checkRange } = await import("./parallel-verify.js");
  const db = new Database(job.path, { readonly: true, fileMustExist: true });
  try {
    const facts = db.transaction(() =>
      checkRange(db, job.streamId, job.stream, job.start, job.to, job.cidTextsAt),
    )();
    port.postMessage({ facts }, [facts.blockHashes.buffer as ArrayBuffer]);
  } finally {
    db.close();
  }
} catch (error) {
  port.postMessage({ error: error instanceof Error ? error.message : String(error) });
} finally {
  signal();
}
