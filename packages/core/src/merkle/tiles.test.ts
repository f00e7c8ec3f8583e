import { describe, expect, it } from "vitest";
import { ArgumentError } from "../errors.js";
import { sha256 } from "../hash.js";
import { CompactRange } from "./compact-range.js";
import { MemoryNodeStore } from "./node-store.js";
import { consistencyProof, inclusionProof, rootAt } from "./proof.js";
import {
  TILE_WIDTH,
  type Tile,
  TileBuilder,
  TileNodeReader,
  tileCoordinates,
  tileMids,
  tileSubtree,
} from "./tiles.js";
import { verifyConsistency, verifyInclusion } from "./verify.js";

const leaf = (i: number) => new TextEncoder().encode(`leaf ${i}`);

/** Appends `n` leaves in batches of `batch`, keeping every node and the written tiles. */
function build(n: number, batch: number) {
  const tree = new CompactRange();
  const all = new MemoryNodeStore();
  const tiles = new Map<string, Tile>();
  let builder = new TileBuilder(0, []);
  for (let i = 0; i < n; i += batch) {
    const leaves = [];
    for (let j = i; j < Math.min(n, i + batch); j++) leaves.push(leaf(j));
    const { nodes } = tree.appendLeaves(leaves);
    all.putAll(nodes);
    builder.add(nodes);
    for (const t of builder.take())
      tiles.set(`${t.tileLevel}/${t.index}`, { hashes: t.hashes, mids: t.mids });
    // Resuming from what a store holds (the level-0 partial tile derived, the others stored) must
    // continue identically.
    const partials = [];
    for (let level = 0; level < 4; level++) {
      const p = builder.partial(level);
      if (p !== undefined) partials.push(p);
    }
    builder = new TileBuilder(tree.size, partials);
  }
  return { tree, all, tiles };
}

describe("tiles", () => {
  it("place every node in its tile", () => {
    expect(tileCoordinates(0, 0)).toEqual({ tileLevel: 0, tile: 0, offset: 0, width: 1 });
    expect(tileCoordinates(0, 257)).toEqual({ tileLevel: 0, tile: 1, offset: 1, width: 1 });
    expect(tileCoordinates(3, 33)).toEqual({ tileLevel: 0, tile: 1, offset: 8, width: 8 });
    expect(tileCoordinates(8, 5)).toEqual({ tileLevel: 1, tile: 0, offset: 5, width: 1 });
    expect(tileCoordinates(15, 3)).toEqual({ tileLevel: 1, tile: 1, offset: 128, width: 128 });
  });

  it.each([
    [1, 1],
    [255, 7],
    [256, 256],
    [700, 33],
    [66_000, 1000],
  ])("store every node of %i leaves (batches of %i) as tiles of levels 0, 8, 16", (n, batch) => {
    const { tree, all, tiles } = build(n, batch);
    // Only full level-0 tiles; level-1 tiles full or partial.
    for (const [key, { hashes, mids }] of tiles) {
      const [level, index] = key.split("/").map(Number) as [number, number];
      if (level === 0) expect(hashes.length).toBe(TILE_WIDTH * 32);
      const count = Math.floor(n / TILE_WIDTH ** level);
      expect(hashes.length / 32).toBe(Math.min(TILE_WIDTH, count - index * TILE_WIDTH));
      // Mids: the nodes of level 8L + 4 inside the tile, one per complete group of 16 entries.
      expect(mids?.length).toBe(Math.floor(hashes.length / 32 / 16) * 32);
      for (let g = 0; g < (mids?.length ?? 0) / 32; g++) {
        expect(mids?.subarray(g * 32, g * 32 + 32)).toEqual(all.node(8 * level + 4, index * 16 + g));
      }
      expect(mids).toEqual(tileMids(hashes, sha256));
    }
    // The level-0 partial tile is the leaves' hashes, as a store derives it from its records.
    const full = Math.floor(n / TILE_WIDTH);
    const partial = new Uint8Array((n - full * TILE_WIDTH) * 32);
    for (let i = full * TILE_WIDTH; i < n; i++)
      partial.set(all.node(0, i) as Uint8Array, (i - full * TILE_WIDTH) * 32);
    const reader = new TileNodeReader(
      (level, index) =>
        tiles.get(`${level}/${index}`) ??
        (level === 0 && index === full ? { hashes: partial, mids: tileMids(partial, sha256) } : undefined),
      sha256,
    );
    for (let level = 0; 2 ** level <= n; level++) {
      for (
        let index = 0;
        (index + 1) * 2 ** level <= n;
        index += Math.max(1, Math.floor(n / 2 ** level / 50))
      ) {
        expect(reader.node(level, index)).toEqual(all.node(level, index));
      }
    }
    expect(rootAt(reader, n, sha256)).toEqual(tree.root());
    const m = Math.max(1, Math.floor(n / 3));
    const inclusion = inclusionProof(reader, m - 1, n, sha256);
    const leafHash = all.node(0, m - 1) as Uint8Array;
    expect(verifyInclusion({ leafHash, index: m - 1, size: n, proof: inclusion, root: tree.root() })).toBe(
      true,
    );
    const consistency = consistencyProof(reader, m, n, sha256);
    expect(
      verifyConsistency({
        size1: m,
        size2: n,
        root1: rootAt(all, m, sha256),
        root2: tree.root(),
        proof: consistency,
      }),
    ).toBe(true);
  });

  it("answer undefined for a node a partial tile has not reached", () => {
    const hashes = new Uint8Array(3 * 32);
    expect(tileSubtree(hashes, 2, 2, sha256)).toBeUndefined();
    expect(tileSubtree(hashes, 2, 1, sha256)).toEqual(new Uint8Array(32));
  });

  it("refuse to resume from a partial tile that does not match the size", () => {
    expect(() => new TileBuilder(300, [])).toThrow(ArgumentError);
    expect(
      () =>
        new TileBuilder(300, [
          { tileLevel: 0, index: 1, hashes: new Uint8Array(43 * 32), mids: new Uint8Array(0) },
        ]),
    ).toThrow(ArgumentError);
    // 256 leaves: a full level-0 tile and one hash of level 8, in the partial level-1 tile.
    expect(() => new TileBuilder(256, [])).toThrow(ArgumentError);
    expect(
      () =>
        new TileBuilder(256, [
          { tileLevel: 1, index: 0, hashes: new Uint8Array(32), mids: new Uint8Array(0) },
        ]),
    ).not.toThrow();
  });
});
