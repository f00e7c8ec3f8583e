/**
 * Service load benchmark (issue 8): the service runs in a child process (this file with `--serve`),
 * autocannon drives it over loopback from this process, and the service's memory is read from its
 * own /metrics during the runs. Figures, each beside a baseline measured in the same run:
 *
 * 1. single-decision POSTs at a fixed 2,000 req/s: p50/p99 latency (target p99 <= 20 ms), against
 *    GET /health at the same rate (the HTTP stack alone);
 * 2. batch ingest (1,000 decisions per POST): decisions/s (target >= 50,000), against the SDK's
 *    group commit driven in-process with no HTTP at all;
 * 3. the service's peak RSS over the runs.
 *
 *   pnpm exec tsc -b && node bench/service.bench.ts [--seconds=10] [--rate=2000] [--pin=1]
 *
 * `--pin=1` (the default where `taskset` exists and there are at least 2 CPUs) runs the service on
 * CPU 0 and this process (autocannon) on the others, so that the load generator does not take the
 * service's CPU in the middle of a request: on a 2-core machine sharing the cores was the largest part
 * of the p99 (see docs/benchmarks.md). `--pin=0` lets the scheduler place both.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createLogger } from "../packages/sdk/dist/index.js";
import { createApiKey, startService } from "../packages/service/dist/index.js";
import { CONFIG, type Measurement, MODEL, option, printMachineHeader, progress, report } from "./lib.ts";

printMachineHeader();

const BATCH = 1000;
const decision = (i: number) => ({
  model: MODEL,
  input: { age: 20 + (i % 60), income: 30_000 + (i % 1000) * 50, region: "eu-west" },
  output: { p: (i % 100) / 100 },
  score: (i % 100) / 100,
});

// ---- parent: the load generator -----------------------------------------------------------------
interface CannonResult {
  latency: { p50: number; p99: number; p90: number; max: number };
  requests: { total: number; average: number };
  duration: number;
  non2xx: number;
  errors: number;
  "2xx": number;
}
type Cannon = (options: Record<string, unknown>) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Cannon;

async function main(): Promise<void> {
  const seconds = option("seconds", 10);
  const rate = option("rate", 2000);
  const dir = mkdtempSync(join(tmpdir(), "ancora-service-bench-"));
  const cpus = availableParallelism();
  const pinned = option("pin", hasTaskset() && cpus >= 2 ? 1 : 0) === 1;
  const serve = [process.execPath, fileURLToPath(import.meta.url), "--serve", dir];
  const [command, ...args] = (pinned ? ["taskset", "-c", "0", ...serve] : serve) as [string, ...string[]];
  const child: ChildProcess = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  if (pinned) {
    // Every thread of this process (autocannon's included) on the CPUs the service does not use.
    execFileSync("taskset", ["-a", "-p", "-c", `1-${cpus - 1}`, String(process.pid)], {
      stdio: "ignore",
    });
  }
  console.log(
    pinned
      ? `CPUs: service on CPU 0, load generator on CPU${cpus > 2 ? `s 1-${cpus - 1}` : " 1"} (--pin=0 to share)`
      : "CPUs: service and load generator share every CPU (not pinned)",
  );
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`service exited with ${code}`)));
    });
    const { url, token } = JSON.parse(first) as { url: string; token: string };
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    let peakRss = 0;
    const sampleRss = async () => {
      const text = await (await fetch(`${url}/metrics`, { headers })).text();
      const rss = Number(/process_resident_memory_bytes (\d+)/.exec(text)?.[1] ?? 0);
      peakRss = Math.max(peakRss, rss);
      return rss;
    };
    const idleRss = await sampleRss();
    const sampler = setInterval(() => void sampleRss().catch(() => undefined), 250);

    const fixedRate = (path: string, method: string, body?: string) =>
      autocannon({
        url: `${url}${path}`,
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        connections: 64,
        overallRate: rate,
        duration: seconds,
      });

    progress(`GET /health at ${rate} req/s for ${seconds} s`);
    const health = await fixedRate("/health", "GET");
    progress(`POST one decision at ${rate} req/s for ${seconds} s`);
    const single = await fixedRate("/v1/streams/bench/decisions", "POST", JSON.stringify(decision(1)));

    progress(`POST batches of ${BATCH} for ${seconds} s`);
    const batchBody = JSON.stringify({ decisions: Array.from({ length: BATCH }, (_, i) => decision(i)) });
    const batch = await autocannon({
      url: `${url}/v1/streams/bench/decisions`,
      method: "POST",
      headers,
      body: batchBody,
      connections: 4,
      duration: seconds,
    });
    clearInterval(sampler);
    await sampleRss();

    progress(`SDK group commit in-process, ${BATCH} in flight, for the baseline`);
    const sdkRate = await sdkBaseline(join(dir, "baseline.db"), seconds);

    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    console.log(`\n### Single-decision POST at ${rate} req/s (${seconds} s, 64 connections)\n`);
    console.log("| case | achieved req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors |");
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const [name, r] of [
      ["GET /health (baseline: HTTP stack only)", health],
      ["POST one decision (durable)", single],
    ] as const) {
      console.log(
        `| ${name} | ${Math.round(r.requests.average).toLocaleString("en-US")} | ${r.latency.p50} | ${r.latency.p90} | ${r.latency.p99} | ${r.latency.max} | ${r.non2xx} | ${r.errors} |`,
      );
    }
    console.log(
      `\nTarget p99 <= 20 ms at ${rate} req/s: ${single.latency.p99 <= 20 && single.non2xx === 0 ? "met" : "NOT met"} (${single.latency.p99} ms).`,
    );

    const decisions = batch["2xx"] * BATCH;
    const rows: Measurement[] = [
      {
        name: "SDK group commit in-process (baseline, no HTTP)",
        opsPerSec: sdkRate,
        usPerOp: 1e6 / sdkRate,
        ops: 0,
      },
      {
        name: `service, POST batches of ${BATCH} (4 connections)`,
        opsPerSec: decisions / seconds,
        usPerOp: (seconds * 1e6) / decisions,
        ops: decisions,
      },
    ];
    report("Batch ingest (decisions/s, durable)", rows, {
      target: { name: rows[1]?.name as string, opsPerSec: 50_000 },
    });
    console.log(
      `\nBatch requests: ${batch["2xx"]} ok, ${batch.non2xx} non-2xx, p99 ${batch.latency.p99} ms.`,
    );
    console.log(`\nService memory: RSS ${mb(idleRss)} idle, ${mb(peakRss)} peak over the runs.`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The same durable path with no HTTP: the SDK's record() with 1,000 calls in flight. */
