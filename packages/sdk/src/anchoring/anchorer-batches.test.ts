/**
 * The anchorer with several streams: one anchorBatch for a backlog, anchors sent alone when a batch
 * reverts, a retired stream that holds back no other.
 */
/**
 * The anchorer against Hardhat's in-process network (EDR), with real SQLite files: anchors land and
 * match the local roots, manifests chain, restarts resume, an unreachable chain only grows the backlog,
 * a checkpoint already on chain is recognised, a reorg that drops an anchor is detected and re-submitted,
 * the fee cap holds, receipts verify offline and on chain, and an ethers signer can anchor.
 */
import {
  createRegistryReader,
  encodeStreamId,
  provenanceRegistryAbi,
  registerStream,
  retireStream,
} from "@ancora/contracts";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { type AbiFunction, getAbiItem, toFunctionSelector } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import {
  anchorers,
  chain,
  cleanUpAnchoring,
  settle,
  temps,
  twoStreamsCheckpointed,
  walletFor,
} from "../testing/anchoring-chain.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import { createAnchorer } from "./anchorer.js";

afterEach(cleanUpAnchoring);

describe("anchorer", () => {
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
});
