/**
 * The PostgreSQL store's append throughput with 1, 2 and 4 writer processes on one stream, each an
 * application's `createLogger({ url })` with 64 `record()` calls in flight, against floors measured in
 * the same run on the same machine:
 *
 * - raw INSERT floor: the same number of processes inserting rows of the same size into a one-table
 *   PostgreSQL schema, in transactions of the size Ancora's group commit forms (synchronous_commit on,
 *   as for Ancora), without any per-stream lock;
 * - the SQLite store: `log()` in one process (the embedded default), 256 calls in flight.
 *
 * A throwaway server (Debian's `postgresql`, started on 127.0.0.1 and a free port, stopped at the end)
 * holds both PostgreSQL cases. There is no target yet: the ratios are printed for the record.
 *
 *   pnpm exec tsc -b && node bench/postgres.bench.ts [--records=20000] [--rounds=2]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createLogger } from "../packages/sdk/dist/index.js";
import { startPostgres } from "../packages/sdk/src/testing/postgres-server.ts";
import { CONFIG, MODEL, median, option, printMachineHeader, progress } from "./lib.ts";

const SELF = fileURLToPath(import.meta.url);
const STREAM = "loans";
/** Appends in flight per writer process (the service's concurrent requests). */
const IN_FLIGHT = 64;

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** A child: appends `count` decisions (or raw rows); prints `start end` (ms since the epoch). */
async function child(): Promise<void> {
  const url = arg("url") as string;
  const count = Number(arg("count"));
  const span = arg("child") === "ancora" ? await ancoraChild(url, count) : await rawChild(url, count);
  process.stdout.write(`${span[0]} ${span[1]}\n`);
}

