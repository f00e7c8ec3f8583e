/**
 * The store seen as a @ancora/verifier record source: rows exactly as stored, so that the verifier
 * (which re-derives everything from the bytes) judges the store, not the writer's idea of it.
 */
import { CompactRange, type CompactRangeState } from "@ancora/core";
import type { RecordSource, StoredCheckpoint, StoredHead, StoredRecord } from "@ancora/verifier";
import type Database from "better-sqlite3";
import { nodeSha256 } from "./crypto.js";

type RecordRow = [
  seq: number,
  bytes: Buffer,
  cid: string,
  kind: string,
  label: string | null,
  modelId: string | null,
  modelVersion: string | null,
  ts: string,
];

/** Nodes of one level read per query by {@link sqliteSource}'s node lookup. */
const NODE_WINDOW = 1024;

/**
 * The seq range of records a source yields: [from, to), `to` undefined for "to the end". Without a
 * range every row of the stream is read, including rows with a negative seq, which only tampering
 * can put there and which verification must therefore see.
 */
export interface SeqRange {
  from: number;
  to?: number;
}

/**
 * A record source over one connection. Callers wrap a verification in a read transaction.
 *
 * Both tables are read sequentially: records in seq order, and the level-0 Merkle nodes (the stored
 * leaf hashes) in a second cursor merged by seq, which gives exactly what a `LEFT JOIN` on
 * (level 0, idx = seq) gives without a b-tree seek per record. Upper nodes are looked up in increasing
 * index order per level (the verifier completes them left to right), so each level is read a window
 * of NODE_WINDOW indexes at a time: the same answers as one point query per node, with one query per
 * window. `range` restricts the records (and leaves) to a seq range, for verifying a stream in parts.
 */
export function sqliteSource(
  db: Database.Database,
  streamIds: ReadonlyMap<string, number>,
  range: SeqRange = { from: Number.MIN_SAFE_INTEGER },
): RecordSource {
  const to = range.to ?? Number.MAX_SAFE_INTEGER;
  const records = db
    .prepare<[number, number, number]>(
      `SELECT seq, bytes, cid, kind, label, model_id, model_version, ts
       FROM records WHERE stream_id = ? AND seq >= ? AND seq < ? ORDER BY seq`,
    )
    .raw();
  const leaves = db
    .prepare<[number, number, number]>(
      "SELECT idx, hash FROM merkle_nodes WHERE stream_id = ? AND level = 0 AND idx >= ? AND idx < ? ORDER BY idx",
    )
    .raw();
  const checkpoints = db.prepare<[number], { size: number; root: Buffer; head_cid: string; ts: string }>(
    "SELECT size, root, head_cid, ts FROM checkpoints WHERE stream_id = ? ORDER BY size",
  );
  const head = db.prepare<[number], { size: number; head_cid: string | null; tree_state: string }>(
    "SELECT size, head_cid, tree_state FROM streams WHERE id = ?",
  );
  const window = db
    .prepare<[number, number, number, number]>(
      "SELECT idx, hash FROM merkle_nodes WHERE stream_id = ? AND level = ? AND idx >= ? AND idx < ?",
    )
    .raw();
  const idOf = (stream: string): number => {
    const id = streamIds.get(stream);
    if (id === undefined) throw new Error(`sqliteSource: unknown stream ${stream}`);
    return id;
  };
  /** Per stream and level: the window [from, from + NODE_WINDOW) of stored nodes last read. */
  const windows = new Map<string, { from: number; nodes: Map<number, Buffer> }>();
  return {
    *records(stream: string): Iterable<StoredRecord> {
      const id = idOf(stream);
      const leafRows = leaves.iterate(id, range.from, to) as IterableIterator<[number, Buffer]>;
      try {
        let leaf = leafRows.next();
        for (const row of records.iterate(id, range.from, to) as IterableIterator<RecordRow>) {
          const seq = row[0];
          while (!leaf.done && leaf.value[0] < seq) leaf = leafRows.next();
          yield {
            seq,
            bytes: row[1],
            cid: row[2],
            kind: row[3],
            label: row[4],
            modelId: row[5],
            modelVersion: row[6],
            ts: row[7],
            leafHash: !leaf.done && leaf.value[0] === seq ? leaf.value[1] : null,
          };
        }
      } finally {
        leafRows.return?.();
      }
    },
    checkpoints(stream: string): Iterable<StoredCheckpoint> {
      return checkpoints
        .all(idOf(stream))
        .map((c) => ({ size: c.size, root: c.root, head: c.head_cid, ts: c.ts }));
    },
    node(stream: string, level: number, index: number): Uint8Array | undefined {
      const key = `${stream}\u0000${level}`;
      let cached = windows.get(key);
      if (cached === undefined || index < cached.from || index >= cached.from + NODE_WINDOW) {
        const nodes = new Map<number, Buffer>();
        const rows = window.all(idOf(stream), level, index, index + NODE_WINDOW) as [number, Buffer][];
        for (const [idx, hash] of rows) nodes.set(idx, hash);
        cached = { from: index, nodes };
        windows.set(key, cached);
      }
      return cached.nodes.get(index);
    },
    head(stream: string): StoredHead | undefined {
      const row = head.get(idOf(stream));
      if (row === undefined) return undefined;
      return { size: row.size, head: row.head_cid, root: stateRoot(row.tree_state) };
    },
  };
}

/** The root of a stored compact-range state; an unreadable state yields a root nothing matches. */
export function stateRoot(treeState: string): Uint8Array {
  try {
    return CompactRange.fromState(JSON.parse(treeState) as CompactRangeState, nodeSha256).root();
  } catch {
    return new Uint8Array(0);
  }
}
