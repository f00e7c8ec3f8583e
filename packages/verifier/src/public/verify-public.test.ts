import { hash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chainLink, encodeStreamId, genesisHead, type StreamState } from "@ancora/contracts";
import {
  type AncoraRecord,
  type BlockCid,
  CompactRange,
  commitPlain,
  computeCid,
  decodeRecord,
  encodeRecordBlock,
  type Manifest,
  manifestBlock,
  manifestDigest,
  resolveLabel,
  type Sha256,
  splitManifestRanges,
} from "@ancora/core";
import fc from "fast-check";
import { type Address, type Hex, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegistryAnchor, RegistryStream, RegistryView } from "../chain/registry-view.js";
import { SourceError } from "../errors.js";
import { startVerifyPool, type VerifyPool } from "../parallel/worker-pool.js";
import { gatewayFetcher } from "../sources/blocks.js";
import type { BlockFetcher } from "../sources/types.js";
import { PublicVerifyError } from "./errors.js";
import { HISTORY_PROOF, verifyPublic } from "./verify-public.js";

const sha256: Sha256 = (data) => hash("sha256", data, "buffer");
const TS = "2025-01-31T12:00:00.000Z";
const MODEL = { id: "credit-risk", version: "1.0.0", hash: `sha256:${"ab".repeat(32)}` };
const CHAIN_ID = 31337;
const REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address;
const ANCHORER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266" as Address;

/** A stream's records, written the way a writer would (the verifier's tests do not use the SDK). */
function buildRecords(stream: string, count: number): { bytes: Uint8Array; cid: BlockCid }[] {
  const out: { bytes: Uint8Array; cid: BlockCid }[] = [];
  const push = (record: AncoraRecord) => out.push(encodeRecordBlock(record, sha256));
  const prev = () => (out[out.length - 1] as { cid: BlockCid }).cid;
  const env = () => ({ v: 1 as const, stream, seq: out.length, prev: prev(), ts: TS });
  push({ v: 1, kind: "genesis", stream, seq: 0, ts: TS, body: { createdBy: "ops" } });
  push({ ...env(), kind: "label", body: { id: "L001", name: "refer" } });
  push({ ...env(), kind: "label", body: { id: "L002", name: "approve" } });
  const config = {
    threshold: 0.5,
    aboveLabel: "L002",
    belowLabel: "L001",
    changedBy: "ops",
    changeReason: "launch",
  };
  push({ ...env(), kind: "config", body: config });
  const configCid = prev();
  while (out.length < count) {
    const score = (out.length % 10) / 10;
    const seq = out.length;
    push({
      ...env(),
      kind: "decision",
      body: {
        model: MODEL,
        input: commitPlain({ i: seq }),
        output: commitPlain({ o: seq }),
        score,
        label: resolveLabel(config, score),
        config: configCid,
      },
    });
  }
  return out;
}

interface Published {
  readonly entry: RegistryStream;
  readonly anchors: RegistryAnchor[];
  /** Manifest CIDs by tree size. */
  readonly manifests: Map<number, BlockCid>;
  readonly records: { bytes: Uint8Array; cid: BlockCid }[];
}

/** The blocks a world publishes, and the streams it anchored. */
class World {
  readonly blocks = new Map<string, Uint8Array>();
  readonly streams: Published[] = [];

  put(bytes: Uint8Array): BlockCid {
    const cid = computeCid(bytes, sha256);
    this.blocks.set(cid.toString(), bytes);
    return cid;
  }

