/**
 * The verifier's own reader of an SDK store (an SQLite file), read-only. It does not import the SDK:
 * its SQL is written against the store's schema (versions 1 to 5, see docs/sdk.md) and it presents the
 * rows exactly as stored, so the verifier judges the store and not the writer's idea of it.
 *
 * Merkle hashes: up to version 4 every perfect subtree's hash is a `merkle_nodes` row. From version 5
 * they are tiles (`merkle_tiles`, C2SP tlog-tiles of height 8): the store keeps the hashes of levels
 * 0, 8, 16, … (level 0 for full tiles only; the last partial level-0 tile is derived from the records
 * by the writer), and this reader presents exactly those, saying "not kept" (`null`) for the others.
 */
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { CompactRange, type CompactRangeState, HASH_SIZE, TILE_WIDTH } from "@ancora/core";
import type Database from "better-sqlite3";
import { SourceError } from "../errors.js";
import { requireOptional, SQLITE_PACKAGES } from "../optional-dependency.js";
import type { IndexedColumns, RecordSource, StoredCheckpoint, StoredHead, StoredRecord } from "../source.js";
import { anchorFromRow } from "./anchor-rows.js";
import { nodeSha256 } from "./node-sha256.js";
import { nodeRows, tileNodes, toBytes } from "./sqlite-nodes.js";
import { ReadRecord } from "./text-record.js";
import type { LocalAnchor, LocalLog, LocalManifest } from "./types.js";

/**
 * The newest store schema this reader knows (`PRAGMA user_version`). Version 3 added the anchors' link
 * columns (read when present); version 4 added lineage, consent and capsule tables that local
 * verification does not read; version 5 moved salts into the records' rows, the search columns' indexes
 * to a catch-up table and the Merkle hashes to tiles. A later version may change what is read here, so
 * it is refused until this reader has been checked against it.
 */
export const MAX_STORE_SCHEMA = 5;

/** How long a read waits when a writer holds the WAL's recovery lock (default 5 s). */
export const DEFAULT_LOCAL_BUSY_TIMEOUT_MS = 5_000;

/**
 * better-sqlite3, an optional peer (see {@link SQLITE_PACKAGES}), loaded by the first local log
 * opened: `openLocalLog` is synchronous, so the CommonJS module is required rather than imported,
 * from this package so that it resolves where the verifier is installed.
 */
let sqlite: typeof Database | undefined;

function loadSqlite(): typeof Database {
  sqlite ??= requireOptional(
    "Reading a local log (--db)",
    SQLITE_PACKAGES,
    () => createRequire(import.meta.url)("better-sqlite3") as typeof Database,
  );
  return sqlite;
}

/** Options of {@link openLocalLog}. */
export interface OpenLocalLogOptions {
  /** How long to wait for a lock held by a writer, in ms (default {@link DEFAULT_LOCAL_BUSY_TIMEOUT_MS}). */
  busyTimeoutMs?: number;
}

type IndexRow = [
  seq: number,
  kind: string,
  ts: string,
  label: string | null,
  modelId: string | null,
  modelVersion: string | null,
];

type RecordRow = [
  seq: number,
  text: unknown,
  byteLength: unknown,
  cid: unknown,
  kind: string,
  label: string | null,
  modelId: string | null,
  modelVersion: string | null,
  ts: string,
  rowid: number,
];

const SCHEMA_V3_COLUMNS = ["sequence", "anchorer", "consistency_checked"] as const;
const REQUIRED_TABLES = ["streams", "records", "checkpoints"] as const;
const ANCHORING_TABLES = ["anchors", "manifests"] as const;

