/**
 * store.appendBatch: several streams in one transaction, all or nothing. Failures are injected in the
 * middle of a multi-stream batch (a bad entry, a trigger that aborts an insert, a full disk through
 * `max_page_count`) and every table the writer touches must be byte-for-byte as before.
 */
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BatchEntry } from "./batch.js";
import { BatchEntryError, StoreError } from "./errors.js";
import type { ConfigChange } from "./internal/drafts.js";
import { connectionOf } from "./internal/store-handle.js";
import { createLogger } from "./logger.js";
import { type AncoraStore, openStore } from "./store.js";
import { CONFIG, MODEL, MODEL_B, steppingClock, tempStore } from "./testing/fixtures.js";

let temp: ReturnType<typeof tempStore>;
let store: AncoraStore;
beforeEach(() => {
  temp = tempStore();
  store = openStore({ path: temp.path, clock: steppingClock() });
});
afterEach(() => {
  store.close();
  temp.cleanup();
});

const config = (stream: string, extra: Partial<ConfigChange> = {}): BatchEntry => ({
  kind: "config",
  stream,
  config: { ...CONFIG, ...extra },
});
const decision = (stream: string, i: number, model: typeof MODEL | typeof MODEL_B = MODEL): BatchEntry => ({
  kind: "decision",
  stream,
  decision: { features: { i }, output: { i }, score: (i % 10) / 10, model },
});

/** Every row the writer touches, from a separate connection (what another process would see). */
function snapshot(path: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    const dump = (sql: string) =>
      db
        .prepare(sql)
        .raw()
        .all()
        .map((row) => (row as unknown[]).map((v) => (Buffer.isBuffer(v) ? v.toString("hex") : v)));
    return {
      streams: dump("SELECT * FROM streams ORDER BY id"),
      records: dump("SELECT * FROM records ORDER BY stream_id, seq"),
      tiles: dump("SELECT * FROM merkle_tiles ORDER BY stream_id, level, idx"),
      checkpoints: dump("SELECT * FROM checkpoints ORDER BY stream_id, size"),
      outbox: dump("SELECT * FROM outbox ORDER BY id"),
    };
  } finally {
    db.close();
  }
}

/** A store holding "loans" (config, 5 decisions, a checkpoint) and "fraud" (config, 3 decisions). */
function seed(): void {
  store.appendBatch([config("loans"), ...[0, 1, 2, 3, 4].map((i) => decision("loans", i))]);
  store.checkpoint("loans");
  store.appendBatch([config("fraud", { aboveLabel: "block", belowLabel: "allow" })]);
  store.appendBatch([0, 1, 2].map((i) => decision("fraud", i, MODEL_B)));
}

/** A batch over both seeded streams and a new one, with a config change in the middle. */
function mixedBatch(): BatchEntry[] {
  return [
    decision("loans", 10),
    config("fresh"),
    decision("fraud", 11, MODEL_B),
    decision("fresh", 12),
    config("loans", { threshold: 0.9, aboveLabel: "L001", belowLabel: "escalate" }),
    decision("loans", 13),
    decision("fresh", 14),
    decision("fraud", 15, MODEL_B),
  ];
}

