/**
 * The designs Ancora's writer is measured against, implemented here in the same language and on the
 * same libraries so that the comparison is between designs, not implementations:
 *
 * (a) `SeedChain`, the seed implementation's design: a hash chain in SQLite (WAL, synchronous=NORMAL)
 *     that reads the last hash and commits each record in its own transaction.
 * (b) `JsonlLedger`, the governance notebook's design: a JSON-lines file that is re-read on every
 *     append to find the last hash, then appended to.
 *
 * Both hash the same decision payload (features, output, score) that Ancora commits to.
 *
 * And the floors of this machine and disk, which no layout can beat: a raw one-table insert
 * (`RawTableFloor`, in the group commit's transaction size, or one row per transaction for recordSync)
 * and reading every record's bytes and hashing them (`ReadHashFloor`, for verify).
 */
import { hash, randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { type BetterSqlite3, Database } from "./lib.ts";

export interface Payload {
  features: Record<string, unknown>;
  output: unknown;
  score: number;
}

const sha256Hex = (text: string) => hash("sha256", text, "hex");

/** Baseline (a): one transaction per record, WAL, synchronous=NORMAL. */
export class SeedChain {
  readonly #db: BetterSqlite3.Database;
  readonly #last: BetterSqlite3.Statement<[], string>;
  readonly #insert: BetterSqlite3.Statement<[string, string, string, string]>;
  readonly #append: (payload: Payload) => string;

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    this.#db.exec(
      "CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, ts TEXT, prev_hash TEXT, hash TEXT, payload TEXT)",
    );
    this.#last = this.#db.prepare<[], string>("SELECT hash FROM ledger ORDER BY id DESC LIMIT 1").pluck();
    this.#insert = this.#db.prepare("INSERT INTO ledger (ts, prev_hash, hash, payload) VALUES (?, ?, ?, ?)");
    this.#append = this.#db.transaction((payload: Payload) => {
      const prev = this.#last.get() ?? "0".repeat(64);
      const ts = new Date().toISOString();
      const body = JSON.stringify(payload);
      const digest = sha256Hex(prev + ts + body);
      this.#insert.run(ts, prev, digest, body);
      return digest;
    });
  }

  append(payload: Payload): string {
    return this.#append(payload);
  }

  close(): void {
    this.#db.close();
  }
}

/** Baseline (b): a JSON-lines ledger re-read on every append to find the last hash. */
export class JsonlLedger {
  readonly #path: string;

  /** Starts an empty ledger at `path`, or continues the one there with `{ append: true }`. */
  constructor(path: string, options: { append?: boolean } = {}) {
    this.#path = path;
    if (options.append !== true) writeFileSync(path, "");
  }

