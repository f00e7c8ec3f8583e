/**
 * The one place records are written. Every append runs inside `BEGIN IMMEDIATE`, which takes SQLite's
 * write lock before reading anything, and re-reads the stream's head under that lock: seq and prev are
 * assigned from what is committed, never from a cache another thread or process may have outdated, so
 * any number of writers on one file extend one chain and never fork it.
 *
 * Each entry builds its records from the locked head (so a decision's label is resolved from the
 * config that is current at write time) and is encoded completely before anything is inserted: an
 * entry that fails (bad input, missing config) writes nothing and leaves the others of its
 * transaction unaffected.
 */
import { CompactRange, TILE_WIDTH } from "@ancora/core";
import type Database from "better-sqlite3";
import { StoreError, StreamUnknownError } from "../errors.js";
import {
  type Clock,
  type Draft,
  type Entry,
  type HeadRow,
  type Outcome,
  partialTileSpots,
  planAppend,
  planCopies,
  type RecordCopy,
  type RowSink,
  type StreamState,
  streamState,
} from "./append-plan.js";
import { slabAllocator } from "./byte-slabs.js";

/**
 * Finds a stream's id, creating the stream and its genesis record when `genesis` is given and it does
 * not exist yet. Runs under the write lock, so two processes creating one stream create it once.
 */
export function openStream(
  db: Database.Database,
  name: string,
  genesis: Extract<Draft, { kind: "genesis" }>["body"] | undefined,
  clock: Clock,
): number {
  const select = db.prepare<[string], number>("SELECT id FROM streams WHERE name = ?").pluck();
  const existing = select.get(name);
  if (existing !== undefined) return existing;
  if (genesis === undefined) throw new StreamUnknownError(name);
  return db
    .transaction(() => {
      const found = select.get(name);
      if (found !== undefined) return found;
      const id = insertStreamRow(db, name, clock().toISOString());
      const writer = new StreamWriter(db, id, name, clock);
      writer.appendInTransaction([
        { build: () => [{ kind: "genesis", body: genesis }], done: () => undefined },
      ]);
      return id;
    })
    .immediate();
}

/**
 * Inserts an empty stream row (size 0, no head, an empty tree) and returns its id: what
 * {@link openStream} follows with the genesis record, and what a copy of another store fills with that
 * store's records (postgres/pg-mirror.ts).
 */
export function insertStreamRow(db: Database.Database, name: string, createdAt: string): number {
  const info = db
    .prepare(
      "INSERT INTO streams (name, size, head_cid, tree_state, config_seq, created_at) VALUES (?, 0, NULL, ?, NULL, ?)",
    )
    .run(name, JSON.stringify(new CompactRange().state()), createdAt);
  return Number(info.lastInsertRowid);
}

export class StreamWriter {
  readonly #db: Database.Database;
  readonly #id: number;
  readonly #name: string;
  readonly #clock: Clock;
  #state: StreamState | undefined;
  readonly #selectHead: Database.Statement<[number], Pick<HeadRow, "size" | "head_cid">>;
  readonly #selectFullHead: Database.Statement<[number], HeadRow>;
  readonly #updateHead: Database.Statement<[number, string | null, string, number | null, number]>;
  readonly #records: RowBatch;
  readonly #putTile: Database.Statement<[number, number, number, Uint8Array, Uint8Array]>;
  readonly #selectTile: Database.Statement<[number, number, number], { hashes: Buffer; mids: Buffer }>;
  readonly #selectCids: Database.Statement<[number, number, number], string>;
  readonly #selectRecordBytes: Database.Statement<[number, number], Buffer>;
  readonly #selectLabels: Database.Statement<[number], Buffer>;
  /** Where encoded records go until their rows are inserted (see byte-slabs.ts for why that is safe). */
  readonly #allocate = slabAllocator();

