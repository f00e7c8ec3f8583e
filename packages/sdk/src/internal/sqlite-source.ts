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
  leafHash: Buffer | null,
];

/** A record source over one connection. Callers wrap a verification in a read transaction. */
export function sqliteSource(db: Database.Database, streamIds: ReadonlyMap<string, number>): RecordSource {
  // The level-0 node is joined in so that one pass checks the leaf hashes the proofs are built from.
  const records = db
    .prepare<[number]>(
      `SELECT r.seq, r.bytes, r.cid, r.kind, r.label, r.model_id, r.model_version, r.ts, n.hash
       FROM records r
       LEFT JOIN merkle_nodes n ON n.stream_id = r.stream_id AND n.level = 0 AND n.idx = r.seq
       WHERE r.stream_id = ?
       ORDER BY r.seq`,
    )
    .raw();
  const checkpoints = db.prepare<[number], { size: number; root: Buffer; head_cid: string; ts: string }>(
    "SELECT size, root, head_cid, ts FROM checkpoints WHERE stream_id = ? ORDER BY size",
  );
  const head = db.prepare<[number], { size: number; head_cid: string | null; tree_state: string }>(
    "SELECT size, head_cid, tree_state FROM streams WHERE id = ?",
  );
  const node = db
    .prepare<[number, number, number], Buffer>(
      "SELECT hash FROM merkle_nodes WHERE stream_id = ? AND level = ? AND idx = ?",
    )
    .pluck();
  const idOf = (stream: string): number => {
    const id = streamIds.get(stream);
    if (id === undefined) throw new Error(`sqliteSource: unknown stream ${stream}`);
    return id;
  };
  return {
    *records(stream: string): Iterable<StoredRecord> {
      for (const row of records.iterate(idOf(stream)) as IterableIterator<RecordRow>) {
        yield {
          seq: row[0],
          bytes: row[1],
          cid: row[2],
          kind: row[3],
          label: row[4],
          modelId: row[5],
          modelVersion: row[6],
          ts: row[7],
          leafHash: row[8],
        };
      }
    },
    checkpoints(stream: string): Iterable<StoredCheckpoint> {
      return checkpoints
        .all(idOf(stream))
        .map((c) => ({ size: c.size, root: c.root, head: c.head_cid, ts: c.ts }));
    },
    node(stream: string, level: number, index: number): Uint8Array | undefined {
      return node.get(idOf(stream), level, index);
    },
    head(stream: string): StoredHead | undefined {
      const row = head.get(idOf(stream));
      if (row === undefined) return undefined;
      return { size: row.size, head: row.head_cid, root: stateRoot(row.tree_state) };
    },
  };
}

/** The root of a stored compact-range state; an unreadable state yields a root nothing matches. */
function stateRoot(treeState: string): Uint8Array {
  try {
    return CompactRange.fromState(JSON.parse(treeState) as CompactRangeState, nodeSha256).root();
  } catch {
    return new Uint8Array(0);
  }
}