/**
 * Opens an SDK store read-only, as one consistent snapshot, for verification.
 *
 * How it opens: better-sqlite3 `readonly: true, fileMustExist: true` (SQLITE_OPEN_READONLY). In WAL
 * mode a read-only connection only takes shared read locks and reads the WAL through the `-shm`
 * index, so it never blocks a writer appending to the same file and never checkpoints or truncates
 * the WAL. Since SQLite 3.22 it also opens a file it may not write (chmod 444): it maps the `-shm`
 * read-only, or, when no writer has it open, reads the WAL into private memory instead; when neither
 * `-shm` nor `-wal` exist it creates them (empty, with the database file's permissions) if the
 * directory allows. `immutable=1` is not used: it would ignore a WAL that still holds committed
 * records, and this better-sqlite3 build does not accept URI filenames anyway. A WAL store in a
 * read-only directory without its `-shm` file cannot be read by SQLite at all: that is a
 * `SOURCE_UNREADABLE` error whose hint says to copy the file.
 *
 * The whole log is read inside one read transaction opened here, so records, nodes, checkpoints and
 * the head all come from the same snapshot even while a logger appends: open a new log to see later
 * records, and `close()` it when done (a long-lived snapshot keeps the writer from recycling the WAL).
 *
 * @throws {SourceError} `SOURCE_NOT_FOUND` (no such file), `SOURCE_UNREADABLE` (cannot be opened for
 *   reading), `SOURCE_INVALID` (not an SQLite file or not an Ancora store), `SOURCE_UNSUPPORTED_VERSION`
 *   (schema newer than {@link MAX_STORE_SCHEMA}).
 * @throws {OptionalDependencyError} `OPTIONAL_DEPENDENCY_MISSING` when better-sqlite3, an optional peer
 *   of this package, is not installed (the message names the `npm install` to run).
 * @example
 * ```ts
 * const log = openLocalLog("ancora.db");
 * try {
 *   const result = verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
 *   console.log(result.ok, result.failures[0]);
 * } finally {
 *   log.close();
 * }
 * ```
 */
export function openLocalLog(path: string, options: OpenLocalLogOptions = {}): LocalLog {
  return openLocalRangeLog(path, options);
}

/**
 * A local log with the reads that verifying it in seq ranges needs (../parallel/): package-internal,
 * so that the range workers and the calling thread read the file with this same reader.
 */
export interface LocalRangeLog extends LocalLog {
  /** The records with `from <= seq < to`, as {@link RecordSource.records} presents them. */
  rangeRecords(stream: string, from: number, to: number): Iterable<StoredRecord>;
  /** Seq and bytes of the rows whose kind column is not `decision` (labels, configs, lineage...). */
  controlRecords(stream: string): Array<{ seq: number; bytes: Uint8Array }>;
  /** The number of rows of the stream, whatever their seq column holds. */
  recordCount(stream: string): number;
}

/** {@link openLocalLog} with the range reads (see {@link LocalRangeLog}). */
export function openLocalRangeLog(path: string, options: OpenLocalLogOptions = {}): LocalRangeLog {
  const timeout = Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_LOCAL_BUSY_TIMEOUT_MS));
  // Before the file's checks: a missing package is the same answer whatever the path.
  const Sqlite = loadSqlite();
  checkFile(path);
  let db: Database.Database;
  try {
    db = new Sqlite(path, { readonly: true, fileMustExist: true, timeout });
  } catch (error) {
    throw sqliteError(error, path);
  }
  try {
    db.exec("BEGIN"); // deferred: the snapshot starts at the first read below
    const schema = readSchema(db, path);
    return new SqliteLocalLog(db, path, schema);
  } catch (error) {
    db.close();
    throw error instanceof SourceError ? error : sqliteError(error, path);
  }
}

interface Schema {
  version: number;
  /** Whether the schema-v2 anchoring tables exist. */
  anchoring: boolean;
  /** Whether `anchors` has the schema-v3 link columns. */
  anchorLinks: boolean;
  /** Whether Merkle hashes are schema-v5 tiles (else v1–v4 `merkle_nodes` rows); v5 also has `record_index`. */
  tiles: boolean;
}