  append(payload: Payload): string {
    const text = readFileSync(this.#path, "utf8");
    const end = text.lastIndexOf("\n", text.length - 2);
    const lastLine = text.slice(end + 1).trim();
    const prev = lastLine === "" ? "0".repeat(64) : (JSON.parse(lastLine) as { hash: string }).hash;
    const entry = { ts: new Date().toISOString(), prev, payload };
    const digest = sha256Hex(JSON.stringify(entry));
    appendFileSync(this.#path, `${JSON.stringify({ ...entry, hash: digest })}\n`);
    return digest;
  }
}

/**
 * The pragmas an Ancora store runs with, as packages/sdk/src/internal/database.ts sets them: WAL, and
 * synchronous=FULL (the WAL is fsynced at every commit: what the SDK calls durable). Written out here
 * because `synchronous` belongs to a connection and cannot be read from another one; keep them in step.
 */
export const STORE_PRAGMAS = ["journal_mode = WAL", "synchronous = FULL"] as const;

/**
 * The floor of a durable append on this machine and disk: one table with an INTEGER PRIMARY KEY and
 * one BLOB of `rowBytes` (one b-tree insert per row), with the store's pragmas, committed in
 * transactions of `perTransaction` rows (1: the fsync floor of recordSync).
 */
export class RawTableFloor {
  readonly #db: BetterSqlite3.Database;
  readonly #write: (rows: number) => void;
  readonly #blobs: Buffer[];
  #next = 0;

  constructor(path: string, rowBytes: number) {
    this.#db = new Database(path);
    for (const pragma of STORE_PRAGMAS) this.#db.pragma(pragma);
    this.#db.exec("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL) STRICT");
    // Distinct random rows, made before timing starts: the floor measures SQLite, not a generator.
    this.#blobs = Array.from({ length: 256 }, () => randomBytes(Math.max(1, Math.round(rowBytes))));
    const insert = this.#db.prepare<[Buffer]>("INSERT INTO floor (bytes) VALUES (?)");
    this.#write = this.#db.transaction((rows: number) => {
      for (let i = 0; i < rows; i++) insert.run(this.#blobs[this.#next++ & 255] as Buffer);
    });
  }

  /** Inserts `rows` rows, `perTransaction` to a transaction (each one committed durably). */
  insert(rows: number, perTransaction: number): void {
    for (let done = 0; done < rows; done += perTransaction)
      this.#write(Math.min(perTransaction, rows - done));
  }

  close(): void {
    this.#db.close();
  }
}

/**
 * The one place in bench/ that knows how a store lays its records out (a new store layout changes it; every
 * other figure comes through @ancora/sdk's public API): the table and column holding each record's
 * encoded bytes. Today: `records.bytes`, one row per record, `kind` = 'decision' for decisions.
 */
const RECORDS = { table: "records", bytes: "bytes", decisions: "kind = 'decision'" } as const;

function checkLayout(db: BetterSqlite3.Database): void {
  const columns = db
    .prepare<[], string>(`SELECT name FROM pragma_table_info('${RECORDS.table}')`)
    .pluck()
    .all();
  if (!columns.includes(RECORDS.bytes)) {
    throw new Error(
      `bench/baselines.ts RECORDS names ${RECORDS.table}.${RECORDS.bytes}, which this store does not have: update it to the new layout`,
    );
  }
}

/** Average size in bytes of a decision record's encoding in the store at `path` (the floor's row size). */
export function decisionRecordBytes(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    checkLayout(db);
    return db
      .prepare<[], number>(
        `SELECT avg(length(${RECORDS.bytes})) FROM ${RECORDS.table} WHERE ${RECORDS.decisions}`,
      )
      .pluck()
      .get() as number;
  } finally {
    db.close();
  }
}

/**
 * The floor of verify on one thread: one SELECT over every record's bytes in the store's file, and
 * SHA-256 of each (what any check of a record's CID must do at least). The digest is taken as a
 * "binary" string: Node 24's `hash(…, "buffer")` spends about 2 µs more per call allocating the Buffer
 * (measured 2026-12-07: 2.5 against 0.45 µs for 37 bytes), which no verifier needs to spend.
 *
 * `runText` reads the same column as text (`CAST(bytes AS TEXT)`) and hashes the string: for records
 * that are ASCII, as canonical Ancora records are, the same bytes, and better-sqlite3 makes a string
 * about twice as fast as a Buffer. It is the floor of a reader that knows its records are text (the
 * verifier's SQLite reader reads them so); `text` says whether every record of the store qualifies.
 */
export class ReadHashFloor {
  readonly #db: BetterSqlite3.Database;
  readonly #all: BetterSqlite3.Statement<[], Buffer>;
  readonly #allText: BetterSqlite3.Statement<[], string>;
  /** Whether every record is ASCII (one character per byte), so its text is its bytes. */
  readonly text: boolean;

  constructor(path: string) {
    this.#db = new Database(path, { readonly: true, fileMustExist: true });
    checkLayout(this.#db);
    this.#all = this.#db.prepare<[], Buffer>(`SELECT ${RECORDS.bytes} FROM ${RECORDS.table}`).pluck();
    this.#allText = this.#db
      .prepare<[], string>(`SELECT CAST(${RECORDS.bytes} AS TEXT) FROM ${RECORDS.table}`)
      .pluck();
    const nonAscii = this.#db
      .prepare<[], number>(
        `SELECT count(*) FROM ${RECORDS.table} WHERE length(CAST(${RECORDS.bytes} AS TEXT)) <> length(${RECORDS.bytes})`,
      )
      .pluck()
      .get();
    this.text = nonAscii === 0;
  }

  /** Reads and hashes every record; returns how many (and a byte of the last digest, so none is skipped). */
  run(): { records: number; sink: number } {
    let records = 0;
    let sink = 0;
    for (const bytes of this.#all.iterate()) {
      sink ^= hash("sha256", bytes, "binary").charCodeAt(0);
      records++;
    }
    return { records, sink };
  }

  /** {@link ReadHashFloor.run} reading each record as text and hashing the string. */
  runText(): { records: number; sink: number } {
    let records = 0;
    let sink = 0;
    for (const text of this.#allText.iterate()) {
      sink ^= hash("sha256", text, "binary").charCodeAt(0);
      records++;
    }
    return { records, sink };
  }

  close(): void {
    this.#db.close();
  }
}
