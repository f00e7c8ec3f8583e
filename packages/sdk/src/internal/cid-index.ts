/**
 * Record lookup by CID (`cid_index`, schema v2): the first 8 bytes of the CID's digest as an integer,
 * then the full CID compared on the row it leads to. The index is filled off the logging path, in
 * batches, by whoever needs a lookup (the IPFS blockstore, lineage queries): `cid_index_state` holds
 * how far each stream is indexed.
 */
import { type CID, parseBlockCid } from "@ancora/core";
import type Database from "better-sqlite3";

/** Records indexed per catch-up transaction. */
const INDEX_BATCH = 10_000;

/** The index key of a sha2-256 CID: its digest's first 8 bytes as a signed 64-bit integer. */
export function prefixOf(cid: CID): bigint | undefined {
  const digest = cid.multihash.digest;
  if (cid.multihash.code !== 0x12 || digest.length !== 32) return undefined;
  return Buffer.from(digest.buffer, digest.byteOffset, 8).readBigInt64BE(0);
}

/**
 * Indexes the records committed since the last catch-up (every stream). Returns how many were indexed.
 * Read-only stores are left alone (lookups then only find what a writer indexed).
 */
export function indexNewRecords(db: Database.Database, maxRecords = Number.POSITIVE_INFINITY): number {
  if (db.readonly) return 0;
  let total = 0;
  const streams = db
    .prepare<[], { id: number; size: number; indexed: number | null }>(
      `SELECT s.id, s.size, c.size AS indexed FROM streams s LEFT JOIN cid_index_state c ON c.stream_id = s.id`,
    )
    .all();
  const select = db.prepare<[number, number, number], { seq: number; cid: string }>(
    "SELECT seq, cid FROM records WHERE stream_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
  );
  const insert = db.prepare("INSERT OR IGNORE INTO cid_index (prefix, stream_id, seq) VALUES (?, ?, ?)");
  const state = db.prepare(
    "INSERT INTO cid_index_state (stream_id, size) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET size = excluded.size",
  );
  for (const stream of streams) {
    let from = stream.indexed ?? 0;
    while (from < stream.size && total < maxRecords) {
      const done = db
        .transaction((): number => {
          const rows = select.all(stream.id, from, INDEX_BATCH);
          let n = 0;
          for (const row of rows) {
            const cid = parseBlockCid(row.cid);
            const prefix = cid === undefined ? undefined : prefixOf(cid);
            if (prefix !== undefined) insert.run(prefix, stream.id, row.seq);
            n++;
          }
          state.run(stream.id, from + n);
          return n;
        })
        .immediate();
      if (done === 0) break;
      from += done;
      total += done;
    }
  }
  return total;
}

/** A record found by CID. */
export interface RecordRow {
  cid: string;
  stream: string;
  seq: number;
  bytes: Buffer;
}

/**
 * The record whose CID is `cid` (any stream), or undefined. Catches the index up first when the
 * connection may write; on a read-only connection the records the index has not reached yet are
 * scanned (only those: a range per stream), so a lookup never scans the whole log.
 */
export function findRecordByCid(db: Database.Database, cid: string): RecordRow | undefined {
  const parsed = parseBlockCid(cid);
  const prefix = parsed === undefined ? undefined : prefixOf(parsed);
  if (prefix === undefined) return undefined; // not an Ancora record CID: no record has it
  indexNewRecords(db);
  const indexed = db
    .prepare<[bigint, string], RecordRow>(
      `SELECT r.cid, s.name AS stream, r.seq, r.bytes FROM cid_index i
         JOIN records r ON r.stream_id = i.stream_id AND r.seq = i.seq
         JOIN streams s ON s.id = r.stream_id
        WHERE i.prefix = ? AND r.cid = ?`,
    )
    .get(prefix, cid);
  if (indexed !== undefined) return indexed;
  return db
    .prepare<[string], RecordRow>(
      `SELECT r.cid, s.name AS stream, r.seq, r.bytes FROM streams s
         LEFT JOIN cid_index_state c ON c.stream_id = s.id
         JOIN records r ON r.stream_id = s.id AND r.seq >= coalesce(c.size, 0)
        WHERE r.cid = ?`,
    )
    .get(cid);
}
