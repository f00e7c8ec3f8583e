/**
 * The anchorer against a real chain: checkpoints anchored with manifests, receipts, restarts, checkpoints
 * already on chain, link backfill, options.
 */
/**
 * The anchorer against Hardhat's in-process network (EDR), with real SQLite files: anchors land and
 * match the local roots, manifests chain, restarts resume, an unreachable chain only grows the backlog,
 * a checkpoint already on chain is recognised, a reorg that drops an anchor is detected and re-submitted,
 * the fee cap holds, receipts verify offline and on chain, and an ethers signer can anchor.
 */
import { anchorCheckpoint, createRegistryReader, encodeStreamId, grantAnchorer } from "@ancora/contracts";
import {
  decodeManifest,
  hashLeaf,
  MAX_MANIFEST_RECORDS,
  manifestCidFromDigest,
  receiptFromJSON,
  receiptToJSON,
  verifyReceiptOffline,
} from "@ancora/core";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { type Address, type Hex, type PublicClient, toHex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { connectionOf } from "../internal/store-handle.js";
import { openStore } from "../store.js";
import {
  anchorerFor,
  anchorers,
  type Chain,
  chain,
  cleanUpAnchoring,
  expectChainMatchesLocal,
  expectLocalLinksReplay,
  log,
  newLogger,
  STREAM,
  settle,
  temps,
  walletFor,
} from "../testing/anchoring-chain.js";
import { tempStore } from "../testing/fixtures.js";
import { getManifestBytes } from "./anchor-store.js";
import { createAnchorer } from "./anchorer.js";

afterEach(cleanUpAnchoring);

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

  it("resumes after a restart with a transaction in flight, and anchors it once", async () => {
    const c = await chain();
    const temp = tempStore();
    temps.push(temp);
    const logger = newLogger(temp.path);
    const first = anchorerFor(c, logger);
    await log(logger, 10);
    logger.checkpoint();
    // Nothing mines while the first process runs, so it stops with its transaction in flight.
    await c.provider.request({ method: "evm_setAutomine", params: [false] });
    const tick = await first.tick();
    expect(tick).toMatchObject({ submitted: 1, confirmed: 0 });
    await first.stop();
    await c.provider.request({ method: "evm_setAutomine", params: [true] });
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
