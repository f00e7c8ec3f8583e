/**
 * Tiny benchmark harness: every benchmark prints its figure beside a baseline measured in the same
 * run, so a ratio is meaningful even on a noisy shared machine. Timings never gate tests.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import type { DecisionEntry, ProvenanceLogger } from "@ancora/sdk";
import type BetterSqlite3 from "../packages/sdk/node_modules/@types/better-sqlite3/index.d.ts";

// better-sqlite3 is a dependency of @ancora/sdk only; load the copy the SDK uses, so the floors and the
// header's SQLite version are those of the library the store runs on.
const requireFromSdk = createRequire(new URL("../packages/sdk/package.json", import.meta.url));
export const Database = requireFromSdk("better-sqlite3") as typeof BetterSqlite3;
export type { BetterSqlite3 };

export interface Measurement {
  name: string;
  /** Operations per second (higher is better). */
  opsPerSec: number;
  /** Mean time per operation in microseconds. */
  usPerOp: number;
  ops: number;
}

/**
 * Runs `fn(batch)` repeatedly for at least `minMs` after one warm-up call and returns the rate.
 * `fn` performs `batch` operations per call and returns something so the work cannot be elided.
 */
export function measure(
  name: string,
  batch: number,
  fn: (batch: number) => unknown,
  minMs = 500,
): Measurement {
  let sink: unknown = fn(batch);
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    sink = fn(batch);
    ops += batch;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  if (sink === Symbol.for("never")) console.log(sink);
  return { name, opsPerSec: (ops / elapsed) * 1000, usPerOp: (elapsed * 1000) / ops, ops };
}

/** Async variant of {@link measure}. */
export async function measureAsync(
  name: string,
  batch: number,
  fn: (batch: number) => Promise<unknown>,
  minMs = 500,
): Promise<Measurement> {
  await fn(batch);
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await fn(batch);
    ops += batch;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return { name, opsPerSec: (ops / elapsed) * 1000, usPerOp: (elapsed * 1000) / ops, ops };
}

/** The model every SDK-level benchmark logs decisions for. */
export const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };

/** The config every SDK-level benchmark sets before logging decisions. */
export const CONFIG = {
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "bench",
  changeReason: "bench",
};

/**
 * A generator of realistic decision entries (age, income and an id as features; a score spread over
 * 100 values): each call gives the next one.
 */
export function decisionEntries(): () => DecisionEntry {
  let counter = 0;
  return () => {
    const i = counter++;
    return {
      features: { age: 20 + (i % 60), income: 30_000 + (i % 1000) * 50, id: i },
      output: { p: i % 100 },
      score: (i % 100) / 100,
    };
  };
}

/** A numeric option from `--name=value` or `ANCORA_BENCH_NAME` (underscores allowed: `--size=10_000_000`). */
export function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg?.slice(name.length + 3) ?? process.env[`ANCORA_BENCH_${name.toUpperCase()}`];
  return value === undefined ? fallback : Number(value.replaceAll("_", ""));
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  return n.toPrecision(3);
}

/**
 * Prints rows as a Markdown table (so it can be pasted into docs/benchmarks.md), each with its ratio
 * to `baseline` (the first row when not named) and, if given, whether it meets `target` ops/s.
 */
export function report(
  title: string,
  rows: Measurement[],
  options: { baseline?: string; target?: { name: string; opsPerSec: number } } = {},
): void {
  const base = rows.find((r) => r.name === options.baseline) ?? rows[0];
  console.log(`\n### ${title}\n`);
  console.log("| case | ops/s | µs/op | vs baseline |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) {
    const ratio = base ? r.opsPerSec / base.opsPerSec : 1;
    console.log(`| ${r.name} | ${fmt(r.opsPerSec)} | ${fmt(r.usPerOp)} | ${ratio.toFixed(2)}x |`);
  }
  if (options.target) {
    const row = rows.find((r) => r.name === options.target?.name);
    if (row) {
      const ok = row.opsPerSec >= options.target.opsPerSec;
      console.log(
        `\nTarget ${fmt(options.target.opsPerSec)} ops/s for "${row.name}": ${ok ? "met" : "NOT met"} (${fmt(row.opsPerSec)}).`,
      );
    }
  }
}

/** Prints one progress line to stderr (kept off stdout so the tables stay clean). */
export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}

/**
 * What a run ran on: CPU model, whether it has SHA extensions (x86 `sha_ni`, arm `sha2`: SHA-256 is
 * several times faster with them, so floors and ratios depend on it), cores, load average, Node and
 * SQLite versions. Figures from two machines compare only through their ratios to floors.
 */
export function machineHeader(): string[] {
  let info = "";
  try {
    info = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // Not Linux: the SHA extensions stay unknown.
  }
  const flags = new Set((/^(?:flags|Features)\s*:(.*)$/m.exec(info)?.[1] ?? "").trim().split(/\s+/));
  const sha = info === "" ? "unknown" : flags.has("sha_ni") || flags.has("sha2") ? "yes" : "no";
  const memory = new Database(":memory:");
  const sqlite = memory.prepare<[], string>("select sqlite_version()").pluck().get();
  memory.close();
  return [
    `CPU: ${cpus()[0]?.model.trim() ?? "unknown"}; SHA extensions (sha_ni/sha2): ${sha}; cores: ${availableParallelism()}`,
    `load average (1/5/15 min): ${loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}; node ${process.version}; SQLite ${sqlite}; tmp dir ${tmpdir()}`,
  ];
}

/** Prints {@link machineHeader} first thing in a benchmark (and at its end, where load may have moved). */
export function printMachineHeader(): void {
  console.log(machineHeader().join("  \n"));
}

/** Median of a list of numbers (NaN when empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** p50 and p99 of latency samples. */
export function percentiles(samples: readonly number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Resident set size in MiB, after a full GC when the process runs with --expose-gc. */
export function rssMiB(): number {
  globalThis.gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

/** One timed piece of work: wall time, and CPU time of this process (all its threads). */
export interface Sample {
  ops: number;
  /** Operations per second, wall time. */
  opsPerSec: number;
  /** CPU microseconds (user + system, all threads) per operation. */
  cpuUsPerOp: number;
}

/**
 * Times `fn` by wall and CPU time; `fn` returns how many operations it performed. A full GC first
 * (with --expose-gc), so one case's garbage is not collected on the next case's time.
 */
export async function timed(fn: () => number | Promise<number>): Promise<Sample> {
  globalThis.gc?.();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const ops = await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ops, opsPerSec: (ops / ms) * 1000, cpuUsPerOp: (used.user + used.system) / ops };
}

/**
 * Logs `n` decisions with `inFlight` concurrent `log()` calls at a time (a busy service): each group is
 * issued in one event-loop turn, so group commit writes it in one transaction (up to the logger's
 * maxBatch), and the next group starts when all of them are durable.
 */
export async function appendConcurrently(
  logger: ProvenanceLogger,
  n: number,
  inFlight: number,
  next: () => DecisionEntry,
): Promise<void> {
  for (let done = 0; done < n; done += inFlight) {
    const k = Math.min(inFlight, n - done);
    const calls: Promise<unknown>[] = new Array(k);
    for (let i = 0; i < k; i++) calls[i] = logger.log(next());
    await Promise.all(calls);
  }
}
