/**
 * Merkle tiles, the storage layout of C2SP tlog-tiles (height 8): the tile at (tile level L, index N)
 * holds the hashes of tree level 8L with indexes 256N … 256N + 255, 32 bytes each, left to right. A
 * tile is full at 256 hashes; the rightmost tile of a level may be partial. Every node of the tree is
 * either a stored hash (levels 0, 8, 16, …) or the root of at most 128 consecutive hashes of one tile,
 * so a store that keeps tiles keeps ~1/255 of a hash row per leaf and still serves any proof.
 *
 * This module is the layout's one home: where a node lies in its tile, the hash of a run of a tile's
 * entries, a node reader over tiles, and the builder that turns appended nodes into tiles to write.
 */
import { ArgumentError } from "../errors.js";
import type { Sha256 } from "../hash.js";
import { HASH_SIZE, nodeHash } from "./hashing.js";
import type { MerkleNode, MerkleNodeReader } from "./node-store.js";

/** Tree levels per tile level. */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile. */
export const TILE_WIDTH = 256;

/** Where node (level, index) lies: its tile, and the run of that tile's entries it is the root of. */
export interface TileCoordinates {
  /** The tile level: the node's level divided by 8, rounded down. */
  readonly tileLevel: number;
  /** The tile's index within its level. */
  readonly tile: number;
  /** The node's first entry in the tile. */
  readonly offset: number;
  /** Entries the node covers: 2^(level mod 8). */
  readonly width: number;
}

/** The tile holding node (level, index) and the entries below it. */
export function tileCoordinates(level: number, index: number): TileCoordinates {
  const tileLevel = Math.floor(level / TILE_HEIGHT);
  const width = 2 ** (level - tileLevel * TILE_HEIGHT);
  const first = index * width;
  const tile = Math.floor(first / TILE_WIDTH);
  return { tileLevel, tile, offset: first - tile * TILE_WIDTH, width };
}

/**
 * The root of `width` (a power of two, at most 256) consecutive entries of a tile from entry `offset`,
 * or `undefined` when the tile does not hold them all (a partial tile that has not reached them).
 */
export function tileSubtree(
  hashes: Uint8Array,
  offset: number,
  width: number,
  sha256: Sha256,
): Uint8Array | undefined {
  if ((offset + width) * HASH_SIZE > hashes.length) return undefined;
  if (width === 1) return hashes.slice(offset * HASH_SIZE, (offset + 1) * HASH_SIZE);
  let row: Uint8Array[] = [];
  for (let i = 0; i < width; i += 2) {
    const at = (offset + i) * HASH_SIZE;
    row.push(
      nodeHash(
        hashes.subarray(at, at + HASH_SIZE),
        hashes.subarray(at + HASH_SIZE, at + 2 * HASH_SIZE),
        sha256,
      ),
    );
  }
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) {
      next.push(nodeHash(row[i] as Uint8Array, row[i + 1] as Uint8Array, sha256));
    }
    row = next;
  }
  return row[0];
}

/**
 * A {@link MerkleNodeReader} over tiles: `tile(tileLevel, index)` returns a tile's hashes (stored or
 * derived, full or partial), or `undefined` when there is no such tile.
 *
 * @example
 * ```ts
 * const reader = new TileNodeReader((level, index) => selectTile.get(streamId, level, index), sha256);
 * const proof = inclusionProof(reader, 17, size, sha256);
 * ```
 */
export class TileNodeReader implements MerkleNodeReader {
  readonly #tile: (tileLevel: number, index: number) => Uint8Array | undefined;
  readonly #sha256: Sha256;

  constructor(tile: (tileLevel: number, index: number) => Uint8Array | undefined, sha256: Sha256) {
    this.#tile = tile;
    this.#sha256 = sha256;
  }

