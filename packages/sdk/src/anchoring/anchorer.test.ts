/**
 * The anchorer against Hardhat's in-process network (EDR), with real SQLite files: anchors land and
 * match the local roots, manifests chain, restarts resume, an unreachable chain only grows the backlog,
 * a checkpoint already on chain is recognised, a reorg that drops an anchor is detected and re-submitted,
 * the fee cap holds, receipts verify offline and on chain, and an ethers signer can anchor.
 */
import {
  anchorCheckpoint,
  createRegistryReader,
  deployRegistry,
  encodeStreamId,
  genesisHead,
  grantAnchorer,
  provenanceRegistryAbi,
  recomputeChainedHead,
  registerStream,
  retireStream,
} from "@ancora/contracts";
import {
  type BlockCid,
  decodeManifest,
  hashLeaf,
  MAX_MANIFEST_RECORDS,
  manifestCidFromDigest,
  manifestDigest,
  parseBlockCid,
  receiptFromJSON,
  receiptToJSON,
  verifyConsistency,
  verifyReceiptOffline,
} from "@ancora/core";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { Wallet } from "ethers";
import { network } from "hardhat";
import {
  type AbiFunction,
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  getAbiItem,
  type Hex,
  HttpRequestError,
  hexToBytes,
  http,
  type PublicClient,
  toFunctionSelector,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterEach, describe, expect, it } from "vitest";
import { connectionOf } from "../internal/store-handle.js";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { openStore } from "../store.js";
import { CONFIG, DEV_KEY_1, DEV_KEY_2, MODEL, tempStore } from "../testing/fixtures.js";
import { type AnchoredCheckpoint, getManifestBytes } from "./anchor-store.js";
import { type Anchorer, createAnchorer } from "./anchorer.js";
import type { AnchorErrorContext, AnchorerOptions, Recovery } from "./anchorer-options.js";
import { ethersSignerToAccount } from "./ethers-account.js";

const STREAM = "loans";

interface Chain {
  provider: { request(args: { method: string; params?: unknown }): Promise<unknown> };
  publicClient: PublicClient;
  registry: Address;
  /** Clients over a transport that can be switched off (the chain "goes down"). */
  /** A public client over the same chain that can be made unreachable, or to revert chosen calls. */
  flaky: {
    publicClient: PublicClient;
    down: boolean;
    revertCall?: (data: string) => boolean;
    /** Methods that fail as a transport error while the others answer (a flaky provider). */
    failMethod?: ((method: string) => boolean) | undefined;
    /** `eth_call`s (by their data) that fail as viem's HTTP transport fails: a connection the node closed. */
    dropCall?: ((data: string) => boolean) | undefined;
  };
  mine(blocks?: number): Promise<void>;
  admin: Awaited<ReturnType<typeof adminWallet>>;
}

async function adminWallet(viem: Awaited<ReturnType<typeof network.create>>["viem"]) {
  const [admin] = await viem.getWalletClients();
  if (admin === undefined) throw new Error("no wallet");
  return admin;
}

async function chain(): Promise<Chain> {
  const { viem, provider } = await network.create();
  const publicClient = (await viem.getPublicClient()) as unknown as PublicClient;
  const admin = await adminWallet(viem);
  const { address: registry } = await deployRegistry(admin, publicClient, { admin: admin.account.address });
  await registerStream(admin, publicClient, {
    registry,
    streamId: encodeStreamId(STREAM),
    metadata: '{"name":"loans"}',
  });
  for (const key of [DEV_KEY_1, DEV_KEY_2]) {
    await grantAnchorer(admin, publicClient, { registry, account: privateKeyToAccount(key).address });
  }
  const flaky = { down: false } as Chain["flaky"];
  const transport = custom(
    {
      async request({ method, params }) {
        if (flaky.down || flaky.failMethod?.(method))
          throw new Error("connect ECONNREFUSED 127.0.0.1:8545 https://user:secret@rpc.example/key");
        const data = (params as Array<{ data?: string }> | undefined)?.[0]?.data;
        if (method === "eth_call" && data !== undefined && flaky.dropCall?.(data)) {
          throw new HttpRequestError({
            url: "https://user:secret@rpc.example/key",
            details: "other side closed",
          });
        }
        if (method === "eth_call" && data !== undefined && flaky.revertCall?.(data)) {
          throw new Error("execution reverted");
        }
        return provider.request({ method, params });
      },
    },
    { retryCount: 0 },
  );
  flaky.publicClient = createPublicClient({ chain: hardhat, transport }) as PublicClient;
  return {
    provider,
    publicClient,
    registry,
    flaky,
    admin,
    mine: async (blocks = 1) => {
      await provider.request({ method: "hardhat_mine", params: [toHex(blocks)] });
    },
  };
}

function walletFor(c: Chain, key: Hex = DEV_KEY_1) {
  const transport = custom(
    {
      async request({ method, params }) {
        if (c.flaky.down || c.flaky.failMethod?.(method)) throw new Error("connect ECONNREFUSED");
        return c.provider.request({ method, params });
      },
    },
    { retryCount: 0 },
  );
  return createWalletClient({ account: privateKeyToAccount(key), chain: hardhat, transport });
}

const temps: Array<{ cleanup: () => void }> = [];
const loggers: ProvenanceLogger[] = [];
const anchorers: Anchorer[] = [];
afterEach(async () => {
  for (const a of anchorers.splice(0)) await a.stop();
  for (const l of loggers.splice(0)) await l.close().catch(() => undefined);
  for (const t of temps.splice(0)) t.cleanup();
});

