/**
 * The write path and the verifier against this machine's floors. Every target is a ratio
 * between figures measured in this run, on this machine, in interleaved rounds (A B, then B A, …;
 * medians), so a layout is judged against what SQLite and SHA-256 can do here, not against numbers
 * from another machine:
 *
 * - durable group-commit append >= 0.5x a raw single-table insert (one INTEGER PRIMARY KEY and one
 *   BLOB of an Ancora decision record's average size, the store's pragmas, the group commit's
 *   transaction size), and >= 10x baseline (a) (bench/baselines.ts, the seed design);
 * - recordSync >= 0.7x a raw one-row-per-transaction insert with the same fsync (synchronous=FULL);
 * - store.verify() per core >= 0.5x reading every record's bytes with one SELECT and SHA-256 of each;
 * - growing one stream to --size: CPU per appended record at the end within 10% of that at 10k, RSS
 *   flat (at the end <= 1.1x halfway: the second half of the growth adds no memory), and inclusion
 *   proof p99 <= 1 ms in a fresh process. RSS at 10k is printed beside it: the process reaches its
 *   working set (V8's reserved heap, the allocator's high-water mark under 1,000 calls in flight) only
 *   after ~100k records, while the JavaScript heap in use stays at 26-30 MiB throughout (measured
 *   2026-12-07 to 1M records), so "at the end against at 10k" judged warm-up, not growth.
 *
 * Only @ancora/sdk's public API drives the store (createLogger, log, recordSync, store.verify,
 * openStore, inclusionProof), so the bench measures any storage layout; the floors read the store's
 * file through one adapter (`RECORDS` in bench/baselines.ts). Ratios are judged on wall time; CPU time
 * per record is printed beside them, as it moves much less with the load of a shared machine.
 *
 *   pnpm exec tsc -b && node --expose-gc bench/write-path.bench.ts [--size=1_000_000] [--rounds=5]
 *   quick: --size=20000 --rounds=1 --records=5000; 10M: --size=10_000_000 (about 20 minutes)
 *
 * Options (or ANCORA_BENCH_<NAME>): --size (records to grow one stream to, default 1,000,000),
 * --rounds (default 5), --records (group-commit records per round, default 20,000; baseline (a) gets a
 * tenth), --sync (recordSync calls per round, default 300), --inflight (concurrent log() calls,
 * default 1,000), --proofs (proofs timed in the fresh process, default 1,000).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, DEFAULT_MAX_BATCH, type ProvenanceLogger } from "@ancora/sdk";
import { decisionRecordBytes, RawTableFloor, ReadHashFloor, SeedChain } from "./baselines.ts";
import {
  appendConcurrently,
  CONFIG,
  Database,
  decisionEntries,
  MODEL,
  median,
  option,
  printMachineHeader,
  progress,
  rssMiB,
  type Sample,
  timed,
} from "./lib.ts";

const SIZE = option("size", 1_000_000);
const ROUNDS = Math.max(1, option("rounds", 5));
const RECORDS = Math.max(1, option("records", 20_000));
const SEED_RECORDS = Math.max(10, Math.round(RECORDS / 10));
const SYNC = Math.max(1, option("sync", 300));
const IN_FLIGHT = Math.max(1, option("inflight", 1000));
const PROOFS = Math.max(1, option("proofs", 1000));
const STREAM = "credit";
const THREADS = availableParallelism();

printMachineHeader();
const dir = mkdtempSync(join(tmpdir(), "ancora-write-path-"));
const next = decisionEntries();
const fmt = (n: number) =>
  Number.isNaN(n) ? "–" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toPrecision(3);

// The logger reads its clock once per transaction (one timestamp for the transaction's records), so
// counting the reads observes the group commit's transaction size through the public API. A layout
// that read it more often would show a smaller size here: the floor then keeps the expected one.
let clockReads = 0;
const clock = () => {
  clockReads++;
  return new Date();
};
function logger(path: string): ProvenanceLogger {
  const created = createLogger({ path, stream: STREAM, model: MODEL, clock });
  created.setConfig(CONFIG);
  return created;
}

// --- Warm-up: the rounds' store gets its first records, and the JIT gets warm before "at 10k" -------
const ancoraPath = join(dir, "ancora.db");
const ancora = logger(ancoraPath);
progress("warming up");
await appendConcurrently(ancora, Math.max(IN_FLIGHT, RECORDS), IN_FLIGHT, next);

// --- Growth: one stream to SIZE records, before the rounds, so its RSS is its own ------------------
const growPath = join(dir, "grow.db");
const grow = logger(growPath);
const WINDOW = Math.max(1, Math.min(5000, Math.floor(SIZE / 4)));
/** Median of three windows of WINDOW records: rate and CPU µs per record. */
const windows = async () => {
  const list: Sample[] = [];
  for (let w = 0; w < 3; w++) {
    list.push(
      await timed(async () => {
        await appendConcurrently(grow, WINDOW, IN_FLIGHT, next);
        return WINDOW;
      }),
    );
  }
  return { rate: median(list.map((s) => s.opsPerSec)), cpu: median(list.map((s) => s.cpuUsPerOp)) };
};
progress(`growing one stream to ${SIZE.toLocaleString("en-US")} records`);
// The first window warms this store's pages up; "at 10k" is then the median over records 5k .. 20k.
await appendConcurrently(grow, WINDOW, IN_FLIGHT, next);
const early = await windows();
const earlyRss = rssMiB();
let peakRss = earlyRss;
/** RSS at the first sample past half the size: tells growth that levels off from growth that does not. */
let halfRss: number | undefined;
let written = 4 * WINDOW;
const target = Math.max(SIZE - 3 * WINDOW, written);
let reported = written;
while (written < target) {
  const n = Math.min(50_000, target - written);
  await appendConcurrently(grow, n, IN_FLIGHT, next);
  written += n;
  if (written - reported >= SIZE / 20) {
    reported = written;
    const rss = rssMiB();
    peakRss = Math.max(peakRss, rss);
    if (halfRss === undefined && written >= SIZE / 2) halfRss = rss;
    progress(`${written.toLocaleString("en-US")} records, rss ${rss.toFixed(0)} MiB`);
  }
}
const late = SIZE >= 7 * WINDOW ? await windows() : undefined;
const lateRss = rssMiB();
peakRss = Math.max(peakRss, lateRss);
const grown = grow.store.stream(STREAM).size;
await grow.close();