function checkFile(path: string): void {
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw new SourceError("SOURCE_UNREADABLE", "The local log cannot be read", {
      hint: "Check the permissions of the file and of the directories above it.",
      cause: error,
      evidence: { path },
    });
  }
  if (stat === undefined) {
    throw new SourceError("SOURCE_NOT_FOUND", "The local log file does not exist", {
      hint: "Pass the path of the store the SDK writes (the `path` given to createLogger or openStore).",
      evidence: { path },
    });
  }
  if (!stat.isFile()) {
    throw new SourceError("SOURCE_INVALID", "The local log path is not a file", {
      hint: "Pass the path of the store's database file, not of its directory.",
      evidence: { path },
    });
  }
}

function readSchema(db: Database.Database, path: string): Schema {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > MAX_STORE_SCHEMA) {
    throw new SourceError(
      "SOURCE_UNSUPPORTED_VERSION",
      `The store has schema version ${version}; this verifier reads versions 1 to ${MAX_STORE_SCHEMA}`,
      { hint: "Upgrade @ancora/verifier to a version that knows this schema.", evidence: { path, version } },
    );
  }
  const tables = new Set(
    db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all(),
  );
  const required: readonly string[] = [
    ...REQUIRED_TABLES,
    version >= 5 ? "merkle_tiles" : "merkle_nodes",
    ...(version >= 2 ? ANCHORING_TABLES : []),
  ];
  const missing = required.filter((t) => !tables.has(t));
  if (version < 1 || missing.length > 0) {
    throw new SourceError("SOURCE_INVALID", "The file is an SQLite database but not an Ancora store", {
      details:
        version < 1
          ? "Its schema version is 0 (never initialised by the SDK)."
          : `Missing: ${missing.join(", ")}.`,
      hint: "Pass the path of the store the SDK writes.",
      evidence: { path, version, missing },
    });
  }
  const anchorColumns =
    version >= 2
      ? new Set(db.prepare<[], string>("SELECT name FROM pragma_table_info('anchors')").pluck().all())
      : new Set<string>();
  return {
    version,
    anchoring: version >= 2,
    anchorLinks: SCHEMA_V3_COLUMNS.every((c) => anchorColumns.has(c)),
    tiles: version >= 5,
  };
}

/** Maps a better-sqlite3 error to a SourceError; anything else is passed through unchanged. */
function sqliteError(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return error;
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_ERROR") {
    return new SourceError("SOURCE_INVALID", "The file is not a readable Ancora store", {
      details: `SQLite reports ${code}.`,
      hint: "Pass the path of the store the SDK writes; a damaged file can be restored from a backup.",
      cause: error,
      evidence: { path, sqlite: code },
    });
  }
  if (code.startsWith("SQLITE_BUSY")) {
    return new SourceError("SOURCE_TIMEOUT", "The local log stayed locked by a writer", {
      hint: "Retry, or raise busyTimeoutMs.",
      cause: error,
      evidence: { path, sqlite: code },
    });
  }
  return new SourceError("SOURCE_UNREADABLE", "The local log cannot be opened for reading", {
    details: `SQLite reports ${code}.`,
    hint:
      "Check the file's permissions. A WAL store in a read-only directory needs its -shm and -wal files " +
      "beside it: copy the store (with any -wal file) to a writable directory and verify the copy.",
    cause: error,
    evidence: { path, sqlite: code },
  });
}

/** A copy of a BLOB column as a plain Uint8Array, for the few values handed out beyond the hot path. */
function plainBytes(value: unknown): Uint8Array {
  return new Uint8Array(toBytes(value));
}

/** A stored compact-range state's root; an unreadable state yields a root nothing matches. */
function stateRoot(treeState: unknown): Uint8Array {
  try {
    return CompactRange.fromState(JSON.parse(String(treeState)) as CompactRangeState, nodeSha256).root();
  } catch {
    return new Uint8Array(0);
  }
}

class SqliteLocalLog implements LocalRangeLog {
  readonly source: RecordSource;
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #schema: Schema;
  readonly #ids: ReadonlyMap<string, number>;

  constructor(db: Database.Database, path: string, schema: Schema) {
    this.#db = db;
    this.#path = path;
    this.#schema = schema;
    const ids = new Map<string, number>();
    for (const [id, name] of db.prepare("SELECT id, name FROM streams").raw().all() as [number, unknown][]) {
      ids.set(String(name), id);
    }
    this.#ids = ids;
    this.source = sqliteRecordSource(db, ids, path, schema.tiles);
  }