function newLogger(path?: string): ProvenanceLogger {
  let p = path;
  if (p === undefined) {
    const temp = tempStore();
    temps.push(temp);
    p = temp.path;
  }
  const logger = createLogger({ path: p, stream: STREAM, model: MODEL, commitment: "plain" });
  loggers.push(logger);
  if (logger.config() === undefined) logger.setConfig(CONFIG);
  return logger;
}

/**
 * A clock the test moves by hand, from the real time (the store dates its jobs with its own clock):
 * backoff and recovery are asserted on schedules, never on wall time.
 */
function manualClock(start = Date.now()) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = Math.max(t, ms);
    },
  };
}

/** When the stream's oldest unfinished anchor job is next tried (ms since the epoch). */
function dueAt(logger: ProvenanceLogger, stream = STREAM): number {
  return connectionOf(logger.store)
    .prepare(
      `SELECT o.next_attempt_at FROM outbox o JOIN streams s ON s.id = o.stream_id
         WHERE o.done_at IS NULL AND o.kind = 'anchor' AND s.name = ? ORDER BY o.id LIMIT 1`,
    )
    .pluck()
    .get(stream) as number;
}

/** Ticks, mines and moves the clock a second per round until the outbox has no anchor job left. */
async function settleWithClock(
  c: Chain,
  anchorer: Anchorer,
  clock: ReturnType<typeof manualClock>,
): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await anchorer.tick();
    if (anchorer.backlog().jobs === 0) return;
    await c.mine();
    clock.advance(1_000);
  }
  throw new Error(`backlog did not drain: ${JSON.stringify(anchorer.backlog())}`);
}

async function log(logger: ProvenanceLogger, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      logger.record({ features: { i }, output: { ok: i % 2 }, score: (i % 10) / 10 }),
    ),
  );
}

function anchorerFor(c: Chain, logger: ProvenanceLogger, extra: Partial<AnchorerOptions> = {}): Anchorer {
  const anchorer = createAnchorer({
    store: logger.store,
    streams: STREAM,
    registry: c.registry,
    publicClient: c.flaky.publicClient,
    walletClient: walletFor(c),
    policy: { everyRecords: 100, everyMs: 3_600_000 },
    confirmations: 2,
    backoff: { baseMs: 1, maxMs: 5 },
    pollIntervalMs: 1,
    ...extra,
  });
  anchorers.push(anchorer);
  return anchorer;
}

/** Ticks and mines until the outbox has no anchor job left. */
async function settle(c: Chain, anchorer: Anchorer, maxRounds = 200): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    await anchorer.tick();
    if (anchorer.backlog().jobs === 0) return;
    await c.mine();
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`backlog did not drain: ${JSON.stringify(anchorer.backlog())}`);
}

/** Every anchor event of the stream equals the local root at its size, each size once. */
async function expectChainMatchesLocal(c: Chain, logger: ProvenanceLogger): Promise<number[]> {
  const reader = createRegistryReader(c.publicClient, c.registry);
  const history = await reader.verifyHistory(encodeStreamId(STREAM));
  const sizes = history.anchors.map((e) => Number(e.treeSize));
  expect(new Set(sizes).size).toBe(sizes.length);
  let previousManifest: string | undefined;
  for (const event of history.anchors) {
    const size = Number(event.treeSize);
    expect(toHex(logger.store.consistencyProof(STREAM, size, size).root2)).toBe(event.root);
    const cid = manifestCidFromDigest(Buffer.from(event.manifestDigest.slice(2), "hex")).toString();
    const bytes = getManifestBytes(connectionOf(logger.store), cid);
    expect(bytes, `manifest ${cid}`).toBeDefined();
    const manifest = decodeManifest(bytes as Uint8Array);
    expect(manifest.size).toBe(size);
    expect(toHex(manifest.root)).toBe(event.root);
    expect(manifest.prev?.toString()).toBe(previousManifest);
    for (const [i, record] of manifest.records.entries()) {
      expect(record.toString()).toBe(logger.store.get(STREAM, manifest.from + i)?.cid);
    }
    previousManifest = cid;
  }
  const confirmed = logger.store.anchors(STREAM).filter((a) => a.status === "confirmed");
  expect(confirmed.map((a) => a.size)).toStrictEqual(sizes);
  await expectLocalLinksReplay(c, confirmed, history.head);
  return sizes;
}

/**
 * The local log's confirmed anchors alone (schema v3 link fields) replay to the chained head in the
 * registry's state: the history is provable without the node's event logs.
 */
async function expectLocalLinksReplay(c: Chain, confirmed: AnchoredCheckpoint[], head: Hex): Promise<void> {
  const links = confirmed.map((a) => {
    expect(a.sequence, `link fields of size ${a.size}`).not.toBeNull();
    return {
      sequence: BigInt(a.sequence ?? -1),
      treeSize: BigInt(a.size),
      root: toHex(a.root),
      manifestDigest: toHex(manifestDigest(parseBlockCid(a.manifestCid) as BlockCid)),
      anchorer: (a.anchorer ?? "0x") as Address,
      blockNumber: BigInt(a.blockNumber ?? -1),
      consistencyChecked: a.consistencyChecked ?? false,
    };
  });
  const start = genesisHead({
    chainId: await c.publicClient.getChainId(),
    registry: c.registry,
    streamId: encodeStreamId(STREAM),
  });
  expect(recomputeChainedHead(start, links)).toBe(head);
}

