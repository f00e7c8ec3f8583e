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
 *   pnpm exec tsc -b && node bench/anchoring.bench.ts [--records=20000] [--every=1000] [--rounds=1]
 *
 * `--every` is the anchoring policy's record count (and `--every-ms` its period, default 1,000 ms):
 * the default anchors often so that a short run sees many anchors and the latency figure has samples;
 * `--every=20000 --every-ms=60000` is the SDK's default policy.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
  type AnchorerOptions,
  createAnchorer,
  createLogger,
  createPinner,
  type DecisionEntry,
  pinataService,
  startAnchoringWorker,
} from "../packages/sdk/dist/index.js";
import { localClients, startLocalChain } from "../scripts/lib/local-chain.ts";
import {
  CONFIG,
  decisionEntries,
  type Measurement,
  MODEL,
  option,
  printMachineHeader,
  report,
} from "./lib.ts";

printMachineHeader();

const RECORDS = option("records", 20_000);
const IN_FLIGHT = 256;
const EVERY = option("every", 1_000);
const EVERY_MS = option("every-ms", 1_000);
const ROUNDS = option("rounds", 1);
const POLICY = `every ${EVERY.toLocaleString("en-US")} records / ${EVERY_MS.toLocaleString("en-US")} ms`;
/** The pinning double's bearer token (a test value: the double is local). */
const PIN_TOKEN = "bench-token";
const dir = mkdtempSync(join(tmpdir(), "ancora-anchor-bench-"));

const entry = decisionEntries();