  constructor(db: Database.Database, id: number, name: string, clock: Clock) {
    this.#db = db;
    this.#id = id;
    this.#name = name;
    this.#clock = clock;
    this.#selectHead = db.prepare("SELECT size, head_cid FROM streams WHERE id = ?");
    this.#selectFullHead = db.prepare(
      "SELECT size, head_cid, tree_state, config_seq FROM streams WHERE id = ?",
    );
    this.#updateHead = db.prepare(
      "UPDATE streams SET size = ?, head_cid = ?, tree_state = ?, config_seq = ? WHERE id = ?",
    );
    this.#records = new RowBatch(
      db,
      "INSERT INTO records (stream_id, seq, cid, kind, ts, label, model_id, model_version, bytes, salt_input, salt_output) VALUES",
      11,
    );
    // A partial tile of level >= 1 is rewritten as it grows; level-0 tiles are written once, full.
    this.#putTile = db.prepare(
      "INSERT OR REPLACE INTO merkle_tiles (stream_id, level, idx, hashes, mids) VALUES (?, ?, ?, ?, ?)",
    );
    this.#selectTile = db.prepare<[number, number, number], { hashes: Buffer; mids: Buffer }>(
      "SELECT hashes, mids FROM merkle_tiles WHERE stream_id = ? AND level = ? AND idx = ?",
    );
    this.#selectCids = db
      .prepare<[number, number, number], string>(
        "SELECT cid FROM records WHERE stream_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
      )
      .pluck();
    this.#selectRecordBytes = db
      .prepare<[number, number], Buffer>("SELECT bytes FROM records WHERE stream_id = ? AND seq = ?")
      .pluck();
    // `kind <> 'decision'` repeats the partial index's condition so that SQLite uses it.
    this.#selectLabels = db
      .prepare<[number], Buffer>(
        "SELECT bytes FROM records WHERE stream_id = ? AND kind <> 'decision' AND kind = 'label' ORDER BY seq",
      )
      .pluck();
  }

  get id(): number {
    return this.#id;
  }

  get name(): string {
    return this.#name;
  }

  /**
   * Appends the entries in one `BEGIN IMMEDIATE` transaction and returns one outcome per entry. When
   * the transaction itself fails (I/O error, lock timeout), every entry fails with a StoreError and
   * nothing is written.
   */
  append<T>(entries: readonly Entry<T>[]): Outcome<T>[] {
    try {
      return this.#db.transaction(() => this.appendInTransaction(entries)).immediate();
    } catch (error) {
      this.#state = undefined; // the in-memory head may be ahead of what was rolled back
      const failure = new StoreError(
        "STORE_WRITE_FAILED",
        `Writing to stream "${this.#name}" failed; nothing was written`,
        {
          cause: error,
          hint: isBusy(error)
            ? "Another writer held the lock longer than busy_timeout; retry, or raise busyTimeoutMs."
            : "See the cause; the transaction was rolled back.",
        },
      );
      return entries.map(() => ({ ok: false, error: failure }));
    }
  }

  /** The body of {@link append}; the caller holds the write transaction. */
  appendInTransaction<T>(entries: readonly Entry<T>[]): Outcome<T>[] {
    try {
      return this.#appendRows(entries);
    } finally {
      // Rows left over by a failure belong to the transaction being rolled back, never to the next.
      this.#records.clear();
    }
  }

  /**
   * Appends records copied from another store of the same log (the PostgreSQL mirror, see
   * postgres/pg-mirror.ts) in one `BEGIN IMMEDIATE` transaction, each checked against the stream's
   * head ({@link planCopies}); any failure writes nothing and throws.
   */
  appendCopies(copies: readonly RecordCopy[]): void {
    try {
      this.#db
        .transaction(() => {
          const state = this.#load();
          planCopies(copies, state, this.#rowSink());
          this.#finish(state);
        })
        .immediate();
    } catch (error) {
      this.#state = undefined;
      throw error;
    } finally {
      this.#records.clear();
    }
  }

  /** Where planned rows go: the multi-row INSERT of this stream's records. */
  #rowSink(): RowSink {
    const id = this.#id;
    const records = this.#records;
    return (seq, cidText, columns, bytes, saltInput, saltOutput) =>
      records.add(
        id,
        seq,
        cidText,
        columns.kind,
        columns.ts,
        columns.label,
        columns.modelId,
        columns.modelVersion,
        bytes,
        saltInput,
        saltOutput,
      );
  }

  #appendRows<T>(entries: readonly Entry<T>[]): Outcome<T>[] {
    const state = this.#load();
    const outcomes = planAppend(entries, state, this.#clock().toISOString(), this.#allocate, this.#rowSink());
    this.#finish(state);
    return outcomes;
  }

  /** Inserts the gathered rows and the filled tiles, and moves the stream's head to `state`. */
  #finish(state: StreamState): void {
    const id = this.#id;
    this.#records.flush();
    for (const tile of state.tiles.take())
      this.#putTile.run(id, tile.tileLevel, tile.index, tile.hashes, tile.mids);
    this.#updateHead.run(
      state.size,
      state.headText,
      JSON.stringify(state.tree.state()),
      state.config?.seq ?? null,
      id,
    );
  }

  /**
   * The stream's state under the current transaction: the cached state when the committed head is
   * still the one it describes, else reloaded from the store (another connection wrote meanwhile).
   */
  #load(): StreamState {
    const head = this.#selectHead.get(this.#id);
    if (head === undefined) throw new StoreError("STORE_CORRUPT", `Stream "${this.#name}" has no head row`);
    const cached = this.#state;
    if (cached !== undefined && cached.size === head.size && cached.headText === head.head_cid) return cached;
    this.#state = undefined;
    const state = this.loadState();
    this.#state = state;
    return state;
  }

  /** Reads the stream's full state from the store (no cache). */
  loadState(): StreamState {
    const row = this.#selectFullHead.get(this.#id);
    if (row === undefined) throw new StoreError("STORE_CORRUPT", `Stream "${this.#name}" has no head row`);
    const id = this.#id;
    return streamState(id, this.#name, row, {
      configBytes: row.config_seq === null ? undefined : this.#selectRecordBytes.get(id, row.config_seq),
      labelRecords: this.#selectLabels.iterate(id),
      partials: partialTileSpots(row.size).map(({ level, index }) =>
        level === 0
          ? { cids: this.#selectCids.all(id, index * TILE_WIDTH, row.size) }
          : this.#selectTile.get(id, level, index),
      ),
    });
  }
}

