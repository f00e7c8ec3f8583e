/**
 * Parallel verify() (seq ranges on worker threads, stitched on the calling thread) against the serial
 * path: the same success on intact stores, never a success where the serial path finds anything
 * (then verify() falls back to the serial path, so reports are identical). Every case of
 * tamper.test.ts also runs through the parallel path there. The range checks, workers and stitching
 * are @ancora/verifier's (verifyLocalStreamBlocking); this file checks them through the SDK's wrapper.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parallelVerify, verifyStreamParallel } from "./internal/parallel-verify.js";
import { createLogger } from "./logger.js";
import { openStore } from "./store.js";
import { CONFIG, MODEL, MODEL_B, tempStore } from "./testing/fixtures.js";

let temp: ReturnType<typeof tempStore>;
const SIZE = 301;

/** Two streams; "credit" has labels and configs scattered over the ranges and several checkpoints. */
beforeAll(async () => {
  temp = tempStore();
  const credit = createLogger({ path: temp.path, stream: "credit", model: MODEL, commitment: "plain" });
  const other = createLogger({ path: temp.path, stream: "other", model: MODEL_B });
  credit.setConfig(CONFIG);
  other.setConfig(CONFIG);
  let n = 0;
  while (credit.store.stream("credit").size < SIZE) {
    n++;
    if (n % 37 === 0) credit.setConfig({ ...CONFIG, threshold: (n % 10) / 10, changeReason: `step ${n}` });
    if (n % 53 === 0) credit.defineLabel(`extra-${n}`);
    if (n % 41 === 0) credit.renameLabel("L001", `approve-${n}`);
    if (n % 16 === 0 || n % 29 === 0) credit.checkpoint();
    await credit.record({ features: { n }, output: n, score: (n % 10) / 10 });
    if (n % 3 === 0) await other.record({ features: { n }, output: n, score: 0.5 });
  }
  credit.checkpoint();
  await credit.close();
  await other.close();
});
afterAll(() => temp.cleanup());

function serial(path: string) {
  const store = openStore({ path, readonly: true });
  const result = store.verifyStream("credit", { threads: 1 });
  store.close();
  return result;
}

function parallel(path: string, threads: number, mode: "workers" | "inline") {
  const minRecords = parallelVerify.minRecords;
  parallelVerify.minRecords = 1;
  const db = new Database(path, { readonly: true });
  try {
    return db.transaction(() => verifyStreamParallel(db, 1, "credit", threads, {}, mode))();
  } finally {
    db.close();
    parallelVerify.minRecords = minRecords;
  }
}

