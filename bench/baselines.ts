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
 */
import { hash } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type BetterSqlite3 from "../packages/sdk/node_modules/@types/better-sqlite3/index.d.ts";

// better-sqlite3 is a dependency of @ancora/sdk only; load the copy the SDK uses.
const requireFromSdk = createRequire(new URL("../packages/sdk/package.json", import.meta.url));
const Database = requireFromSdk("better-sqlite3") as typeof BetterSqlite3;

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