  /**
   * Publishes `count` records of `stream` with anchors at `anchorSizes`, manifests of at most
   * `perManifest` records; `tamper` may rewrite a manifest before it is published and anchored.
   */
  publish(
    stream: string,
    count: number,
    anchorSizes: number[],
    perManifest = 3_800,
    tamper: (m: Manifest) => Manifest = (m) => m,
    rewrite: (records: { bytes: Uint8Array; cid: BlockCid }[]) => { bytes: Uint8Array; cid: BlockCid }[] = (
      r,
    ) => r,
  ): Published {
    const records = rewrite(buildRecords(stream, count));
    for (const r of records) this.blocks.set(r.cid.toString(), r.bytes);
    const tree = new CompactRange(sha256);
    const roots = new Map<number, Uint8Array>();
    for (const r of records) {
      tree.appendLeaf(r.cid.bytes);
      roots.set(tree.size, tree.root());
    }
    const streamId = encodeStreamId(stream);
    let head = genesisHead({ chainId: CHAIN_ID, registry: REGISTRY, streamId });
    const anchors: RegistryAnchor[] = [];
    const manifests = new Map<number, BlockCid>();
    let prevManifest: BlockCid | undefined;
    let from = 0;
    for (const size of anchorSizes) {
      for (const range of splitManifestRanges(from, size, perManifest)) {
        const manifest = tamper({
          v: 1,
          stream,
          from: range.from,
          size: range.size,
          root: roots.get(range.size) as Uint8Array,
          head: (records[range.size - 1] as { cid: BlockCid }).cid,
          records: records.slice(range.from, range.size).map((r) => r.cid),
          ...(prevManifest === undefined ? {} : { prev: prevManifest }),
        });
        const block = manifestBlock(manifest, sha256);
        this.blocks.set(block.cid.toString(), block.bytes);
        manifests.set(range.size, block.cid);
        prevManifest = block.cid;
      }
      const link = {
        sequence: BigInt(anchors.length),
        treeSize: BigInt(size),
        root: toHex(roots.get(size) as Uint8Array),
        manifestDigest: toHex(manifestDigest(prevManifest as BlockCid)),
        anchorer: ANCHORER,
        blockNumber: BigInt(10 + anchors.length),
        consistencyChecked: anchors.length > 0,
      };
      anchors.push({
        ...link,
        streamId,
        previousHead: head,
        transactionHash: `0x${"aa".repeat(31)}${anchors.length.toString(16).padStart(2, "0")}`,
      });
      head = chainLink(head, link);
      from = size;
    }
    const last = anchors[anchors.length - 1];
    const state: StreamState = {
      status: "active",
      consistencyRequired: true,
      treeSize: last?.treeSize ?? 0n,
      root: last?.root ?? `0x${"00".repeat(32)}`,
      head,
      anchorCount: BigInt(anchors.length),
      lastAnchorBlock: last?.blockNumber ?? 0n,
      registeredBlock: 1n,
    };
    const published = {
      entry: { streamId, metadata: JSON.stringify({ name: stream }), state },
      anchors,
      manifests,
      records,
    };
    this.streams.push(published);
    return published;
  }

  view(overrides: { anchorHistory?: (id: Hex) => RegistryAnchor[] } = {}): RegistryView {
    const find = (id: Hex) => this.streams.find((s) => s.entry.streamId === id.toLowerCase());
    return {
      chainId: CHAIN_ID,
      address: REGISTRY,
      blockNumber: 100n,
      streams: async () => this.streams.map((s) => s.entry),
      stream: async (id) => {
        const found = find(id);
        if (found === undefined) throw Object.assign(new Error("unknown"), { code: "UNKNOWN_STREAM" });
        return found.entry;
      },
      anchorHistory: async (id) => overrides.anchorHistory?.(id) ?? find(id)?.anchors ?? [],
    };
  }

  /** An in-memory fetcher that checks bytes against CIDs, as real fetchers must. */
  fetcher(): BlockFetcher {
    return async (cid) => {
      const bytes = this.blocks.get(cid);
      if (bytes === undefined) {
        throw new SourceError("BLOCK_NOT_FOUND", "not found", { evidence: { cid } });
      }
      return bytes;
    };
  }
}

function run(world: World, extra: Partial<Parameters<typeof verifyPublic>[0]> = {}) {
  return verifyPublic({ registry: world.view(), fetchBlock: world.fetcher(), sha256, ...extra });
}