/** Rows per multi-row INSERT (at most 9 × 64 = 576 bound parameters, far below SQLite's limit). */
const CHUNK_ROWS = 64;

/**
 * Rows of one table gathered during a transaction and inserted CHUNK_ROWS at a time with a multi-row
 * `INSERT … VALUES (…), (…), …`: one statement step per chunk instead of one per row. Statements are
 * prepared once per row count and reused.
 */
class RowBatch {
  readonly #db: Database.Database;
  readonly #prefix: string;
  readonly #width: number;
  readonly #statements = new Map<number, Database.Statement<unknown[]>>();
  #values: unknown[] = [];

  constructor(db: Database.Database, prefix: string, width: number) {
    this.#db = db;
    this.#prefix = prefix;
    this.#width = width;
  }

  add(...values: unknown[]): void {
    const pending = this.#values;
    for (const value of values) pending.push(value);
    if (pending.length === CHUNK_ROWS * this.#width) this.flush();
  }

  /** Drops the gathered rows (their transaction is being rolled back). */
  clear(): void {
    this.#values = [];
  }

  /** Inserts every gathered row. */
  flush(): void {
    const values = this.#values;
    if (values.length === 0) return;
    this.#values = [];
    this.#statement(values.length / this.#width).run(values);
  }

  #statement(rows: number): Database.Statement<unknown[]> {
    let statement = this.#statements.get(rows);
    if (statement === undefined) {
      const row = `(${new Array(this.#width).fill("?").join(", ")})`;
      statement = this.#db.prepare(`${this.#prefix} ${new Array(rows).fill(row).join(", ")}`);
      this.#statements.set(rows, statement);
    }
    return statement;
  }
}

function isBusy(error: unknown): boolean {
  return (error as { code?: unknown }).code === "SQLITE_BUSY";
}