  node(level: number, index: number): Uint8Array | undefined {
    const at = tileCoordinates(level, index);
    const hashes = this.#tile(at.tileLevel, at.tile);
    return hashes === undefined ? undefined : tileSubtree(hashes, at.offset, at.width, this.#sha256);
  }
}

/** A tile to write: full (256 hashes), or the partial rightmost tile of a level above 0. */
export interface TileWrite {
  readonly tileLevel: number;
  readonly index: number;
  /** The tile's hashes (a fresh copy, 32 × its width bytes). */
  readonly hashes: Uint8Array;
}

/** The rightmost, partial tile of each tile level, as a {@link TileBuilder} resumes from. */
export interface PartialTile {
  readonly tileLevel: number;
  readonly index: number;
  readonly hashes: Uint8Array;
}

/**
 * Turns the nodes appends complete into the tiles a store writes. Level-0 tiles are reported when
 * full only (the leaves of a partial one are the records' own hashes, derived again on load); tiles
 * of higher levels are reported when full and, while partial, whenever they grew, so that a store
 * holds every node of level 8, 16, … at all times.
 *
 * @example
 * ```ts
 * const tiles = new TileBuilder(0, []);
 * tiles.add(tree.appendLeaves(leaves).nodes);
 * for (const tile of tiles.take()) insertTile.run(streamId, tile.tileLevel, tile.index, tile.hashes);
 * ```
 */
export class TileBuilder {
  /** Per tile level: the rightmost tile's index and its hashes so far. */
  readonly #partial: Array<{ index: number; hashes: Uint8Array; count: number }> = [];
  readonly #changed = new Map<string, TileWrite>();

  /**
   * Resumes at tree size `size` from the rightmost partial tile of each level that has one
   * (`partials`, the level-0 one included).
   *
   * @throws {ArgumentError} when a partial tile does not match `size`.
   */
  constructor(size: number, partials: readonly PartialTile[]) {
    for (let level = 0, count = size; count > 0; level++, count = Math.floor(count / TILE_WIDTH)) {
      const width = count % TILE_WIDTH;
      const index = Math.floor(count / TILE_WIDTH);
      const slot = { index, hashes: new Uint8Array(TILE_WIDTH * HASH_SIZE), count: width };
      const given = partials.find((p) => p.tileLevel === level);
      if (width > 0) {
        if (given === undefined || given.index !== index || given.hashes.length !== width * HASH_SIZE) {
          throw new ArgumentError(
            `TileBuilder: the partial tile of level ${level} does not match size ${size}`,
            {
              hint: "Pass the rightmost tile of every level whose count of hashes is not a multiple of 256.",
              evidence: {
                level,
                index,
                width,
                found: given === undefined ? null : given.hashes.length / HASH_SIZE,
              },
            },
          );
        }
        slot.hashes.set(given.hashes);
      }
      this.#partial[level] = slot;
    }
  }

  /** Takes the nodes an append completed (any order within a level, levels in any order). */
  add(nodes: readonly MerkleNode[]): void {
    for (const node of nodes) {
      if (node.level % TILE_HEIGHT !== 0) continue;
      const level = node.level / TILE_HEIGHT;
      let slot = this.#partial[level];
      if (slot === undefined) {
        slot = { index: 0, hashes: new Uint8Array(TILE_WIDTH * HASH_SIZE), count: 0 };
        this.#partial[level] = slot;
      }
      if (node.index !== slot.index * TILE_WIDTH + slot.count) {
        throw new ArgumentError("TileBuilder.add: nodes must arrive in index order within a level", {
          evidence: { level: node.level, index: node.index, expected: slot.index * TILE_WIDTH + slot.count },
        });
      }
      slot.hashes.set(node.hash, slot.count * HASH_SIZE);
      slot.count++;
      if (slot.count === TILE_WIDTH) {
        this.#changed.set(`${level}/${slot.index}`, {
          tileLevel: level,
          index: slot.index,
          hashes: slot.hashes,
        });
        this.#partial[level] = {
          index: slot.index + 1,
          hashes: new Uint8Array(TILE_WIDTH * HASH_SIZE),
          count: 0,
        };
      } else if (level > 0) {
        this.#changed.set(`${level}/${slot.index}`, {
          tileLevel: level,
          index: slot.index,
          hashes: slot.hashes.slice(0, slot.count * HASH_SIZE),
        });
      }
    }
  }

  /** The tiles to write since the last call, each once, lower levels first. */
  take(): TileWrite[] {
    const tiles = [...this.#changed.values()].sort((a, b) => a.tileLevel - b.tileLevel || a.index - b.index);
    this.#changed.clear();
    return tiles;
  }

  /** The rightmost partial tile's hashes at `tileLevel` (a copy), or `undefined` when it has none. */
  partial(tileLevel: number): PartialTile | undefined {
    const slot = this.#partial[tileLevel];
    if (slot === undefined || slot.count === 0) return undefined;
    return { tileLevel, index: slot.index, hashes: slot.hashes.slice(0, slot.count * HASH_SIZE) };
  }
}