describe("verifyPublic", () => {
  it("rebuilds and verifies untouched streams from anchors, manifests and records alone", async () => {
    const world = new World();
    world.publish("loans", 40, [10, 25, 40], 4); // intermediate manifests between anchors
    world.publish("fraud", 12, [12]);
    world.publish("idle", 0, []); // registered, never anchored
    const result = await run(world);
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({
      ok: true,
      checked: 52,
      anchors: 4,
      chainId: CHAIN_ID,
      registry: REGISTRY,
    });
    const loans = result.streams[0];
    expect(loans).toMatchObject({
      stream: "loans",
      ok: true,
      checked: 40,
      anchors: 3,
      manifests: 11,
      anchoredSize: 40,
      history: HISTORY_PROOF,
      complete: true,
    });
    expect(loans?.root).toBe(world.streams[0]?.anchors[2]?.root);
    expect(result.streams[2]).toMatchObject({ stream: "idle", ok: true, checked: 0, anchors: 0 });
  });

  it("verifies only the streams asked for, by name or by id", async () => {
    const world = new World();
    world.publish("loans", 10, [10]);
    const fraud = world.publish("fraud", 8, [8]);
    const byName = await run(world, { streams: ["fraud"] });
    expect(byName.streams.map((s) => s.stream)).toEqual(["fraud"]);
    const byId = await run(world, { streams: [fraud.entry.streamId, "fraud"] });
    expect(byId.streams.map((s) => s.stream)).toEqual(["fraud"]);
    await expect(run(world, { streams: ["nope"] })).rejects.toMatchObject({
      code: "PUBLIC_UNKNOWN_STREAM",
    });
    await expect(run(world, { streams: ["Not A Name"] })).rejects.toMatchObject({
      code: "STREAM_NAME_INVALID",
    });
    await expect(run(world, { concurrency: 0 })).rejects.toBeInstanceOf(PublicVerifyError);
  });

  it("finds records listed in a swapped order, even when that manifest was anchored", async () => {
    const world = new World();
    world.publish("loans", 20, [20], 3_800, (m) => {
      const records = [...m.records];
      [records[5], records[6]] = [records[6] as BlockCid, records[5] as BlockCid];
      return { ...m, records };
    });
    const result = await run(world);
    expect(result.ok).toBe(false);
    const codes = result.failures.map((f) => f.code);
    expect(result.failures[0]).toMatchObject({ stream: "loans", seq: 5 });
    expect(codes).toContain("ANCHOR_ROOT_MISMATCH");
    expect(codes).toContain("SEQ_MISMATCH");
  });

  it("reports a record block the source does not have as BLOCK_MISSING and leaves other streams alone", async () => {
    const world = new World();
    const loans = world.publish("loans", 30, [10, 30], 8);
    world.publish("fraud", 9, [9]);
    world.blocks.delete((loans.records[17] as { cid: BlockCid }).cid.toString());
    const result = await run(world, { concurrency: 1 });
    const [first, second] = result.streams;
    expect(first).toMatchObject({ ok: false, complete: false, firstBadSeq: 17, checked: 10 });
    expect(first?.failures).toEqual([
      {
        code: "BLOCK_MISSING",
        stream: "loans",
        seq: 17,
        expected: (loans.records[17] as { cid: BlockCid }).cid.toString(),
        found: "not found at the source",
      },
    ]);
    expect(second).toMatchObject({ stream: "fraud", ok: true, checked: 9 });
  });

  it("refuses an anchored manifest of another stream", async () => {
    const world = new World();
    const loans = world.publish("loans", 10, [10]);
    const fraud = world.publish("fraud", 10, [10]);
    // The organisation anchors, for "loans", the digest of a manifest of "fraud".
    const anchor = loans.anchors[0] as RegistryAnchor;
    const forged = { ...anchor, manifestDigest: toHex(manifestDigest(fraud.manifests.get(10) as BlockCid)) };
    world.streams[0] = {
      ...loans,
      anchors: [forged],
      entry: {
        ...loans.entry,
        state: { ...loans.entry.state, head: chainLink(anchor.previousHead, forged) },
      },
    };
    const result = await run(world);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ code: "MANIFEST_INVALID", stream: "loans", seq: 0 });
    expect(result.failures[0]?.found).toContain('"fraud"');
    expect(result.streams[1]).toMatchObject({ stream: "fraud", ok: true });
  });

  it("reports a manifest whose prev does not link to the previous anchored manifest", async () => {
    const world = new World();
    world.publish("loans", 20, [10, 20], 3_800, (m) => {
      if (m.from === 0) return m;
      const { prev: _dropped, ...rest } = m;
      return rest;
    });
    const result = await run(world);
    expect(result.streams[0]).toMatchObject({ ok: false, complete: false, checked: 10 });
    expect(result.failures).toEqual([expect.objectContaining({ code: "MANIFEST_CHAIN_BROKEN", seq: 10 })]);
  });

  it("does not accept a record edited after anchoring and re-pinned under a new manifest", async () => {
    const world = new World();
    const loans = world.publish("loans", 12, [12]);
    const target = loans.records[7] as { bytes: Uint8Array; cid: BlockCid };
    const edited = new TextDecoder().decode(target.bytes).replace(/"score":[0-9.]+/, '"score":0.95');
    const newCid = world.put(new TextEncoder().encode(edited));
    // The original record and manifest are withdrawn; a manifest listing the edit is published.
    world.blocks.delete(target.cid.toString());
    const original = loans.manifests.get(12) as BlockCid;
    const bytes = world.blocks.get(original.toString()) as Uint8Array;
    world.blocks.delete(original.toString());
    const repinned = world.put(
      new TextEncoder().encode(
        new TextDecoder().decode(bytes).replace(target.cid.toString(), newCid.toString()),
      ),
    );
    expect(repinned.toString()).not.toBe(original.toString());
    const result = await run(world);
    expect(result.failures).toEqual([
      expect.objectContaining({ code: "MANIFEST_MISSING", seq: 0, expected: original.toString() }),
    ]);
  });

  it("names an anchor of a misstated size that the admin's anchor goes around, and nothing else", async () => {
    // Honest anchors at 10 and 40, the one at 40 made by the admin past a misstated anchor between them
    // (docs/operations.md): the anchorer key anchored size 19 with the root of 20 (its proof from 10
    // verifies for 19), with or without publishing a manifest for it.
    for (const manifest of ["unpublished", "published"] as const) {
      const world = new World();
      const published = world.publish("loans", 40, [10, 40]);
      const tree = new CompactRange(sha256);
      for (const r of published.records.slice(0, 20)) tree.appendLeaf(r.cid.bytes);
      const [first, admin] = published.anchors as [RegistryAnchor, RegistryAnchor];
      let digest = toHex(sha256(new TextEncoder().encode("an unpublished manifest")));
      if (manifest === "published") {
        // A manifest that matches the anchor (size 19, the root of 20) and lists the real records.
        const block = manifestBlock(
          {
            v: 1,
            stream: "loans",
            from: 10,
            size: 19,
            root: tree.root(),
            head: (published.records[18] as { cid: BlockCid }).cid,
            records: published.records.slice(10, 19).map((r) => r.cid),
            prev: published.manifests.get(10) as BlockCid,
          },
          sha256,
        );
        world.blocks.set(block.cid.toString(), block.bytes);
        digest = toHex(manifestDigest(block.cid));
      }
      const links = [
        first,
        {
          ...first,
          sequence: 1n,
          treeSize: 19n,
          root: toHex(tree.root()),
          manifestDigest: digest,
          blockNumber: 11n,
          consistencyChecked: true,
        },
        { ...admin, sequence: 2n, blockNumber: 12n, consistencyChecked: false },
      ];
      let head = genesisHead({ chainId: CHAIN_ID, registry: REGISTRY, streamId: first.streamId });
      const anchors = links.map((l) => {
        const anchored = { ...l, previousHead: head };
        head = chainLink(head, l);
        return anchored;
      });
      published.anchors.splice(0, published.anchors.length, ...anchors);
      Object.assign(published.entry.state, { anchorCount: 3n, head, lastAnchorBlock: 12n });
      const result = await run(world);
      const loans = result.streams[0];
      expect(
        loans?.failures.map((f) => f.code),
        manifest,
      ).toEqual(["ANCHOR_SIZE_MISSTATED"]);
      expect(loans?.failures[0]?.expected).toContain("anchor 1");
      expect(loans?.failures[0]?.found).toContain("size 20");
      expect(loans).toMatchObject({ ok: false, checked: 40, complete: true });
    }
  });

  it("proves the history: a registry that hides or alters an anchor fails ANCHOR_HISTORY_MISMATCH", async () => {
    const world = new World();
    const loans = world.publish("loans", 30, [10, 20, 30]);
    const hidden = await verifyPublic({
      registry: world.view({ anchorHistory: () => [loans.anchors[0], loans.anchors[2]] as RegistryAnchor[] }),
      fetchBlock: world.fetcher(),
    });
    expect(hidden.failures).toEqual([expect.objectContaining({ code: "ANCHOR_HISTORY_MISMATCH" })]);
    expect(hidden.streams[0]).toMatchObject({ checked: 0, complete: false });
    const altered = await verifyPublic({
      registry: world.view({
        anchorHistory: () =>
          loans.anchors.map((a, i) => (i === 1 ? { ...a, root: `0x${"11".repeat(32)}` as Hex } : a)),
      }),
      fetchBlock: world.fetcher(),
    });
    expect(altered.failures).toEqual([expect.objectContaining({ code: "ANCHOR_HISTORY_MISMATCH" })]);
  });

  it("reports bytes that do not hash to the CID as CID_MISMATCH, even from a fetcher that does not check", async () => {
    const world = new World();
    const loans = world.publish("loans", 10, [10]);
    const manifest = (loans.manifests.get(10) as BlockCid).toString();
    const lying: BlockFetcher = async (cid) =>
      cid === manifest ? new TextEncoder().encode("{}") : (world.blocks.get(cid) as Uint8Array);
    const result = await verifyPublic({ registry: world.view(), fetchBlock: lying });
    expect(result.failures).toEqual([expect.objectContaining({ code: "CID_MISMATCH", expected: manifest })]);
  });

  it("rethrows an unreachable source instead of reporting the organisation", async () => {
    const world = new World();
    world.publish("loans", 10, [10]);
    const down: BlockFetcher = async () => {
      throw new SourceError("SOURCE_UNREACHABLE", "connection refused");
    };
    await expect(verifyPublic({ registry: world.view(), fetchBlock: down })).rejects.toMatchObject({
      code: "SOURCE_UNREACHABLE",
    });
  });

  it("keeps at most `concurrency` fetches in flight and reports progress", async () => {
    const world = new World();
    world.publish("loans", 50, [20, 50], 7);
    let inFlight = 0;
    let peak = 0;
    const slow: BlockFetcher = async (cid) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return world.blocks.get(cid) as Uint8Array;
    };
    const seen: number[] = [];
    const result = await verifyPublic({
      registry: world.view(),
      fetchBlock: slow,
      concurrency: 3,
      onProgress: (p) => seen.push(p.records),
    });
    expect(result.ok).toBe(true);
    expect(peak).toBeLessThanOrEqual(3);
    expect(seen.at(-1)).toBe(50);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("verifies any split of a stream into anchors and manifests (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 5, max: 60 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 59 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 9 }),
        async (count, cuts, perManifest) => {
          const sizes = [...new Set([...cuts.filter((c) => c < count), count])].sort((a, b) => a - b);
          const world = new World();
          world.publish("loans", count, sizes, perManifest);
          const result = await run(world);
          expect(result.failures).toEqual([]);
          expect(result.checked).toBe(count);
          expect(result.anchors).toBe(sizes.length);
        },
      ),
      { numRuns: process.env.CI ? 60 : 20 },
    );
  });
});

