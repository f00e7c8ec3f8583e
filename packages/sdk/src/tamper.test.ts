/**
 * Tampering with the file through plain SQL, as someone with write access to the database would:
 * every change is reported by verify() with its code and the first bad seq.
 */
import { hash } from "node:crypto";
import {
  type AncoraRecord,
  type BlockCid,
  CID,
  CompactRange,
  decodeRecord,
  encodeRecordBlock,
} from "@ancora/core";
import type Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { openStore } from "./store.js";
import { CONFIG, MODEL, tempStore } from "./testing/fixtures.js";
import { tamperWith, verifyBothWays } from "./testing/tampering.js";

let temp: ReturnType<typeof tempStore>;

/**
 * seq 0 genesis, 1-2 labels, 3 config, 4-23 decisions, 24 config (threshold 0.8), 25-44 decisions;
 * a checkpoint at size 45; then 46-59 decisions (no checkpoint over them).
 */
beforeEach(async () => {
  temp = tempStore();
  const logger = createLogger({ path: temp.path, stream: "credit", model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  for (let i = 0; i < 20; i++) await logger.record({ features: { i }, output: i, score: (i % 10) / 10 });
  logger.setConfig({ ...CONFIG, threshold: 0.8, changeReason: "tighter" });
  for (let i = 0; i < 20; i++) await logger.record({ features: { i }, output: i, score: (i % 10) / 10 });
  logger.checkpoint();
  for (let i = 0; i < 15; i++) await logger.record({ features: { i }, output: i, score: 0.5 });
  expect(logger.verify()).toMatchObject({ ok: true, checked: 60, checkpoints: 1 });
  await logger.close();
});
afterEach(() => temp.cleanup());

function sql(statements: (db: Database.Database) => void): void {
  tamperWith(temp.path, statements);
}

function verify() {
  return verifyBothWays(temp.path, "credit");
}

function bytesAt(db: Database.Database, seq: number): Buffer {
  return db.prepare("SELECT bytes FROM records WHERE seq = ?").pluck().get(seq) as Buffer;
}

function editText(db: Database.Database, seq: number, edit: (text: string) => string): Buffer {
  const edited = Buffer.from(edit(bytesAt(db, seq).toString("utf8")));
  db.prepare("UPDATE records SET bytes = ? WHERE seq = ?").run(edited, seq);
  return edited;
}

const nodeSha256 = (data: Uint8Array) => hash("sha256", data, "buffer");

describe("tampering through plain SQL", () => {
  it("edited record bytes: CID_MISMATCH at that seq", () => {
    sql((db) => editText(db, 10, (t) => t.replace(/"score":[0-9.]+/, '"score":0.99')));
    const result = verify();
    expect(result.ok).toBe(false);
    expect(result.failures[0]).toMatchObject({ code: "CID_MISMATCH", stream: "credit", seq: 10 });
    expect(result.firstBadSeq).toBe(10);
  });

  it("edited bytes with the CID column recomputed: PREV_MISMATCH at the next seq, the checkpoint's root", () => {
    // Seq 10 lies in the stream's last, partial Merkle tile, whose leaves the store derives from the
    // records instead of keeping them: the next record's link is the first witness (in a full tile the
    // stored leaf names seq 10 itself; see "tampering with Merkle tiles").
    sql((db) => {
      const record = decodeRecord(bytesAt(db, 10)) as Extract<AncoraRecord, { kind: "decision" }>;
      const forged = encodeRecordBlock({ ...record, body: { ...record.body, score: 0.99, label: "L001" } });
      db.prepare("UPDATE records SET bytes = ?, cid = ?, label = 'L001' WHERE seq = 10").run(
        forged.bytes,
        forged.cid.toString(),
      );
    });
    const result = verify();
    expect(result.failures.map((f) => [f.code, f.seq])).toEqual([
      ["PREV_MISMATCH", 11],
      ["CHECKPOINT_ROOT_MISMATCH", 44],
      ["HEAD_MISMATCH", 59],
    ]);
  });

  it("edited label column: LABEL_COLUMN_MISMATCH at that seq", () => {
    sql((db) =>
      db
        .prepare(
          "UPDATE records SET label = CASE label WHEN 'L001' THEN 'L002' ELSE 'L001' END WHERE seq = 12",
        )
        .run(),
    );
    const result = verify();
    expect(result.failures).toEqual([
      expect.objectContaining({ code: "LABEL_COLUMN_MISMATCH", seq: 12, stream: "credit" }),
    ]);
    expect(result.firstBadSeq).toBe(12);
  });

  it("edited model and kind columns", () => {
    sql((db) => {
      db.prepare("UPDATE records SET model_id = 'other-model' WHERE seq = 30").run();
      db.prepare("UPDATE records SET kind = 'label' WHERE seq = 31").run();
    });
    expect(verify().failures.map((f) => [f.code, f.seq])).toEqual([
      ["MODEL_COLUMN_MISMATCH", 30],
      ["KIND_COLUMN_MISMATCH", 31],
    ]);
  });

  it("edited config record (threshold lowered): reported at the config's seq", () => {
    sql((db) => editText(db, 24, (t) => t.replace('"threshold":0.8', '"threshold":0.1')));
    const result = verify();
    expect(result.failures[0]).toMatchObject({ code: "CID_MISMATCH", seq: 24 });
    // Every decision under it now points to a config CID that is not the (edited) config's.
    expect(result.failures.filter((f) => f.code === "CONFIG_MISMATCH").map((f) => f.seq)).toEqual(
      Array.from({ length: 35 }, (_, i) => 25 + i),
    );
  });

  it("edited config record with its CID column recomputed: reported from the record after it", () => {
    sql((db) => {
      const record = decodeRecord(bytesAt(db, 24));
      if (record.kind !== "config") throw new Error("seq 24 is the second config");
      const forged = encodeRecordBlock({ ...record, body: { ...record.body, threshold: 0.1 } });
      db.prepare("UPDATE records SET bytes = ?, cid = ? WHERE seq = 24").run(
        forged.bytes,
        forged.cid.toString(),
      );
    });
    const result = verify();
    // The next record's link is the first witness (seq 24 lies in the last, partial tile).
    expect(result.failures[0]).toMatchObject({ code: "PREV_MISMATCH", seq: 25 });
    const codes = new Set(result.failures.map((f) => f.code));
    expect(codes).toEqual(
      new Set([
        "PREV_MISMATCH",
        "CONFIG_MISMATCH",
        "LABEL_MISMATCH",
        "CHECKPOINT_ROOT_MISMATCH",
        "HEAD_MISMATCH",
      ]),
    );
  });

  it("deleted middle record: SEQ_GAP at the missing seq", () => {
    sql((db) => db.prepare("DELETE FROM records WHERE seq = 17").run());
    const result = verify();
    expect(result.failures[0]).toMatchObject({ code: "SEQ_GAP", seq: 17, expected: "17", found: "18" });
    expect(result.firstBadSeq).toBe(17);
  });

  it("a row inserted before genesis (seq -1, a copy of a decision): reported, not skipped", () => {
    sql((db) =>
      db
        .prepare(
          "INSERT INTO records (stream_id, seq, cid, kind, ts, label, model_id, model_version, bytes) SELECT stream_id, -1, cid, kind, ts, label, model_id, model_version, bytes FROM records WHERE seq = 10",
        )
        .run(),
    );
    const result = verify();
    expect(result.ok).toBe(false);
    expect(result.failures[0]).toMatchObject({ code: "SEQ_MISMATCH", seq: -1, expected: "0", found: "-1" });
  });

  it("two records reordered: SEQ_MISMATCH at the first", () => {
    sql((db) => {
      db.prepare("UPDATE records SET seq = -1 WHERE seq = 20").run();
      db.prepare("UPDATE records SET seq = 20 WHERE seq = 21").run();
      db.prepare("UPDATE records SET seq = 21 WHERE seq = -1").run();
    });
    const result = verify();
    expect(result.failures[0]).toMatchObject({ code: "SEQ_MISMATCH", seq: 20, expected: "20", found: "21" });
    expect(result.firstBadSeq).toBe(20);
  });

  it("truncated tail after a stored checkpoint, head and tree rewritten to match: CHECKPOINT_BEYOND_LOG", () => {
    sql((db) => {
      // 60 records fill no Merkle tile: the store keeps no hashes for them to rewrite.
      db.prepare("DELETE FROM records WHERE seq >= 40").run();
      const cids = db.prepare("SELECT cid FROM records ORDER BY seq").pluck().all() as string[];
      const tree = new CompactRange(nodeSha256);
      for (const cid of cids) tree.appendLeaf(CID.parse(cid).bytes);
      db.prepare("UPDATE streams SET size = 40, head_cid = ?, tree_state = ?").run(
        cids.at(-1),
        JSON.stringify(tree.state()),
      );
    });
    const result = verify();
    expect(result.failures).toEqual([expect.objectContaining({ code: "CHECKPOINT_BEYOND_LOG", seq: 40 })]);
    expect(result.firstBadSeq).toBe(40);
  });

  it("truncated tail after the last checkpoint: HEAD_MISMATCH at the first missing seq", () => {
    sql((db) => db.prepare("DELETE FROM records WHERE seq >= 50").run());
    expect(verify().failures).toEqual([expect.objectContaining({ code: "HEAD_MISMATCH", seq: 50 })]);
  });

  /** Rewrites seq 10 and re-chains everything after it (CIDs, prev links, config links), as a forger would. */
  function forgeFrom10(db: Database.Database): Map<number, BlockCid> {
    const renamed = new Map<string, BlockCid>();
    const cids = new Map<number, BlockCid>();
    let prev: BlockCid | undefined;
    const rows = db.prepare("SELECT seq, bytes FROM records ORDER BY seq").all() as {
      seq: number;
      bytes: Buffer;
    }[];
    for (const row of rows) {
      let record = decodeRecord(row.bytes);
      if (row.seq >= 10) {
        if (prev !== undefined) record = { ...record, prev } as AncoraRecord;
        if (record.kind === "decision") {
          const config = renamed.get(record.body.config.toString()) ?? record.body.config;
          const output = row.seq === 10 ? record.body.input : record.body.output;
          record = { ...record, body: { ...record.body, config, output } };
        }
        const block = encodeRecordBlock(record);
        renamed.set(encodeRecordBlock(decodeRecord(row.bytes)).cid.toString(), block.cid);
        db.prepare("UPDATE records SET bytes = ?, cid = ? WHERE seq = ?").run(
          block.bytes,
          block.cid.toString(),
          row.seq,
        );
        prev = block.cid;
      } else {
        prev = encodeRecordBlock(record).cid;
      }
      cids.set(row.seq, prev);
    }
    db.prepare("UPDATE streams SET head_cid = ?").run(prev?.toString());
    return cids;
  }

  it("a recomputed chain with the head rewritten: the stored checkpoint catches it", () => {
    sql((db) => {
      const cids = forgeFrom10(db);
      const tree = new CompactRange(nodeSha256);
      for (const cid of cids.values()) tree.appendLeaf(cid.bytes);
      db.prepare("UPDATE streams SET tree_state = ?").run(JSON.stringify(tree.state()));
    });
    const result = verify();
    // Only the checkpoint's root (and, in production, its on-chain anchor) still says what was there.
    expect(result.failures.map((f) => [f.code, f.seq])).toEqual([
      ["CHECKPOINT_ROOT_MISMATCH", 44],
      ["CHECKPOINT_HEAD_MISMATCH", 44],
    ]);
  });

  it("a record moved to another stream: STREAM_MISMATCH / SEQ_GAP", () => {
    sql((db) => {
      db.prepare(
        "INSERT INTO streams (name, size, head_cid, tree_state, created_at) SELECT 'other', 0, NULL, tree_state, created_at FROM streams",
      ).run();
      db.prepare("UPDATE records SET stream_id = 2 WHERE seq = 0").run();
    });
    const store = openStore({ path: temp.path, readonly: true });
    const result = store.verify();
    store.close();
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stream: "credit", code: "SEQ_GAP", seq: 0 }),
        expect.objectContaining({ stream: "other", code: "STREAM_MISMATCH", seq: 0 }),
      ]),
    );
  });
});
