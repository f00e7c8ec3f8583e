/**
 * Tiny benchmark harness: every benchmark prints its figure beside a baseline measured in the same
 * run, so a ratio is meaningful even on a noisy shared machine. Timings never gate tests.
 */
import { performance } from "node:perf_hooks";
import type { DecisionEntry } from "@ancora/sdk";

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