async function sdkBaseline(path: string, seconds: number): Promise<number> {
  const logger = createLogger({ path, stream: "baseline", model: MODEL });
  logger.setConfig(CONFIG);
  let n = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    await Promise.all(
      Array.from({ length: BATCH }, (_, i) => {
        const d = decision(n + i);
        return logger.record({ features: d.input, output: d.output, score: d.score, model: d.model });
      }),
    );
    n += BATCH;
  }
  const rate = (n / (performance.now() - start)) * 1000;
  await logger.close();
  return rate;
}

// ---- entry: the child serves, the parent measures ------------------------------------------------
if (process.argv.includes("--serve")) {
  const dir = process.argv[process.argv.indexOf("--serve") + 1] as string;
  const admin = createApiKey(dir, ["admin"]).token;
  const running = await startService({ dataDir: dir, port: 0, log: false, limits: { maxInflight: 20_000 } });
  const res = await fetch(`${running.url}/v1/streams/bench/config`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify(CONFIG),
  });
  if (res.status !== 201) throw new Error(`config: ${res.status}`);
  process.stdout.write(`${JSON.stringify({ url: running.url, token: admin })}\n`);
  process.once("SIGTERM", () => {
    void running.close().then(() => process.exit(0));
  });
} else {
  await main();
}
