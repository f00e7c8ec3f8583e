/**
 * How the verifier's reader of an SDK store presents its stored Merkle nodes (see sqlite.ts): the
 * `node(stream, level, index)` lookup of a record source, over v1–v4 `merkle_nodes` rows or v5 tiles.
 */
import { HASH_SIZE, TILE_HEIGHT, TILE_MID_LEVEL, TILE_WIDTH } from "@ancora/core";
import type Database from "better-sqlite3";

/** Stored Merkle nodes of one level read per query by the node lookup. */
const NODE_WINDOW = 1024;

/** The bytes of a BLOB column; anything else a tampered schema let in becomes its UTF-8 text. */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return Buffer.from(value === null || value === undefined ? "" : String(value), "utf8");
}

export type NodeOf = (stream: string, level: number, index: number) => Uint8Array | null | undefined;

/**
 * Schema v1–v4: one `merkle_nodes` row per node. The verifier asks for nodes level by level in
 * increasing index order (it completes them left to right), so one query per window of NODE_WINDOW
 * indexes answers as one point query per node.
 */
export function nodeRows(
  db: Database.Database,
  idOf: (stream: string) => number,
  read: <T>(f: () => T) => T,
): NodeOf {
  const window = db
    .prepare("SELECT idx, hash FROM merkle_nodes WHERE stream_id = ? AND level = ? AND idx >= ? AND idx < ?")
    .raw();
  /** Per stream and level: the window [from, from + NODE_WINDOW) of stored nodes last read. */
  const windows = new Map<string, { from: number; nodes: Map<number, Uint8Array> }>();
  return (stream, level, index) => {
    const key = `${stream}\u0000${level}`;
    let cached = windows.get(key);
    if (cached === undefined || index < cached.from || index >= cached.from + NODE_WINDOW) {
      const nodes = new Map<number, Uint8Array>();
      const rows = read(
        () => window.all(idOf(stream), level, index, index + NODE_WINDOW) as [number, unknown][],
      );
      for (const [idx, hash] of rows) nodes.set(idx, toBytes(hash));
      cached = { from: index, nodes };
      windows.set(key, cached);
    }
    return cached.nodes.get(index);
  };
}

/**
 * Schema v5: the hashes of levels 8, 16, … as their tiles hold them (every node of those levels is
 * stored, in a full or partial tile), and of levels 4, 12, 20, … as the tiles' mids hold them (a
 * level-0 tile is stored once full, so a mid of the last, partial one is not kept: `null`, as for a
 * deleted level-0 tile, whose leaves the records' checks report missing); the levels in between are
 * not kept (`null`). Level 0 comes with the records. The tile last read per stream and level is kept:
 * the verifier asks in increasing index order.
 */
export function tileNodes(
  db: Database.Database,
  idOf: (stream: string) => number,
  read: <T>(f: () => T) => T,
): NodeOf {
  const select = db
    .prepare("SELECT hashes, mids FROM merkle_tiles WHERE stream_id = ? AND level = ? AND idx = ?")
    .raw();
  const last = new Map<string, { index: number; hashes: Uint8Array; mids: Uint8Array } | null>();
  return (stream, level, index) => {
    const within = level % TILE_HEIGHT;
    if (level === 0 || (within !== 0 && within !== TILE_MID_LEVEL)) return null;
    const tileLevel = (level - within) / TILE_HEIGHT;
    const perTile = within === 0 ? TILE_WIDTH : TILE_WIDTH / 2 ** TILE_MID_LEVEL;
    const tile = Math.floor(index / perTile);
    const key = `${stream}\u0000${tileLevel}`;
    let cached = last.get(key);
    if (cached === undefined || (cached !== null && cached.index !== tile) || cached === null) {
      const row = read(() => select.get(idOf(stream), tileLevel, tile) as [unknown, unknown] | undefined);
      cached = row === undefined ? null : { index: tile, hashes: toBytes(row[0]), mids: toBytes(row[1]) };
      last.set(key, cached);
    }
    if (cached === null) return within === TILE_MID_LEVEL && tileLevel === 0 ? null : undefined;
    const entries = within === 0 ? cached.hashes : cached.mids;
    const offset = (index - tile * perTile) * HASH_SIZE;
    if (entries.length < offset + HASH_SIZE) return undefined;
    return entries.subarray(offset, offset + HASH_SIZE);
  };
}
