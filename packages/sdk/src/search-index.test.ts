/**
 * The search index of schema v5 (`record_index`): filled by catching up before every query, never
 * stale, and checked by verify() against the records it describes.
 */
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { searchTable } from "./internal/record-index.js";
import type { ProvenanceLogger } from "./logger.js";
import { createLogger } from "./logger.js";
import { openStore } from "./store.js";
import { CONFIG, MODEL, tempStore } from "./testing/fixtures.js";
import { tamperWith, verifyBothWays } from "./testing/tampering.js";

let temp: ReturnType<typeof tempStore>;
let logger: ProvenanceLogger;

beforeEach(async () => {
  temp = tempStore();
  logger = createLogger({ path: temp.path, stream: "credit", model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  for (let i = 0; i < 50; i++) logger.log({ features: { i }, output: i % 2, score: i < 25 ? 0.9 : 0.1 });
  await logger.flush();
});
afterEach(async () => {
  await logger.close();
  temp.cleanup();
});

const indexed = () => {
  const db = new Database(temp.path, { readonly: true });
  const rows = db.prepare("SELECT count(*) FROM record_index").pluck().get();
  const state = db.prepare("SELECT size FROM record_index_state").pluck().get();
  db.close();
  return { rows, state };
};

describe("the search index", () => {
  it("is not written by appends, and is caught up by the first query", async () => {
    expect(indexed()).toEqual({ rows: 0, state: undefined });
    const approved = logger.store.count({ stream: "credit", label: "L001" });
    expect(approved).toBe(25);
    expect(indexed()).toEqual({ rows: 54, state: 54 });
    // Never stale: records appended since are found by the next query.
    for (let i = 0; i < 10; i++) logger.log({ features: { i }, output: 1, score: 0.95 });
    await logger.flush();
    expect(logger.store.count({ stream: "credit", label: "L001" })).toBe(35);
    const page = logger.store.search({ stream: "credit", label: "L001", limit: 100 });
    expect(page.items).toHaveLength(35);
    expect(page.items.at(-1)).toMatchObject({ seq: 63, label: "L001", model: { id: MODEL.id } });
    expect(logger.store.count({ stream: "credit", model: { id: MODEL.id, version: MODEL.version } })).toBe(
      60,
    );
  });

  it("answers a read-only store from the records themselves", () => {
    const store = openStore({ path: temp.path, readonly: true });
    expect(store.count({ stream: "credit", label: "L002" })).toBe(25);
    expect(store.search({ stream: "credit", kind: "config" }).items.map((i) => i.seq)).toEqual([3]);
    store.close();
    expect(indexed()).toEqual({ rows: 0, state: undefined });
  });

  it("is checked by verify(): an edited or deleted index row is SEARCH_INDEX_MISMATCH at its seq", async () => {
    logger.store.count({ stream: "credit" });
    await logger.close();
    expect(verifyBothWays(temp.path, "credit")).toMatchObject({ ok: true });

    tamperWith(temp.path, (db) => db.prepare("UPDATE record_index SET label = 'L001' WHERE seq = 30").run());
    expect(verifyBothWays(temp.path, "credit").failures).toEqual([
      expect.objectContaining({
        code: "SEARCH_INDEX_MISMATCH",
        seq: 30,
        expected: "label=L002",
        found: "label=L001",
      }),
    ]);
    tamperWith(temp.path, (db) => db.prepare("DELETE FROM record_index WHERE seq = 12").run());
    expect(verifyBothWays(temp.path, "credit").failures.map((f) => [f.code, f.seq, f.found])).toEqual([
      ["SEARCH_INDEX_MISMATCH", 12, "missing"],
      ["SEARCH_INDEX_MISMATCH", 30, "label=L001"],
    ]);
    logger = createLogger({ path: temp.path, stream: "credit", model: MODEL, create: false });
  });
});

describe("the search index inside a caller's transaction", () => {
  it("is not written there: the query reads the records themselves", () => {
    const db = new Database(temp.path);
    db.exec("BEGIN");
    expect(searchTable(db)).toBe("records");
    db.exec("COMMIT");
    expect(searchTable(db)).toBe("record_index");
    db.close();
  });
});

describe("indexForSearch", () => {
  it("indexes at most maxRecords a call, then the rest, and refuses a bad bound", () => {
    expect(logger.store.indexForSearch({ maxRecords: 20 })).toBe(20);
    expect(indexed()).toEqual({ rows: 20, state: 20 });
    expect(logger.store.indexForSearch()).toBe(34);
    expect(logger.store.indexForSearch()).toBe(0);
    expect(() => logger.store.indexForSearch({ maxRecords: Number.NaN })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });
});
