/**
 * verifyLocalLog on worker threads against the serial path (threads: 1, which is verifyStreams over
 * openLocalLog): the same result (ok, checked, roots, failures with codes, seqs and evidence) on the
 * SDK's fixture stores untouched and under every tampering class of the verifier's tamper tests, at
 * random places near and across range boundaries (ranges of 16 records: boundaries at 16, 32, 48 of
 * the 61-record "credit" stream, whose label and config records sit on both sides of one).
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AncoraRecord, type BlockCid, decodeRecord, encodeRecordBlock } from "@ancora/core";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ParallelOptionError } from "../errors.js";
import { nodeSha256 } from "../sources/node-sha256.js";
import { type LocalVerificationResult, verifyLocalLog } from "./verify-local.js";
import { createVerifyPool, startVerifyPool, type VerifyPool } from "./worker-pool.js";

const FIXTURES = fileURLToPath(new URL("../../../sdk/test-fixtures/", import.meta.url));
/** Ranges of one block: the most boundaries a small fixture can have. */
const SMALL = { minRecords: 1, rangeRecords: 16 } as const;

let dir: string;
let pool: VerifyPool;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-parallel-"));
  pool = createVerifyPool({ threads: 3 });
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

function copy(version: number): string {
  const path = join(dir, `store-${n++}.db`);
  copyFileSync(join(FIXTURES, `store-v${version}.db`), path);
  return path;
}

/** What must be identical: everything but how the result was reached. */
function verdict(result: LocalVerificationResult) {
  const { threads: _t, parallelStreams: _p, fallbacks: _f, ...rest } = result;
  return rest;
}

/** Serial and parallel results of a file, checked equal; returns the parallel one. */
async function same(path: string, options: Parameters<typeof verifyLocalLog>[1] = { pool }) {
  const serial = await verifyLocalLog(path, { threads: 1 });
  expect(serial).toMatchObject({ threads: 1, parallelStreams: [], fallbacks: [] });
  const parallel = await verifyLocalLog(path, { ...SMALL, ...options });
  expect(verdict(parallel)).toEqual(verdict(serial));
  return { serial, parallel };
}

function sql(path: string, run: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    run(db);
  } finally {
    db.close();
  }
}

const CREDIT = "(SELECT id FROM streams WHERE name = 'credit')";
const SIZE = 61;

function bytesAt(db: Database.Database, seq: number): Uint8Array {
  return db
    .prepare(`SELECT bytes FROM records WHERE stream_id = ${CREDIT} AND seq = ?`)
    .pluck()
    .get(seq) as Uint8Array;
}

/** Rewrites record `from` with `change` and every later record so that the chain links again (a fork). */
function fork(db: Database.Database, from: number, change: (r: AncoraRecord) => AncoraRecord): void {
  let prev: BlockCid | undefined;
  const update = db.prepare(
    `UPDATE records SET bytes = ?, cid = ?, ts = ? WHERE stream_id = ${CREDIT} AND seq = ?`,
  );
  for (let seq = from; seq < SIZE; seq++) {
    const record = decodeRecord(bytesAt(db, seq));
    const edited = seq === from ? change(record) : { ...record, ...(prev === undefined ? {} : { prev }) };
    const block = encodeRecordBlock(edited as AncoraRecord, nodeSha256);
    update.run(block.bytes, block.cid.toString(), edited.ts, seq);
    prev = block.cid;
  }
}