// --- Floors: sized from the store the warm-up wrote (its average decision record) ------------------
const rowBytes = decisionRecordBytes(ancoraPath);
/** Records per group-commit transaction: every group of IN_FLIGHT calls is issued in one turn. */
const perTransaction = Math.min(IN_FLIGHT, DEFAULT_MAX_BATCH);
const journal = (() => {
  const db = new Database(ancoraPath, { readonly: true });
  const mode = db.pragma("journal_mode", { simple: true });
  db.close();
  return String(mode);
})();
const raw = new RawTableFloor(join(dir, "raw.db"), rowBytes);
const fsync = new RawTableFloor(join(dir, "fsync.db"), rowBytes);
const seed = new SeedChain(join(dir, "seed.db"));
const readHash = new ReadHashFloor(ancoraPath);
raw.insert(2 * perTransaction, perTransaction);
fsync.insert(20, 1);
for (let i = 0; i < 100; i++) seed.append(next());
readHash.run();
if (readHash.text) readHash.runText();
console.log(
  `\nstore files in ${dir}; decision record ${rowBytes.toFixed(0)} bytes on average; store journal_mode=${journal} (floors: WAL, synchronous=FULL); ${IN_FLIGHT} log() calls in flight, transactions of ${perTransaction} records expected`,
);

// --- Interleaved rounds ---------------------------------------------------------------------------
const CASES = {
  group: `Ancora group commit (log(), ${IN_FLIGHT} in flight, FULL)`,
  raw: `floor: raw insert, 1 table, ${perTransaction} rows/txn, FULL`,
  seed: "baseline (a): 1 txn/record, WAL NORMAL",
  sync: "Ancora recordSync (1 txn/record, FULL)",
  fsync: "floor: raw insert, 1 row/txn, FULL",
  verify: "Ancora store.verify(), 1 thread",
  verifyN: `Ancora store.verify(), ${THREADS} threads`,
  readHash: "floor: one SELECT of every record's bytes + SHA-256, 1 thread",
  readText: "floor: the same, the bytes read as text (ASCII records), 1 thread",
} as const;
type Case = keyof typeof CASES;
const samples = new Map<Case, Sample[]>();
const add = (name: Case, sample: Sample) => samples.set(name, [...(samples.get(name) ?? []), sample]);
const observedTransaction: number[] = [];