  streams(): string[] {
    return [...this.#ids.keys()].sort();
  }

  anchors(stream: string): LocalAnchor[] {
    const id = this.#ids.get(stream);
    if (id === undefined || !this.#schema.anchoring) return [];
    const links = this.#schema.anchorLinks ? ", sequence, anchorer, consistency_checked" : "";
    const rows = this.#read(() =>
      this.#db
        .prepare<[number], Record<string, unknown>>(
          `SELECT rowid, chain_id, registry, size, root, manifest_cid, tx_hash, status, block_number${links}
             FROM anchors WHERE stream_id = ? ORDER BY size, chain_id, registry`,
        )
        .all(id),
    );
    return rows.map((row) => this.#anchor(stream, row));
  }

  manifests(stream: string): LocalManifest[] {
    const id = this.#ids.get(stream);
    if (id === undefined || !this.#schema.anchoring) return [];
    const rows = this.#read(
      () =>
        this.#db
          .prepare("SELECT cid, bytes FROM manifests WHERE stream_id = ? ORDER BY size, from_seq, id")
          .raw()
          .all(id) as [unknown, unknown][],
    );
    return rows.map(([cid, bytes]) => ({ stream, cid: String(cid), bytes: plainBytes(bytes) }));
  }

  rangeRecords(stream: string, from: number, to: number): Iterable<StoredRecord> {
    const tiledSize = this.#schema.tiles ? this.#claimedSize(stream) : undefined;
    return readRecords(this.#db, this.#idOf(stream), this.#path, tiledSize, { from, to });
  }

  controlRecords(stream: string): Array<{ seq: number; bytes: Uint8Array }> {
    const id = this.#idOf(stream);
    const rows = this.#read(
      () =>
        this.#db
          .prepare("SELECT seq, bytes FROM records WHERE stream_id = ? AND kind <> 'decision' ORDER BY seq")
          .raw()
          .all(id) as [unknown, unknown][],
    );
    // A seq that is not an integer cannot start a range: the serial path reports such rows.
    return rows.map(([seq, bytes]) => ({
      seq: Number.isSafeInteger(seq) ? (seq as number) : -1,
      bytes: plainBytes(bytes),
    }));
  }

  recordCount(stream: string): number {
    const id = this.#idOf(stream);
    return this.#read(
      () => this.#db.prepare("SELECT count(*) FROM records WHERE stream_id = ?").pluck().get(id) as number,
    );
  }

  close(): void {
    if (!this.#db.open) return;
    if (this.#db.inTransaction) this.#db.exec("COMMIT");
    this.#db.close();
  }

  /** Runs a read, turning SQLite errors (a file damaged under us) into SourceErrors. */
  #read<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw sqliteError(error, this.#path);
    }
  }

  #idOf(stream: string): number {
    return streamIdOf(this.#ids, stream, this.#path);
  }

  /** The stream's size as its `streams` row claims it. */
  #claimedSize(stream: string): number {
    const size = this.source.head?.(stream)?.size;
    return Number.isSafeInteger(size) ? (size as number) : 0;
  }

  #anchor(stream: string, row: Record<string, unknown>): LocalAnchor {
    return anchorFromRow(row, stream, {
      links: this.#schema.anchorLinks,
      where: { path: this.#path, rowid: row.rowid },
    });
  }
}

/**
 * A record source over an open connection to a store: the reader behind {@link openLocalLog}, also
 * used by the SDK's own `verify()` and exports inside their read transactions, so that the writer's
 * checks read exactly the rows an auditor's do (every row of a stream, whatever its seq or column
 * types). `streams` maps stream names to their ids in the `streams` table; SQLite errors become
 * {@link SourceError}s naming `path`. `tiles`: whether the store keeps its Merkle hashes as schema-v5
 * tiles (default: read the schema version).
 */