/** The tamper classes of the verifier's and the SDK's tamper tests, each at a given seq. */
const TAMPERS: Record<string, (db: Database.Database, seq: number) => void> = {
  "edited bytes": (db, seq) => {
    const edited = Buffer.from(bytesAt(db, seq));
    const at = edited.indexOf('"ts":"') + 7;
    edited[at] = edited[at] === 0x31 ? 0x32 : 0x31;
    db.prepare(`UPDATE records SET bytes = ? WHERE stream_id = ${CREDIT} AND seq = ?`).run(edited, seq);
  },
  "edited bytes with a recomputed CID": (db, seq) => {
    const record = decodeRecord(bytesAt(db, seq));
    const block = encodeRecordBlock(
      { ...record, ts: "2031-01-01T00:00:00.000Z" } as AncoraRecord,
      nodeSha256,
    );
    db.prepare(`UPDATE records SET bytes = ?, cid = ? WHERE stream_id = ${CREDIT} AND seq = ?`).run(
      block.bytes,
      block.cid.toString(),
      seq,
    );
  },
  "a fork: the chain recomputed from a record on": (db, seq) =>
    fork(db, Math.max(1, seq), (r) => ({ ...r, ts: "2031-01-01T00:00:00.000Z" }) as AncoraRecord),
  "a deleted middle record": (db, seq) =>
    db.prepare(`DELETE FROM records WHERE stream_id = ${CREDIT} AND seq = ?`).run(Math.min(seq, SIZE - 2)),
  "two records reordered": (db, seq) => {
    const a = Math.min(Math.max(1, seq), SIZE - 2);
    const move = db.prepare(`UPDATE records SET seq = ? WHERE stream_id = ${CREDIT} AND seq = ?`);
    move.run(-1, a);
    move.run(a, a + 1);
    move.run(a + 1, -1);
  },
  "a truncated tail": (db, seq) =>
    db.prepare(`DELETE FROM records WHERE stream_id = ${CREDIT} AND seq >= ?`).run(seq),
  "a truncated tail with the head rewritten": (db, seq) => {
    const k = Math.max(1, seq);
    const cid = db
      .prepare(`SELECT cid FROM records WHERE stream_id = ${CREDIT} AND seq = ?`)
      .pluck()
      .get(k - 1);
    db.prepare(`DELETE FROM records WHERE stream_id = ${CREDIT} AND seq >= ?`).run(k);
    db.prepare(`UPDATE streams SET size = ?, head_cid = ? WHERE id = ${CREDIT}`).run(k, cid);
  },
  "a row beyond the head": (db, seq) =>
    db
      .prepare(
        `INSERT INTO records (stream_id, seq, cid, kind, ts, label, model_id, model_version, bytes)
         SELECT stream_id, ? + 100, cid, kind, ts, label, model_id, model_version, bytes FROM records
         WHERE stream_id = ${CREDIT} AND seq = ?`,
      )
      .run(seq, seq),
  "a row with a negative seq": (db, seq) =>
    db
      .prepare(
        `INSERT INTO records (stream_id, seq, cid, kind, ts, label, model_id, model_version, bytes)
         SELECT stream_id, -1 - ?, cid, kind, ts, label, model_id, model_version, bytes FROM records
         WHERE stream_id = ${CREDIT} AND seq = ?`,
      )
      .run(seq, seq),
  "a kind column": (db, seq) =>
    db
      .prepare(
        `UPDATE records SET kind = CASE kind WHEN 'decision' THEN 'label' ELSE 'decision' END WHERE stream_id = ${CREDIT} AND seq = ?`,
      )
      .run(seq),
  "a label column": (db, seq) =>
    db.prepare(`UPDATE records SET label = 'L999' WHERE stream_id = ${CREDIT} AND seq = ?`).run(seq),
  "a zeroed Merkle node": (db, seq) =>
    db
      .prepare(
        `UPDATE merkle_nodes SET hash = zeroblob(32) WHERE stream_id = ${CREDIT} AND level = ? AND idx = ?`,
      )
      .run(seq % 6, seq >> (seq % 6)),
  "a deleted Merkle node": (db, seq) =>
    db
      .prepare(`DELETE FROM merkle_nodes WHERE stream_id = ${CREDIT} AND level = ? AND idx = ?`)
      .run(seq % 6, seq >> (seq % 6)),
  "a checkpoint root": (db) =>
    db.prepare(`UPDATE checkpoints SET root = zeroblob(32) WHERE stream_id = ${CREDIT}`).run(),
  "the head size": (db) => db.prepare(`UPDATE streams SET size = size - 1 WHERE id = ${CREDIT}`).run(),
};