/** Runs an Ancora case and its floor, in turn A B on even rounds and B A on odd ones. */
async function pair(round: number, a: [Case, () => number | Promise<number>], b: [Case, () => number]) {
  const order = round % 2 === 0 ? [a, b] : [b, a];
  for (const [name, fn] of order) add(name, await timed(fn));
}

const verify = (threads: number) => {
  const result = ancora.store.verify({ threads });
  if (!result.ok) throw new Error(`verify failed: ${JSON.stringify(result.failures[0])}`);
  return result.checked;
};

/** Ancora's group commit, measured against both the raw insert floor and baseline (a). */
const groupCommit: Parameters<typeof pair>[1] = [
  "group",
  async () => {
    await appendConcurrently(ancora, RECORDS, IN_FLIGHT, next);
    return RECORDS;
  },
];

for (let round = 0; round < ROUNDS; round++) {
  progress(
    `round ${round + 1}/${ROUNDS} (store at ${ancora.store.stream(STREAM).size.toLocaleString("en-US")})`,
  );
  const reads = clockReads;
  await pair(round, groupCommit, [
    "raw",
    () => {
      raw.insert(RECORDS, perTransaction);
      return RECORDS;
    },
  ]);
  observedTransaction.push(RECORDS / Math.max(1, clockReads - reads));
  await pair(round, groupCommit, [
    "seed",
    () => {
      for (let i = 0; i < SEED_RECORDS; i++) seed.append(next());
      return SEED_RECORDS;
    },
  ]);
  await pair(
    round,
    [
      "sync",
      () => {
        for (let i = 0; i < SYNC; i++) ancora.recordSync(next());
        return SYNC;
      },
    ],
    [
      "fsync",
      () => {
        fsync.insert(SYNC, 1);
        return SYNC;
      },
    ],
  );
  await pair(round, ["verify", () => verify(1)], ["readHash", () => readHash.run().records]);
  if (readHash.text) add("readText", await timed(() => readHash.runText().records));
  if (THREADS > 1) add("verifyN", await timed(() => verify(THREADS)));
}
readHash.close();
seed.close();
fsync.close();
raw.close();
await ancora.close();

const med = (name: Case) => {
  const list = samples.get(name) ?? [];
  return { rate: median(list.map((s) => s.opsPerSec)), cpu: median(list.map((s) => s.cpuUsPerOp)) };
};
console.log(`\n### Ancora and this machine's floors, median of ${ROUNDS} interleaved round(s)\n`);
console.log("| case | records/s | CPU µs/record (all threads) |");
console.log("|---|---:|---:|");
for (const name of Object.keys(CASES) as Case[]) {
  if (!samples.has(name)) continue;
  const m = med(name);
  console.log(`| ${CASES[name]} | ${fmt(m.rate)} | ${fmt(m.cpu)} |`);
}
const observed = median(observedTransaction);
console.log(
  `\nGroup commit transactions held ${fmt(observed)} records on average (clock reads; expected ${perTransaction}).`,
);
if (Math.abs(observed - perTransaction) > perTransaction * 0.1) {
  console.log(
    "(The observation differs from the expectation: the floor keeps the expected size; see the comment on `clock`.)",
  );
}

progress("inclusion proofs in a fresh process");
const child = spawnSync(
  process.execPath,
  [fileURLToPath(new URL("./proof-latency.ts", import.meta.url)), growPath, STREAM, String(PROOFS)],
  { encoding: "utf8" },
);
if (child.status !== 0) throw new Error(`proof-latency.ts exited with ${child.status}: ${child.stderr}`);
const proofs = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}") as {
  openMs: number;
  firstMs: number;
  p50: number;
  p99: number;
  p99Warm: number;
  cpuP99: number;
  max: number;
  verified: boolean;
};
rmSync(dir, { recursive: true, force: true });

const at = (n: number) => n.toLocaleString("en-US");
console.log(`\n### Growth: one stream to ${at(grown)} records (group commit, ${IN_FLIGHT} in flight)\n`);
console.log("| at | records/s | CPU µs/record | RSS MiB (after GC) |");
console.log("|---|---:|---:|---:|");
console.log(
  `| ${at(WINDOW)} .. ${at(4 * WINDOW)} | ${fmt(early.rate)} | ${fmt(early.cpu)} | ${earlyRss.toFixed(0)} |`,
);
if (late)
  console.log(`| last ${at(3 * WINDOW)} | ${fmt(late.rate)} | ${fmt(late.cpu)} | ${lateRss.toFixed(0)} |`);