/** A chain with "loans" and "cards" registered, and one store where each has a checkpoint to anchor. */
async function twoStreamsCheckpointed() {
  const c = await chain();
  await registerStream(c.admin, c.publicClient, {
    registry: c.registry,
    streamId: encodeStreamId("cards"),
    metadata: "cards",
  });
  const temp = tempStore();
  temps.push(temp);
  const loans = createLogger({ path: temp.path, stream: "loans", model: MODEL, commitment: "plain" });
  const cards = createLogger({ path: temp.path, stream: "cards", model: MODEL, commitment: "plain" });
  for (const l of [loans, cards]) {
    l.setConfig(CONFIG);
    await l.record({ features: { a: 1 }, output: 1, score: 0.9 });
    l.checkpoint();
  }
  return { c, loans, cards };
}

describe("anchorer", () => {
  it("anchors every 100 records; on-chain checkpoints equal the local roots; manifests chain", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger);
    for (let i = 0; i < 20; i++) {
      await log(logger, 50);
      await anchorer.tick();
      await c.mine();
    }
    await settle(c, anchorer);
    // The tail (< 100 records) waits for the time policy; checkpoint it by hand.
    logger.checkpoint();
    await settle(c, anchorer);
    const sizes = await expectChainMatchesLocal(c, logger);
    expect(sizes.length).toBeGreaterThanOrEqual(10);
    expect(sizes.at(-1)).toBe(logger.store.stream(STREAM).size);
    expect(anchorer.backlog().streams[0]?.unanchoredRecords).toBe(0);
    expect(logger.store.checkpoints(STREAM).map((cp) => cp.size)).toStrictEqual(sizes);
  });

  it("splits a range longer than one manifest into chained manifests; only the last is anchored", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { policy: false });
    await log(logger, MAX_MANIFEST_RECORDS + 100);
    const checkpoint = logger.checkpoint();
    await settle(c, anchorer);
    const [anchor] = logger.store.anchors(STREAM);
    const db = connectionOf(logger.store);
    const last = decodeManifest(getManifestBytes(db, anchor?.manifestCid ?? "") ?? new Uint8Array());
    expect(last.size).toBe(checkpoint.size);
    expect(last.from).toBe(MAX_MANIFEST_RECORDS);
    const first = decodeManifest(getManifestBytes(db, last.prev?.toString() ?? "") ?? new Uint8Array());
    expect(first).toMatchObject({ from: 0, size: MAX_MANIFEST_RECORDS });
    expect(first.prev).toBeUndefined();
    expect(toHex(first.root)).toBe(
      toHex(logger.store.consistencyProof(STREAM, MAX_MANIFEST_RECORDS, MAX_MANIFEST_RECORDS).root2),
    );
    const history = await createRegistryReader(c.publicClient, c.registry).anchorHistory(
      encodeStreamId(STREAM),
    );
    expect(history.map((e) => Number(e.treeSize))).toStrictEqual([checkpoint.size]);
    expect(history[0]?.root).toBe(toHex(checkpoint.root));
  });

  it("receipts verify offline and with the contract's verifyInclusion view", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger);
    await log(logger, 30);
    expect(() => logger.receipt(5)).toThrow(expect.objectContaining({ code: "NOT_ANCHORED" }));
    logger.checkpoint();
    await settle(c, anchorer);
    const size = logger.store.stream(STREAM).size;
    for (const seq of [0, 5, size - 1]) {
      const receipt = logger.receipt(seq);
      expect(verifyReceiptOffline(receipt).ok).toBe(true);
      expect(
        verifyReceiptOffline(receiptFromJSON(JSON.parse(JSON.stringify(receiptToJSON(receipt))))).ok,
      ).toBe(true);
      expect(receipt.anchor.registry).toBe(c.registry.toLowerCase());
      const tx = await c.publicClient.getTransactionReceipt({ hash: receipt.anchor.txHash as Hex });
      expect(Number(tx.blockNumber)).toBe(receipt.anchor.blockNumber);
      const onChain = await createRegistryReader(c.publicClient, c.registry).verifyInclusion(
        encodeStreamId(STREAM),
        {
          leafHash: toHex(hashLeaf(receipt.cid.bytes)),
          index: BigInt(seq),
          treeSize: BigInt(receipt.checkpoint.size),
          auditPath: receipt.proof.map((h) => toHex(h)),
        },
      );
      expect(onChain).toBe(true);
    }
    await log(logger, 3);
    expect(() => logger.receipt(size)).toThrow(expect.objectContaining({ code: "NOT_ANCHORED" }));
  });

  it("keeps logging while the chain is down, reporting the outage once per backoff step; on return one transaction anchors the backlog", async () => {
    const c = await chain();
    const logger = newLogger();
    const errors: Array<{ error: unknown; context: AnchorErrorContext }> = [];
    const recoveries: Recovery[] = [];
    const clock = manualClock();
    const anchorer = anchorerFor(c, logger, {
      onError: (error, context) => errors.push({ error, context }),
      onRecovered: (r) => recoveries.push(r),
      now: clock.now,
      random: () => 0,
      pollIntervalMs: 1_000,
      backoff: { baseMs: 1_000, maxMs: 300_000 },
      confirmations: 1,
    });
    await log(logger, 120);
    await settleWithClock(c, anchorer, clock);
    c.flaky.down = true;
    // A minute of outage, one pass a second, a checkpoint every 100 records.
    for (let i = 0; i < 60; i++) {
      if (i % 12 === 0) await log(logger, 100); // never blocked by the chain
      clock.advance(1_000);
      await anchorer.tick();
    }
    const backlog = anchorer.backlog();
    expect(backlog.jobs).toBe(5);
    // The jobs were not tried while the probe failed, so none has grown a backoff.
    expect(backlog.failingJobs).toBe(0);
    expect(backlog.lastError).not.toMatch(/secret|https?:/);
    // Reported at passes 0, 1, 2, 4, 8, 16, 32 (steps of baseMs·2^n/2 with no jitter), not 60 times.
    expect(errors.map((e) => e.context.nextAttemptAt)).toHaveLength(7);
    const reportedAt = errors.map((e) => Date.parse(e.context.nextAttemptAt as string) - 1_000);
    const gaps = reportedAt.slice(1).map((t, i) => t - (reportedAt[i] as number));
    expect(gaps).toStrictEqual([...gaps].sort((a, b) => a - b));
    expect(gaps.at(-1)).toBeGreaterThan(gaps[0] as number);
    for (const { error } of errors) {
      expect(error).toMatchObject({ code: "ANCHOR_CHAIN_UNAVAILABLE", hint: expect.any(String) });
      expect(`${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause)}`).not.toMatch(
        /secret|https?:/,
      );
    }
    expect(recoveries).toHaveLength(0);
    c.flaky.down = false;
    clock.advance(1_000);
    const first = await anchorer.tick();
    // The first pass after the chain returns anchors the newest checkpoint, covering the four before it.
    expect(first).toMatchObject({ submitted: 1, superseded: 4, failed: 0 });
    expect(recoveries).toStrictEqual([
      { service: "chain", unreachableMs: 60_000, jobs: 5, unanchoredRecords: 500 },
    ]);
    await settleWithClock(c, anchorer, clock);
    const sizes = await expectChainMatchesLocal(c, logger);
    const checkpoints = logger.store.checkpoints(STREAM).map((cp) => cp.size);
    expect(checkpoints).toHaveLength(6);
    expect(sizes).toStrictEqual([checkpoints[0], checkpoints.at(-1)]);
    // Every checkpoint in between is provable against the root the coalesced anchor put on chain.
    const state = await createRegistryReader(c.publicClient, c.registry).streamState(encodeStreamId(STREAM));
    const last = Number(state.treeSize);
    for (const checkpoint of logger.store.checkpoints(STREAM).slice(1, -1)) {
      const { proof } = logger.store.consistencyProof(STREAM, checkpoint.size, last);
      const input = { size1: checkpoint.size, size2: last, root1: checkpoint.root, proof };
      expect(verifyConsistency({ ...input, root2: hexToBytes(state.root) })).toBe(true);
      expect(verifyConsistency({ ...input, root2: new Uint8Array(32) })).toBe(false);
    }
  });

  it("after an outage, a job backed off by earlier failures is tried at once, not after its grown delay", async () => {
    const c = await chain();
    const logger = newLogger();
    const clock = manualClock();
    const anchorer = anchorerFor(c, logger, {
      now: clock.now,
      random: () => 0,
      pollIntervalMs: 1_000,
      backoff: { baseMs: 1_000, maxMs: 300_000 },
    });
    await log(logger, 10);
    logger.checkpoint();
    // The provider answers reads but drops every transaction: the job fails and backs off, six times.
    c.flaky.failMethod = (method) => method === "eth_sendRawTransaction";
    for (let i = 0; i < 6; i++) {
      const due = dueAt(logger);
      clock.set(due);
      expect(await anchorer.tick()).toMatchObject({ failed: 1 });
    }
    const waitedMs = dueAt(logger) - clock.now();
    expect(waitedMs).toBe(16_000); // the sixth failure's 2^5 s, halved by the (zero) jitter
    // Now the chain goes away and comes back: the probe sees both.
    c.flaky.failMethod = undefined;
    c.flaky.down = true;
    clock.advance(1_000);
    expect(await anchorer.tick()).toMatchObject({ submitted: 0, failed: 0 });
    c.flaky.down = false;
    clock.advance(1_000);
    expect(dueAt(logger) - clock.now()).toBeGreaterThan(0); // still backed off before the probe
    expect(await anchorer.tick()).toMatchObject({ submitted: 1, failed: 0 });
  });

  it("a new anchorer on a store left backed off by an outage tries its jobs at once; a revert keeps its backoff", async () => {
    const { c, loans, cards } = await twoStreamsCheckpointed();
    const clock = manualClock();
    const options = {
      streams: ["loans", "cards"],
      now: clock.now,
      random: () => 0,
      pollIntervalMs: 1_000,
      backoff: { baseMs: 60_000, maxMs: 300_000 },
    } as const;
    const old = anchorerFor(c, loans, options);
    // "cards" is retired (a typed failure an outage does not explain), "loans" cannot be sent: both
    // back off for at least 30 s.
    await retireStream(c.admin, c.publicClient, { registry: c.registry, streamId: encodeStreamId("cards") });
    c.flaky.failMethod = (method) => method === "eth_sendRawTransaction";
    expect(await old.tick()).toMatchObject({ failed: 2 });
    await old.stop();
    c.flaky.failMethod = undefined;
    clock.advance(1_000);
    const fresh = anchorerFor(c, cards, options);
    const tick = await fresh.tick();
    expect(tick).toMatchObject({ submitted: 1, failed: 0 });
    expect(loans.store.anchors("loans")).toHaveLength(1);
    expect(cards.store.anchors("cards")).toHaveLength(0);
    const reverted = dueAt(cards, "cards") - clock.now();
    expect(reverted).toBeGreaterThan(20_000);
  });

  it("a pass that confirms a stream's anchor in flight sends the stream's next one in the same pass", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { confirmations: 1, policy: false });
    await log(logger, 10);
    logger.checkpoint();
    expect(await anchorer.tick()).toMatchObject({ submitted: 1 });
    await log(logger, 10);
    logger.checkpoint();
    await new Promise((r) => setTimeout(r, 5)); // past pollIntervalMs (1 ms): the anchor is looked at again
    const calls = new Map<string, number>();
    c.flaky.failMethod = (method) => {
      calls.set(method, (calls.get(method) ?? 0) + 1);
      return false;
    };
    expect(await anchorer.tick()).toMatchObject({ confirmed: 1, submitted: 1, failed: 0 });
    // The head is read once a pass (the probe's answer also counts the confirmations).
    expect(calls.get("eth_blockNumber")).toBe(1);
    c.flaky.failMethod = undefined;
    await settle(c, anchorer);
    const checkpoints = logger.store.checkpoints(STREAM).map((cp) => cp.size);
    expect(checkpoints).toHaveLength(2);
    expect(await expectChainMatchesLocal(c, logger)).toStrictEqual(checkpoints);
  });

  it("a simulation the transport drops is retried once; dropped twice it is the chain unavailable, not a revert", async () => {
    const c = await chain();
    const logger = newLogger();
    const errors: unknown[] = [];
    const anchorer = anchorerFor(c, logger, { onError: (e) => errors.push(e), policy: false });
    const selector = toFunctionSelector(
      getAbiItem({ abi: provenanceRegistryAbi, name: "anchorWithConsistency" }) as AbiFunction,
    );
    let drops = 2;
    let dropped = 0;
    c.flaky.dropCall = (data) => {
      if (!data.startsWith(selector) || drops === 0) return false;
      drops--;
      dropped++;
      return true;
    };
    logger.checkpoint();
    expect(await anchorer.tick()).toMatchObject({ submitted: 0, failed: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "ANCHOR_CHAIN_UNAVAILABLE" });
    expect(JSON.stringify(errors[0])).not.toMatch(/secret|https?:/);
    drops = 1; // the keep-alive connection closed once: the retry goes through
    await new Promise((r) => setTimeout(r, 10)); // past the job's backoff (1–5 ms here)
    expect(await anchorer.tick()).toMatchObject({ submitted: 1, failed: 0 });
    expect(dropped).toBe(3);
  });

  it("a dead RPC URL fails fast and leaves the jobs queued", async () => {
    const c = await chain();
    const logger = newLogger();
    const dead = createPublicClient({
      chain: hardhat,
      transport: http("http://127.0.0.1:1", { retryCount: 0 }),
    });
    const anchorer = anchorerFor(c, logger, { publicClient: dead as PublicClient });
    logger.checkpoint();
    const started = Date.now();
    await anchorer.tick();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(anchorer.backlog().jobs).toBe(1);
    expect(anchorer.backlog().lastError).not.toMatch(/127\.0\.0\.1:1/);
  });

  it("resumes after a restart with a transaction in flight, and anchors it once", async () => {
    const c = await chain();
    const temp = tempStore();
    temps.push(temp);
    const logger = newLogger(temp.path);
    const first = anchorerFor(c, logger);
    await log(logger, 10);
    logger.checkpoint();
    const tick = await first.tick();
    expect(tick.submitted).toBe(1);
    await first.stop();
    await logger.close();
    // A new process: the store from the file, a new anchorer (with a fresh nonce manager).
    const store = openStore({ path: temp.path });
    try {
      const second = createAnchorer({
        store,
        streams: STREAM,
        registry: c.registry,
        publicClient: c.flaky.publicClient,
        walletClient: walletFor(c),
        policy: false,
        confirmations: 2,
        pollIntervalMs: 1,
      });
      anchorers.push(second);
      expect(second.backlog().jobs).toBe(1);
      await settle(c, second);
      const anchors = store.anchors(STREAM);
      expect(anchors).toHaveLength(1);
      expect(anchors[0]).toMatchObject({ status: "confirmed", origin: "submitted" });
      const history = await createRegistryReader(c.publicClient, c.registry).anchorHistory(
        encodeStreamId(STREAM),
      );
      expect(history).toHaveLength(1);
      expect(history[0]?.transactionHash).toBe(anchors[0]?.txHash);
    } finally {
      store.close();
    }
  });

  it("recognises a checkpoint already on chain and does not anchor it again", async () => {
    const c = await chain();
    const logger = newLogger();
    await log(logger, 10);
    const checkpoint = logger.checkpoint();
    // Another anchorer (the admin's tooling) anchors this very checkpoint first.
    await grantAnchorer(c.admin, c.publicClient, { registry: c.registry, account: c.admin.account.address });
    const tx = await anchorCheckpoint(c.admin, c.publicClient, c.registry, {
      streamId: encodeStreamId(STREAM),
      treeSize: BigInt(checkpoint.size),
      root: toHex(checkpoint.root),
      manifestDigest: `0x${"11".repeat(32)}`,
      consistencyProof: [],
    });
    const anchorer = anchorerFor(c, logger);
    const results = [];
    for (let i = 0; i < 5 && anchorer.backlog().jobs > 0; i++) {
      results.push(await anchorer.tick());
      await c.mine();
    }
    expect(anchorer.backlog().jobs).toBe(0);
    expect(results.reduce((n, r) => n + r.recognised, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.submitted, 0)).toBe(0);
    const [anchor] = logger.store.anchors(STREAM);
    expect(anchor).toMatchObject({ origin: "recognised", status: "confirmed", txHash: tx.transactionHash });
    // A later checkpoint chains its manifest to the recognised anchor's digest.
    await log(logger, 5);
    logger.checkpoint();
    await settle(c, anchorer);
    const history = await createRegistryReader(c.publicClient, c.registry).anchorHistory(
      encodeStreamId(STREAM),
    );
    expect(history.map((e) => Number(e.treeSize))).toStrictEqual([checkpoint.size, checkpoint.size + 5]);
    const last = logger.store.anchors(STREAM).at(-1);
    const manifest = decodeManifest(
      getManifestBytes(connectionOf(logger.store), last?.manifestCid ?? "") ?? new Uint8Array(),
    );
    expect(manifest.prev?.toString()).toBe(manifestCidFromDigest(new Uint8Array(32).fill(0x11)).toString());
    // The recognised anchor's link fields come from its event: the local history replays to the head.
    const reader = createRegistryReader(c.publicClient, c.registry);
    const head = await reader.chainedHead(encodeStreamId(STREAM));
    const confirmed = logger.store.anchors(STREAM).filter((a) => a.status === "confirmed");
    expect(confirmed[0]).toMatchObject({ anchorer: c.admin.account.address.toLowerCase(), sequence: 0 });
    await expectLocalLinksReplay(c, confirmed, head);
  });

  it("backfills the link fields of anchors recorded before schema v3 from their receipts", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { policy: false });
    for (let i = 0; i < 3; i++) {
      await log(logger, 7);
      logger.checkpoint();
      await settle(c, anchorer);
    }
    const db = connectionOf(logger.store);
    // What a store migrated from v2 holds: confirmed anchors without their link fields.
    db.exec("UPDATE anchors SET sequence = NULL, anchorer = NULL, consistency_checked = NULL");
    expect(logger.store.anchors(STREAM).every((a) => a.sequence === null)).toBe(true);
    await anchorer.tick();
    const confirmed = logger.store.anchors(STREAM).filter((a) => a.status === "confirmed");
    expect(confirmed.map((a) => a.sequence)).toStrictEqual([0, 1, 2]);
    // anchorWithConsistency checks every anchor, the first one against the empty tree.
    expect(confirmed.map((a) => a.consistencyChecked)).toStrictEqual([true, true, true]);
    const head = await createRegistryReader(c.publicClient, c.registry).chainedHead(encodeStreamId(STREAM));
    await expectLocalLinksReplay(c, confirmed, head);
  });

  it("re-reads recent anchors' receipts for reorgs only when the head block changed", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { confirmations: 1, policy: false });
    for (let i = 0; i < 3; i++) {
      await log(logger, 5);
      logger.checkpoint();
      await settle(c, anchorer);
    }
    let receipts = 0;
    c.flaky.failMethod = (method) => {
      if (method === "eth_getTransactionReceipt") receipts++;
      return false;
    };
    // The pass that confirmed the last anchor checked at this head: the same head, no receipt read.
    await anchorer.tick();
    await anchorer.tick();
    expect(receipts).toBe(0);
    await c.mine(); // a new head: every recent anchor is looked at again, once
    await anchorer.tick();
    expect(receipts).toBe(3);
    await anchorer.tick();
    expect(receipts).toBe(3);
  });

  it("detects a reorg that removes a confirmed anchor and re-submits it", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { confirmations: 1 });
    await log(logger, 10);
    const snapshot = await c.provider.request({ method: "evm_snapshot" });
    logger.checkpoint();
    await settle(c, anchorer);
    const before = logger.store.anchors(STREAM)[0];
    expect(before?.status).toBe("confirmed");
    await c.provider.request({ method: "evm_revert", params: [snapshot] });
    const reader = createRegistryReader(c.publicClient, c.registry);
    expect((await reader.latestCheckpoint(encodeStreamId(STREAM))).treeSize).toBe(0n);
    const tick = await anchorer.tick();
    expect(tick.reorged).toBe(1);
    await settle(c, anchorer);
    const after = logger.store.anchors(STREAM)[0];
    expect(after?.status).toBe("confirmed");
    const latest = await reader.latestCheckpoint(encodeStreamId(STREAM));
    expect(Number(latest.treeSize)).toBe(before?.size);
    expect(latest.root).toBe(toHex(before?.root ?? new Uint8Array()));
    expect(await reader.anchorHistory(encodeStreamId(STREAM))).toHaveLength(1);
  });

  it("replaces a transaction stuck in the mempool with the same nonce and higher fees, and anchors once", async () => {
    const c = await chain();
    const logger = newLogger();
    await log(logger, 10);
    const checkpoint = logger.checkpoint();
    let now = Date.now() + 1_000; // the anchor job is due from the checkpoint's (real) time
    const anchorer = anchorerFor(c, logger, { policy: false, replaceAfterMs: 60_000, now: () => now });
    // Nothing is mined until we say so: the transaction sits in the mempool like one priced too low.
    await c.provider.request({ method: "evm_setAutomine", params: [false] });
    let first: AnchoredCheckpoint | undefined;
    let replacement: AnchoredCheckpoint | undefined;
    try {
      expect((await anchorer.tick()).submitted).toBe(1);
      first = logger.store.anchors(STREAM)[0];
      expect(first?.status).toBe("submitted");
      const pending = await c.publicClient.getTransaction({ hash: first?.txHash as Hex });
      expect(pending.blockNumber).toBeNull();
      now += 1_000; // before replaceAfterMs: keep waiting, send nothing
      const waiting = await anchorer.tick();
      expect(waiting.submitted + waiting.confirmed).toBe(0);
      expect(logger.store.anchors(STREAM)[0]?.txHash).toBe(first?.txHash);
      now += 60_000;
      await anchorer.tick();
      replacement = logger.store.anchors(STREAM)[0];
      expect(replacement?.txHash).not.toBe(first?.txHash);
      expect(replacement?.nonce).toBe(first?.nonce);
      const bumped = await c.publicClient.getTransaction({ hash: replacement?.txHash as Hex });
      expect(bumped.nonce).toBe(pending.nonce);
      expect(bumped.maxFeePerGas ?? 0n).toBeGreaterThan(pending.maxFeePerGas ?? 0n);
      expect(bumped.maxPriorityFeePerGas ?? 0n).toBeGreaterThan(pending.maxPriorityFeePerGas ?? 0n);
    } finally {
      await c.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    await c.mine();
    for (let i = 0; i < 20 && anchorer.backlog().jobs > 0; i++) {
      now += 1_000;
      await anchorer.tick();
      await c.mine();
    }
    expect(anchorer.backlog().jobs).toBe(0);
    const history = await createRegistryReader(c.publicClient, c.registry).anchorHistory(
      encodeStreamId(STREAM),
    );
    expect(history.map((e) => [Number(e.treeSize), e.transactionHash])).toStrictEqual([
      [checkpoint.size, replacement?.txHash],
    ]);
    expect(logger.store.anchors(STREAM)).toMatchObject([
      { status: "confirmed", txHash: replacement?.txHash },
    ]);
  });

  it("anchors a backlog of several streams in one anchorBatch transaction", async () => {
    const c = await chain();
    const streams = ["loans", "cards", "mortgages"];
    for (const name of streams.slice(1)) {
      await registerStream(c.admin, c.publicClient, {
        registry: c.registry,
        streamId: encodeStreamId(name),
        metadata: name,
      });
    }
    const temp = tempStore();
    temps.push(temp);
    const loggers = streams.map((stream) => {
      const l = createLogger({ path: temp.path, stream, model: MODEL, commitment: "plain" });
      l.setConfig(CONFIG);
      return l;
    });
    for (const l of loggers) {
      await l.record({ features: { a: 1 }, output: 1, score: 0.9 });
      l.checkpoint();
    }
    const anchorer = createAnchorer({
      store: loggers[0]?.store as ProvenanceLogger["store"],
      streams,
      registry: c.registry,
      publicClient: c.flaky.publicClient,
      walletClient: walletFor(c),
      policy: false,
      confirmations: 1,
      pollIntervalMs: 1,
    });
    anchorers.push(anchorer);
    const first = await anchorer.tick();
    expect(first.submitted).toBe(3);
    const rows = streams.map((s) => loggers[0]?.store.anchors(s)[0]);
    const txHashes = new Set(rows.map((r) => r?.txHash));
    expect(txHashes.size).toBe(1); // one transaction for the three streams
    await settle(c, anchorer);
    const reader = createRegistryReader(c.publicClient, c.registry);
    for (const [i, stream] of streams.entries()) {
      const history = await reader.verifyHistory(encodeStreamId(stream));
      expect(history.anchors.map((a) => [Number(a.treeSize), a.transactionHash])).toStrictEqual([
        [loggers[i]?.store.stream(stream).size, rows[i]?.txHash],
      ]);
      expect(loggers[0]?.store.anchors(stream)[0]).toMatchObject({ status: "confirmed", sequence: 0 });
    }
    for (const l of loggers) await l.close();
  });

  it("sends each anchor on its own when a batch's simulation reverts", async () => {
    const { c, loans, cards } = await twoStreamsCheckpointed();
    const batchSelector = toFunctionSelector(
      getAbiItem({ abi: provenanceRegistryAbi, name: "anchorBatch" }) as AbiFunction,
    );
    c.flaky.revertCall = (data) => data.startsWith(batchSelector);
    const anchorer = createAnchorer({
      store: loans.store,
      streams: ["loans", "cards"],
      registry: c.registry,
      publicClient: c.flaky.publicClient,
      walletClient: walletFor(c),
      policy: false,
      confirmations: 1,
      pollIntervalMs: 1,
    });
    anchorers.push(anchorer);
    expect((await anchorer.tick()).submitted).toBe(2);
    const [loan] = loans.store.anchors("loans");
    const [card] = loans.store.anchors("cards");
    expect(loan?.txHash).not.toBe(card?.txHash);
    await settle(c, anchorer);
    expect([...loans.store.anchors("loans"), ...loans.store.anchors("cards")]).toMatchObject([
      { status: "confirmed" },
      { status: "confirmed" },
    ]);
    for (const l of [loans, cards]) await l.close();
  });

  it("a retired stream does not hold back the other streams' anchors", async () => {
    const { c, loans, cards } = await twoStreamsCheckpointed();
    // "cards" is retired on chain: anchoring it reverts, which would revert a batch with "loans" in it.
    await retireStream(c.admin, c.publicClient, { registry: c.registry, streamId: encodeStreamId("cards") });
    const errors: string[] = [];
    const anchorer = createAnchorer({
      store: loans.store,
      streams: ["loans", "cards"],
      registry: c.registry,
      publicClient: c.flaky.publicClient,
      walletClient: walletFor(c),
      policy: false,
      confirmations: 1,
      pollIntervalMs: 1,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      onError: (e) => errors.push((e as { code: string }).code),
    });
    anchorers.push(anchorer);
    // Passes until "loans" is confirmed (a loaded machine may need more than the usual two): "cards"
    // backs off for a minute, so it cannot be retried in between.
    for (let round = 0; round < 20; round++) {
      await anchorer.tick();
      if (loans.store.anchors("loans")[0]?.status === "confirmed") break;
      await c.mine();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(loans.store.anchors("loans")).toMatchObject([{ status: "confirmed" }]);
    expect(loans.store.anchors("cards")).toStrictEqual([]);
    expect(errors).toContain("ANCHOR_STREAM_NOT_REGISTERED");
    expect(anchorer.backlog().jobs).toBe(1); // the retired stream's job backs off; nothing is lost
    for (const l of [loans, cards]) await l.close();
  });

  it("waits while the base fee is above the cap", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { maxFeePerGas: 1n });
    logger.checkpoint();
    const tick = await anchorer.tick();
    expect(tick.failed).toBe(1);
    expect(anchorer.backlog().lastError).toMatch(/ANCHOR_FEE_CAP/);
    expect(anchorer.backlog().jobs).toBe(1);
  });

  it("checkpoints after everyMs even below everyRecords", async () => {
    const c = await chain();
    const logger = newLogger();
    let now = Date.now();
    const anchorer = anchorerFor(c, logger, {
      policy: { everyRecords: 1_000, everyMs: 60_000 },
      now: () => now,
    });
    await log(logger, 3);
    expect((await anchorer.tick()).checkpointed).toBe(0);
    now += 61_000;
    expect((await anchorer.tick()).checkpointed).toBe(1);
  });

  it("rejects bad options at construction", () => {
    const base = {
      store: {} as never,
      streams: STREAM,
      registry: "0x0000000000000000000000000000000000000001" as Address,
      publicClient: {} as PublicClient,
      walletClient: walletFor({ flaky: { down: false } } as Chain),
    };
    expect(() => createAnchorer({ ...base, confirmations: 0 })).toThrow(
      expect.objectContaining({ code: "ANCHOR_INVALID_OPTION" }),
    );
    expect(() => createAnchorer({ ...base, streams: [] })).toThrow(
      expect.objectContaining({ code: "ANCHOR_INVALID_OPTION" }),
    );
    expect(() => createAnchorer({ ...base, registry: "0x12" as Address })).toThrow(
      expect.objectContaining({ code: "ANCHOR_INVALID_OPTION" }),
    );
    expect(() => createAnchorer({ ...base, maxFeePerGas: 10n, maxPriorityFeePerGas: 11n })).toThrow(
      expect.objectContaining({ code: "ANCHOR_INVALID_OPTION" }),
    );
  });
});