/**
 * CPU time (µs) a process has used so far, from /proc (Linux): the chain node and the pinning double
 * run on the same 2 cores here, where in production they are other machines.
 */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks; the command name (field 2) may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

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
  pid: number | undefined;
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
    pid: child.pid,
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
  /** One case's logging phase: wall time, CPU of the process and of the logging thread, per record. */
  interface Run {
    ms: number;
    cpu: number;
    thread: number;
    /** CPU µs per record of the chain node and the pinning double during the logging phase. */
    others: number;
    /**
     * When logging ends: records not yet covered by a confirmed anchor, and pin jobs not done. Work
     * that lags here is work deferred, not saved: a case only counts if it keeps up.
     */
    unanchored: number;
    pinJobs: number;
    /** From the end of logging until everything is anchored (and pinned): the work left behind. */
    drainMs: number;
    note: string;
  }
  type Stream = Awaited<ReturnType<typeof newStream>>;
  const timed = async (
    s: Stream,
    options: { doublePid?: number | undefined; record?: (e: DecisionEntry) => Promise<unknown> } = {},
  ): Promise<Omit<Run, "note" | "drainMs">> => {
    const { doublePid, record = (e: DecisionEntry) => s.logger.record(e) } = options;
    const before = processCpuMicros(chain.pid) + processCpuMicros(doublePid);
    const ms = await logAll(record, RECORDS);
    const others = (processCpuMicros(chain.pid) + processCpuMicros(doublePid) - before) / RECORDS;
    const store = s.logger.store;
    const anchored = store
      .anchors(s.name)
      .filter((a) => a.status === "confirmed")
      .reduce((max, a) => Math.max(max, a.size), 0);
    const pinJobs = store.dueJobs({ kind: "pin:pinata", limit: 1_000_000, now: new Date(8.64e15) }).length;
    return {
      ms,
      cpu: cpuPerRecord.at(-1) as number,
      thread: threadCpuPerRecord.at(-1) as number,
      others,
      unanchored: store.stream(s.name).size - anchored,
      pinJobs,
    };
  };
  /** The anchorer of the in-thread cases: the bench's policy, one confirmation (one block per transaction). */
  const inThreadAnchorer = (s: Stream, extra: Pick<AnchorerOptions, "onAnchored" | "onManifest">) =>
    createAnchorer({
      store: s.logger.store,
      streams: s.name,
      registry,
      publicClient,
      walletClient,
      policy: { everyRecords: EVERY, everyMs: EVERY_MS },
      confirmations: 1,
      pollIntervalMs: 20,
      ...extra,
    });
  const checkpointed = new Map<number, number>(); // size → when its last record was logged
  const confirmedAt = new Map<number, number>();
  let latencyStream: Awaited<ReturnType<typeof newStream>> | undefined;
  let drained = true;

  // 1. Logging alone; with the anchorer running in the logging thread; with per-batch pinning as well
  // (one CAR per manifest, uploaded to a stand-in of Pinata's API in a child process, since the real one
  // cannot be reached from here); and with both on a worker thread over the same file.
  const cases: Array<{ name: string; run: () => Promise<Run> }> = [
    {
      name: "logging alone (baseline)",
      run: async () => {
        const s = await newStream();
        const r = await timed(s);
        await s.logger.close();
        return { ...r, drainMs: 0, note: "" };
      },
    },
    {
      name: `logging while anchoring ${POLICY}`,
      run: async () => {
        const s = await newStream();
        checkpointed.clear();
        confirmedAt.clear();
        const anchorer = inThreadAnchorer(s, {
          onAnchored: (a) => confirmedAt.set(a.size, performance.now()),
        });
        anchorer.start();
        const r = await timed(s, {
          record: async (e) => {
            const logged = await s.logger.record(e);
            checkpointed.set(logged.seq + 1, performance.now());
            return logged;
          },
        });
        const drainStart = performance.now();
        s.logger.checkpoint();
        drained = await anchorer.drain({ timeoutMs: 120_000 });
        const drainMs = performance.now() - drainStart;
        await anchorer.stop();
        latencyStream = s; // closed at the end, after the latency figures are read
        return { ...r, drainMs, note: drained ? "" : "NOT drained" };
      },
    },
    {
      name: "... and pinning per batch, in the logging thread",
      run: async () => {
        const s = await newStream();
        const double = await startPinningDouble();
        const pinner = createPinner({
          store: s.logger.store,
          service: pinataService({ jwt: PIN_TOKEN, uploadUrl: double.url }),
          mode: "batch",
        });
        const anchorer = inThreadAnchorer(s, { onManifest: pinner.enqueueManifest });
        anchorer.start();
        const pinTimer = setInterval(() => void pinner.tick(), 50);
        const r = await timed(s, { doublePid: double.pid });
        const drainStart = performance.now();
        s.logger.checkpoint();
        const anchored = await anchorer.drain({ timeoutMs: 120_000 });
        await anchorer.stop();
        clearInterval(pinTimer);
        const pinned = await pinner.drain({ timeoutMs: 120_000 });
        const drainMs = performance.now() - drainStart;
        const stats = await double.stop();
        await s.logger.close();
        return {
          ...r,
          drainMs,
          note: `${stats.uploads} CARs, ${stats.blocks} blocks${anchored && pinned ? "" : ", NOT drained"}`,
        };
      },
    },
    {
      name: "... both on a worker thread (startAnchoringWorker)",
      run: async () => {
        const s = await newStream();
        const double = await startPinningDouble();
        const worker = await startAnchoringWorker({
          path: s.logger.store.path,
          streams: s.name,
          registry,
          rpcUrl: chain.url,
          account,
          policy: { everyRecords: EVERY, everyMs: EVERY_MS },
          confirmations: 1,
          pollIntervalMs: 20,
          pinning: { service: pinataService({ jwt: PIN_TOKEN, uploadUrl: double.url }), intervalMs: 50 },
        });
        const r = await timed(s, { doublePid: double.pid });
        const drainStart = performance.now();
        s.logger.checkpoint();
        const done = await worker.drain({ timeoutMs: 120_000 });
        const drainMs = performance.now() - drainStart;
        await worker.stop();
        const stats = await double.stop();
        await s.logger.close();
        return {
          ...r,
          drainMs,
          note: `${stats.uploads} CARs, ${stats.blocks} blocks${done ? "" : ", NOT drained"}`,
        };
      },
    },
  ];
  // The cases alternate, ROUNDS times: this VM's speed drifts over minutes, and alternating spreads the
  // drift over every case instead of favouring the first. Each figure is the case's median.
  const runs: Run[][] = cases.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      stage(`round ${round + 1}/${ROUNDS}: ${c.name}`);
      if (round > 0 && latencyStream !== undefined && i === 1) {
        await latencyStream.logger.close();
        latencyStream = undefined;
      }
      const run = await c.run();
      runs[i]?.push(run);
      stage(
        `  ${((RECORDS / run.ms) * 1000).toFixed(0)} records/s; CPU µs/record: process ${run.cpu.toFixed(1)}, logging thread ${run.thread.toFixed(1)}, chain + double ${run.others.toFixed(1)}; when logging ended: ${run.unanchored} records unanchored, ${run.pinJobs} pin jobs open, all done ${run.drainMs.toFixed(0)} ms later`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const med = runs.map((rs) => ({
    ms: median(rs.map((r) => r.ms)),
    cpu: median(rs.map((r) => r.cpu)),
    thread: median(rs.map((r) => r.thread)),
    others: median(rs.map((r) => r.others)),
    unanchored: median(rs.map((r) => r.unanchored)),
    pinJobs: median(rs.map((r) => r.pinJobs)),
    drainMs: median(rs.map((r) => r.drainMs)),
    note: rs.at(-1)?.note ?? "",
  }));
  report(
    `Logging with anchoring and pinning on (${RECORDS.toLocaleString("en-US")} records, ${IN_FLIGHT} in flight, median of ${ROUNDS} alternating rounds)`,
    cases.map((c, i) =>
      rate(`${c.name}${med[i]?.note ? ` (${med[i]?.note})` : ""}`, RECORDS, med[i]?.ms as number),
    ),
  );

  // Wall time depends on what else the 2 cores run (the hardhat node, the pinning double's CAR checks);
  // CPU time is what anchoring and pinning cost the logging process, and its logging thread.
  console.log(
    "\n| case | CPU µs/record, logging process | vs baseline | CPU µs/record, logging thread | vs baseline | CPU µs/record, chain node + pinning double | when logging ended: records unanchored, pin jobs open | then all anchored and pinned after | logging + that: records/s |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  const base = med[0] as Run;
  for (const [i, c] of cases.entries()) {
    const m = med[i] as Run;
    console.log(
      `| ${c.name} | ${m.cpu.toFixed(1)} | ${(base.cpu / m.cpu).toFixed(2)}x | ${m.thread.toFixed(1)} | ${(base.thread / m.thread).toFixed(2)}x | ${m.others.toFixed(1)} | ${i === 0 ? "–" : `${m.unanchored.toLocaleString("en-US")}, ${m.pinJobs}`} | ${(m.drainMs / 1000).toFixed(1)} s | ${((RECORDS / (m.ms + m.drainMs)) * 1000).toFixed(0)} |`,
    );
  }
  const anchoredStream = latencyStream as NonNullable<typeof latencyStream>;

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
