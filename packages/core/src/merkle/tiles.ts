/**
 * Merkle tiles, the storage layout of C2SP tlog-tiles (height 8): the tile at (tile level L, index N)
 * holds the hashes of tree level 8L with indexes 256N … 256N + 255, 32 bytes each, left to right. A
 * tile is full at 256 hashes; the rightmost tile of a level may be partial. Every node of the tree is
 * either a stored hash (levels 0, 8, 16, …) or the root of at most 128 consecutive hashes of one tile,
 * so a store that keeps tiles keeps ~1/255 of a hash row per leaf and still serves any proof.
 *
 * Beside its hashes a tile may keep its "mids": the hashes of tree level 8L + 4 inside it, one per
 * complete group of 16 entries (16 for a full tile, 512 bytes). They are not part of C2SP's tile; they
 * let a node of the upper half of a tile be hashed from at most 8 mids instead of 128 entries, so a
 * proof hashes ~22 entries per tile level instead of ~250.
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
/** A tile's mids are the hashes of this level inside it (relative to the tile's level 8L). */
export const TILE_MID_LEVEL = 4;
/** Entries under one mid. */
const MID_SPAN = 2 ** TILE_MID_LEVEL;

/** A tile's contents as a {@link TileNodeReader} reads them. */
export interface Tile {
  /** The entries (32 bytes each). */
  readonly hashes: Uint8Array;
  /** The mids of its complete groups of 16 entries, when kept. */
  readonly mids?: Uint8Array | undefined;
}

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
  readonly #tile: (tileLevel: number, index: number) => Tile | undefined;
  readonly #sha256: Sha256;

  constructor(tile: (tileLevel: number, index: number) => Tile | undefined, sha256: Sha256) {
    this.#tile = tile;
    this.#sha256 = sha256;
  }

  node(level: number, index: number): Uint8Array | undefined {
    const at = tileCoordinates(level, index);
    const tile = this.#tile(at.tileLevel, at.tile);
    if (tile === undefined) return undefined;
    const mids = tile.mids;
    if (
      at.width >= MID_SPAN &&
      mids !== undefined &&
      (at.offset + at.width) / MID_SPAN <= mids.length / HASH_SIZE
    ) {
      return tileSubtree(mids, at.offset / MID_SPAN, at.width / MID_SPAN, this.#sha256);
    }
    return tileSubtree(tile.hashes, at.offset, at.width, this.#sha256);
  }
}

/** The mids of a tile's entries: the root of each complete group of 16 (see {@link TILE_MID_LEVEL}). */
export function tileMids(hashes: Uint8Array, sha256: Sha256): Uint8Array {
  const groups = Math.floor(hashes.length / HASH_SIZE / MID_SPAN);
  const mids = new Uint8Array(groups * HASH_SIZE);
  for (let g = 0; g < groups; g++) {
    mids.set(tileSubtree(hashes, g * MID_SPAN, MID_SPAN, sha256) as Uint8Array, g * HASH_SIZE);
  }
  return mids;
}

/** A tile to write: full (256 hashes), or the partial rightmost tile of a level above 0. */
export interface TileWrite {
  readonly tileLevel: number;
  readonly index: number;
  /** The tile's hashes (a fresh copy, 32 × its width bytes). */
  readonly hashes: Uint8Array;
  /** Its mids (32 × the number of its complete groups of 16 entries). */
  readonly mids: Uint8Array;
}

/** The rightmost, partial tile of each tile level, as a {@link TileBuilder} resumes from. */
export interface PartialTile {
  readonly tileLevel: number;
  readonly index: number;
  readonly hashes: Uint8Array;
  /** Its mids ({@link tileMids} of its hashes). */
  readonly mids: Uint8Array;
}

interface Slot {
  index: number;
  readonly hashes: Uint8Array;
  count: number;
  readonly mids: Uint8Array;
  midCount: number;
}

function emptySlot(index: number): Slot {
  return {
    index,
    hashes: new Uint8Array(TILE_WIDTH * HASH_SIZE),
    count: 0,
    mids: new Uint8Array((TILE_WIDTH / MID_SPAN) * HASH_SIZE),
    midCount: 0,
  };
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
  /** Per tile level: the rightmost tile, its hashes and mids so far. */
  readonly #slots: Slot[] = [];
  /** Tiles that filled during the appends since the last take (their last mids may still come). */
  readonly #filled = new Map<string, { tileLevel: number; slot: Slot }>();
  readonly #changed = new Set<number>();

  /**
   * Resumes at tree size `size` from the rightmost partial tile of each level that has one
   * (`partials`, the level-0 one included).
   *
   * @throws {ArgumentError} when a partial tile does not match `size`.
   */
  constructor(size: number, partials: readonly PartialTile[]) {
    for (let level = 0, count = size; count > 0; level++, count = Math.floor(count / TILE_WIDTH)) {
      const width = count % TILE_WIDTH;
      const slot = emptySlot(Math.floor(count / TILE_WIDTH));
      const given = partials.find((p) => p.tileLevel === level);
      if (width > 0) {
        const groups = Math.floor(width / MID_SPAN);
        if (
          given === undefined ||
          given.index !== slot.index ||
          given.hashes.length !== width * HASH_SIZE ||
          given.mids.length !== groups * HASH_SIZE
        ) {
          throw new ArgumentError(
            `TileBuilder: the partial tile of level ${level} does not match size ${size}`,
            {
              hint: "Pass the rightmost tile (hashes and mids) of every level whose count of hashes is not a multiple of 256.",
              evidence: {
                level,
                index: slot.index,
                width,
                found: given === undefined ? null : given.hashes.length / HASH_SIZE,
              },
            },
          );
        }
        slot.hashes.set(given.hashes);
        slot.count = width;
        slot.mids.set(given.mids);
        slot.midCount = groups;
      }
      this.#slots[level] = slot;
    }
  }

  /** Takes the nodes an append completed, level by level from the leaves up (as appends report them). */
  add(nodes: readonly MerkleNode[]): void {
    for (const node of nodes) {
      const within = node.level % TILE_HEIGHT;
      if (within === 0) this.#addEntry(node);
      else if (within === TILE_MID_LEVEL) this.#addMid(node);
    }
  }

  #addEntry(node: MerkleNode): void {
    const level = node.level / TILE_HEIGHT;
    let slot = this.#slots[level] ?? emptySlot(0);
    if (slot.count === TILE_WIDTH && node.index === (slot.index + 1) * TILE_WIDTH) {
      this.#filled.set(`${level}/${slot.index}`, { tileLevel: level, slot });
      slot = emptySlot(slot.index + 1);
    }
    this.#slots[level] = slot;
    if (node.index !== slot.index * TILE_WIDTH + slot.count) {
      throw new ArgumentError("TileBuilder.add: nodes must arrive in index order within a level", {
        evidence: { level: node.level, index: node.index, expected: slot.index * TILE_WIDTH + slot.count },
      });
    }
    slot.hashes.set(node.hash, slot.count * HASH_SIZE);
    slot.count++;
    this.#changed.add(level);
  }

  #addMid(node: MerkleNode): void {
    const level = (node.level - TILE_MID_LEVEL) / TILE_HEIGHT;
    const tile = Math.floor(node.index / (TILE_WIDTH / MID_SPAN));
    const current = this.#slots[level];
    const slot = current?.index === tile ? current : this.#filled.get(`${level}/${tile}`)?.slot;
    const position = node.index - tile * (TILE_WIDTH / MID_SPAN);
    if (slot === undefined || position !== slot.midCount) {
      throw new ArgumentError("TileBuilder.add: a tile's mid arrived before its entries or out of order", {
        evidence: { level: node.level, index: node.index },
      });
    }
    slot.mids.set(node.hash, position * HASH_SIZE);
    slot.midCount++;
  }

  /** The tiles to write since the last call, each once, lower levels first. */
  take(): TileWrite[] {
    const tiles: TileWrite[] = [];
    const full = (tileLevel: number, slot: Slot): TileWrite => ({
      tileLevel,
      index: slot.index,
      hashes: slot.hashes,
      mids: slot.mids.slice(0, slot.midCount * HASH_SIZE),
    });
    for (const { tileLevel, slot } of this.#filled.values()) tiles.push(full(tileLevel, slot));
    this.#filled.clear();
    for (const level of this.#changed) {
      const slot = this.#slots[level] as Slot;
      if (slot.count === TILE_WIDTH) {
        tiles.push(full(level, slot));
        this.#slots[level] = emptySlot(slot.index + 1);
      } else if (level > 0 && slot.count > 0) {
        tiles.push({
          tileLevel: level,
          index: slot.index,
          hashes: slot.hashes.slice(0, slot.count * HASH_SIZE),
          mids: slot.mids.slice(0, slot.midCount * HASH_SIZE),
        });
      }
    }
    this.#changed.clear();
    return tiles.sort((a, b) => a.tileLevel - b.tileLevel || a.index - b.index);
  }

  /** The rightmost partial tile at `tileLevel` (copies), or `undefined` when it has none. */
  partial(tileLevel: number): PartialTile | undefined {
    const slot = this.#slots[tileLevel];
    if (slot === undefined || slot.count === 0 || slot.count === TILE_WIDTH) return undefined;
    return {
      tileLevel,
      index: slot.index,
      hashes: slot.hashes.slice(0, slot.count * HASH_SIZE),
      mids: slot.mids.slice(0, slot.midCount * HASH_SIZE),
    };
  }
}
