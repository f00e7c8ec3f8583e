/**
 * The search index (schema v5): `record_index` holds each record's search columns (kind, ts, label,
 * model) keyed by (stream, seq), with indexes on label, model and time. Appending a record does not
 * touch it: a catch-up indexer copies the columns of new records from `records` in batches, and every
 * query over the index runs it first, so answers are never stale. `record_index_state` holds how far
 * each stream is indexed.
 */
import type Database from "better-sqlite3";

/** Records indexed per transaction: the write lock is held for one batch at a time. */
const BATCH = 20_000;

/**
 * Brings `record_index` up to date with every stream's committed records and returns the table to
 * query: `record_index`, or `records` itself (the same columns, without the indexes) when this
 * connection cannot write now (a read-only store, or a caller's transaction already open, whose
 * snapshot may be older than the index), so that answers are complete either way.
 */
export function searchTable(db: Database.Database): "record_index" | "records" {
  if (db.readonly || db.inTransaction) return "records";
  catchUpRecordIndex(db);
  return "record_index";
}

/**
 * Indexes the records appended since the last catch-up, at most `maxRecords` of them, in
 * transactions of at most `batch` records, and returns how many it indexed.
 */
export function catchUpRecordIndex(
  db: Database.Database,
  maxRecords = Number.POSITIVE_INFINITY,
  batch = BATCH,
): number {
  const behind = db
    .prepare<[], { id: number }>(
      `SELECT s.id AS id FROM streams s LEFT JOIN record_index_state i ON i.stream_id = s.id
        WHERE s.size > coalesce(i.size, 0)`,
    )
    .all();
  if (behind.length === 0) return 0;
  const copy = db.prepare<[number, number, number]>(
    `INSERT OR REPLACE INTO record_index (stream_id, seq, kind, ts, label, model_id, model_version)
     SELECT stream_id, seq, kind, ts, label, model_id, model_version FROM records
      WHERE stream_id = ? AND seq >= ? AND seq < ?`,
  );
  const mark = db.prepare<[number, number]>(
    "INSERT INTO record_index_state (stream_id, size) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET size = excluded.size",
  );
  const indexed = db
    .prepare<[number], number>("SELECT size FROM record_index_state WHERE stream_id = ?")
    .pluck();
  const size = db.prepare<[number], number>("SELECT size FROM streams WHERE id = ?").pluck();
  let done = 0;
  for (const stream of behind) {
    while (done < maxRecords) {
      // Re-read under the write lock: another connection may have indexed (or appended) meanwhile.
      const count = db
        .transaction(() => {
          const from = indexed.get(stream.id) ?? 0;
          const to = Math.min(size.get(stream.id) ?? 0, from + Math.min(batch, maxRecords - done));
          if (to <= from) return 0;
          copy.run(stream.id, from, to);
          mark.run(stream.id, to);
          return to - from;
        })
        .immediate();
      if (count === 0) break;
      done += count;
    }
  }
  return done;
}
