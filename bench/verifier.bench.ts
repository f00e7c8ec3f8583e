/**
 * Verifier benchmarks (issue 7), each beside a baseline measured in the same run:
 *
 * 1. local verification of an SQLite log (`openLocalLog` + every rule), records/s, target >= 500,000/s,
 *    on 1 thread and on the default threads (`verifyLocalLog`, a worker pool) side by side;
 *    baseline: SHA-256 of the same record bytes read from the same file (the floor any check pays);
 * 2. public verification (`verifyPublic`: anchors from a `hardhat node`, manifests and records from the
 *    SDK's embedded IPFS node on loopback, over its HTTP batch gateway and, for comparison, over
 *    bitswap, and over the gateway with the records checked on a worker pool), target 100,000
 *    records in <= 60 s;
 *    baseline: local verification of the same log;
 * 3. receipt verification on chain (`verifyReceiptOnChain` against the local RPC), target p50 <= 100 ms;
 *    baseline: one `eth_blockNumber` round trip to the same node.
 *
 *   pnpm exec tsc -b && node --expose-gc bench/verifier.bench.ts [--size=100000] [--public=20000]
 *
 * `--concurrency` (ANCORA_BENCH_CONCURRENCY, default 128) is the number of blocks requested at once
 * over bitswap, `--gateway-concurrency` (default 1024) over the node's HTTP batch gateway; `--bitswap=0`
 * skips the bitswap run.
 * `--size` (ANCORA_BENCH_SIZE) is the local log's size (default 100,000); `--public`
 * (ANCORA_BENCH_PUBLIC) the publicly verified log's (default 20,000 so a run takes about a minute;
 * pass 100000 for the target's figure).
 */

