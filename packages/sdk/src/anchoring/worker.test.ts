/**
 * Anchoring and pinning on a worker thread, with the real parts: Hardhat's network served over HTTP on
 * loopback (a worker only takes an RPC URL), SQLite files shared by the logging thread and the worker,
 * and the pinning double. Anchors land and equal the local roots, every record is pinned, keys sign on
 * the starting thread (a viem account or an ethers signer), a service that cannot move is called on
 * the starting thread, an outage only grows the backlog, and a new worker resumes a stopped one's jobs.
 */

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRegistryReader, encodeStreamId } from "@ancora/contracts";
import { decodeManifest, verifyReceiptOffline } from "@ancora/core";
import { workerScript } from "@ancora/verifier/node";
import { Wallet } from "ethers";
import { type Hex, toHex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { connectionOf } from "../internal/store-handle.js";
import { readCar } from "../ipfs/car.js";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import type { PinCar, PinningService } from "../pinning/adapter.js";
import { pinataService } from "../pinning/pinata.js";
import { CONFIG, DEV_KEY_1, DEV_KEY_2, MODEL, tempStore } from "../testing/fixtures.js";
import { type HttpChain, httpChain } from "../testing/http-chain.js";
import { PinningDouble } from "../testing/pinning-double.js";
import { rpcOverHttp } from "../testing/rpc-over-http.js";
import type { AnchoredCheckpoint } from "./anchor-store.js";
import { getManifestBytes } from "./anchor-store.js";
import { ethersSignerToAccount } from "./ethers-account.js";
import {
  type AnchoringWorker,
  type AnchoringWorkerInternals,
  type AnchoringWorkerOptions,
  startAnchoringWorker,
} from "./worker.js";

const JWT = "worker-test-jwt-0123456789";
const STREAM = "loans";

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Chain = HttpChain;

async function chain(): Promise<Chain> {
  const c = await httpChain({ streams: [STREAM], anchorers: [DEV_KEY_1, DEV_KEY_2] });
  cleanups.push(() => c.rpc.stop());
  return c;
}

function newLogger(): ProvenanceLogger {
  const temp = tempStore();
  const logger = createLogger({ path: temp.path, stream: STREAM, model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  cleanups.push(() => temp.cleanup());
  cleanups.push(() => logger.close());
  return logger;
}

async function log(logger: ProvenanceLogger, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      logger.record({ features: { i }, output: { ok: i % 2 }, score: 0.5 }),
    ),
  );
}

/** A viem account that counts the transactions it signed (on the thread that created it). */
function countingAccount(key: Hex): { account: PrivateKeyAccount; signed: () => number } {
  const inner = privateKeyToAccount(key);
  let signed = 0;
  const account: PrivateKeyAccount = {
    ...inner,
    signTransaction: async (...args: Parameters<PrivateKeyAccount["signTransaction"]>) => {
      signed++;
      return await inner.signTransaction(...args);
    },
  };
  return { account, signed: () => signed };
}

async function startWorker(
  c: Chain,
  logger: ProvenanceLogger,
  extra: Partial<AnchoringWorkerOptions> = {},
  internals: AnchoringWorkerInternals = {},
): Promise<AnchoringWorker> {
  const worker = await startAnchoringWorker(
    {
      path: logger.store.path,
      streams: STREAM,
      registry: c.registry,
      rpcUrl: c.rpc.url,
      account: privateKeyToAccount(DEV_KEY_1),
      policy: { everyRecords: 100, everyMs: 3_600_000 },
      confirmations: 1,
      pollIntervalMs: 5,
      backoff: { baseMs: 5, maxMs: 20 },
      ...extra,
    },
    internals,
  );
  cleanups.push(() => worker.stop());
  return worker;
}

/** Every anchor event of the stream equals the local root at its size, each size once; the sizes. */
async function expectChainMatchesLocal(c: Chain, logger: ProvenanceLogger): Promise<number[]> {
  const history = await createRegistryReader(c.publicClient, c.registry).verifyHistory(
    encodeStreamId(STREAM),
  );
  const sizes = history.anchors.map((e) => Number(e.treeSize));
  expect(new Set(sizes).size).toBe(sizes.length);
  for (const event of history.anchors) {
    const size = Number(event.treeSize);
    expect(toHex(logger.store.consistencyProof(STREAM, size, size).root2)).toBe(event.root);
  }
  return sizes;
}

/** The CIDs of every record of the stream. */
function recordCids(logger: ProvenanceLogger): string[] {
  const size = logger.store.stream(STREAM).size;
  return Array.from({ length: size }, (_, seq) => logger.store.get(STREAM, seq)?.cid as string);
}

describe("anchoring worker", { timeout: 60_000 }, () => {
  it("anchors 1,000 decisions checkpointed every 100 and pins each manifest as one CAR, off the logging thread", async () => {
    const c = await chain();
    const logger = newLogger();
    const double = new PinningDouble("pinata", JWT);
    const uploadUrl = await double.start();
    cleanups.push(() => double.stop());
    const { account, signed } = countingAccount(DEV_KEY_1);
    const anchored: AnchoredCheckpoint[] = [];
    const worker = await startWorker(c, logger, {
      account,
      pinning: { service: pinataService({ jwt: JWT, uploadUrl }), intervalMs: 5 },
      onAnchored: (a) => anchored.push(a),
    });
    for (let i = 0; i < 10; i++) {
      await log(logger, 100);
      // The worker's policy takes each batch of 100 as a checkpoint of its own.
      const size = logger.store.stream(STREAM).size;
      await expect.poll(() => logger.store.checkpoints(STREAM).at(-1)?.size, { timeout: 10_000 }).toBe(size);
    }
    expect(await worker.drain({ timeoutMs: 60_000 })).toBe(true);

    const size = logger.store.stream(STREAM).size;
    const sizes = await expectChainMatchesLocal(c, logger);
    expect(sizes.at(-1)).toBe(size);
    // One anchor per checkpoint, unless the worker fell behind: then a backlog of checkpoints goes out
    // as one anchor of the newest (how many depends on the machine's load, so only the bounds are fixed).
    expect(sizes.length).toBeGreaterThanOrEqual(1);
    expect(sizes.length).toBeLessThanOrEqual(10);
    for (const anchoredSize of sizes) expect(anchoredSize % 100).toBe(size % 100);
    // The anchors the worker recorded are the logging thread's to read, and were reported to it.
    const confirmed = logger.store.anchors(STREAM).filter((a) => a.status === "confirmed");
    expect(confirmed.map((a) => a.size)).toEqual(sizes);
    expect(anchored.map((a) => a.size).sort((a, b) => a - b)).toEqual(sizes);
    // Every transaction was signed by the account on this thread: one per anchor (automine, no replacements).
    expect(signed()).toBe(sizes.length);
    // Pinned: every record and every manifest, in one CAR upload per manifest.
    const manifests = confirmed.map((a) => a.manifestCid);
    for (const cid of [...recordCids(logger), ...manifests]) expect(double.stored.has(cid)).toBe(true);
    expect(double.uploads.filter((u) => u.kind === "car")).toHaveLength(manifests.length);
    // A receipt from the logging thread proves a decision against the worker's last anchor.
    const receipt = logger.receipt(size - 1);
    expect(receipt.checkpoint.size).toBe(size);
    expect(verifyReceiptOffline(receipt).ok).toBe(true);
    const backlog = await worker.backlog();
    expect(backlog.jobs).toBe(0);
    expect(backlog.pinJobs).toBe(0);
    // The search index is caught up on the worker's thread (read with plain SQL: a query through the
    // store would catch it up itself).
    const indexedSize = connectionOf(logger.store).prepare(
      "SELECT i.size FROM record_index_state i JOIN streams s ON s.id = i.stream_id WHERE s.name = ?",
    );
    await expect.poll(() => indexedSize.pluck().get(STREAM), { timeout: 30_000 }).toBe(size);
    expect(backlog.streams[0]?.unanchoredRecords).toBe(0);
  });

  it("signs through an ethers signer held by the starting thread", async () => {
    const c = await chain();
    const logger = newLogger();
    const account = await ethersSignerToAccount(new Wallet(DEV_KEY_2));
    const worker = await startWorker(c, logger, { account });
    await log(logger, 250);
    logger.checkpoint();
    expect(await worker.drain({ timeoutMs: 30_000 })).toBe(true);
    const history = await createRegistryReader(c.publicClient, c.registry).verifyHistory(
      encodeStreamId(STREAM),
    );
    expect(history.anchors.length).toBeGreaterThan(0);
    for (const event of history.anchors) expect(event.anchorer).toBe(account.address);
    await expectChainMatchesLocal(c, logger);
  });

  it("calls a pinning service that cannot move to the worker on the starting thread, with the worker's CAR", async () => {
    const c = await chain();
    const logger = newLogger();
    const cars: PinCar[] = [];
    const service: PinningService = {
      name: "custom",
      upload: async () => {
        throw new Error("a CAR service is never asked for single blocks in batch mode");
      },
      uploadCar: async (car) => {
        cars.push(car);
        return { cid: car.root };
      },
    };
    const worker = await startWorker(c, logger, { pinning: { service, intervalMs: 5 } });
    await log(logger, 300);
    logger.checkpoint();
    expect(await worker.drain({ timeoutMs: 30_000 })).toBe(true);
    const confirmed = logger.store.anchors(STREAM).filter((a) => a.status === "confirmed");
    expect(cars).toHaveLength(confirmed.length);
    const inCars = new Set(cars.flatMap((car) => readCar(car.bytes).blocks.map((b) => b.cid.toString())));
    for (const cid of [...recordCids(logger), ...confirmed.map((a) => a.manifestCid)]) {
      expect(inCars.has(cid)).toBe(true);
    }
    // Each manifest lists the previous one: the worker chained them as the in-thread anchorer does.
    const db = connectionOf(logger.store);
    const last = confirmed.at(-1) as AnchoredCheckpoint;
    const manifest = decodeManifest(getManifestBytes(db, last.manifestCid) as Uint8Array);
    expect(manifest.prev?.toString()).toBe(confirmed.at(-2)?.manifestCid);
  });

  it("keeps logging through a chain outage, reports typed errors without the URL, and a new worker finishes the jobs", async () => {
    const c = await chain();
    const logger = newLogger();
    const before = logger.store.stream(STREAM).size; // genesis, config and label
    c.rpc.down = true;
    const errors: Array<{ code: string; message: string }> = [];
    const first = await startWorker(c, logger, {
      onError: (error) => errors.push({ code: error.code, message: error.message }),
    });
    await log(logger, 350);
    await expect.poll(() => errors.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await first.backlog()).jobs, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(errors.every((e) => e.code === "ANCHOR_CHAIN_UNAVAILABLE")).toBe(true);
    for (const e of errors) expect(e.message).not.toContain(c.rpc.url);
    expect(logger.store.stream(STREAM).size).toBe(before + 350);
    await first.stop();
    await expect(first.backlog()).rejects.toMatchObject({ code: "ANCHOR_WORKER_FAILED" });

    c.rpc.down = false;
    const second = await startWorker(c, logger);
    logger.checkpoint();
    expect(await second.drain({ timeoutMs: 30_000 })).toBe(true);
    const sizes = await expectChainMatchesLocal(c, logger);
    expect(sizes.at(-1)).toBe(before + 350);
  });

  it("falls back to the next RPC endpoint and sends the headers given, which never reach an error", async () => {
    const c = await chain();
    const logger = newLogger();
    const before = logger.store.stream(STREAM).size;
    // The first endpoint is down; the second answers only with the provider's key header.
    const dead = await rpcOverHttp({ request: () => Promise.reject(new Error("unreachable")) });
    cleanups.push(() => dead.stop());
    dead.down = true;
    c.rpc.requireHeaders = { "x-api-key": "k-123-secret" };
    const errors: string[] = [];
    const withoutKey = await startWorker(c, logger, {
      rpcUrl: [dead.url, c.rpc.url],
      onError: (error) =>
        errors.push(`${error.code} ${error.message} ${JSON.stringify(error.evidence ?? {})}`),
    });
    await log(logger, 120);
    await expect.poll(() => errors.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(errors.every((e) => e.startsWith("ANCHOR_CHAIN_UNAVAILABLE"))).toBe(true);
    await withoutKey.stop();

    const worker = await startWorker(c, logger, {
      rpcUrl: [dead.url, c.rpc.url],
      rpcHeaders: { "x-api-key": "k-123-secret" },
      onError: (error) =>
        errors.push(`${error.code} ${error.message} ${JSON.stringify(error.evidence ?? {})}`),
    });
    await log(logger, 80);
    logger.checkpoint();
    expect(await worker.drain({ timeoutMs: 30_000 })).toBe(true);
    const sizes = await expectChainMatchesLocal(c, logger);
    expect(sizes.at(-1)).toBe(before + 200);
    for (const e of errors) {
      expect(e).not.toContain("k-123-secret");
      expect(e).not.toContain(dead.url);
      expect(e).not.toContain(c.rpc.url);
    }
  });

  it("rejects bad options with typed errors, from this thread or from the worker, and writes nothing", async () => {
    const c = await chain();
    const logger = newLogger();
    await expect(startWorker(c, logger, { path: `${logger.store.path}.missing` })).rejects.toMatchObject({
      name: "AnchorError",
      code: "ANCHOR_INVALID_OPTION",
    });
    for (const rpcUrl of ["ws://127.0.0.1:1", [], [c.rpc.url, "ftp://x"]]) {
      await expect(startWorker(c, logger, { rpcUrl })).rejects.toMatchObject({
        code: "ANCHOR_INVALID_OPTION",
      });
    }
    for (const rpcHeaders of [{ "x-api-key": 5 }, { "bad header": "v" }, "x-api-key: v"]) {
      await expect(
        startWorker(c, logger, { rpcHeaders: rpcHeaders as unknown as Record<string, string> }),
      ).rejects.toMatchObject({ code: "ANCHOR_INVALID_OPTION" });
    }
    await expect(
      startWorker(c, logger, { pinning: { service: pinataService({ jwt: JWT }), intervalMs: 0 } }),
    ).rejects.toMatchObject({
      code: "ANCHOR_INVALID_OPTION",
      evidence: { "pinning.intervalMs": 0 },
    });
    await expect(startWorker(c, logger, { streams: undefined as unknown as string })).rejects.toMatchObject({
      name: "AnchorError",
      code: "ANCHOR_INVALID_OPTION",
    });
    // Checked by the anchorer inside the worker, and re-thrown here as the same class and code.
    await expect(startWorker(c, logger, { policy: { everyRecords: 0 } })).rejects.toMatchObject({
      name: "AnchorError",
      code: "ANCHOR_INVALID_OPTION",
      evidence: { "policy.everyRecords": 0 },
    });
    await expect(
      startWorker(c, logger, { streams: "not a valid stream name ".repeat(5) }),
    ).rejects.toMatchObject({
      code: expect.any(String),
    });
    // Nothing was written by the failed starts: no checkpoint, no job.
    expect(logger.store.checkpoints(STREAM)).toEqual([]);
    expect(logger.store.dueJobs()).toEqual([]);
  });

  it("restarts a worker that crashed and finishes its jobs", async () => {
    const c = await chain();
    const logger = newLogger();
    const marker = join(dirname(logger.store.path), "crashed-once");
    process.env.ANCORA_CRASH_ONCE_MARKER = marker;
    cleanups.push(() => {
      delete process.env.ANCORA_CRASH_ONCE_MARKER;
    });
    const errors: string[] = [];
    const { execArgv } = workerScript(new URL("./worker.ts", import.meta.url).href, "worker-thread");
    const worker = await startWorker(
      c,
      logger,
      { onError: (error) => errors.push(error.code) },
      {
        workerUrl: new URL("../testing/crash-once-anchoring-thread.ts", import.meta.url),
        execArgv,
        firstRestartMs: 50,
      },
    );
    await log(logger, 250);
    await expect.poll(() => errors, { timeout: 10_000 }).toContain("ANCHOR_WORKER_FAILED");
    expect(existsSync(marker)).toBe(true);
    // The restarted thread goes on from the outbox: everything ends up anchored, each size once.
    logger.checkpoint();
    await expect
      .poll(() => worker.drain({ timeoutMs: 10_000 }).catch(() => false), { timeout: 30_000 })
      .toBe(true);
    const sizes = await expectChainMatchesLocal(c, logger);
    expect(sizes.at(-1)).toBe(logger.store.stream(STREAM).size);
  });
});