export function sqliteRecordSource(
  db: Database.Database,
  streams: ReadonlyMap<string, number>,
  path: string = db.name,
  tiles: boolean = (db.pragma("user_version", { simple: true }) as number) >= 5,
): RecordSource {
  const read = <T>(f: () => T): T => {
    try {
      return f();
    } catch (error) {
      throw sqliteError(error, path);
    }
  };
  const idOf = (stream: string) => streamIdOf(streams, stream, path);
  const checkpoints = db
    .prepare("SELECT size, root, head_cid, ts FROM checkpoints WHERE stream_id = ? ORDER BY size")
    .raw();
  const head = db.prepare("SELECT size, head_cid, tree_state FROM streams WHERE id = ?").raw();
  const storedHead = (stream: string): StoredHead | undefined => {
    const row = read(() => head.get(idOf(stream)) as [number, unknown, unknown] | undefined);
    if (row === undefined) return undefined;
    const [size, headCid, treeState] = row;
    return { size, head: headCid === null ? null : String(headCid), root: stateRoot(treeState) };
  };
  /** The size the store claims: it says which level-0 tiles must be stored (the full ones). */
  const claimedSize = (stream: string): number => {
    const size = storedHead(stream)?.size;
    return Number.isSafeInteger(size) ? (size as number) : 0;
  };
  return {
    records(stream: string): Iterable<StoredRecord> {
      return readRecords(db, idOf(stream), path, tiles ? claimedSize(stream) : undefined);
    },
    checkpoints(stream: string): Iterable<StoredCheckpoint> {
      const rows = read(() => checkpoints.all(idOf(stream)) as [number, unknown, unknown, unknown][]);
      return rows.map(([size, root, headCid, ts]) => ({
        size,
        root: plainBytes(root),
        head: String(headCid),
        ts: String(ts),
      }));
    },
    head: storedHead,
    node: tiles ? tileNodes(db, idOf, read) : nodeRows(db, idOf, read),
  };
}

/** The id of `stream` in `streams`, or a SOURCE_NOT_FOUND naming the log. */
function streamIdOf(streams: ReadonlyMap<string, number>, stream: string, path: string): number {
  const id = streams.get(stream);
  if (id === undefined) {
    throw new SourceError("SOURCE_NOT_FOUND", "The local log has no such stream", {
      hint: "List the log's streams with streams().",
      evidence: { path, stream },
    });
  }
  return id;
}

/**
 * A stream's records in seq order, each with its stored leaf hash. Both tables are read sequentially:
 * the leaves (v1–v4 level-0 `merkle_nodes` rows, or v5 level-0 tiles) in a second cursor merged by
 * seq, which gives what a `LEFT JOIN` gives without a b-tree seek per record. With tiles (`tiledSize`,
 * the size the store claims), a record of a full tile whose leaf is not stored gets `null` (missing),
 * one of the last partial tile none (the store keeps no leaf for it). Statements are prepared per call,
 * so two streams (or the same stream twice) can be iterated at once.
 */