import { hash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import {
  deployRegistry,
  encodeStreamId,
  grantAnchorer,
  registerStream,
} from "../packages/contracts/dist/index.js";
import { createAnchorer, createLogger, openStore, startIpfsNode } from "../packages/sdk/dist/index.js";
import {
  registryView,
  verifyPublic,
  verifyReceiptOnChain,
  verifyStreams,
} from "../packages/verifier/dist/index.js";
import {
  carGatewayFetcher,
  createVerifyPool,
  DEFAULT_VERIFY_THREADS,
  nodeSha256,
  openLocalLog,
  startBitswapFetcher,
  verifyLocalLog,
} from "../packages/verifier/dist/node.js";
import { localClients, startLocalChain } from "../scripts/lib/local-chain.ts";
import { CONFIG, type Measurement, MODEL, option, printMachineHeader, progress, report } from "./lib.ts";

printMachineHeader();

const SIZE = option("size", 100_000);
const PUBLIC = option("public", 20_000);
/** Blocks requested at once in public verification (verifyPublic's default is 32). */
const CONCURRENCY = option("concurrency", 128);
/** Blocks requested at once over the node's HTTP batch gateway (CIDs per request: 256). */
const GATEWAY_CONCURRENCY = option("gateway-concurrency", 1024);
/** Also measure bitswap (the old path, slow at 100k): `--bitswap=0` skips it. */
const BITSWAP = option("bitswap", 1) !== 0;
const STREAM = "credit";
const dir = mkdtempSync(join(tmpdir(), "ancora-verifier-bench-"));

function rate(name: string, records: number, ms: number): Measurement {
  return { name, opsPerSec: (records / ms) * 1000, usPerOp: (ms * 1000) / records, ops: records };
}

async function writeLog(path: string, records: number, onBatch?: () => Promise<void>) {
  const logger = createLogger({ path, stream: STREAM, model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  for (let done = 2; done < records; ) {
    const k = Math.min(1_000, records - done);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < k; i++) {
      const score = ((done + i) % 100) / 100;
      calls.push(logger.record({ features: { id: done + i }, output: { score }, score }));
    }
    await Promise.all(calls);
    done += k;
  }
  await onBatch?.();
  return logger;
}

/**
 * Local verification of `path`, records/s, against hashing the same bytes: on this thread
 * (`verifyStreams`, what `--threads 1` runs) and on the default threads (`verifyLocalLog`, what
 * `ancora-verify --db` runs), pool start-up included.
 */
async function localVerification(
  path: string,
): Promise<{ verify: Measurement; parallel: Measurement; hashOnly: Measurement }> {
  const db = new Database(path, { readonly: true });
  const started = performance.now();
  let bytes = 0;
  let records = 0;
  for (const row of db.prepare<[], { bytes: Buffer }>("SELECT bytes FROM records").iterate()) {
    hash("sha256", row.bytes, "buffer");
    bytes += row.bytes.length;
    records++;
  }
  const hashOnly = rate(
    "baseline: SHA-256 of the record bytes read from SQLite",
    records,
    performance.now() - started,
  );
  db.close();
  const t0 = performance.now();
  const log = openLocalLog(path);
  const result = verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
  log.close();
  const ms = performance.now() - t0;
  if (!result.ok) throw new Error(`the benchmark log does not verify: ${JSON.stringify(result.failures[0])}`);
  progress(`local: ${records} records (${(bytes / 1e6).toFixed(1)} MB) verified in ${ms.toFixed(0)} ms`);
  const t1 = performance.now();
  const parallel = await verifyLocalLog(path);
  const pms = performance.now() - t1;
  if (!parallel.ok || parallel.parallelStreams.length === 0) {
    throw new Error(`the parallel run did not verify in ranges: ${JSON.stringify(parallel.fallbacks)}`);
  }
  progress(`local on ${parallel.threads} threads: ${parallel.checked} records in ${pms.toFixed(0)} ms`);
  return {
    verify: rate("openLocalLog + every rule, 1 thread (ancora-verify --db --threads 1)", result.checked, ms),
    parallel: rate(
      `verifyLocalLog, ${parallel.threads} threads (ancora-verify --db), pool start included`,
      parallel.checked,
      pms,
    ),
    hashOnly,
  };
}

async function main(): Promise<void> {
  // 1. Local.
  const localPath = join(dir, "local.db");
  progress(`writing a ${SIZE.toLocaleString("en-US")}-record log`);
  await (await writeLog(localPath, SIZE)).close();
  const local = await localVerification(localPath);
  report(
    `Local verification of ${SIZE.toLocaleString("en-US")} records (records/s)`,
    [local.hashOnly, local.verify, local.parallel],
    {
      target: { name: local.verify.name, opsPerSec: 500_000 },
    },
  );

  // 2 and 3 need a chain, an anchored log and its IPFS node.
  const chain = await startLocalChain();
  try {
    // Hardhat's well-known development key, on the local chain only.
    const { account, publicClient, walletClient: wallet } = localClients(chain);
    const { address: registry } = await deployRegistry(wallet, publicClient, { admin: account.address });
    await registerStream(wallet, publicClient, {
      registry,
      streamId: encodeStreamId(STREAM),
      metadata: "{}",
    });
    await grantAnchorer(wallet, publicClient, { registry, account: account.address });
    const publicPath = join(dir, "public.db");
    progress(`writing and anchoring a ${PUBLIC.toLocaleString("en-US")}-record log`);
    const logger = await writeLog(publicPath, PUBLIC);
    logger.checkpoint();
    const anchorer = createAnchorer({
      store: logger.store,
      streams: STREAM,
      registry,
      publicClient,
      walletClient: wallet,
      policy: false,
      confirmations: 1,
      pollIntervalMs: 50,
    });
    if (!(await anchorer.drain({ timeoutMs: 120_000 }))) throw new Error("anchoring did not finish");
    await anchorer.stop();
    const receipts = [1, Math.floor(PUBLIC / 2), PUBLIC - 1].map((seq) => logger.receipt(seq));
    await logger.close();
    const store = openStore({ path: publicPath });
    const node = await startIpfsNode({ store, gateway: true });
    try {
      const localSame = await localVerification(publicPath);
      const view = await registryView(publicClient, registry);
      const runs: Measurement[] = [localSame.verify];
      const timed = async (
        name: string,
        fetchBlock: Parameters<typeof verifyPublic>[0]["fetchBlock"],
        c: number,
        pool?: ReturnType<typeof createVerifyPool>,
      ) => {
        const t0 = performance.now();
        const result = await verifyPublic({
          registry: view,
          fetchBlock,
          sha256: nodeSha256,
          concurrency: c,
          ...(pool === undefined ? {} : { pool }),
        });
        const ms = performance.now() - t0;
        if (!result.ok) throw new Error(`public verification failed: ${JSON.stringify(result.failures[0])}`);
        progress(`${name}: ${result.checked} records in ${(ms / 1000).toFixed(1)} s`);
        runs.push(rate(name, result.checked, ms));
        return ms;
      };
      if (BITSWAP) {
        const bitswap = await startBitswapFetcher({ peers: node.addresses });
        try {
          await timed(
            `verifyPublic over bitswap on loopback, ${CONCURRENCY} blocks in flight`,
            bitswap.fetch,
            CONCURRENCY,
          );
        } finally {
          await bitswap.close();
        }
      }
      const ms = await timed(
        `verifyPublic over the node's HTTP batch gateway (CAR), ${GATEWAY_CONCURRENCY} blocks in flight`,
        carGatewayFetcher(node.gatewayUrl as string),
        GATEWAY_CONCURRENCY,
      );
      const pool = createVerifyPool();
      try {
        await timed(
          `the same with the records checked on a pool of ${DEFAULT_VERIFY_THREADS} workers, pool start included`,
          carGatewayFetcher(node.gatewayUrl as string),
          GATEWAY_CONCURRENCY,
          pool,
        );
      } finally {
        await pool.close();
      }
      report(`Public verification of ${PUBLIC.toLocaleString("en-US")} records (records/s)`, runs);
      const projected = ((100_000 * ms) / 1000 / PUBLIC).toFixed(1);
      console.log(
        `\n${PUBLIC.toLocaleString("en-US")} records in ${(ms / 1000).toFixed(1)} s over the gateway; 100,000 at this rate: ${projected} s (target <= 60 s: ${Number(projected) <= 60 ? "met" : "NOT met"}).`,
      );

      // 3. Receipts: sequential calls, as an auditor checking one decision would.
      const rpcTimes: number[] = [];
      const receiptTimes: number[] = [];
      for (let i = 0; i < 60; i++) {
        let t = performance.now();
        await publicClient.getBlockNumber({ cacheTime: 0 });
        rpcTimes.push(performance.now() - t);
        t = performance.now();
        const checked = await verifyReceiptOnChain(receipts[i % receipts.length], {
          publicClient,
          sha256: nodeSha256,
        });
        receiptTimes.push(performance.now() - t);
        if (!checked.ok) throw new Error(`receipt failed: ${JSON.stringify(checked.failure)}`);
      }
      const p = (xs: number[], q: number) =>
        [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? Number.NaN;
      console.log("\n### Receipt verification on chain (ms, 60 sequential calls after warm-up)\n");
      console.log("| case | p50 | p99 | vs baseline (p50) |");
      console.log("|---|---:|---:|---:|");
      const base = p(rpcTimes.slice(10), 0.5);
      for (const [name, xs] of [
        ["baseline: one eth_blockNumber round trip", rpcTimes.slice(10)],
        ["verifyReceiptOnChain (ancora-verify --receipt)", receiptTimes.slice(10)],
      ] as const) {
        console.log(
          `| ${name} | ${p(xs, 0.5).toFixed(2)} | ${p(xs, 0.99).toFixed(2)} | ${(p(xs, 0.5) / base).toFixed(1)}x |`,
        );
      }
      const p50 = p(receiptTimes.slice(10), 0.5);
      console.log(`\nTarget p50 <= 100 ms: ${p50 <= 100 ? "met" : "NOT met"} (${p50.toFixed(1)} ms).`);
    } finally {
      await node.stop();
      store.close();
    }
  } finally {
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
