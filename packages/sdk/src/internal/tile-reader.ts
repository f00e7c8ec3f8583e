/**
 * Reading a stream's Merkle tree from its tiles (schema v5, see schema.ts and core's merkle/tiles.ts):
 * full tiles as stored, the last partial level-0 tile derived from the records' CIDs, as the writer
 * derives it. Full tiles never change, so they are kept in a cache shared by the store's readers.
 */
import {
  HASH_SIZE,
  hashLeaf,
  type MerkleNodeReader,
  parseBlockCid,
  TILE_WIDTH,
  TileNodeReader,
} from "@ancora/core";
import type Database from "better-sqlite3";
import { nodeSha256 } from "./crypto.js";

/** Full tiles kept per store: 8 KiB each, so at most 8 MiB. */
const TILE_CACHE_SIZE = 1024;

/** Full tiles read so far, by stream, level and index. */
export class TileCache {
  readonly #tiles = new Map<string, Uint8Array>();

  get(key: string): Uint8Array | undefined {
    return this.#tiles.get(key);
  }

  set(key: string, hashes: Uint8Array): void {
    if (this.#tiles.size >= TILE_CACHE_SIZE) this.#tiles.clear();
    this.#tiles.set(key, hashes);
  }
}

/**
 * A node reader over one stream's tiles for the current transaction: each tile is read (or derived)
 * at most once per reader, full ones at most once per cache.
 */
export function tileNodeReader(db: Database.Database, streamId: number, cache: TileCache): MerkleNodeReader {
  const selectTile = db
    .prepare<[number, number, number], Buffer>(
      "SELECT hashes FROM merkle_tiles WHERE stream_id = ? AND level = ? AND idx = ?",
    )
    .pluck();
  const selectCids = db
    .prepare<[number, number, number], string>(
      "SELECT cid FROM records WHERE stream_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
    )
    .pluck();
  const seen = new Map<string, Uint8Array | undefined>();
  const tile = (level: number, index: number): Uint8Array | undefined => {
    const key = `${streamId}/${level}/${index}`;
    if (seen.has(key)) return seen.get(key);
    let hashes = cache.get(key);
    if (hashes === undefined) {
      const stored = selectTile.get(streamId, level, index);
      if (stored !== undefined) hashes = new Uint8Array(stored);
      else if (level === 0)
        hashes = leafTile(selectCids.all(streamId, index * TILE_WIDTH, (index + 1) * TILE_WIDTH));
      if (hashes !== undefined && hashes.length === TILE_WIDTH * HASH_SIZE) cache.set(key, hashes);
    }
    seen.set(key, hashes);
    return hashes;
  };
  return new TileNodeReader(tile, nodeSha256);
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
