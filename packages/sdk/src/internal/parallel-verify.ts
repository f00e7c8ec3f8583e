/**
 * verify() of a long stream on several threads: a thin wrapper over @ancora/verifier's range
 * verification (`verifyLocalStreamBlocking`), which splits the stream into seq ranges, checks them on
 * worker threads with the verifier's own read-only reader of the file, and stitches their facts. This
 * file only hands it what the store's read transaction holds, because verify() is synchronous and its
 * result is that transaction's snapshot:
 *
 * Snapshots: the calling thread reads the head, the row count, the checkpoints, the non-decision
 * records and (while stitching) the Merkle nodes above the ranges in its read transaction; the
 * workers read closed seq ranges below that head in their own. Records and Merkle nodes are
 * append-only, so a concurrent writer changes nothing the workers read, and the row count taken here
 * proves that the ranges hold every row of the snapshot. When that adds up to a success, it is exactly
 * the serial result; anything else (a failure anywhere, a worker that could not run) returns undefined
 * and the caller verifies the stream serially, which reports failures exactly as before.
 */
import { availableParallelism } from "node:os";
import type { VerificationResult, VerifyOptions } from "@ancora/verifier";
import {
  type LocalStreamSnapshot,
  sqliteRecordSource,
  verifyLocalStreamBlocking,
} from "@ancora/verifier/node";
import type Database from "better-sqlite3";

/** Tunables (tests lower minRecords to run the parallel path on small streams). */
export const parallelVerify = {
  /** Streams shorter than this are verified serially (starting a worker costs ~100 ms). */
  minRecords: 50_000,
  /** Threads used by default, the calling one included. */
  defaultThreads: Math.min(availableParallelism(), 4),
};

/**
 * Verifies a stream on `threads` threads, inside the caller's read transaction on `db`. Returns
 * undefined when the stream is short, the store is in memory, or the result is not a plain success
 * (the caller then runs the serial path).
 */
export function verifyStreamParallel(
  db: Database.Database,
  streamId: number,
  stream: string,
  threads: number,
  options: VerifyOptions,
  /** `inline` runs every range in this thread, one after another (tests). */
  mode: "workers" | "inline" = "workers",
): VerificationResult | undefined {
  if (threads < 2 || db.memory) return undefined;
  const size = db.prepare<[number], number>("SELECT size FROM streams WHERE id = ?").pluck().get(streamId);
  if (size === undefined || size < Math.max(parallelVerify.minRecords, threads)) return undefined;
  const source = sqliteRecordSource(db, new Map([[stream, streamId]]));
  const snapshot: LocalStreamSnapshot = {
    path: db.name,
    stream,
    size,
    rowCount: db
      .prepare<[number], number>("SELECT count(*) FROM records WHERE stream_id = ?")
      .pluck()
      .get(streamId) as number,
    // Few rows (genesis, labels, configs, lineage), through the records_control index.
    controls: db
      .prepare<[number], { seq: number; bytes: Buffer }>(
        "SELECT seq, bytes FROM records WHERE stream_id = ? AND kind <> 'decision' ORDER BY seq",
      )
      .all(streamId),
    checkpoints: [...source.checkpoints(stream)],
    head: source.head?.(stream),
    nodes: (level, index) => source.node?.(stream, level, index),
  };
  const outcome = verifyLocalStreamBlocking(snapshot, { ...options, threads, mode });
  return outcome.ok ? outcome.result : undefined;
}
