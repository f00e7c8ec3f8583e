/**
 * Tamper tests' tools. `tamperWith` runs statements on the file through a separate connection, as
 * someone with write access to the database would. `verifyBothWays` is their verification: the serial `verifyStream`, after checking that the parallel path
 * (seq ranges, run inline here: worker threads from the TypeScript sources start slowly; the worker
 * transport itself is tested in parallel-verify.test.ts) agrees with it: never a success where the
 * serial path fails, the same success otherwise.
 */
import Database from "better-sqlite3";
import { expect } from "vitest";
import { parallelVerify, verifyStreamParallel } from "../internal/parallel-verify.js";
import { openStore } from "../store.js";

export function tamperWith(path: string, statements: (db: Database.Database) => void): void {
  const db = new Database(path);
  db.transaction(() => statements(db))();
  db.close();
}

export function verifyBothWays(path: string, stream: string, streamId = 1) {
  const store = openStore({ path, readonly: true });
  const result = store.verifyStream(stream, { threads: 1 });
  const minRecords = parallelVerify.minRecords;
  parallelVerify.minRecords = 1;
  try {
    const db = new Database(path, { readonly: true });
    for (const threads of [2, 3, 4]) {
      const parallel = db.transaction(() =>
        verifyStreamParallel(db, streamId, stream, threads, {}, "inline"),
      )();
      expect(parallel).toEqual(result.ok ? result : undefined);
    }
    db.close();
  } finally {
    parallelVerify.minRecords = minRecords;
  }
  store.close();
  return result;
}
