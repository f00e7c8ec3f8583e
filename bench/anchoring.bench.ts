/**
 * Anchoring benchmarks (issue 6), against a real `hardhat node` on loopback (JSON-RPC over HTTP, one
 * block per transaction), with the same logging measured without an anchorer in the same run:
 *
 * 1. logging throughput while the anchorer runs in the same process, against logging alone (target:
 *    anchoring stays off the hot path, ratio close to 1), and with per-batch pinning on as well (one CAR
 *    upload per manifest to a stand-in of Pinata's API run in a child process, so that only the
 *    client's cost is measured; target ≥ 0.90x of logging alone), in the logging thread and with both
 *    on a worker thread (`startAnchoringWorker`); CPU time is reported for the whole process and for
 *    the logging thread alone;
 * 2. gas per anchor and per record at several checkpoint sizes (`anchorWithConsistency`, receipts'
 *    gasUsed);
 * 3. log → anchored latency: from a checkpoint's last record to its anchor being confirmed.
 *
 *   pnpm exec tsc -b && node bench/anchoring.bench.ts [--records=20000] [--every=1000]
 *
 * `--every` is the anchoring policy's record count (and `--every-ms` its period, default 1,000 ms):
 * the default anchors often so that a short run sees many anchors and the latency figure has samples;
 * `--every=20000 --every-ms=60000` is the SDK's default policy.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Hash } from "viem";
import {
  deployRegistry,
  encodeStreamId,
  grantAnchorer,
  registerStream,
} from "../packages/contracts/dist/index.js";
import {
  createAnchorer,
  createLogger,
  createPinner,
  type DecisionEntry,
  pinataService,
  startAnchoringWorker,
} from "../packages/sdk/dist/index.js";
import { localClients, startLocalChain } from "../scripts/lib/local-chain.ts";
import { CONFIG, type Measurement, MODEL, option, report } from "./lib.ts";

const RECORDS = option("records", 20_000);
const IN_FLIGHT = 256;
const EVERY = option("every", 1_000);
const EVERY_MS = option("every-ms", 1_000);
const POLICY = `every ${EVERY.toLocaleString("en-US")} records / ${EVERY_MS.toLocaleString("en-US")} ms`;
/** The pinning double's bearer token (a test value: the double is local). */
const PIN_TOKEN = "bench-token";
const dir = mkdtempSync(join(tmpdir(), "ancora-anchor-bench-"));

let counter = 0;
const entry = (): DecisionEntry => {
  const i = counter++;
  return {
    features: { age: 20 + (i % 60), income: 30_000 + (i % 1000) * 50, id: i },
    output: { p: i % 100 },
    score: (i % 100) / 100,
  };
};

/** CPU µs per record this process spent in each case's logging phase (anchorer and pinner included). */
const cpuPerRecord: number[] = [];
/** …and the part of it spent on the logging (main) thread. */
const threadCpuPerRecord: number[] = [];
/** CPU time of the calling thread (Node >= 23.9); the process's when the runtime lacks it. */
const threadCpu: () => { user: number; system: number } =
  (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.bind(process) ??
  (() => process.cpuUsage());

async function logAll(record: (e: DecisionEntry) => Promise<unknown>, n: number): Promise<number> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const thread = threadCpu();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await record(entry());
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = process.cpuUsage(cpu);
  const threadEnd = threadCpu();
  cpuPerRecord.push((used.user + used.system) / n);
  threadCpuPerRecord.push((threadEnd.user - thread.user + threadEnd.system - thread.system) / n);
  return performance.now() - start;
}

/**
 * Starts the pinning double in a child process (from its TypeScript source: test helpers are not part
 * of the package's build) and returns its URL and a function that stops it and returns its counts.
 */