describe("verifyLocalLog", () => {
  it("gives the serial result on every fixture store, every stream in ranges on the workers", {
    timeout: 30_000,
  }, async () => {
    for (const version of [1, 2, 3, 4]) {
      const { serial, parallel } = await same(copy(version));
      expect(serial.ok).toBe(true);
      expect(parallel.threads).toBe(3);
      expect(parallel.parallelStreams).toContain("credit");
      expect(parallel.checked).toBe(serial.checked);
    }
  });

  it("gives the serial result for any thread count and range size", { timeout: 60_000 }, async () => {
    const path = copy(4);
    // A pool from the TypeScript sources takes about a second to start: two of them.
    for (const threads of [2, 5]) {
      const own = startVerifyPool({ threads });
      try {
        for (const rangeRecords of [16, 32, 48, 64]) await same(path, { pool: own, rangeRecords });
      } finally {
        await own.close();
      }
    }
    // Without a pool given, one is started and closed.
    const { parallel } = await same(path, { threads: 2 });
    expect(parallel.parallelStreams).toContain("credit");
  });

  it("leaves a stream whose references cross ranges to the serial path, saying so", async () => {
    const { parallel } = await same(copy(4));
    expect(parallel.fallbacks).toEqual([expect.objectContaining({ stream: "governance" })]);
  });

  it("reports every tampering exactly as the serial path, at random places (property)", {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(TAMPERS)),
        // Positions on and around the range boundaries, and anywhere.
        fc.oneof(fc.constantFrom(0, 1, 15, 16, 17, 31, 32, 33, 34, 35, 47, 48, 49, 59, 60), fc.nat(SIZE - 1)),
        async (name, seq) => {
          const path = copy(4);
          sql(path, (db) => (TAMPERS[name] as (db: Database.Database, seq: number) => void)(db, seq));
          const { serial, parallel } = await same(path);
          if (!serial.ok) {
            expect(parallel.parallelStreams).not.toContain("credit");
            expect(parallel.fallbacks.map((f) => f.stream)).toContain("credit");
          } else {
            expect(parallel.parallelStreams).toContain("credit");
          }
        },
      ),
      { numRuns: process.env.CI ? 120 : 45 },
    );
  });

  it("catches every tamper class at least once (the property above can fail)", {
    timeout: 60_000,
  }, async () => {
    for (const [name, tamper] of Object.entries(TAMPERS)) {
      const path = copy(4);
      sql(path, (db) => tamper(db, 33));
      const { serial } = await same(path);
      expect(serial.ok, name).toBe(false);
    }
  });

  it("verifies short streams serially by default, and counts progress over every thread", async () => {
    const path = copy(4);
    const seen: number[] = [];
    const result = await verifyLocalLog(path, { pool, onProgress: (p) => seen.push(p.records) });
    expect(result).toMatchObject({ ok: true, parallelStreams: [], fallbacks: [] });
    const parallel = await verifyLocalLog(path, { pool, ...SMALL, onProgress: (p) => seen.push(p.records) });
    expect(parallel.ok).toBe(true);
    expect(seen.at(-1)).toBe(parallel.checked);
  });

  it("refuses bad options with PARALLEL_BAD_OPTION before opening anything", async () => {
    for (const threads of [0, -1, 1.5, 65, Number.NaN]) {
      await expect(verifyLocalLog("/nonexistent.db", { threads })).rejects.toMatchObject({
        name: "ParallelOptionError",
        code: "PARALLEL_BAD_OPTION",
      });
    }
    await expect(verifyLocalLog("/nonexistent.db", { rangeRecords: 24 })).rejects.toBeInstanceOf(
      ParallelOptionError,
    );
    await expect(verifyLocalLog("/nonexistent.db", { minRecords: 0 })).rejects.toBeInstanceOf(
      ParallelOptionError,
    );
    expect(() => createVerifyPool({ threads: 0 })).toThrow(ParallelOptionError);
    await expect(verifyLocalLog("/nonexistent.db", { threads: 64 })).rejects.toMatchObject({
      code: "SOURCE_NOT_FOUND",
    });
  });
});

describe("workers that fail", { timeout: 30_000 }, () => {
  let path: string;
  beforeEach(() => {
    path = copy(4);
    sql(path, (db) => TAMPERS["edited bytes"]?.(db, 40));
  });

  async function withPool(internals: Parameters<typeof startVerifyPool>[1]) {
    const broken = startVerifyPool({ threads: 2 }, internals);
    try {
      for (const file of [copy(4), path]) {
        const { parallel } = await same(file, { pool: broken });
        expect(parallel.parallelStreams).toEqual([]);
        expect(parallel.fallbacks.map((f) => f.stream)).toContain("credit");
      }
      return broken.broken;
    } finally {
      await broken.close();
    }
  }

  it("a worker that cannot start: every stream serially, the same result, and the pool says why", async () => {
    const reason = await withPool({ workerUrl: new URL("./no-such-worker.js", import.meta.url) });
    expect(reason).toMatch(/could not start/);
  });

  it("a worker that crashes on its first range", async () => {
    const crash = new URL(
      `data:text/javascript,${encodeURIComponent(
        'import { parentPort } from "node:worker_threads"; parentPort.on("message", () => process.exit(7));',
      )}`,
    );
    expect(await withPool({ workerUrl: crash, execArgv: [] })).toMatch(/exited|could not start/);
  });

  it("a worker that never answers: its time limit ends the wait", async () => {
    const hang = new URL(
      `data:text/javascript,${encodeURIComponent(
        'import { parentPort } from "node:worker_threads"; parentPort.postMessage({ id: -1 }); parentPort.on("message", () => undefined);',
      )}`,
    );
    const started = Date.now();
    await withPool({ workerUrl: hang, execArgv: [], baseTimeoutMs: 200, msPerRecord: 0 });
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
