/**
 * Inclusion proof latency in a fresh process (target: p99 <= 1 ms), run by write-path.bench.ts as a
 * child: opens the store read-only, as an auditor's process would, with nothing cached in SQLite or
 * the JIT, and times `samples` proofs of random records. Prints one JSON line on stdout.
 *
 *   node bench/proof-latency.ts <store.db> <stream> [samples]
 */
import { performance } from "node:perf_hooks";
import { verifyInclusion } from "@ancora/core";
import { openStore } from "@ancora/sdk";
import { percentiles } from "./lib.ts";

const [path, stream, samplesArg] = process.argv.slice(2);
if (path === undefined || stream === undefined) {
  console.error("usage: node bench/proof-latency.ts <store.db> <stream> [samples]");
  process.exit(2);
}
const samples = Number(samplesArg ?? 1000);

const opened = performance.now();
const store = openStore({ path, readonly: true });
const size = store.stream(stream).size;
const openMs = performance.now() - opened;
const random = () => Math.floor(Math.random() * size);

const times: number[] = [];
/** CPU time of each proof (ms): on a loaded machine, wall-time tails are mostly waits for a core. */
const cpuTimes: number[] = [];
let verified = true;
for (let i = 0; i < samples; i++) {
  const seq = random();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const proof = store.inclusionProof(stream, seq);
  times.push(performance.now() - start);
  const used = process.cpuUsage(cpu);
  cpuTimes.push((used.user + used.system) / 1000);
  // Every 100th proof is checked, outside the timing: a fast wrong proof must not pass.
  if (i % 100 === 0) {
    verified &&= verifyInclusion({
      leafHash: proof.leafHash,
      index: seq,
      size,
      proof: proof.proof,
      root: proof.root,
    });
  }
}
store.close();
const { p50, p99 } = percentiles(times);
// The p99 without the first 100 proofs tells a cold JIT apart from slow reads.
const p99Warm = percentiles(times.slice(Math.min(100, times.length - 1))).p99;
const max = Math.max(...times);
const cpuP99 = percentiles(cpuTimes).p99;
console.log(
  JSON.stringify({ size, samples, openMs, firstMs: times[0], p50, p99, p99Warm, cpuP99, max, verified }),
);