/** A record of `records` replaced by `change` of it, re-encoded (its CID changes; manifests list the new one). */
function replaced(
  records: { bytes: Uint8Array; cid: BlockCid }[],
  seq: number,
  change: (r: AncoraRecord) => AncoraRecord,
): { bytes: Uint8Array; cid: BlockCid }[] {
  const out = [...records];
  out[seq] = encodeRecordBlock(change(decodeRecord((records[seq] as { bytes: Uint8Array }).bytes)), sha256);
  return out;
}

/** Ways an organisation can anchor and publish a bad stream, each at a seq. */
const BAD_STREAMS: Record<string, (world: World, count: number, seq: number) => void> = {
  "a record swapped with the next one (anchored so)": (world, count, at) =>
    world.publish("loans", count, [count], 9, undefined, (records) => {
      const out = [...records];
      const seq = Math.min(at, count - 2); // the last record has no next one
      [out[seq], out[seq + 1]] = [
        records[seq + 1] as (typeof records)[number],
        records[seq] as (typeof records)[number],
      ];
      return out;
    }),
  "an edited record (its successor's prev breaks)": (world, count, seq) =>
    world.publish("loans", count, [count], 9, undefined, (records) =>
      replaced(records, Math.max(1, seq), (r) => ({ ...r, ts: "2031-01-01T00:00:00.000Z" }) as AncoraRecord),
    ),
  "a decision with a label its config does not give": (world, count, seq) =>
    world.publish("loans", count, [Math.ceil(count / 2), count], 7, undefined, (records) =>
      replaced(records, Math.max(4, seq), (r) =>
        r.kind === "decision" ? ({ ...r, body: { ...r.body, label: "L009" } } as AncoraRecord) : r,
      ),
    ),
  "a record block not published": (world, count, seq) => {
    const loans = world.publish("loans", count, [count], 9);
    world.blocks.delete((loans.records[seq] as { cid: BlockCid }).cid.toString());
  },
  "an intact stream": (world, count) => world.publish("loans", count, [Math.floor(count / 3), count], 11),
};

