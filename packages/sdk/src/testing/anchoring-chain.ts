/**
 * Test helpers for the anchorer: an in-process Hardhat chain with a deployed registry and a registered
 * stream, loggers on temporary stores, a manual clock, and the checks that the chain matches the log.
 */
/**
 * The anchorer against Hardhat's in-process network (EDR), with real SQLite files: anchors land and
 * match the local roots, manifests chain, restarts resume, an unreachable chain only grows the backlog,
 * a checkpoint already on chain is recognised, a reorg that drops an anchor is detected and re-submitted,
 * the fee cap holds, receipts verify offline and on chain, and an ethers signer can anchor.
 */

import {
  createRegistryReader,
  deployRegistry,
  encodeStreamId,
  genesisHead,
  grantAnchorer,
  recomputeChainedHead,
  registerStream,
} from "@ancora/contracts";
import {
  type BlockCid,
  decodeManifest,
  manifestCidFromDigest,
  manifestDigest,
  parseBlockCid,
} from "@ancora/core";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { network } from "hardhat";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  type Hex,
  HttpRequestError,
  type PublicClient,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { expect } from "vitest";
import { type AnchoredCheckpoint, getManifestBytes } from "../anchoring/anchor-store.js";
import { type Anchorer, createAnchorer } from "../anchoring/anchorer.js";
import type { AnchorerOptions, AnchorWalletClient } from "../anchoring/anchorer-options.js";
import { connectionOf } from "../internal/store-handle.js";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { CONFIG, DEV_KEY_1, DEV_KEY_2, MODEL, tempStore } from "./fixtures.js";

export const STREAM = "loans";

export interface Chain {
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
  admin: AnchorWalletClient;
}

export async function adminWallet(
  viem: Awaited<ReturnType<typeof network.create>>["viem"],
): Promise<AnchorWalletClient> {
  const [admin] = await viem.getWalletClients();
  if (admin === undefined) throw new Error("no wallet");
  return admin as unknown as AnchorWalletClient;
}

export async function chain(): Promise<Chain> {
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

export function walletFor(c: Chain, key: Hex = DEV_KEY_1): AnchorWalletClient {
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

/** Temporary stores to remove after the test. */
export const temps: Array<{ cleanup: () => void }> = [];
/** Loggers to close after the test. */
export const loggers: ProvenanceLogger[] = [];
/** Anchorers to stop after the test. */
export const anchorers: Anchorer[] = [];
/** Closes the anchorers and loggers a test made and removes its files: `afterEach(cleanUpAnchoring)`. */
export async function cleanUpAnchoring(): Promise<void> {
  for (const a of anchorers.splice(0)) await a.stop();
  for (const l of loggers.splice(0)) await l.close().catch(() => undefined);
  for (const t of temps.splice(0)) t.cleanup();
}

export function newLogger(path?: string): ProvenanceLogger {
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
export function manualClock(start = Date.now()) {
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
export function dueAt(logger: ProvenanceLogger, stream = STREAM): number {
  return connectionOf(logger.store)
    .prepare(
      `SELECT o.next_attempt_at FROM outbox o JOIN streams s ON s.id = o.stream_id
         WHERE o.done_at IS NULL AND o.kind = 'anchor' AND s.name = ? ORDER BY o.id LIMIT 1`,
    )
    .pluck()
    .get(stream) as number;
}

/** Ticks, mines and moves the clock a second per round until the outbox has no anchor job left. */
export async function settleWithClock(
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

export async function log(logger: ProvenanceLogger, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      logger.record({ features: { i }, output: { ok: i % 2 }, score: (i % 10) / 10 }),
    ),
  );
}

export function anchorerFor(
  c: Chain,
  logger: ProvenanceLogger,
  extra: Partial<AnchorerOptions> = {},
): Anchorer {
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
export async function settle(c: Chain, anchorer: Anchorer, maxRounds = 200): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    await anchorer.tick();
    if (anchorer.backlog().jobs === 0) return;
    await c.mine();
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`backlog did not drain: ${JSON.stringify(anchorer.backlog())}`);
}

/** Every anchor event of the stream equals the local root at its size, each size once. */
export async function expectChainMatchesLocal(c: Chain, logger: ProvenanceLogger): Promise<number[]> {
  const reader = createRegistryReader(c.publicClient, c.registry);
  const history = await reader.verifyHistory(encodeStreamId(STREAM));
  const sizes = history.anchors.map((e) => Number(e.treeSize));
  expect(new Set(sizes).size).toBe(sizes.length);
  let previousManifest: string | undefined;
  let previousSize = 0;
  for (const event of history.anchors) {
    const size = Number(event.treeSize);
    expect(toHex(logger.store.consistencyProof(STREAM, size, size).root2)).toBe(event.root);
    const cid = manifestCidFromDigest(Buffer.from(event.manifestDigest.slice(2), "hex")).toString();
    // The anchor names its last manifest; a longer range is split in several, chained through prev,
    // the first of them linking to the previous anchor's.
    let at: string | undefined = cid;
    let end = size;
    for (;;) {
      const bytes = getManifestBytes(connectionOf(logger.store), at as string);
      expect(bytes, `manifest ${at}`).toBeDefined();
      const manifest = decodeManifest(bytes as Uint8Array);
      expect(manifest.size).toBe(end);
      if (end === size) expect(toHex(manifest.root)).toBe(event.root);
      for (const [i, record] of manifest.records.entries()) {
        expect(record.toString()).toBe(logger.store.get(STREAM, manifest.from + i)?.cid);
      }
      end = manifest.from;
      at = manifest.prev?.toString();
      if (end === previousSize) break;
      expect(end).toBeGreaterThan(previousSize);
    }
    expect(at).toBe(previousManifest);
    previousSize = size;
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
export async function expectLocalLinksReplay(
  c: Chain,
  confirmed: AnchoredCheckpoint[],
  head: Hex,
): Promise<void> {
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
export async function twoStreamsCheckpointed() {
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
