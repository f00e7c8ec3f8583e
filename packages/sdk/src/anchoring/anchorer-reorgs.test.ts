/**
 * The anchorer and the chain changing under it: reorgs of confirmed anchors, and transactions stuck in
 * the mempool replaced with the same nonce.
 */
/**
 * The anchorer against Hardhat's in-process network (EDR), with real SQLite files: anchors land and
 * match the local roots, manifests chain, restarts resume, an unreachable chain only grows the backlog,
 * a checkpoint already on chain is recognised, a reorg that drops an anchor is detected and re-submitted,
 * the fee cap holds, receipts verify offline and on chain, and an ethers signer can anchor.
 */
import { createRegistryReader, encodeStreamId } from "@ancora/contracts";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { type Hex, toHex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import {
  anchorerFor,
  chain,
  cleanUpAnchoring,
  log,
  newLogger,
  STREAM,
  settle,
} from "../testing/anchoring-chain.js";
import type { AnchoredCheckpoint } from "./anchor-store.js";

afterEach(cleanUpAnchoring);

describe("anchorer", () => {
  it("re-reads recent anchors' receipts only when the chain below the last check changed", async () => {
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
    // The last anchor was confirmed after the last check (in the pass that sent it): read once.
    await anchorer.tick();
    expect(receipts).toBe(1);
    // The same head as the last check: no receipt read.
    await anchorer.tick();
    expect(receipts).toBe(1);
    receipts = 0;
    const snapshot = await c.provider.request({ method: "evm_snapshot" });
    // The chain grew and the head of the last check is still on it: nothing below it moved.
    await c.mine();
    await anchorer.tick();
    expect(receipts).toBe(0);
    // The head of the last check is gone (the chain went back): every recent anchor is read again, once.
    await c.provider.request({ method: "evm_revert", params: [snapshot] });
    await anchorer.tick();
    expect(receipts).toBe(3);
    await c.mine();
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
});