describe("verifyPublic with a worker pool", { timeout: 60_000 }, () => {
  let pool: VerifyPool;
  let server: Server;
  const world = { current: new World() };
  beforeAll(async () => {
    pool = startVerifyPool({ threads: 2 });
    // A real block source: a trustless gateway on loopback serving the current world's blocks.
    server = createServer((request, response) => {
      const cid = /^\/ipfs\/([a-z0-9]+)/.exec(request.url ?? "")?.[1] ?? "";
      const bytes = world.current.blocks.get(cid);
      if (bytes === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/vnd.ipld.raw" }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await pool.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function both(w: World, extra: Partial<Parameters<typeof verifyPublic>[0]> = {}) {
    world.current = w;
    const { port } = server.address() as AddressInfo;
    const fetchBlock = gatewayFetcher(`http://127.0.0.1:${port}`, { retries: 0 });
    const serial = await verifyPublic({ registry: w.view(), fetchBlock, sha256, ...extra });
    const seen: number[] = [];
    const parallel = await verifyPublic({
      registry: w.view(),
      fetchBlock,
      sha256,
      pool,
      rangeRecords: 16,
      onProgress: (p) => seen.push(p.records),
      ...extra,
    });
    const { streams, ...rest } = parallel;
    expect({ ...rest, streams: streams.map(({ serialFallback: _, ...s }) => s) }).toEqual(serial);
    return { serial, parallel, seen };
  }

  it("gives the serial result on intact streams, checked in ranges", async () => {
    const w = new World();
    w.publish("loans", 100, [10, 57, 100], 9);
    w.publish("fraud", 40, [40]);
    w.publish("tiny", 12, [12]); // one range: this thread
    const { parallel, seen } = await both(w);
    expect(parallel.ok).toBe(true);
    expect(parallel.checked).toBe(152);
    expect(parallel.streams.every((s) => s.serialFallback === undefined)).toBe(true);
    expect(seen.at(-1)).toBe(152);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("reports every bad stream exactly as the serial path, at random places (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(BAD_STREAMS)),
        fc.integer({ min: 40, max: 90 }),
        fc.oneof(fc.constantFrom(15, 16, 17, 31, 32, 33), fc.integer({ min: 1, max: 39 })),
        async (name, count, seq) => {
          const w = new World();
          (BAD_STREAMS[name] as (world: World, count: number, seq: number) => void)(w, count, seq);
          w.publish("fraud", 33, [33]);
          const { serial, parallel } = await both(w);
          const loans = parallel.streams[0];
          if (serial.streams[0]?.ok === false) expect(loans?.serialFallback).toBeDefined();
          else expect(loans?.serialFallback).toBeUndefined();
          if (name !== "an intact stream") expect(serial.ok).toBe(false);
        },
      ),
      { numRuns: process.env.CI ? 60 : 20 },
    );
  });

  it("asks for a missing block once, though the stream is verified twice", async () => {
    const w = new World();
    const loans = w.publish("loans", 80, [80], 9);
    const missing = (loans.records[50] as { cid: BlockCid }).cid.toString();
    w.blocks.delete(missing);
    let asked = 0;
    const inner = w.fetcher();
    const counting: BlockFetcher = (cid, o) => {
      if (cid === missing) asked++;
      return inner(cid, o);
    };
    const { parallel } = await both(w, { fetchBlock: counting });
    expect(asked).toBe(2); // once by the serial run, once by the pooled one
    expect(parallel.streams[0]?.serialFallback).toBe("BLOCK_MISSING at seq 50");
    expect(parallel.failures).toEqual([expect.objectContaining({ code: "BLOCK_MISSING", seq: 50 })]);
  });

  it("a pool whose workers cannot start: the serial result, and why", async () => {
    const broken = startVerifyPool(
      { threads: 2 },
      { workerUrl: new URL("./no-such-worker.js", import.meta.url) },
    );
    try {
      const w = new World();
      w.publish("loans", 64, [30, 64], 9);
      const { parallel } = await both(w, { pool: broken });
      expect(parallel.ok).toBe(true);
      expect(parallel.streams[0]?.serialFallback).toMatch(/could not start/);
    } finally {
      await broken.close();
    }
  });

  it("refuses a range size that is not a multiple of 16", async () => {
    await expect(
      verifyPublic({ registry: new World().view(), fetchBlock: new World().fetcher(), rangeRecords: 20 }),
    ).rejects.toMatchObject({ code: "PUBLIC_BAD_OPTION" });
  });
});