function* readRecords(
  db: Database.Database,
  id: number,
  path: string,
  tiledSize: number | undefined,
  range?: { from: number; to: number },
): Generator<StoredRecord> {
  let recordRows: IterableIterator<RecordRow> | undefined;
  let leafRows: IterableIterator<[number, unknown]> | undefined;
  let indexRows: IterableIterator<IndexRow> | undefined;
  const seqs = range === undefined ? "" : " AND seq >= ? AND seq < ?";
  const idxs = range === undefined ? "" : " AND idx >= ? AND idx < ?";
  const bounds = range === undefined ? [] : [range.from, range.to];
  const leafSql =
    tiledSize === undefined
      ? `SELECT idx, hash FROM merkle_nodes WHERE stream_id = ? AND level = 0${idxs} ORDER BY idx`
      : `SELECT idx, hashes FROM merkle_tiles WHERE stream_id = ? AND level = 0${idxs} ORDER BY idx`;
  const leafBounds =
    range === undefined || tiledSize === undefined
      ? bounds
      : [Math.floor(range.from / TILE_WIDTH), Math.ceil(range.to / TILE_WIDTH)];
  /** Below this seq every leaf must be in a stored (full) tile. */
  const tiledBelow = tiledSize === undefined ? 0 : Math.floor(tiledSize / TILE_WIDTH) * TILE_WIDTH;
  try {
    recordRows = db
      .prepare(
        `SELECT seq, CAST(bytes AS TEXT), length(bytes), cid, kind, label, model_id, model_version, ts, rowid
           FROM records WHERE stream_id = ?${seqs} ORDER BY seq`,
      )
      .raw()
      .iterate(id, ...bounds) as IterableIterator<RecordRow>;
    const bytesOf = db.prepare<[number], unknown>("SELECT bytes FROM records WHERE rowid = ?").pluck();
    const readBytes = (rowid: number) => toBytes(bytesOf.get(rowid));
    leafRows = db
      .prepare(leafSql)
      .raw()
      .iterate(id, ...leafBounds) as IterableIterator<[number, unknown]>;
    let leaf = leafRows.next();
    // Schema v5: the search index's rows, merged by seq like the leaves; below `indexedBelow` (how far
    // the index claims to cover the stream) every record must have one.
    let indexedBelow = 0;
    if (tiledSize !== undefined) {
      indexedBelow = Number(
        db.prepare("SELECT size FROM record_index_state WHERE stream_id = ?").pluck().get(id) ?? 0,
      );
      indexRows = db
        .prepare(
          `SELECT seq, kind, ts, label, model_id, model_version FROM record_index WHERE stream_id = ?${seqs} ORDER BY seq`,
        )
        .raw()
        .iterate(id, ...bounds) as IterableIterator<IndexRow>;
    }
    let index = indexRows?.next();
    let tile: Uint8Array | undefined;
    for (let row = recordRows.next(); !row.done; row = recordRows.next()) {
      const r = row.value;
      const seq = r[0];
      let leafHash: Uint8Array | null | undefined;
      if (tiledSize === undefined) {
        while (!leaf.done && leaf.value[0] < seq) leaf = leafRows.next();
        leafHash = !leaf.done && leaf.value[0] === seq ? toBytes(leaf.value[1]) : null;
      } else if (Number.isSafeInteger(seq) && seq >= 0) {
        const at = Math.floor(seq / TILE_WIDTH);
        while (!leaf.done && leaf.value[0] < at) leaf = leafRows.next();
        tile = !leaf.done && leaf.value[0] === at ? toBytes(leaf.value[1]) : undefined;
        const offset = (seq - at * TILE_WIDTH) * HASH_SIZE;
        if (tile !== undefined && tile.length >= offset + HASH_SIZE) {
          leafHash = tile.subarray(offset, offset + HASH_SIZE);
        } else if (seq < tiledBelow) {
          leafHash = null;
        }
      }
      let indexed: IndexedColumns | null | undefined;
      if (indexRows !== undefined && index !== undefined) {
        while (!index.done && index.value[0] < seq) index = indexRows.next();
        if (!index.done && index.value[0] === seq) {
          const [, kind, ts, label, modelId, modelVersion] = index.value;
          indexed = { kind, ts, label, modelId, modelVersion };
        } else if (seq < indexedBelow) {
          indexed = null;
        }
      }
      // The bytes were read as text (better-sqlite3 makes a string several times faster than a
      // Buffer). A text with one character per stored byte and no U+FFFD (what invalid UTF-8 becomes)
      // is all ASCII, so it is exactly the bytes; any other row's bytes are read by rowid, in this
      // snapshot.
      const text = r[1];
      const ascii = typeof text === "string" && text.length === r[2] && text.indexOf("\ufffd") === -1;
      const stored = new ReadRecord(
        seq,
        ascii ? text : undefined,
        ascii ? undefined : readBytes(r[9]),
        typeof r[3] === "string" ? r[3] : String(r[3]),
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
      );
      stored.leafHash = leafHash;
      stored.indexed = indexed;
      yield stored;
    }
  } catch (error) {
    throw sqliteError(error, path);
  } finally {
    indexRows?.return?.();
    leafRows?.return?.();
    recordRows?.return?.();
  }
}