console.log(
  `\nRSS after GC ${earlyRss.toFixed(0)} MiB at 10k, ${halfRss?.toFixed(0) ?? "–"} MiB halfway, ${lateRss.toFixed(0)} MiB at the end, peak ${peakRss.toFixed(0)} MiB. Inclusion proofs at ${at(grown)} in a fresh process (${PROOFS}, random records): open ${proofs.openMs.toFixed(1)} ms, first ${proofs.firstMs.toFixed(3)} ms, p50 ${proofs.p50.toFixed(3)} ms, p99 ${proofs.p99.toFixed(3)} ms (${proofs.p99Warm.toFixed(3)} ms after the first 100, once the JIT is warm; CPU time p99 ${proofs.cpuP99.toFixed(3)} ms), max ${proofs.max.toFixed(2)} ms; proofs verify: ${proofs.verified}.`,
);

// --- Targets ---------------------------------------------------------------------------------------
const rows: {
  name: string;
  wall: number;
  cpu: number;
  target: string;
  ok: boolean | undefined | "information";
}[] = [];
const ratio = (name: string, a: Case, floor: Case, atLeast: number, perCore = 1) => {
  const m = med(a);
  const f = med(floor);
  const wall = m.rate / perCore / f.rate;
  rows.push({ name, wall, cpu: f.cpu / m.cpu, target: `>= ${atLeast}x`, ok: wall >= atLeast });
};
/** A ratio printed for information, beside the targets: `a`'s throughput over `b`'s. */
const information = (name: string, a: Case, b: Case) => {
  rows.push({
    name,
    wall: med(a).rate / med(b).rate,
    cpu: med(b).cpu / med(a).cpu,
    target: "(information)",
    ok: "information",
  });
};
ratio("group commit / raw insert floor", "group", "raw", 0.5);
ratio("group commit / baseline (a)", "group", "seed", 10);
// No layout writes faster than the raw insert floor, so this is the most group commit / baseline (a)
// can reach on this machine: when it is under 10x, the 10x target is out of reach here.
information("raw insert floor / baseline (a): the ceiling of the ratio above", "raw", "seed");
ratio("recordSync / fsync floor", "sync", "fsync", 0.7);
ratio("verify, 1 thread / read + SHA-256 floor", "verify", "readHash", 0.5);
if (samples.has("readText"))
  information("verify, 1 thread / the bytes read as text + SHA-256", "verify", "readText");
if (THREADS > 1)
  ratio(`verify per core (${THREADS} threads) / read + SHA-256 floor`, "verifyN", "readHash", 0.5, THREADS);
rows.push({
  name: `CPU µs/record at ${at(grown)} / at 10k`,
  wall: late ? early.rate / late.rate : Number.NaN,
  cpu: late ? late.cpu / early.cpu : Number.NaN,
  target: "<= 1.1x (CPU)",
  ok: late ? late.cpu / early.cpu <= 1.1 : undefined,
});
rows.push({
  name: `RSS at ${at(grown)} / halfway (${halfRss?.toFixed(0) ?? "–"} MiB; ${earlyRss.toFixed(0)} MiB at 10k)`,
  wall: halfRss === undefined ? Number.NaN : lateRss / halfRss,
  cpu: Number.NaN,
  target: "<= 1.1x",
  ok: late && halfRss !== undefined ? lateRss / halfRss <= 1.1 : undefined,
});
console.log("\n### Write-path targets (ratios measured in this run)\n");
console.log("| ratio | wall | CPU | target | |");
console.log("|---|---:|---:|---|---|");
for (const r of rows) {
  const verdict =
    r.ok === "information"
      ? ""
      : r.ok === undefined
        ? "not measured (--size too small)"
        : r.ok
          ? "met"
          : "NOT met";
  console.log(`| ${r.name} | ${fmt(r.wall)} | ${fmt(r.cpu)} | ${r.target} | ${verdict} |`);
}
console.log(
  `| inclusion proof p99, fresh process, at ${at(grown)} | ${proofs.p99.toFixed(3)} ms | | <= 1 ms | ${proofs.p99 <= 1 && proofs.verified ? "met" : "NOT met"} |`,
);
console.log(
  `\nWall ratios are throughput over the floor's (for "at the end / at 10k", throughput at 10k over at the end); CPU ratios are the floor's CPU µs/record over Ancora's (growth: the end's over 10k's). Load average at the end: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(" ")}.`,
);
