/**
 * Before/after comparison of @ancora/core's hot paths: the current build against an older build of the
 * same package, on the decision record of records.bench.ts. Used for the "Core: records and CIDs"
 * tables in docs/benchmarks.md.
 *
 *   pnpm exec tsc -b packages/core
 *   node bench/core-ab.ts --old=/path/to/old/packages/core/dist [--runs=3] [--rounds=10]
 *
 * To build an older core (here the commit before the fast paths):
 *
 *   git archive <commit> packages/core tsconfig.base.json | tar -x -C /tmp/core-old
 *   ln -s "$PWD/packages/core/node_modules" /tmp/core-old/packages/core/node_modules
 *   pnpm exec tsc -p /tmp/core-old/packages/core
 *
 * Each (case, build) pair runs in its own process, old and new alternating, `--runs` times; a process
 * reports its best batch, and the table the best over all processes. Times are the process's CPU time
 * (user + system, all threads), not wall time: on the shared 2-core machine the wall clock mostly
 * measures how long other work held the cores (CPU time still varies by up to 2x with the load, hence
 * the best of several processes). One case per process because the old build's CID strings fill
 * multiformats' global WeakMap cache, which slows every later garbage collection in the process and
 * would bill that to unrelated cases. JSON.stringify of the record runs in turns with every case as a
 * yardstick for the machine's speed.
 */
import { execFileSync } from "node:child_process";
import { hash } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { slabAllocator } from "../packages/sdk/dist/internal/byte-slabs.js";

type Core = typeof import("@ancora/core");