async function startPinningDouble(): Promise<{
  url: string;
  stop: () => Promise<{ requests: number; uploads: number; blocks: number }>;
}> {
  const testing = new URL("../packages/sdk/src/testing/", import.meta.url);
  const child = spawn(
    process.execPath,
    [
      "--conditions=@ancora/source",
      "--import",
      fileURLToPath(new URL("../packages/verifier/src/testing/register-source.mjs", import.meta.url)),
      fileURLToPath(new URL("pinning-double-server.ts", testing)),
      "pinata",
      PIN_TOKEN,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done === true) throw new Error("the pinning double did not start");
  return {
    url: first.value,
    stop: async () => {
      child.stdin.end();
      const stats = await lines.next();
      return JSON.parse(stats.done === true ? "{}" : stats.value);
    },
  };
}

const rate = (name: string, ops: number, ms: number): Measurement => ({
  name,
  opsPerSec: (ops / ms) * 1000,
  usPerOp: (ms * 1000) / ops,
  ops,
});

const chain = await startLocalChain();
try {
  const { account, publicClient, walletClient } = localClients(chain);
  const { address: registry } = await deployRegistry(walletClient, publicClient, { admin: account.address });
  await grantAnchorer(walletClient, publicClient, { registry, account: account.address });
  let streams = 0;
  const newStream = async () => {
    const name = `bench-${streams++}`;
    await registerStream(walletClient, publicClient, {
      registry,
      streamId: encodeStreamId(name),
      metadata: name,
      consistencyRequired: true,
    });
    const logger = createLogger({
      path: join(dir, `${name}.db`),
      stream: name,
      model: MODEL,
      commitment: "plain",
    });
    logger.setConfig(CONFIG);
    return { name, logger };
  };

  const stage = (text: string) => process.stderr.write(`[anchoring bench] ${text}\n`);
  stage("logging alone");
  // 1. Logging alone, then logging with the anchorer running (every 1,000 records or 1 s).
  const alone = await newStream();
  const aloneMs = await logAll((e) => alone.logger.record(e), RECORDS);
  await alone.logger.close();

  stage("logging while anchoring");
  const anchoredStream = await newStream();
  const checkpointed = new Map<number, number>(); // size → when its last record was logged
  const confirmedAt = new Map<number, number>();
  const anchorer = createAnchorer({
    store: anchoredStream.logger.store,
    streams: anchoredStream.name,
    registry,
    publicClient,
    walletClient,
    policy: { everyRecords: EVERY, everyMs: EVERY_MS },
    confirmations: 1,
    pollIntervalMs: 20,
    onAnchored: (a) => confirmedAt.set(a.size, performance.now()),
  });
  anchorer.start();
  const withMs = await logAll(async (e) => {
    const r = await anchoredStream.logger.record(e);
    checkpointed.set(r.seq + 1, performance.now());
    return r;
  }, RECORDS);
  anchoredStream.logger.checkpoint();
  const drained = await anchorer.drain({ timeoutMs: 120_000 });
  await anchorer.stop();

  // The same with per-batch pinning on: one CAR per manifest (the manifest, its records and the
  // directory linking them) uploaded to a stand-in of Pinata's API (the real one cannot be reached from
  // here) running in a child process, off the logging path.
  stage("logging while anchoring and pinning per batch");
  const pinnedStream = await newStream();
  const pinDouble = await startPinningDouble();
  const pinner = createPinner({
    store: pinnedStream.logger.store,
    service: pinataService({ jwt: PIN_TOKEN, uploadUrl: pinDouble.url }),
    mode: "batch",
  });
  const pinningAnchorer = createAnchorer({
    store: pinnedStream.logger.store,
    streams: pinnedStream.name,
    registry,
    publicClient,
    walletClient,
    policy: { everyRecords: EVERY, everyMs: EVERY_MS },
    confirmations: 1,
    pollIntervalMs: 20,
    onManifest: pinner.enqueueManifest,
  });
  pinningAnchorer.start();
  const pinTimer = setInterval(() => void pinner.tick(), 50);
  const pinnedMs = await logAll((e) => pinnedStream.logger.record(e), RECORDS);
  pinnedStream.logger.checkpoint();
  await pinningAnchorer.drain({ timeoutMs: 120_000 });
  await pinningAnchorer.stop();
  clearInterval(pinTimer);
  // What is measured above is pinning's cost to logging; the uploads left are finished untimed.
  const pinDrained = await pinner.drain({ timeoutMs: 120_000 });
  const pinBacklog = pinner.backlog().jobs;
  const pinStats = await pinDouble.stop();
  await pinnedStream.logger.close();

  // The same again with the anchorer and the pinner on a worker thread over the same file: what the
  // logging thread is left with is its own work and the SQLite lock the worker takes for a moment.
  stage("logging with anchoring and pinning on a worker thread");
  const workerStream = await newStream();
  const workerDouble = await startPinningDouble();
  const worker = await startAnchoringWorker({
    path: workerStream.logger.store.path,
    streams: workerStream.name,
    registry,
    rpcUrl: chain.url,
    account,
    policy: { everyRecords: EVERY, everyMs: EVERY_MS },
    confirmations: 1,
    pollIntervalMs: 20,
    pinning: { service: pinataService({ jwt: PIN_TOKEN, uploadUrl: workerDouble.url }), intervalMs: 50 },
  });
  const workerMs = await logAll((e) => workerStream.logger.record(e), RECORDS);
  workerStream.logger.checkpoint();
  const workerDrained = await worker.drain({ timeoutMs: 120_000 });
  const workerBacklog = await worker.backlog();
  await worker.stop();
  const workerStats = await workerDouble.stop();
  const workerAnchors = workerStream.logger.store
    .anchors(workerStream.name)
    .filter((a) => a.status === "confirmed").length;
  await workerStream.logger.close();

  report(
    `Logging with the anchorer running (${RECORDS.toLocaleString("en-US")} records, ${IN_FLIGHT} in flight)`,
    [
      rate("logging alone (baseline)", RECORDS, aloneMs),
      rate(`logging while anchoring ${POLICY}`, RECORDS, withMs),
      rate(
        `... and pinning per batch (${pinStats.uploads.toLocaleString("en-US")} CAR uploads, ${pinStats.blocks.toLocaleString("en-US")} blocks, ${pinStats.requests.toLocaleString("en-US")} requests; ${pinDrained ? "all pinned" : `${pinBacklog} jobs left`})`,
        RECORDS,
        pinnedMs,
      ),
      rate(
        `... both on a worker thread (${workerAnchors} anchors, ${workerStats.uploads.toLocaleString("en-US")} CAR uploads, ${workerStats.blocks.toLocaleString("en-US")} blocks; ${workerDrained ? "all anchored and pinned" : `${workerBacklog.jobs} anchor and ${workerBacklog.pinJobs ?? 0} pin jobs left`})`,
        RECORDS,
        workerMs,
      ),
    ],
  );

  // Wall time depends on what else the 2 cores run (the hardhat node, the pinning double's CAR checks);
  // CPU time is what anchoring and pinning cost the logging process itself.
  console.log(
    "\n| case | CPU µs/record, logging process | vs baseline | CPU µs/record, logging thread | vs baseline |",
  );
  console.log("|---|---:|---:|---:|---:|");
  for (const [i, name] of [
    "logging alone (baseline)",
    "... while anchoring",
    "... and pinning per batch",
    "... both on a worker thread",
  ].entries()) {
    const us = cpuPerRecord[i] as number;
    const thread = threadCpuPerRecord[i] as number;
    console.log(
      `| ${name} | ${us.toFixed(1)} | ${((cpuPerRecord[0] as number) / us).toFixed(2)}x | ${thread.toFixed(1)} | ${((threadCpuPerRecord[0] as number) / thread).toFixed(2)}x |`,
    );
  }

  // 3. Log → anchored latency per anchor.
  const anchors = anchoredStream.logger.store
    .anchors(anchoredStream.name)
    .filter((a) => a.status === "confirmed");
  const latencies = anchors
    .map((a) => {
      const logged = checkpointed.get(a.size);
      const confirmed = confirmedAt.get(a.size);
      return logged === undefined || confirmed === undefined ? undefined : confirmed - logged;
    })
    .filter((x): x is number => x !== undefined)
    .sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? Number.NaN;
  console.log(
    `\n### Log → anchored latency (${anchors.length} anchors${drained ? "" : ", NOT fully drained"})\n`,
  );
  console.log("| p50 | p90 | max |");
  console.log("|---:|---:|---:|");
  console.log(
    `| ${pct(50).toFixed(0)} ms | ${pct(90).toFixed(0)} ms | ${(latencies.at(-1) ?? Number.NaN).toFixed(0)} ms |`,
  );

  // 2. Gas per anchor and per record, by checkpoint size.
  console.log("\n### Gas per anchor (anchorWithConsistency, steady state)\n");
  console.log("| records per anchor | gas per anchor | gas per record |");
  console.log("|---:|---:|---:|");
  for (const perAnchor of [10, 100, 1_000, 3_800, 20_000]) {
    stage(`gas at ${perAnchor} records per anchor`);
    const s = await newStream();
    const gas: bigint[] = [];
    const a = createAnchorer({
      store: s.logger.store,
      streams: s.name,
      registry,
      publicClient,
      walletClient,
      policy: false,
      confirmations: 1,
      pollIntervalMs: 10,
    });
    for (let round = 0; round < 3; round++) {
      await logAll((e) => s.logger.record(e), perAnchor);
      s.logger.checkpoint();
      await a.drain({ timeoutMs: 60_000 });
    }
    for (const anchor of s.logger.store.anchors(s.name).slice(1)) {
      const receipt = await publicClient.getTransactionReceipt({ hash: anchor.txHash as Hash });
      gas.push(receipt.gasUsed);
    }
    await a.stop();
    await s.logger.close();
    const mean = gas.reduce((x, y) => x + y, 0n) / BigInt(Math.max(gas.length, 1));
    console.log(
      `| ${perAnchor.toLocaleString("en-US")} | ${mean.toLocaleString("en-US")} | ${(Number(mean) / perAnchor).toFixed(1)} |`,
    );
  }
  await anchoredStream.logger.close();
} finally {
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
}
