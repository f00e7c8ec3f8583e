/**
 * Opening an SQLite file as an Ancora store: pragmas, schema version check, migrations.
 */
import Database from "better-sqlite3";
import { StoreError } from "../errors.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.js";

/** How long a writer waits for another writer's lock before failing with SQLITE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export interface OpenOptions {
  readonly?: boolean;
  busyTimeoutMs?: number;
}

/**
 * Opens (creating when missing, unless read-only) and migrates a store.
 *
 * WAL lets readers (verify, search, exports) run beside the writer. `synchronous=FULL` makes SQLite
 * fsync the WAL at every commit, so a committed transaction survives power loss, not only a process
 * crash: that is what "durable" means in this package (NORMAL may lose the last transactions on power
 * loss). The busy timeout makes concurrent writers (threads or processes) queue for the write lock.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const readonly = options.readonly ?? false;
  const db = new Database(path, { readonly, fileMustExist: readonly });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    if (!readonly) {
      // journal_mode cannot change inside a transaction; it is persistent, so only the first open sets it.
      if (db.pragma("journal_mode", { simple: true }) !== "wal") db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
    }
    migrate(db, readonly);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function userVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

function checkVersion(version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      "STORE_SCHEMA_TOO_NEW",
      `The store has schema version ${version}; this SDK knows versions up to ${SCHEMA_VERSION}`,
      { hint: "Upgrade @ancora/sdk: older code must not write to a newer store.", evidence: { version } },
    );
  }
}

function migrate(db: Database.Database, readonly: boolean): void {
  const found = userVersion(db);
  checkVersion(found);
  if (found === SCHEMA_VERSION) return;
  if (found === 0 && !isEmpty(db)) {
    throw new StoreError("STORE_SCHEMA_UNKNOWN", "The file is an SQLite database but not an Ancora store", {
      hint: "Point `path` at an Ancora store or at a new file.",
    });
  }
  if (readonly) {
    throw new StoreError(
      "STORE_SCHEMA_UNKNOWN",
      `The store has schema version ${found}; it must be migrated to ${SCHEMA_VERSION} by a writer first`,
      { hint: "Open it once with a logger or openStore({ path }) (not read-only) to migrate it." },
    );
  }
  // One migration step per transaction, each re-reading the version under the write lock, so two
  // processes opening an old store at once migrate it exactly once.
  for (;;) {
    const done = db
      .transaction(() => {
        const version = userVersion(db);
        checkVersion(version);
        const step = MIGRATIONS[version];
        if (step === undefined) return true;
        step(db);
        db.pragma(`user_version = ${version + 1}`);
        return false;
      })
      .immediate();
    if (done) return;
  }
}

function isEmpty(db: Database.Database): boolean {
  return db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get() === 0;
}
