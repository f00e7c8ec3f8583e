/**
 * A writer process for the crash and multi-process tests (processes.test.ts): appends decisions to a
 * store and prints `seq cid` for every decision whose promise resolved, i.e. that the SDK acknowledged
 * as durable. Stdout is a pipe, which is synchronous on Linux: a printed line has left the process
 * before the next record is started, so the parent knows every acknowledgement even after SIGKILL.
 *
 *   node --conditions=@ancora/source --import ../../../verifier/src/testing/register-source.mjs append-child.ts \
 *     <path> <stream> <count | "loop"> <concurrency> [threads]
 *
 * Self-contained on purpose (it imports only the package), so Node runs it without a build step.
 */
import { isMainThread, Worker, workerData } from "node:worker_threads";
import { createLogger } from "@ancora/sdk";

interface Job {
  path: string;
  stream: string;
  count: number;
  concurrency: number;
}

const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };

async function run(job: Job): Promise<void> {
  const logger = createLogger({
    path: job.path,
    stream: job.stream,
    model: MODEL,
    commitment: "plain",
    busyTimeoutMs: 120_000,
  });
  let written = 0;
  let round = 0;
  while (written < job.count) {
    const n = Math.min(job.concurrency, job.count - written);
    let lines = "";
    if (round++ % 5 === 4) {
      // The synchronous path too: durable when it returns.
      const r = logger.recordSync({ features: { round }, output: round, score: (round % 10) / 10 });
      lines = `${r.seq} ${r.cid}\n`;
      written++;
    } else {
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          logger.record({ features: { round, i }, output: i, score: ((round + i) % 10) / 10 }),
        ),
      );
      for (const r of results) lines += `${r.seq} ${r.cid}\n`;
      written += n;
    }
    process.stdout.write(lines);
  }
  await logger.close();
}

if (isMainThread) {
  const [path, stream, count, concurrency, threads] = process.argv.slice(2);
  if (path === undefined || stream === undefined || count === undefined) {
    process.stderr.write("usage: append-child.ts <path> <stream> <count|loop> <concurrency> [threads]\n");
    process.exit(2);
  }
  const job: Job = {
    path,
    stream,
    count: count === "loop" ? Number.POSITIVE_INFINITY : Number(count),
    concurrency: Number(concurrency ?? 8),
  };
  const workers = Number(threads ?? 1);
  if (workers <= 1) {
    await run(job);
  } else {
    await Promise.all(
      Array.from(
        { length: workers },
        () =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: job });
            worker.on("error", reject);
            worker.on("exit", (code) =>
              code === 0 ? resolve() : reject(new Error(`worker exited ${code}`)),
            );
          }),
      ),
    );
  }
} else {
  await run(workerData as Job);
}
