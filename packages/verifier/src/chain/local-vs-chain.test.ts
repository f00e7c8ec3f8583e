import { chainLink, encodeStreamId } from "@ancora/contracts";
import { type BlockCid, manifestBlock, parseBlockCid } from "@ancora/core";
import { toHex } from "viem";
import { describe, expect, it } from "vitest";
import { SourceError } from "../errors.js";
import type { LocalAnchor, LocalManifest } from "../sources/types.js";
import {
  anchor,
  buildLog,
  type Chain,
  check,
  codes,
  localLog,
  rootAt,
  STREAM,
  sha256,
  TS,
  view,
} from "../testing/chain-log.js";
import { verifyAgainstChain } from "./local-vs-chain.js";
import type { RegistryAnchor, RegistryStream, RegistryView } from "./registry-view.js";

describe("verifyAgainstChain", () => {
  it("verifies an untouched log: history from events, every anchored root, unanchored tail counted", async () => {
    const log = buildLog(30);
    const chain = anchor(log, [5, 12, 20]);
    const result = await check({ log, chain });
    expect(result.failures).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result).toMatchObject({
      ok: true,
      history: "events",
      records: 30,
      anchors: 3,
      anchoredSize: 20,
      unanchored: 10,
      consistency: { consistent: true, by: "local-tree" },
    });
  });

  it("walks split manifests (intermediate ones chained by prev) without failures", async () => {
    const log = buildLog(25);
    const chain = anchor(log, [7, 25], 3);
    expect(chain.manifests.length).toBeGreaterThan(2);
    expect((await check({ log, chain })).failures).toEqual([]);
  });

  it("proves the history from the log's v3 anchors when the node has pruned the events", async () => {
    const log = buildLog(12);
    const chain = anchor(log, [4, 9, 12]);
    const result = await check({ log, chain, historyUnavailable: true });
    expect(result.failures).toEqual([]);
    expect(result.history).toBe("local-anchors");
  });

  it("warns HISTORY_UNPROVEN (not a failure) when pruned events meet a pre-v3 log", async () => {
    const log = buildLog(12);
    const chain = anchor(log, [4, 9, 12]);
    const localAnchors = chain.anchors.map(({ sequence, anchorer, consistencyChecked, ...rest }) => rest);
    const result = await check({ log, chain, historyUnavailable: true, localAnchors });
    expect(result.ok).toBe(true);
    expect(result.history).toBe("state");
    expect(codes(result.warnings)).toEqual(["HISTORY_UNPROVEN@0"]);
    // The latest checkpoint in state is still checked: a rewrite of the log is caught.
    const forged = buildLog(12, (seq) => (seq >= 6 ? `forged${seq}` : `name${seq}`));
    const tampered = await check({ log: forged, chain, historyUnavailable: true, localAnchors });
    expect(codes(tampered.failures)).toContain("ANCHOR_ROOT_MISMATCH@0");
  });

  it("reports ANCHOR_HISTORY_MISMATCH when a local link was altered and the events are gone", async () => {
    const log = buildLog(12);
    const chain = anchor(log, [4, 9, 12]);
    const localAnchors = chain.anchors.map((a, i) => (i === 1 ? { ...a, blockNumber: 99 } : a));
    const result = await check({ log, chain, historyUnavailable: true, localAnchors });
    expect(codes(result.failures)).toContain("ANCHOR_HISTORY_MISMATCH@0");
  });

  it("reports ANCHOR_HISTORY_MISMATCH when the events were altered", async () => {
    const log = buildLog(12);
    const chain = anchor(log, [4, 9, 12]);
    const events = chain.events.map((e, i) => (i === 1 ? { ...e, root: toHex(rootAt(log.cids, 8)) } : e));
    const result = await check({ log, chain: { ...chain, events } });
    expect(result.failures.map((x) => x.code)).toContain("ANCHOR_HISTORY_MISMATCH");
    expect(result.ok).toBe(false);
  });

  it("fails a local anchor of another registry or chain as ANCHOR_FOREIGN and does not use it", async () => {
    const log = buildLog(10);
    const chain = anchor(log, [6]);
    const foreign: LocalAnchor[] = [
      {
        ...(chain.anchors[0] as LocalAnchor),
        registry: "0x0000000000000000000000000000000000000001",
        size: 9,
      },
      { ...(chain.anchors[0] as LocalAnchor), chainId: 1, size: 10 },
    ];
    const result = await check({ log, chain, localAnchors: [...chain.anchors, ...foreign] });
    // The log claims protection this registry does not give: the evidence is not what it says.
    expect(result.ok).toBe(false);
    expect(codes(result.failures)).toEqual(["ANCHOR_FOREIGN@8", "ANCHOR_FOREIGN@9"]);
    expect(result.warnings).toEqual([]);
  });

  it("reports a confirmed local anchor the registry does not hold as ANCHOR_NOT_ON_CHAIN", async () => {
    const log = buildLog(10);
    const chain = anchor(log, [6]);
    const fake = { ...(chain.anchors[0] as LocalAnchor), size: 9, root: rootAt(log.cids, 9), sequence: 1 };
    const result = await check({ log, chain, localAnchors: [...chain.anchors, fake] });
    expect(codes(result.failures)).toEqual(["ANCHOR_NOT_ON_CHAIN@8"]);
  });

  it("catches CIDs swapped inside a manifest", async () => {
    const log = buildLog(12);
    const chain = anchor(log, [5, 12]);
    const second = chain.manifests[1] as LocalManifest;
    const swapped = [...log.cids];
    [swapped[7], swapped[8]] = [swapped[8] as BlockCid, swapped[7] as BlockCid];
    const block = manifestBlock(
      {
        v: 1,
        stream: STREAM,
        from: 5,
        size: 12,
        root: rootAt(log.cids, 12),
        head: log.cids[11] as BlockCid,
        records: swapped.slice(5, 12),
        prev: parseBlockCid((chain.manifests[0] as LocalManifest).cid) as BlockCid,
      },
      sha256,
    );
    const localManifests = [
      chain.manifests[0] as LocalManifest,
      { ...second, cid: block.cid.toString(), bytes: block.bytes },
    ];
    const result = await check({ log, chain, localManifests });
    expect(codes(result.failures)).toEqual(["ANCHOR_MANIFEST_MISMATCH@5", "MANIFEST_RECORD_MISMATCH@7"]);
  });

  it("reports a missing manifest and a broken manifest chain", async () => {
    const log = buildLog(12);
    const chain = anchor(log, [3, 6, 12]);
    const result = await check({
      log,
      chain,
      localManifests: [chain.manifests[0] as LocalManifest, chain.manifests[2] as LocalManifest],
    });
    expect(codes(result.failures)).toEqual(["ANCHOR_MANIFEST_MISMATCH@3", "MANIFEST_CHAIN_BROKEN@6"]);
  });

  it("reports a manifest that does not decode as MANIFEST_INVALID", async () => {
    const log = buildLog(8);
    const chain = anchor(log, [8]);
    const junk = {
      stream: STREAM,
      cid: (chain.manifests[0] as LocalManifest).cid,
      bytes: new TextEncoder().encode("{}"),
    };
    const result = await check({ log, chain, localManifests: [junk] });
    expect(result.failures.map((x) => x.code)).toEqual(["MANIFEST_INVALID", "ANCHOR_MANIFEST_MISMATCH"]);
  });

  it("says the anchored history is still consistent (by manifests) when the log was rewritten", async () => {
    const log = buildLog(20);
    const chain = anchor(log, [5, 10, 20]);
    const forged = buildLog(20, (seq) => (seq >= 7 ? `forged${seq}` : `name${seq}`));
    const result = await check({ log: forged, chain });
    expect(codes(result.failures).sort()).toEqual([
      "ANCHOR_ROOT_MISMATCH@10",
      "ANCHOR_ROOT_MISMATCH@7",
      "MANIFEST_RECORD_MISMATCH@10",
      "MANIFEST_RECORD_MISMATCH@7",
    ]);
    expect(result.consistency).toEqual({ consistent: true, by: "manifests" });
  });

  it("says the anchored history is inconsistent when an anchor forked it (manifests of a fork)", async () => {
    const log = buildLog(20);
    const fork = buildLog(20, (seq) => (seq >= 7 ? `forged${seq}` : `name${seq}`));
    // The chain: anchors at 5 and 10 of the log, then one at 20 whose root is the fork's.
    const honest = anchor(log, [5, 10]);
    const forked = anchor(fork, [5, 10, 20]);
    const events = [...honest.events];
    const third = forked.events[2] as RegistryAnchor;
    const link = { ...third, previousHead: honest.state.head };
    events.push(link);
    const head = chainLink(honest.state.head, link);
    const chain: Chain = {
      events,
      state: { ...forked.state, head },
      manifests: [...honest.manifests, forked.manifests[2] as LocalManifest],
      anchors: [...honest.anchors, forked.anchors[2] as LocalAnchor],
    };
    const result = await check({ log, chain, localManifests: honest.manifests });
    expect(result.failures.map((x) => x.code)).toContain("ANCHOR_ROOT_MISMATCH");
    expect(result.consistency.consistent).not.toBe(true);
  });

  it("reports the anchored size and root from the chain and the unanchored tail with its oldest time", async () => {
    const log = buildLog(10);
    const chain = anchor(log, [4, 7]);
    const result = await check({ log, chain });
    expect(result.ok).toBe(true);
    expect(result.records).toBe(10);
    expect(result.anchoredSize).toBe(7);
    expect(result.anchoredRoot).toBe(toHex(rootAt(log.cids, 7)));
    // The log's own root covers all ten records; the anchored root is the chain's, at seven.
    expect(result.local.root).toBe(toHex(rootAt(log.cids, 10)));
    expect(result.unanchored).toBe(3);
    expect(result.oldestUnanchoredTs).toBe(TS);
  });

  it("with requireAnchored, fails an unanchored tail as UNANCHORED_RECORDS at its first record", async () => {
    const log = buildLog(10);
    const chain = anchor(log, [4, 7]);
    const result = await check({ log, chain }, { requireAnchored: true });
    expect(result.ok).toBe(false);
    expect(codes(result.failures)).toEqual(["UNANCHORED_RECORDS@7"]);
    const whole = await check({ log, chain: anchor(log, [4, 10]) }, { requireAnchored: true });
    expect(whole.ok).toBe(true);
    expect(whole.unanchored).toBe(0);
    expect(whole.oldestUnanchoredTs).toBeUndefined();
  });

  describe("a stream the registry anchors and the log lacks", () => {
    const fraudId = encodeStreamId("fraud");
    const fraud = (treeSize: bigint, metadata = '{"name":"fraud"}'): RegistryStream => ({
      streamId: fraudId,
      metadata,
      state: {
        status: "active",
        consistencyRequired: true,
        treeSize,
        root: treeSize === 0n ? `0x${"00".repeat(32)}` : `0x${"ab".repeat(32)}`,
        head: `0x${"cd".repeat(32)}`,
        anchorCount: treeSize === 0n ? 0n : 3n,
        lastAnchorBlock: treeSize === 0n ? 0n : 40n,
        registeredBlock: 6n,
      },
    });

    it("is a STREAM_MISSING failure when every stream is checked", async () => {
      const log = buildLog(10);
      const chain = anchor(log, [10]);
      const result = await verifyAgainstChain({
        local: localLog({ log, chain }),
        registry: view({ log, chain, otherStreams: [fraud(120n)] }),
        sha256,
      });
      expect(result.ok).toBe(false);
      expect(result.streams.map((s) => [s.stream, s.ok])).toEqual([
        ["loans", true],
        ["fraud", false],
      ]);
      const missing = result.streams[1];
      expect(codes(missing?.failures ?? [])).toEqual(["STREAM_MISSING@0"]);
      expect(missing).toMatchObject({ anchoredSize: 120, anchors: 3, records: 0, history: "missing" });
    });

    it("is named by its id when its metadata does not prove a name", async () => {
      const log = buildLog(3);
      const chain = anchor(log, [3]);
      const result = await verifyAgainstChain({
        local: localLog({ log, chain }),
        registry: view({ log, chain, otherStreams: [fraud(5n, '{"name":"loans"}')] }),
        sha256,
      });
      expect(result.streams[1]?.stream).toBe(fraudId.toLowerCase());
      expect(result.failures.map((f) => f.code)).toEqual(["STREAM_MISSING"]);
    });

    it("is a STREAM_MISSING failure when asked for with streams, by name or by id", async () => {
      const log = buildLog(3);
      const chain = anchor(log, [3]);
      for (const wanted of ["fraud", fraudId]) {
        const result = await verifyAgainstChain({
          local: localLog({ log, chain }),
          registry: view({ log, chain, otherStreams: [fraud(9n)] }),
          streams: [wanted],
          sha256,
        });
        expect(result.streams.map((s) => s.stream)).toEqual(["fraud"]);
        expect(result.failures.map((f) => f.code)).toEqual(["STREAM_MISSING"]);
      }
    });

    it("is no failure when the registry never anchored it; asking for it is CHAIN_UNKNOWN_STREAM", async () => {
      const log = buildLog(3);
      const chain = anchor(log, [3]);
      const f = { log, chain, otherStreams: [fraud(0n)] };
      const all = await verifyAgainstChain({ local: localLog(f), registry: view(f), sha256 });
      expect(all.ok).toBe(true);
      expect(all.streams.map((s) => s.stream)).toEqual(["loans"]);
      for (const wanted of ["fraud", "nowhere"]) {
        await expect(
          verifyAgainstChain({ local: localLog(f), registry: view(f), streams: [wanted], sha256 }),
        ).rejects.toMatchObject({ name: "ChainVerifyError", code: "CHAIN_UNKNOWN_STREAM" });
      }
    });
  });

  it("rejects with SOURCE_UNREACHABLE when the registry cannot be read", async () => {
    const log = buildLog(5);
    const chain = anchor(log, [5]);
    const registry: RegistryView = {
      ...view({ log, chain }),
      anchorHistory: async () => {
        throw new SourceError("SOURCE_UNREACHABLE", "down");
      },
    };
    await expect(verifyAgainstChain({ local: localLog({ log, chain }), registry })).rejects.toMatchObject({
      code: "SOURCE_UNREACHABLE",
    });
  });
});