describe("parallel verify()", () => {
  it("gives the serial result on an intact store, for any number of ranges", () => {
    const expected = serial(temp.path);
    expect(expected).toMatchObject({ ok: true, checked: SIZE });
    expect(expected.checkpoints).toBeGreaterThan(10);
    for (let threads = 2; threads <= 12; threads++) {
      expect(parallel(temp.path, threads, "inline")).toEqual(expected);
    }
  });

  it("runs the ranges on worker threads with the same result, through store.verify() too", {
    timeout: 60_000,
  }, () => {
    const expected = serial(temp.path);
    expect(parallel(temp.path, 3, "workers")).toEqual(expected);
    const minRecords = parallelVerify.minRecords;
    parallelVerify.minRecords = 1;
    try {
      const store = openStore({ path: temp.path, readonly: true });
      const all = store.verify({ threads: 2 });
      expect(all.ok).toBe(true);
      expect(all.streams.find((s) => s.stream === "credit")).toEqual(expected);
      store.close();
    } finally {
      parallelVerify.minRecords = minRecords;
    }
  });

  /** Tamperings a writer with SQL access could do, each at a random place. */
  const TAMPERS: Record<string, (db: Database.Database, seq: number) => void> = {
    "record bytes": (db, seq) => {
      const bytes = db
        .prepare("SELECT bytes FROM records WHERE stream_id = 1 AND seq = ?")
        .pluck()
        .get(seq) as Buffer;
      const edited = Buffer.from(bytes);
      const at = edited.indexOf('"ts":"') + 7;
      edited[at] = edited[at] === 0x31 ? 0x32 : 0x31; // a digit of the year
      db.prepare("UPDATE records SET bytes = ? WHERE stream_id = 1 AND seq = ?").run(edited, seq);
    },
    "cid column": (db, seq) =>
      db
        .prepare(
          "UPDATE records SET cid = (SELECT cid FROM records WHERE stream_id = 1 AND seq = 0) WHERE stream_id = 1 AND seq = ?",
        )
        .run(Math.max(1, seq)),
    "deleted record": (db, seq) => db.prepare("DELETE FROM records WHERE stream_id = 1 AND seq = ?").run(seq),
    "label column": (db, seq) =>
      db.prepare("UPDATE records SET label = 'L999' WHERE stream_id = 1 AND seq = ?").run(seq),
    "kind column to decision": (db, seq) =>
      db.prepare("UPDATE records SET kind = 'decision' WHERE stream_id = 1 AND seq = ?").run(seq),
    "kind column to label": (db, seq) =>
      db.prepare("UPDATE records SET kind = 'label' WHERE stream_id = 1 AND seq = ?").run(seq),
    "ts column": (db, seq) =>
      db
        .prepare("UPDATE records SET ts = '2000-01-01T00:00:00.000Z' WHERE stream_id = 1 AND seq = ?")
        .run(seq),
    "merkle tile hash": (db, seq) => {
      // A leaf (tile level 0) or a level-8 hash (tile level 1) of the record's tiles.
      const level = seq % 2;
      const index = level === 0 ? seq : seq >> 8;
      const select = db.prepare(
        "SELECT hashes FROM merkle_tiles WHERE stream_id = 1 AND level = ? AND idx = ?",
      );
      const tile = select.pluck().get(level, index >> 8) as Buffer | undefined;
      if (tile === undefined || tile.length < ((index % 256) + 1) * 32) return;
      const edited = Buffer.from(tile);
      edited.fill(0, (index % 256) * 32, (index % 256) * 32 + 32);
      db.prepare("UPDATE merkle_tiles SET hashes = ? WHERE stream_id = 1 AND level = ? AND idx = ?").run(
        edited,
        level,
        index >> 8,
      );
    },
    "deleted merkle tile": (db, seq) =>
      db
        .prepare("DELETE FROM merkle_tiles WHERE stream_id = 1 AND level = ? AND idx = ?")
        .run(seq % 2, seq >> (8 * (1 + (seq % 2)))),
    "checkpoint root": (db, seq) =>
      db
        .prepare(
          "UPDATE checkpoints SET root = zeroblob(32) WHERE stream_id = 1 AND size = (SELECT min(size) FROM checkpoints WHERE stream_id = 1 AND size >= ?)",
        )
        .run(seq),
    "checkpoint head": (db, seq) =>
      db
        .prepare(
          "UPDATE checkpoints SET head_cid = 'bafkreiaaaa' WHERE stream_id = 1 AND size = (SELECT min(size) FROM checkpoints WHERE stream_id = 1 AND size >= ?)",
        )
        .run(seq),
    "head size": (db) => db.prepare("UPDATE streams SET size = size - 1 WHERE id = 1").run(),
    "truncated tail": (db, seq) =>
      db.prepare("DELETE FROM records WHERE stream_id = 1 AND seq >= ?").run(seq),
    "a row beyond the head": (db, seq) =>
      db
        .prepare(
          `INSERT INTO records (stream_id, seq, cid, kind, ts, label, model_id, model_version, bytes)
           SELECT stream_id, seq + 1000, cid, kind, ts, label, model_id, model_version, bytes FROM records
           WHERE stream_id = 1 AND seq = ?`,
        )
        .run(seq),
    "swapped seqs": (db, seq) => {
      const a = Math.max(1, seq);
      db.prepare("UPDATE records SET seq = -1 WHERE stream_id = 1 AND seq = ?").run(a);
      db.prepare("UPDATE records SET seq = ? WHERE stream_id = 1 AND seq = ?").run(a, a + 1);
      db.prepare("UPDATE records SET seq = ? WHERE stream_id = 1 AND seq = -1").run(a + 1);
    },
  };

  it("never succeeds where the serial path fails (random tamperings)", { timeout: 120_000 }, () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    let failed = 0;
    for (const [name, tamper] of Object.entries(TAMPERS)) {
      for (let round = 0; round < 3; round++) {
        const path = join(temp.dir, `tampered-${name.replaceAll(" ", "-")}-${round}.db`);
        copyFileSync(temp.path, path);
        const db = new Database(path);
        tamper(db, random(SIZE));
        db.close();
        const expected = serial(path);
        if (!expected.ok) failed++;
        for (const threads of [2, 3, 5]) {
          const found = parallel(path, threads, "inline");
          expect(found, `${name}, round ${round}, ${threads} threads`).toEqual(
            expected.ok ? expected : undefined,
          );
        }
      }
    }
    expect(failed).toBeGreaterThan(Object.keys(TAMPERS).length * 2);
  });
});
