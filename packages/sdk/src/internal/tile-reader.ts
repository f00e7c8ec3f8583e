/**
 * Reading a stream's Merkle tree from its tiles (schema v5, see schema.ts and core's merkle/tiles.ts):
 * full tiles as stored, the last partial level-0 tile derived from the records' CIDs, as the writer
 * derives it. What never changes is kept in a cache shared by the store's readers: full tiles, and
 * the leaves derived so far of a partial tile (records are append-only: they are only ever extended).
 * Nodes are not cached: with a tile's mids, any node costs at most 7 hashes.
 */
import {
  HASH_SIZE,
  hashLeaf,
  type MerkleNodeReader,
  parseBlockCid,
  TILE_MID_LEVEL,
  TILE_WIDTH,
  type Tile,
  TileNodeReader,
  tileMids,
} from "@ancora/core";
import type Database from "better-sqlite3";
import { nodeSha256 } from "./crypto.js";

/** Tiles kept per store: 8 KiB each, so at most 8 MiB. */
const TILE_CACHE_SIZE = 1024;

/** What a store's tile readers keep between calls. */
export class TileCache {
  readonly tiles = new Map<string, Tile>();
}

/** The statements a reader uses, prepared once per connection. */
const prepared = new WeakMap<
  Database.Database,
  {
    selectTile: Database.Statement<[number, number, number], { hashes: Buffer; mids: Buffer }>;
    selectCids: Database.Statement<[number, number, number], string>;
  }
>();

function remember<T>(map: Map<string, T>, limit: number, key: string, value: T): void {
  if (map.size >= limit) map.clear();
  map.set(key, value);
}

/**
 * A node reader over one stream's tiles for the current transaction: each tile is read (or derived)
 * at most once per reader, full ones at most once per cache.
 */
export function tileNodeReader(db: Database.Database, streamId: number, cache: TileCache): MerkleNodeReader {
  // Prepared once per connection: a proof is a few lookups, and preparing costs as much as they do.
  let statements = prepared.get(db);
  if (statements === undefined) {
    statements = {
      selectTile: db.prepare<[number, number, number], { hashes: Buffer; mids: Buffer }>(
        "SELECT hashes, mids FROM merkle_tiles WHERE stream_id = ? AND level = ? AND idx = ?",
      ),
      selectCids: db
        .prepare<[number, number, number], string>(
          "SELECT cid FROM records WHERE stream_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
        )
        .pluck(),
    };
    prepared.set(db, statements);
  }
  const { selectTile, selectCids } = statements;
  const seen = new Map<string, Tile | undefined>();
  const tile = (level: number, index: number): Tile | undefined => {
    const key = `${streamId}/${level}/${index}`;
    if (seen.has(key)) return seen.get(key);
    let found = cache.tiles.get(key);
    if (found === undefined || found.hashes.length < TILE_WIDTH * HASH_SIZE) {
      const stored = selectTile.get(streamId, level, index);
      if (stored !== undefined) {
        found = { hashes: new Uint8Array(stored.hashes), mids: new Uint8Array(stored.mids) };
      } else if (level === 0) {
        // The partial tile's leaves: those derived before, extended by the records appended since.
        found = extendLeaves(
          found,
          selectCids.all(
            streamId,
            index * TILE_WIDTH + (found?.hashes.length ?? 0) / HASH_SIZE,
            (index + 1) * TILE_WIDTH,
          ),
        );
      } else {
        found = undefined;
      }
      if (found !== undefined && (level === 0 || found.hashes.length === TILE_WIDTH * HASH_SIZE)) {
        remember(cache.tiles, TILE_CACHE_SIZE, key, found);
      }
    }
    seen.set(key, found);
    return found;
  };
  return new TileNodeReader(tile, nodeSha256);
}

/**
 * A derived level-0 tile extended by the leaves of `cids` (the records after it), its mids extended
 * by the groups of 16 that became complete; `undefined` when there is nothing.
 */
function extendLeaves(known: Tile | undefined, cids: readonly string[]): Tile | undefined {
  const more = leafTile(cids);
  if (more === undefined) return known;
  const hashes = known === undefined ? more : concat(known.hashes, more);
  const group = 2 ** TILE_MID_LEVEL * HASH_SIZE;
  const done = known?.mids?.length ?? 0;
  const from = (done / HASH_SIZE) * group;
  const added = tileMids(hashes.subarray(from, Math.floor(hashes.length / group) * group), nodeSha256);
  return { hashes, mids: concat(known?.mids ?? new Uint8Array(0), added) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The leaf hashes of consecutive records from their stored CIDs (the entries of a level-0 tile);
 * `undefined` for none, or when a stored CID is not one.
 */
export function leafTile(cids: readonly string[]): Uint8Array | undefined {
  if (cids.length === 0) return undefined;
  const hashes = new Uint8Array(cids.length * HASH_SIZE);
  for (let i = 0; i < cids.length; i++) {
    const cid = parseBlockCid(cids[i] as string);
    if (cid === undefined) return undefined;
    hashes.set(hashLeaf(cid.bytes, nodeSha256), i * HASH_SIZE);
  }
  return hashes;
}
