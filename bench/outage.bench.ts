/**
 * Anchoring that keeps up: how far the anchored size trails the log at full logging speed, and how
 * fast a backlog is anchored after the chain comes back. Against a real `hardhat node` on loopback
 * behind a TCP proxy that the benchmark stops (connections refused, open ones cut) and starts again,
 * with anchoring on the SDK's worker thread (as `ancora serve` runs it) at the default poll interval (1 s) and
 * 1 confirmation. No pinning here (docs/benchmarks.md, "Anchoring", measures it).
 *
 * 1. Steady state: the SDK logs at its full rate (256 in flight) for `--seconds`, after `--warmup`
 *    seconds (default 5: the first anchors carry the records logged while the worker started, which
 *    is not the steady state) counted from the first confirmed anchor; every 100 ms the anchoring lag is sampled (records not covered by a confirmed anchor, and the age of the oldest of
 *    them). Reported as ratios to the policy window: lag seconds / everyMs, backlog records /
 *    everyRecords. "Keeps up" means the lag stays under about one window plus confirmation time.
 * 2. Outages: the logger keeps logging while the proxy is down for each of `--outages` seconds; then
 *    the time from the chain's return to the first new anchor confirmed, and to the backlog at the
 *    return being covered by a confirmed anchor, each as a ratio to the policy window and to the
 *    steady-state p50 lag measured in the same run (the floor: what an anchor takes with no outage).
 *
 *   pnpm exec tsc -b && node bench/outage.bench.ts [--seconds=20] [--warmup=5] [--outages=10,120] [--every=200] [--every-ms=1000]
 *
 * `--outages=10,120,600` adds the ten-minute outage (12 more minutes); `--every=20000 --every-ms=60000`
 * is the SDK's default policy (then give `--seconds` several minutes).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { privateKeyToAccount } from "viem/accounts";
import {
  anchoringLag,
  createLogger,
  type Recovery,
  startAnchoringWorker,
} from "../packages/sdk/dist/index.js";
import { TcpProxy } from "../packages/sdk/src/testing/tcp-proxy.ts";
import { deployLocalRegistry, HARDHAT_DEV_KEY, startLocalChain } from "../scripts/lib/local-chain.ts";
import { CONFIG, Database, decisionEntries, MODEL, option, printMachineHeader, progress } from "./lib.ts";

printMachineHeader();

const SECONDS = option("seconds", 20);
const WARMUP = option("warmup", 5);
const EVERY = option("every", 200);
const EVERY_MS = option("every-ms", 1_000);
const OUTAGES = (
  process.argv.find((a) => a.startsWith("--outages="))?.slice(10) ??
  process.env.ANCORA_BENCH_OUTAGES ??
  "10,120"
)
  .split(",")
  .map(Number);
const IN_FLIGHT = 256;
const STREAM = "loans";
const dir = mkdtempSync(join(tmpdir(), "ancora-outage-bench-"));

const entry = decisionEntries();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
};

const cpu = cpus();
console.log(
  `\nMachine: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, node ${process.version}; chain: hardhat node on loopback (1 block per transaction) behind a TCP proxy; policy every ${EVERY.toLocaleString("en-US")} records / ${EVERY_MS.toLocaleString("en-US")} ms, 1 confirmation, anchoring on the worker thread, default poll interval (1 s).`,
);

const chain = await startLocalChain();
const proxy = new TcpProxy(chain.url);
try {
  const registry = await deployLocalRegistry(chain, [STREAM]);
  await proxy.start();
  const logger = createLogger({ path: join(dir, "ancora.db"), stream: STREAM, model: MODEL });
  logger.setConfig(CONFIG);
  const recoveries: Array<Recovery & { at: number }> = [];
  const worker = await startAnchoringWorker({
    path: logger.store.path,
    streams: STREAM,
    registry,
    rpcUrl: proxy.url,
    account: privateKeyToAccount(HARDHAT_DEV_KEY),
    policy: { everyRecords: EVERY, everyMs: EVERY_MS },
    confirmations: 1,
    onRecovered: (r) => recoveries.push({ ...r, at: performance.now() }),
    onError: (error, context) => {
      if (proxy.up)
        progress(
          `anchoring failed while the chain is up: ${error.code} ${error.shortMessage} ${JSON.stringify(context)}`,
        );
    },
  });

  // The logger: full speed (256 in flight) until told to stop.
  let logging = true;
  let logged = 0;
  const writers = Array.from({ length: IN_FLIGHT }, async () => {
    while (logging) {
      await logger.record(entry());
      logged++;
    }
  });
  const lag = () => {
    const [l] = anchoringLag(logger.store, { registry });
    return {
      size: l?.size ?? 0,
      anchored: l?.anchored ?? 0,
      records: l?.unanchoredRecords ?? 0,
      seconds: l?.oldestUnanchoredAt == null ? 0 : Math.max(0, (Date.now() - l.oldestUnanchoredAt) / 1000),
    };
  };

  // 1. Steady state, after the warm-up.
  while (lag().anchored === 0) await sleep(50);
  progress(`warm-up: ${WARMUP} s after the first anchor`);
  await sleep(WARMUP * 1000);
  progress(`steady state: ${SECONDS} s of logging at full speed`);
  const samples: Array<{ records: number; seconds: number }> = [];
  const steadyStart = performance.now();
  const steadyStartWall = Date.now();
  const loggedAtStart = logged;
  while (performance.now() - steadyStart < SECONDS * 1000) {
    await sleep(100);
    samples.push(lag());
  }
  const rate = ((logged - loggedAtStart) / (performance.now() - steadyStart)) * 1000;
  const window = EVERY_MS / 1000;
  const lagSeconds = samples.map((s) => s.seconds);
  const lagRecords = samples.map((s) => s.records);
  const p50 = pct(lagSeconds, 50);
  console.log(
    `\n### Anchored lag at full logging speed (${Math.round(rate).toLocaleString("en-US")} records/s, ${samples.length} samples over ${SECONDS} s)\n`,
  );
  console.log("| figure | value | ratio to the policy window |");
  console.log("|---|---:|---:|");
  console.log(
    `| lag p50 (age of the oldest unanchored record) | ${p50.toFixed(2)} s | ${(p50 / window).toFixed(2)} |`,
  );
  const p99 = pct(lagSeconds, 99);
  console.log(`| lag p99 | ${p99.toFixed(2)} s | ${(p99 / window).toFixed(2)} |`);
  const maxLag = Math.max(...lagSeconds);
  console.log(`| lag max | ${maxLag.toFixed(2)} s | ${(maxLag / window).toFixed(2)} |`);
  // Confirmation time: from an anchor's row being written as sent (just before its broadcast) to its
  // confirmation (the row's last update), for the anchors sent during the steady state.
  const db = new Database(logger.store.path, { readonly: true });
  const confirmMs = (
    db
      .prepare(
        "SELECT updated_at AS updated, submitted_at AS submitted FROM anchors WHERE status = 'confirmed' AND submitted_at >= ?",
      )
      .all(steadyStartWall) as Array<{ updated: string; submitted: number }>
  ).map((a) => Date.parse(a.updated) - a.submitted);
  db.close();
  const confirm99 = pct(confirmMs, 99) / 1000;
  console.log(
    `| confirmation (anchor sent → confirmed), p50 / p99 over ${confirmMs.length} anchors | ${(pct(confirmMs, 50) / 1000).toFixed(2)} / ${confirm99.toFixed(2)} s | ${(confirm99 / window).toFixed(2)} |`,
  );
  console.log(
    `| target: lag p99 ≤ one window + confirmation p99 | ${(window + confirm99).toFixed(2)} s | ${p99 <= window + confirm99 ? "met" : "not met"} |`,
  );
  const maxBacklog = Math.max(...lagRecords);
  console.log(
    `| backlog max (records not anchored) | ${maxBacklog.toLocaleString("en-US")} | ${(maxBacklog / EVERY).toFixed(2)} (of ${EVERY.toLocaleString("en-US")} records) |`,
  );
  console.log(
    `| backlog max, in time at this rate | ${(maxBacklog / rate).toFixed(2)} s | ${(maxBacklog / rate / window).toFixed(2)} |`,
  );

  // 2. Outages.
  console.log("\n### Recovery after an outage of the chain (logging goes on at full speed)\n");
  console.log(
    "| outage | backlog at return (records) | first anchor confirmed after return | ÷ policy window | ÷ steady p50 lag | backlog at return covered after | ÷ policy window | ÷ steady p50 lag | anchor transactions for the backlog |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const seconds of OUTAGES) {
    progress(`outage of ${seconds} s`);
    const anchorsBefore = logger.store.anchors(STREAM).length;
    await proxy.stop();
    await sleep(seconds * 1000);
    const atReturn = lag();
    const checkpointAtReturn = logger.store.checkpoints(STREAM).at(-1)?.size ?? 0;
    const anchoredBefore = atReturn.anchored;
    await proxy.start();
    const returned = performance.now();
    let first: number | undefined;
    let covered: number | undefined;
    while (covered === undefined && performance.now() - returned < 600_000) {
      await sleep(50);
      const now = lag();
      if (first === undefined && now.anchored > anchoredBefore) first = performance.now() - returned;
      if (now.anchored >= checkpointAtReturn) covered = performance.now() - returned;
    }
    // Transactions that anchored the backlog: from the first after the outage to the one covering it.
    const after = logger.store.anchors(STREAM).slice(anchorsBefore);
    const coveredBy = after.findIndex((a) => a.size >= checkpointAtReturn);
    const transactions = new Set(after.slice(0, coveredBy + 1).map((a) => a.txHash)).size;
    const f = (ms: number | undefined) =>
      ms === undefined ? "not within 10 min" : `${(ms / 1000).toFixed(1)} s`;
    const r = (ms: number | undefined, by: number) => (ms === undefined ? "–" : (ms / 1000 / by).toFixed(2));
    console.log(
      `| ${seconds} s | ${atReturn.records.toLocaleString("en-US")} | ${f(first)} | ${r(first, window)} | ${r(first, p50)} | ${f(covered)} | ${r(covered, window)} | ${r(covered, p50)} | ${transactions} |`,
    );
    await sleep(2_000); // back to steady state before the next outage
  }
  const reported = recoveries.map(
    (r) => `${(r.unreachableMs / 1000).toFixed(0)} s: ${r.jobs} jobs, ${r.unanchoredRecords} records`,
  );
  console.log(`\nonRecovered: ${reported.join("; ") || "none"}`);

  logging = false;
  await Promise.all(writers);
  await worker.stop();
  await logger.close();
} finally {
  await proxy.stop();
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
}