function option(name: string, fallback: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

const OLD = option("old", "");
const RUNS = Number(option("runs", "3"));
const ROUNDS = Number(option("rounds", "10"));
const NEW = fileURLToPath(new URL("../packages/core/dist", import.meta.url));

const nodeSha256 = (data: Uint8Array) => hash("sha256", data, "buffer") as Uint8Array;
/** node:crypto's one-shot hash read back from a "binary" string: no Buffer allocation (see merkle.bench.ts). */
const nodeBinary = (data: Uint8Array) => {
  const digest = hash("sha256", data, "binary");
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = digest.charCodeAt(i);
  return out;
};

function decision(core: Core) {
  const cidOf = (text: string) => core.computeCid(new TextEncoder().encode(text));
  return {
    v: 1 as const,
    kind: "decision" as const,
    stream: "credit-scoring",
    seq: 123_456,
    prev: cidOf("previous record"),
    ts: "2025-05-01T12:34:56.789Z",
    body: {
      model: { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` },
      input: core.commitHmac({ age: 42, income: 51_000, region: "NW" }, new Uint8Array(32).fill(7), {
        keyId: "org-2025",
      }),
      output: core.commitPlain({ score: 0.7312 }),
      score: 0.7312,
      label: "L002",
      config: cidOf("config record"),
    },
  };
}

type Case = (core: Core) => (n: number) => unknown;
const loop = (f: (i: number) => unknown) => (n: number) => {
  let sink: unknown;
  for (let i = 0; i < n; i++) sink = f(i & 1023);
  return sink;
};

const CASES: Array<[string, Case]> = [
  [
    "JSON.stringify of the record (no sorting, validation or hashing)",
    (core) => {
      const json = JSON.parse(new TextDecoder().decode(core.encodeRecord(decision(core))));
      return loop(() => JSON.stringify(json));
    },
  ],
  [
    "validateRecord",
    (core) =>
      loop(
        (
          (r) => () =>
            core.validateRecord(r)
        )(decision(core)),
      ),
  ],
  [
    "encodeRecord (validate + canonical bytes)",
    (core) =>
      loop(
        (
          (r) => () =>
            core.encodeRecord(r)
        )(decision(core)),
      ),
  ],
  [
    "encode + CID, node:crypto sha256 (Buffer)",
    (core) =>
      loop(
        (
          (r) => () =>
            core.encodeRecordBlock(r, nodeSha256).cid
        )(decision(core)),
      ),
  ],
  [
    "encode + CID, node:crypto hash() binary",
    (core) =>
      loop(
        (
          (r) => () =>
            core.encodeRecordBlock(r, nodeBinary).cid
        )(decision(core)),
      ),
  ],
  [
    // A new record object per decision linking to the previous one, with the SDK's shared byte buffers
    // (an older core ignores the third argument and allocates an array per record, as it did).
    "encode + CID, a chain as the SDK writes it (hash() binary, shared buffers)",
    (core) => {
      const r = decision(core);
      const allocate = slabAllocator();
      let prev = r.prev;
      let seq = r.seq;
      return (n: number) => {
        for (let i = 0; i < n; i++) {
          const next = {
            v: 1 as const,
            kind: "decision" as const,
            stream: r.stream,
            seq: ++seq,
            prev,
            ts: r.ts,
            body: r.body,
          };
          prev = core.encodeRecordBlock(next, nodeBinary, allocate).cid;
        }
        return prev;
      };
    },
  ],
  [
    "encode + CID + CID string, node:crypto sha256 (Buffer)",
    (core) =>
      loop(
        (
          (r) => () =>
            core.encodeRecordBlock(r, nodeSha256).cid.toString()
        )(decision(core)),
      ),
  ],
  [
    "CID of the record bytes + CID string (what verify() does per record)",
    (core) => {
      const bytes = records(core);
      return loop((i) => core.computeCid(bytes[i] as Uint8Array, nodeSha256).toString());
    },
  ],
  [
    "CID string of a new CID (digest given, no hashing)",
    (core) => {
      const bytes = records(core);
      return loop((i) => core.computeCid(bytes[i] as Uint8Array, (b) => b.subarray(0, 32)).toString());
    },
  ],
  [
    "parseBlockCid",
    (core) => {
      const text = decision(core).prev.toString();
      return loop(() => core.parseBlockCid(text));
    },
  ],
  [
    "decodeRecord (strict decode + validate)",
    (core) => {
      const bytes = records(core);
      return loop((i) => core.decodeRecord(bytes[i] as Uint8Array));
    },
  ],
];

/** 1024 decision records with different seqs, so decoding does not see one input only. */
function records(core: Core): Uint8Array[] {
  const r = decision(core);
  return Array.from({ length: 1024 }, (_, i) => core.encodeRecord({ ...r, seq: 1000 + i }));
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Batch size for about 20 ms of CPU time. */
function calibrate(fn: (n: number) => unknown): number {
  let batch = 1;
  for (;;) {
    const t = cpuMicros();
    fn(batch);
    if (cpuMicros() - t > 7_000) return Math.max(1, Math.round(batch * 3));
    batch *= 2;
  }
}

/**
 * Best µs per operation of `fn` and of `baseline` over `rounds` batches each, taken in turns so that
 * both see the same machine: their ratio is what the comparison uses.
 */
function bestWithBaseline(fn: (n: number) => unknown, baseline: (n: number) => unknown, rounds: number) {
  const batch = calibrate(fn);
  const baseBatch = calibrate(baseline);
  let top = Number.POSITIVE_INFINITY;
  let base = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    let t = cpuMicros();
    fn(batch);
    top = Math.min(top, (cpuMicros() - t) / batch);
    t = cpuMicros();
    baseline(baseBatch);
    base = Math.min(base, (cpuMicros() - t) / baseBatch);
  }
  return { us: top, baseUs: base };
}

const child = option("child", "");
if (child !== "") {
  // Child: one case on one build.
  const [index, dir] = [Number(option("case", "0")), child];
  const core = (await import(pathToFileURL(`${dir}/index.js`).href)) as Core;
  const [, make] = CASES[index] as [string, Case];
  const [, baseline] = CASES[0] as [string, Case];
  process.stdout.write(JSON.stringify(bestWithBaseline(make(core), baseline(core), ROUNDS)));
  process.exit(0);
}

if (OLD === "") {
  console.error("usage: node bench/core-ab.ts --old=<old packages/core/dist> [--runs=3] [--rounds=10]");
  process.exit(2);
}
const self = fileURLToPath(import.meta.url);
interface Row {
  old: number;
  new: number;
}
const inf = Number.POSITIVE_INFINITY;
let baselineUs = inf;
const results = new Map<string, Row>();
for (let run = 0; run < RUNS; run++) {
  for (let index = 1; index < CASES.length; index++) {
    const name = (CASES[index] as [string, Case])[0];
    const row = results.get(name) ?? { old: inf, new: inf };
    for (const which of run % 2 === 0 ? (["old", "new"] as const) : (["new", "old"] as const)) {
      const out = execFileSync(process.execPath, [
        "--expose-gc",
        self,
        `--child=${which === "old" ? OLD : NEW}`,
        `--case=${index}`,
        `--rounds=${ROUNDS}`,
      ]);
      const { us, baseUs } = JSON.parse(out.toString()) as { us: number; baseUs: number };
      row[which] = Math.min(row[which], us);
      baselineUs = Math.min(baselineUs, baseUs);
    }
    results.set(name, row);
  }
  process.stderr.write(`  … run ${run + 1} of ${RUNS}\n`);
}

const rate = (us: number) => Math.round(1e6 / us).toLocaleString("en-US");
console.log(
  `# core before/after — node ${process.version}, ${new Date().toISOString()}, best of ${RUNS} runs\n`,
);
console.log(
  `CPU µs per operation, best batch of ${RUNS} processes per case and build. JSON.stringify of the same ` +
    `record, measured in turns with every case: ${baselineUs.toFixed(2)} µs (${rate(baselineUs)}/s).\n`,
);
console.log("| case | before ops/s | before µs | after ops/s | after µs | speed-up |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const [name, row] of results) {
  console.log(
    `| ${name} | ${rate(row.old)} | ${row.old.toFixed(2)} | ${rate(row.new)} | ${row.new.toFixed(2)} | ` +
      `${(row.old / row.new).toFixed(2)}x |`,
  );
}
