/**
 * verifyAgainstChain against in-memory fakes of a local log and a registry view, built with
 * @ancora/core the way a writer and the contract would: every attack of the threat model is caught with
 * its code and the first sequence number concerned, and untouched logs verify with no failure.
 */
import { hash } from "node:crypto";
import { chainLink, encodeStreamId, genesisHead, type StreamState } from "@ancora/contracts";
import {
  type AncoraRecord,
  type BlockCid,
  CompactRange,
  encodeRecordBlock,
  manifestBlock,
  manifestDigest,
  parseBlockCid,
  type Sha256,
  splitManifestRanges,
} from "@ancora/core";
import fc from "fast-check";
import { type Address, type Hex, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { SourceError } from "../errors.js";
import type { VerificationFailure } from "../result.js";
import type { StoredCheckpoint, StoredRecord } from "../source.js";
import type { LocalAnchor, LocalLog, LocalManifest } from "../sources/types.js";
import { type VerifyAgainstChainOptions, verifyAgainstChain } from "./local-vs-chain.js";
import type { RegistryAnchor, RegistryStream, RegistryView } from "./registry-view.js";

const sha256: Sha256 = (data) => hash("sha256", data, "buffer");
const STREAM = "loans";
const STREAM_ID = encodeStreamId(STREAM);
const CHAIN_ID = 31337;
const REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address;
const ANCHORER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Address;
const TS = "2025-01-31T12:00:00.000Z";

interface Log {
  rows: StoredRecord[];
  cids: BlockCid[];
}

/** A stream of `n` records: genesis, then label records (renames of L001), `name` chosen per seq. */
function buildLog(n: number, name: (seq: number) => string = (seq) => `name${seq}`): Log {
  const rows: StoredRecord[] = [];
  const cids: BlockCid[] = [];
  let prev: BlockCid | undefined;
  for (let seq = 0; seq < n; seq++) {
    const record: AncoraRecord =
      seq === 0
        ? { v: 1, kind: "genesis", stream: STREAM, seq, ts: TS, body: { createdBy: "ops" } }
        : {
            v: 1,
            kind: "label",
            stream: STREAM,
            seq,
            prev: prev as BlockCid,
            ts: TS,
            body: { id: "L001", name: name(seq) },
          };
    const { bytes, cid } = encodeRecordBlock(record, sha256);
    rows.push({ seq, bytes, cid: cid.toString(), kind: record.kind });
    cids.push(cid);
    prev = cid;
  }
  return { rows, cids };
}

function rootAt(cids: readonly BlockCid[], size: number): Uint8Array {
  const tree = new CompactRange(sha256);
  for (const cid of cids.slice(0, size)) tree.appendLeaf(cid.bytes);
  return tree.root();
}

interface Chain {
  events: RegistryAnchor[];
  state: StreamState;
  manifests: LocalManifest[];
  anchors: LocalAnchor[];
}

/** Anchors `log` at `sizes` as the SDK's anchorer and the contract would; manifests split every `split`. */
function anchor(log: Log, sizes: readonly number[], split = 3800): Chain {
  const events: RegistryAnchor[] = [];
  const manifests: LocalManifest[] = [];
  const anchors: LocalAnchor[] = [];
  let head = genesisHead({ chainId: CHAIN_ID, registry: REGISTRY, streamId: STREAM_ID });
  let from = 0;
  let prevManifest: BlockCid | undefined;
  for (const [i, size] of sizes.entries()) {
    for (const range of splitManifestRanges(from, size, split)) {
      const block = manifestBlock(
        {
          v: 1,
          stream: STREAM,
          from: range.from,
          size: range.size,
          root: rootAt(log.cids, range.size),
          head: log.cids[range.size - 1] as BlockCid,
          records: log.cids.slice(range.from, range.size),
          ...(prevManifest === undefined ? {} : { prev: prevManifest }),
        },
        sha256,
      );
      manifests.push({ stream: STREAM, cid: block.cid.toString(), bytes: block.bytes });
      prevManifest = block.cid;
    }
    const root = rootAt(log.cids, size);
    const link = {
      sequence: BigInt(i),
      treeSize: BigInt(size),
      root: toHex(root),
      manifestDigest: toHex(manifestDigest(prevManifest as BlockCid)),
      anchorer: ANCHORER,
      blockNumber: BigInt(10 + i),
      consistencyChecked: false,
    };
    const txHash = `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex;
    events.push({ ...link, streamId: STREAM_ID, previousHead: head, transactionHash: txHash });
    head = chainLink(head, link);
    anchors.push({
      stream: STREAM,
      chainId: CHAIN_ID,
      registry: REGISTRY,
      size,
      root,
      manifestCid: (prevManifest as BlockCid).toString(),
      txHash,
      status: "confirmed",
      blockNumber: 10 + i,
      sequence: i,
      anchorer: ANCHORER,
      consistencyChecked: false,
    });
    from = size;
  }
  const last = events.at(-1);
  const state: StreamState = {
    status: "active",
    consistencyRequired: false,
    treeSize: last?.treeSize ?? 0n,
    root: last?.root ?? `0x${"00".repeat(32)}`,
    head,
    anchorCount: BigInt(events.length),
    lastAnchorBlock: last?.blockNumber ?? 0n,
    registeredBlock: 5n,
  };
  return { events, state, manifests, anchors };
}

interface Fixture {
  log: Log;
  chain: Chain;
  /** What the local log holds (defaults: the chain's manifests and anchors, no stored checkpoints). */
  localManifests?: LocalManifest[];
  localAnchors?: LocalAnchor[];
  checkpoints?: StoredCheckpoint[];
  historyUnavailable?: boolean;
  /** More streams the registry holds (the log has only STREAM). */
  otherStreams?: RegistryStream[];
}

function localLog(f: Fixture): LocalLog {
  return {
    streams: () => [STREAM],
    source: { records: () => f.log.rows, checkpoints: () => f.checkpoints ?? [] },
    anchors: () => f.localAnchors ?? f.chain.anchors,
    manifests: () => f.localManifests ?? f.chain.manifests,
    close: () => undefined,
  };
}

function view(f: Fixture): RegistryView {
  const entry = { streamId: STREAM_ID, metadata: "{}", state: f.chain.state };
  return {
    chainId: CHAIN_ID,
    address: REGISTRY,
    blockNumber: 1000n,
    streams: async () => [entry, ...(f.otherStreams ?? [])],
    stream: async (id) => {
      const found = [entry, ...(f.otherStreams ?? [])].find((e) => e.streamId === id);
      if (found === undefined) throw new SourceError("SOURCE_NOT_FOUND", "unknown");
      return found;
    },
    anchorHistory: async () => {
      if (f.historyUnavailable) throw new SourceError("HISTORY_UNAVAILABLE", "pruned");
      return f.chain.events;
    },
  };
}

async function check(f: Fixture, options: Partial<VerifyAgainstChainOptions> = {}) {
  const result = await verifyAgainstChain({ local: localLog(f), registry: view(f), sha256, ...options });
  const stream = result.streams[0];
  if (stream === undefined) throw new Error("no stream result");
  return stream;
}

const codes = (failures: readonly VerificationFailure[]) => failures.map((x) => `${x.code}@${x.seq}`);

function replaceRow(log: Log, seq: number, row: StoredRecord): Log {
  return { ...log, rows: log.rows.map((r) => (r.seq === seq ? row : r)) };
}

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

/** Distinct sorted anchor sizes within 1..n. */
const anchorSizes = (n: number) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: 5 })
    .map((s) => s.sort((a, b) => a - b));

const scenario = fc
  .integer({ min: 6, max: 40 })
  .chain((n) =>
    fc.record({ n: fc.constant(n), sizes: anchorSizes(n), at: fc.integer({ min: 1, max: n - 2 }) }),
  );

/** The anchor covering `seq` (the first with size > seq) and the start of its range. */
function covering(sizes: readonly number[], seq: number): { size: number; start: number } | undefined {
  const i = sizes.findIndex((s) => s > seq);
  return i < 0 ? undefined : { size: sizes[i] as number, start: i === 0 ? 0 : (sizes[i - 1] as number) };
}

describe("verifyAgainstChain, properties", () => {
  const runs = process.env.CI === "true" ? 60 : 25;

  it("an untouched log verifies with no failure", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes }) => {
        const log = buildLog(n);
        const result = await check({ log, chain: anchor(log, sizes, 4) });
        expect(result.failures).toEqual([]);
        expect(result.unanchored).toBe(n - (sizes.at(-1) as number));
      }),
      { numRuns: runs },
    );
  });

  it("edited bytes (CID column left alone): ANCHOR_ROOT_MISMATCH at the edited seq", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes, at }) => {
        const log = buildLog(n);
        const chain = anchor(log, sizes, 4);
        const edited = buildLog(n, (seq) => (seq === at ? "edited" : `name${seq}`)).rows[at] as StoredRecord;
        const row = { ...(log.rows[at] as StoredRecord), bytes: edited.bytes };
        const result = await check({ log: replaceRow(log, at, row), chain });
        expect(result.local.failures[0]?.code).toBe("CID_MISMATCH");
        const cover = covering(sizes, at);
        if (cover === undefined) return;
        expect(result.failures).toContainEqual(
          expect.objectContaining({ code: "ANCHOR_ROOT_MISMATCH", seq: at }),
        );
      }),
      { numRuns: runs },
    );
  });

  it("a fully recomputed rewrite (CIDs, chain, checkpoints): caught at the first changed seq", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.boolean(), async ({ n, sizes, at }, rewriteManifests) => {
        const log = buildLog(n);
        const chain = anchor(log, sizes, 4);
        const forged = buildLog(n, (seq) => (seq === at ? "forged" : `name${seq}`));
        const forgedChain = anchor(forged, sizes, 4);
        const checkpoints = sizes.map((size) => ({
          size,
          root: rootAt(forged.cids, size),
          head: (forged.cids[size - 1] as BlockCid).toString(),
        }));
        const result = await check({
          log: forged,
          chain,
          checkpoints,
          // The attacker may rewrite the log's manifests and anchor rows too: the digests on chain still differ.
          ...(rewriteManifests
            ? { localManifests: forgedChain.manifests, localAnchors: forgedChain.anchors }
            : {}),
        });
        expect(result.local.failures).toEqual([]);
        const cover = covering(sizes, at);
        if (cover === undefined) {
          // A fork after the last anchor: not (yet) a failure, counted as unanchored.
          expect(result.failures).toEqual([]);
          expect(result.unanchored).toBe(n - (sizes.at(-1) as number));
          return;
        }
        const first = result.failures.find((x) => x.code === "ANCHOR_ROOT_MISMATCH");
        expect(first?.seq).toBe(rewriteManifests ? cover.start : at);
        if (rewriteManifests) {
          expect(result.failures).toContainEqual(
            expect.objectContaining({ code: "ANCHOR_MANIFEST_MISMATCH", seq: cover.start }),
          );
          expect(result.failures).toContainEqual(expect.objectContaining({ code: "ANCHOR_NOT_ON_CHAIN" }));
        }
      }),
      { numRuns: runs },
    );
  });

  it("a fork after the last anchor is caught at the next anchor, at the first forked seq", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes }) => {
        const last = sizes.at(-1) as number;
        if (last >= n) return;
        const log = buildLog(n);
        const chain = anchor(log, [...sizes, n], 4);
        const fork = buildLog(n, (seq) => (seq >= last ? `fork${seq}` : `name${seq}`));
        const result = await check({ log: fork, chain });
        expect(result.failures.find((x) => x.code === "ANCHOR_ROOT_MISMATCH")?.seq).toBe(last);
        expect(result.failures[0]?.seq).toBe(last);
      }),
      { numRuns: runs },
    );
  });

  it("a deleted middle record or two swapped records: caught at that seq", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.boolean(), async ({ n, sizes, at }, swap) => {
        const log = buildLog(n);
        const chain = anchor(log, sizes, 4);
        const rows = [...log.rows];
        if (swap) [rows[at], rows[at + 1]] = [rows[at + 1] as StoredRecord, rows[at] as StoredRecord];
        else rows.splice(at, 1);
        const result = await check({ log: { ...log, rows }, chain });
        expect(result.local.ok).toBe(false);
        if (covering(sizes, at) === undefined) return;
        // The first failure against the chain (a root, or a manifest listing another CID) is at `at`.
        const chainFailures = result.failures.filter((x) => /^(ANCHOR|MANIFEST)_/.test(x.code));
        expect(chainFailures[0]?.seq).toBe(at);
      }),
      { numRuns: runs },
    );
  });

  it("a log truncated below an anchored size: ANCHOR_BEYOND_LOG at the first missing record", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes, at }) => {
        const log = buildLog(n);
        const chain = anchor(log, sizes, 4);
        const cut = Math.min(at, (sizes.at(-1) as number) - 1);
        const result = await check({ log: { ...log, rows: log.rows.slice(0, cut) }, chain });
        const beyond = result.failures.filter((x) => x.code === "ANCHOR_BEYOND_LOG");
        expect(beyond.length).toBe(sizes.filter((s) => s > cut).length);
        for (const failure of beyond) expect(failure.seq).toBe(cut);
      }),
      { numRuns: runs },
    );
  });
});
