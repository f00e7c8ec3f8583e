import { chainLink, genesisHead } from "@ancora/contracts";
import { type BlockCid, CompactRange, manifestBlock, manifestDigest } from "@ancora/core";
import fc from "fast-check";
import { type Hex, toHex } from "viem";
import { describe, expect, it } from "vitest";
import type { RegistryAnchor } from "../chain/registry-view.js";
import { PublicVerifyError, SourceError } from "../errors.js";
import type { BlockFetcher } from "../sources/types.js";
import { CHAIN_ID, REGISTRY, run, sha256, World } from "../testing/public-world.js";
import { HISTORY_PROOF, verifyPublic } from "./verify-public.js";

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