describe("appendBatch", () => {
  it("writes several streams in one transaction, creating new ones, in each stream's entry order", () => {
    seed();
    const result = store.appendBatch(mixedBatch(), { genesis: { createdBy: "batch-test" } });
    // loans: 2 decisions + "escalate" label + config; fraud: 2 decisions; fresh: genesis, 2 labels, config, 2.
    expect(result.streams).toEqual({
      loans: { before: 9, size: 13, head: store.stream("loans").head },
      fraud: { before: 7, size: 9, head: store.stream("fraud").head },
      fresh: { before: 0, size: 6, head: store.stream("fresh").head },
    });
    expect(result.records).toBe(4 + 2 + 6);
    expect(result.entries.map((e) => `${e.stream}:${e.seq}`)).toEqual([
      "loans:9",
      "fresh:3",
      "fraud:7",
      "fresh:4",
      "loans:11", // label L003 at 10, then the config
      "loans:12",
      "fresh:5",
      "fraud:8",
    ]);
    // A decision's label comes from its stream's config current at that point of the batch.
    expect(store.get("loans", 12)?.record.body).toMatchObject({ label: "L003", score: 0.3 });
    expect(store.get("loans", 9)?.record.body).toMatchObject({ label: "L002", score: 0 });
    expect(store.get("fresh", 0)?.record.body).toMatchObject({ createdBy: "batch-test" });
    expect(store.salts("fresh", 4).input).toHaveLength(32); // salted by default, salts stored
    const verified = store.verify();
    expect(verified.ok, JSON.stringify(verified.failures)).toBe(true);
    expect(store.checkpoints("loans").map((c) => c.size)).toEqual([9]); // untouched
  });

  it("writes nothing when an entry in the middle fails, and names it", () => {
    seed();
    const before = snapshot(temp.path);
    const entries = mixedBatch();
    entries.splice(5, 0, decision("nocfg", 1)); // a new stream with no config
    const error = (() => {
      try {
        store.appendBatch(entries);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(BatchEntryError);
    expect(error).toMatchObject({ code: "BATCH_ENTRY_FAILED", index: 5, stream: "nocfg" });
    expect((error as BatchEntryError).cause).toMatchObject({ code: "CONFIG_MISSING" });
    expect(snapshot(temp.path)).toEqual(before);

    // Bad input fails before the lock, with the same result.
    const bad = mixedBatch();
    bad[6] = {
      kind: "decision",
      stream: "fresh",
      decision: { features: [], output: 1, score: 1, model: MODEL } as never,
    };
    expect(() => store.appendBatch(bad)).toThrow(expect.objectContaining({ index: 6 }));
    const unknownLabel = mixedBatch();
    unknownLabel[4] = config("loans", { aboveLabel: "L077" });
    expect(() => store.appendBatch(unknownLabel)).toThrow(
      expect.objectContaining({ index: 4, cause: expect.objectContaining({ code: "LABEL_UNKNOWN" }) }),
    );
    const consent = mixedBatch();
    consent[0] = {
      kind: "decision",
      stream: "loans",
      decision: { features: {}, output: 1, score: 1, model: MODEL, consent: { subject: "s" } } as never,
    };
    expect(() => store.appendBatch(consent)).toThrow(expect.objectContaining({ index: 0 }));
    expect(() => store.appendBatch([decision("loans", 1)], { create: false })).not.toThrow();
    expect(() => store.appendBatch([config("absent")], { create: false })).toThrow(
      expect.objectContaining({ cause: expect.objectContaining({ code: "STREAM_UNKNOWN" }) }),
    );
    expect(store.streams().map((s) => s.name)).toEqual(["fraud", "loans"]);
  });

  it("rolls every stream back when an insert fails mid-batch (trigger), then succeeds once it is gone", () => {
    seed();
    const before = snapshot(temp.path);
    const sql = new Database(temp.path);
    // Abort on the "fraud" record written after loans' and fresh's records of the same batch.
    sql.exec(`CREATE TRIGGER injected BEFORE INSERT ON records
      WHEN NEW.seq = 8 AND NEW.stream_id = (SELECT id FROM streams WHERE name = 'fraud')
      BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    expect(() => store.appendBatch(mixedBatch())).toThrow(
      expect.objectContaining({ code: "STORE_WRITE_FAILED", name: "StoreError" }),
    );
    sql.exec("DROP TRIGGER injected");
    sql.close();
    expect(snapshot(temp.path)).toEqual(before);
    expect(store.appendBatch(mixedBatch()).records).toBe(12);
    expect(store.verify().ok).toBe(true);
  });

  it("rolls back on a full disk (max_page_count) and writes nothing", () => {
    seed();
    const before = snapshot(temp.path);
    const db = connectionOf(store);
    const pages = db.pragma("page_count", { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 2}`);
    const big = Array.from({ length: 600 }, (_, i) =>
      decision(i % 2 === 0 ? "loans" : "fraud", i, i % 2 === 0 ? MODEL : MODEL_B),
    );
    let error: unknown;
    try {
      store.appendBatch(big);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      code: "STORE_WRITE_FAILED",
      cause: expect.objectContaining({ code: "SQLITE_FULL" }),
    });
    expect(snapshot(temp.path)).toEqual(before);
    db.pragma("max_page_count = 4294967294");
    expect(store.appendBatch(big).records).toBe(600);
    expect(store.verify().ok).toBe(true);
  });

  it("interleaves with a logger of the same stream: both extend one chain", async () => {
    seed();
    const logger = createLogger({ path: temp.path, stream: "loans", model: MODEL });
    await logger.record({ features: { a: 1 }, output: 1, score: 0.9 });
    store.appendBatch([decision("loans", 1), decision("fraud", 2, MODEL_B)]);
    const after = await logger.record({ features: { a: 2 }, output: 1, score: 0.9 });
    expect(after.seq).toBe(11);
    // The logger's own store (same connection) takes batches too.
    logger.store.appendBatch([decision("loans", 3)]);
    expect(logger.recordSync({ features: { a: 3 }, output: 1, score: 0.1 }).seq).toBe(13);
    expect(logger.verify().ok).toBe(true);
    await logger.close();
  });

  it("is all or nothing for random batches with a random failing entry", () => {
    const streams = ["a", "b", "c"] as const;
    const entry = fc.oneof(
      fc
        .record({ s: fc.constantFrom(...streams), score: fc.integer({ min: 0, max: 10 }) })
        .map(({ s, score }): BatchEntry => decision(s, score)),
      fc
        .record({ s: fc.constantFrom(...streams), t: fc.integer({ min: 0, max: 10 }) })
        .map(({ s, t }): BatchEntry => config(s, { threshold: t / 10 })),
    );
    store.appendBatch(streams.map((s) => config(s)));
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 30 }), fc.option(fc.nat()), (entries, bad) => {
        const before = snapshot(temp.path);
        const batch = [...entries];
        if (bad !== null) batch.splice(bad % (batch.length + 1), 0, decision("nocfg", 0));
        const sizes = Object.fromEntries(store.streams().map((s) => [s.name, s.size]));
        if (bad !== null) {
          expect(() => store.appendBatch(batch)).toThrow(BatchEntryError);
          expect(snapshot(temp.path)).toEqual(before);
          return;
        }
        const result = store.appendBatch(batch);
        for (const s of streams) {
          const own = batch.filter((e) => e.stream === s);
          // A config with new label names may define labels: at least one record per entry.
          if (own.length > 0)
            expect(result.streams[s]?.size).toBeGreaterThanOrEqual((sizes[s] ?? 0) + own.length);
        }
      }),
      { numRuns: process.env.CI ? 60 : 20 },
    );
    expect(store.verify().ok).toBe(true);
  });
});