describe("ethers signer adapter", () => {
  it("signs like the key itself, and anchors through the anchorer", async () => {
    const c = await chain();
    const signer = new Wallet(DEV_KEY_2);
    const account = await ethersSignerToAccount(signer);
    const direct = privateKeyToAccount(DEV_KEY_2);
    expect(account.address).toBe(direct.address);
    expect(await account.signMessage({ message: "hello" })).toBe(
      await direct.signMessage({ message: "hello" }),
    );
    expect(await account.signMessage({ message: { raw: "0x0102" } })).toBe(
      await direct.signMessage({ message: { raw: "0x0102" } }),
    );
    const logger = newLogger();
    await log(logger, 7);
    logger.checkpoint();
    const walletClient = createWalletClient({
      account,
      chain: hardhat,
      transport: custom({ request: (args) => c.provider.request(args) }),
    });
    const anchorer = anchorerFor(c, logger, { walletClient });
    await settle(c, anchorer);
    const [anchor] = logger.store.anchors(STREAM);
    const tx = await c.publicClient.getTransaction({ hash: anchor?.txHash as Hex });
    expect(tx.from.toLowerCase()).toBe(direct.address.toLowerCase());
    expect(tx.type).toBe("eip1559");
    await expectChainMatchesLocal(c, logger);
  });

  it("refuses a signer that signs for another address", async () => {
    const honest = new Wallet(DEV_KEY_1);
    const other = new Wallet(DEV_KEY_2);
    const account = await ethersSignerToAccount({
      getAddress: () => honest.getAddress(),
      signMessage: (m) => honest.signMessage(m),
      signTypedData: (d, t, v) => honest.signTypedData(d, t, v),
      signTransaction: (tx) => other.signTransaction(tx),
    });
    await expect(
      account.signTransaction({
        chainId: 31337,
        nonce: 0,
        gas: 21_000n,
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 1n,
        to: honest.address as Address,
        type: "eip1559",
      }),
    ).rejects.toMatchObject({ code: "ANCHOR_INVALID_OPTION" });
  });
});