/** What an application runs: the SDK's logger on the PostgreSQL log, IN_FLIGHT calls at a time. */
async function ancoraChild(url: string, count: number): Promise<[number, number]> {
  const logger = createLogger({ url, stream: STREAM, model: MODEL, commitment: "salted" });
  await logger.ready();
  let next = 0;
  const start = Date.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await logger.record({
        features: { age: 20 + (i % 60), income: 1000 + i, region: "north", tenure: i % 12 },
        output: i % 2,
        score: (i % 100) / 100,
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const end = Date.now();
  await logger.close();
  return [start, end];
}

/** The floor: rows of `--bytes` into a one-table schema, `--txn` per transaction, one transaction in flight. */
async function rawChild(url: string, count: number): Promise<[number, number]> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const offset = Number(arg("offset"));
  const perTransaction = Number(arg("txn"));
  const payload = Buffer.alloc(Number(arg("bytes")), 0x61);
  const start = Date.now();
  for (let from = 0; from < count; from += perTransaction) {
    const seqs = Array.from({ length: Math.min(perTransaction, count - from) }, (_, i) => offset + from + i);
    await pool.query(
      "INSERT INTO raw (stream_id, seq, bytes) SELECT 1, * FROM unnest($1::bigint[], $2::bytea[])",
      [seqs, seqs.map(() => payload)],
    );
  }
  const end = Date.now();
  await pool.end();
  return [start, end];
}

/** Runs `processes` children of `mode`; returns records per second over the span of their work, and rows per transaction. */
async function runChildren(
  processes: number,
  mode: "ancora" | "raw",
  url: string,
  total: number,
  extra: string[] = [],
) {
  const per = Math.floor(total / processes);
  const spans = await Promise.all(
    Array.from({ length: processes }, (_, p) => {
      const c = spawn(
        process.execPath,
        [SELF, `--child=${mode}`, `--url=${url}`, `--count=${per}`, `--offset=${p * per}`, ...extra],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let out = "";
      c.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      return new Promise<[number, number]>((resolve, reject) =>
        c.on("exit", (code) =>
          code === 0
            ? resolve(out.trim().split(" ").map(Number) as [number, number])
            : reject(new Error(`child exited ${code}`)),
        ),
      );
    }),
  );
  const start = Math.min(...spans.map((s) => s[0]));
  const end = Math.max(...spans.map((s) => s[1]));
  return { rate: (per * processes) / ((end - start) / 1000), records: per * processes };
}

async function main(): Promise<void> {
  printMachineHeader();
  const records = option("records", 20_000);
  const rounds = option("rounds", 2);
  const server = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), "ancora-pg-bench-"));
  const admin = new pg.Pool({ connectionString: server.url, max: 2 });
  const results = new Map<string, number[]>();
  const add = (name: string, value: number) => results.set(name, [...(results.get(name) ?? []), value]);
  try {
    const version = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]
      ?.server_version;
    console.log(
      `PostgreSQL ${version} on 127.0.0.1 (fsync on, synchronous_commit on); ${records} records per case`,
    );
    for (let round = 0; round < rounds; round++) {
      for (const processes of [1, 2, 4]) {
        const name = `r${round}p${processes}`;
        await admin.query(`CREATE DATABASE ${name}`);
        const url = server.url.replace(/\/postgres$/, `/${name}`);
        const db = new pg.Pool({ connectionString: url, max: 2 });
        // The stream and its config, as an application sets them up.
        const setup = createLogger({ url, stream: STREAM, model: MODEL });
        await setup.setConfig(CONFIG);
        await setup.close();
        await db.query(
          "CREATE TABLE raw (stream_id integer NOT NULL, seq bigint NOT NULL, bytes bytea NOT NULL, PRIMARY KEY (stream_id, seq))",
        );
        progress(`round ${round + 1}/${rounds}: ${processes} writer process(es)`);
        // Transactions the writers committed: the server's own count for the database (flushed when a
        // backend exits, so read after the children have ended; their few set-up queries are included).
        const commits = async () =>
          Number(
            (
              await admin.query<{ n: string }>(
                "SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1",
                [name],
              )
            ).rows[0]?.n ?? 0,
          );
        await db.query("SELECT pg_stat_force_next_flush()");
        const before = await commits();
        const ancora = await runChildren(processes, "ancora", url, records);
        const after = await commits();
        add(`ancora${processes}`, ancora.rate);
        const rowBytes = Math.round(
          (await db.query<{ bytes: number }>("SELECT avg(length(bytes))::float8 AS bytes FROM records"))
            .rows[0]?.bytes ?? 600,
        );
        // Rows per transaction as Ancora's group commit formed them.
        const perTransaction = Math.max(1, Math.round(ancora.records / Math.max(1, after - before)));
        const raw = await runChildren(processes, "raw", url, records, [
          `--bytes=${rowBytes}`,
          `--txn=${perTransaction}`,
        ]);
        add(`raw${processes}`, raw.rate);
        add(`txn${processes}`, perTransaction);
        add("rowBytes", rowBytes);
        await db.end();
      }
      progress(`round ${round + 1}/${rounds}: SQLite log()`);
      const path = join(dir, `r${round}.db`);
      const logger = createLogger({ path, stream: STREAM, model: MODEL });
      logger.setConfig(CONFIG);
      const t0 = performance.now();
      const inflight: Promise<unknown>[] = [];
      for (let i = 0; i < records; i++) {
        inflight.push(
          logger.log({
            features: { age: 20 + (i % 60), income: 1000 + i, region: "north", tenure: i % 12 },
            output: i % 2,
            score: (i % 100) / 100,
          }),
        );
        if (inflight.length >= 256) {
          await Promise.all(inflight);
          inflight.length = 0;
        }
      }
      await Promise.all(inflight);
      add("sqlite", records / ((performance.now() - t0) / 1000));
      await logger.close();
    }
  } finally {
    await admin.end();
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const m = (name: string) => median(results.get(name) ?? []);
  console.log(
    `\n### PostgreSQL appends, median of ${rounds} round(s) (decision rows ~${m("rowBytes").toFixed(0)} bytes)\n`,
  );
  console.log(
    "| writer processes | Ancora on PostgreSQL, records/s | raw INSERT floor, records/s | rows per transaction | Ancora / raw floor | Ancora / SQLite log() |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|");
  for (const p of [1, 2, 4]) {
    const a = m(`ancora${p}`);
    console.log(
      `| ${p} | ${a.toFixed(0)} | ${m(`raw${p}`).toFixed(0)} | ${m(`txn${p}`).toFixed(0)} | ${(a / m(`raw${p}`)).toFixed(2)}x | ${(a / m("sqlite")).toFixed(2)}x |`,
    );
  }
  console.log(
    `\nSQLite log() (1 process, 256 in flight): ${m("sqlite").toFixed(0)} records/s. No target is set for these ratios yet: informational.`,
  );
}

if (arg("child") !== undefined) await child();
else await main();
