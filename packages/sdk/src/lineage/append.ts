/**
 * Writing lineage, consent, capsule, retention and erasure records into a logger's stream. Each call
 * is one `BEGIN IMMEDIATE` transaction through the stream's own writer (so seq and prev come from the
 * committed head, as for decisions), and the derived rows that describe the record (lineage index,
 * subject index, blobs, capsule keys) are inserted in that same transaction: a record and its index
 * rows are committed together or not at all.
 */
import { InvariantError } from "@ancora/core";
import type Database from "better-sqlite3";
import { StreamUnknownError } from "../errors.js";
import type { Draft, Written } from "../internal/append-plan.js";
import { clockOf, connectionOf } from "../internal/store-handle.js";
import { StreamWriter } from "../internal/stream-writer.js";
import type { StreamLedger } from "../stream-ledger.js";

/** A record body for one of the lineage kinds (validated by core when it is encoded). */
export interface KindDraft {
  kind: string;
  body: Record<string, unknown>;
}

/** What `after` receives: the written records and the connection, inside the transaction. */
export interface AppendContext {
  db: Database.Database;
  streamId: number;
  stream: string;
  written: readonly Written[];
  /** The transaction's record time (the records' `ts`). */
  ts: string;
}

interface AppendState {
  db: Database.Database;
  streamId: number;
  writer: StreamWriter;
  /** The time of the transaction being written: the writer's clock reads it. */
  now: Date | undefined;
}

const appendStates = new WeakMap<StreamLedger, AppendState>();

/** The logger's connection, stream id and a writer of its stream (one per logger, cached). */
function appendStateOf(logger: StreamLedger): AppendState {
  const db = connectionOf(logger.store);
  const cached = appendStates.get(logger);
  if (cached !== undefined && cached.db === db) return cached;
  const streamId = db
    .prepare<[string], number>("SELECT id FROM streams WHERE name = ?")
    .pluck()
    .get(logger.stream);
  if (streamId === undefined) throw new StreamUnknownError(logger.stream);
  const state: AppendState = { db, streamId, writer: undefined as unknown as StreamWriter, now: undefined };
  const clock = clockOf(logger.store);
  state.writer = new StreamWriter(db, streamId, logger.stream, () => state.now ?? clock());
  appendStates.set(logger, state);
  return state;
}

/**
 * Appends the drafts built from the locked head, then runs `after` in the same transaction. If
 * building, encoding (core validates every body) or `after` fails, nothing is written.
 */
export function appendKinds<T>(
  logger: StreamLedger,
  build: (at: { ts: string }) => KindDraft[],
  after: (context: AppendContext) => T,
): T {
  if (logger.closed) connectionOf(logger.store); // throws ClosedError
  const state = appendStateOf(logger);
  const { db, streamId, writer } = state;
  const now = clockOf(logger.store)();
  const ts = now.toISOString();
  return db
    .transaction((): T => {
      state.now = now;
      const [outcome] = writer.appendInTransaction([
        {
          // Bodies are plain objects checked by core's registry on encoding; the cast only widens the
          // SDK's Draft union to the lineage kinds.
          build: () => build({ ts }) as unknown as Draft[],
          done: (written) => written,
        },
      ]);
      if (outcome === undefined || !outcome.ok) throw outcome?.error;
      const written = outcome.value;
      return after({ db, streamId, stream: logger.stream, written, ts });
    })
    .immediate();
}

/** The CID text and seq of the single record a call wrote. */
export function only(written: readonly Written[]): { seq: number; cid: string; ts: string } {
  const w = written[0];
  if (w === undefined) throw new InvariantError("An append wrote no record");
  return { seq: w.seq, cid: w.cid.toString(), ts: w.record.ts };
}
