/**
 * The Merkle tree stored as tiles (schema v5): what a 300-record stream keeps, proofs from it, and
 * tampering with the tiles through plain SQL, as someone with write access to the file would.
 */
import {
  type AncoraRecord,
  type BlockCid,
  CompactRange,
  decodeRecord,
  encodeRecordBlock,
  hashLeaf,
  TileBuilder,
  verifyConsistency,
  verifyInclusion,
} from "@ancora/core";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeSha256 } from "./internal/crypto.js";
import { createLogger } from "./logger.js";
import { openStore } from "./store.js";
import { CONFIG, MODEL, tempStore } from "./testing/fixtures.js";
import { tamperWith, verifyBothWays } from "./testing/tampering.js";

let temp: ReturnType<typeof tempStore>;

/** seq 0 genesis, 1-2 labels, 3 config, 4-299 decisions; a checkpoint at 300; 300-319 decisions. */
beforeEach(async () => {
  temp = tempStore();
  const logger = createLogger({ path: temp.path, stream: "credit", model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  for (let i = 4; i < 300; i++) logger.log({ features: { i }, output: i % 2, score: (i % 10) / 10 });
  await logger.flush();
  logger.checkpoint();
  for (let i = 0; i < 20; i++) logger.log({ features: { i }, output: 1, score: 0.5 });
  await logger.flush();
  expect(logger.verify()).toMatchObject({ ok: true, checked: 320, checkpoints: 1 });
  await logger.close();
});
afterEach(() => temp.cleanup());

function sql(statements: (db: Database.Database) => void): void {
  tamperWith(temp.path, statements);
}

const verify = () => verifyBothWays(temp.path, "credit");

/** Replaces 32 bytes at entry `entry` of tile (level, idx) with `hash` (zeros by default). */
function setTileEntry(
  db: Database.Database,
  level: number,
  idx: number,
  entry: number,
  hash?: Uint8Array,
  column: "hashes" | "mids" = "hashes",
): void {
  const tile = db
    .prepare<[number, number], Buffer>(`SELECT ${column} FROM merkle_tiles WHERE level = ? AND idx = ?`)
    .pluck()
    .get(level, idx) as Buffer;
  const edited = Buffer.from(tile);
  edited.set(hash ?? new Uint8Array(32), entry * 32);
  db.prepare(`UPDATE merkle_tiles SET ${column} = ? WHERE level = ? AND idx = ?`).run(edited, level, idx);
}

/** Rewrites seq 10 and re-chains everything after it (CIDs, prev links, config links), as a forger would. */
function forgeFrom10(db: Database.Database): BlockCid[] {
  const cids: BlockCid[] = [];
  let prev: BlockCid | undefined;
  const rows = db.prepare("SELECT seq, bytes FROM records ORDER BY seq").all() as {
    seq: number;
    bytes: Buffer;
  }[];
  for (const row of rows) {
    let record = decodeRecord(row.bytes);
    if (row.seq >= 10) {
      record = { ...record, prev } as AncoraRecord;
      if (row.seq === 10 && record.kind === "decision")
        record = { ...record, body: { ...record.body, score: 0.01 } };
      const block = encodeRecordBlock(record);
      db.prepare("UPDATE records SET bytes = ?, cid = ? WHERE seq = ?").run(
        block.bytes,
        block.cid.toString(),
        row.seq,
      );
      prev = block.cid;
    } else {
      prev = encodeRecordBlock(record).cid;
    }
    cids.push(prev);
  }
  db.prepare("UPDATE streams SET head_cid = ?").run(prev?.toString());
  return cids;
}

describe("a stream's Merkle tiles", () => {
  it("are one full level-0 tile and one level-8 hash for 320 records; salts live in the records", () => {
    const db = new Database(temp.path, { readonly: true });
    expect(
      db
        .prepare("SELECT level, idx, length(hashes), length(mids) FROM merkle_tiles ORDER BY level, idx")
        .raw()
        .all(),
    ).toEqual([
      [0, 0, 256 * 32, 16 * 32],
      [1, 0, 32, 0],
    ]);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
    expect(tables).not.toContain("merkle_nodes");
    expect(tables).not.toContain("salts");
    db.close();
  });

  it("serve proofs of every record that verify against the checkpoint and the head", () => {
    const store = openStore({ path: temp.path });
    const [checkpoint] = store.checkpoints("credit");
    for (let seq = 0; seq < 320; seq += 7) {
      for (const size of [300, 320]) {
        if (seq >= size) continue;
        const p = store.inclusionProof("credit", seq, size);
        if (size === 300) expect(p.root).toEqual(checkpoint?.root);
        expect(
          verifyInclusion({ leafHash: p.leafHash, index: seq, size, proof: p.proof, root: p.root }),
        ).toBe(true);
      }
    }
    for (const size1 of [1, 255, 256, 257, 300]) {
      const c = store.consistencyProof("credit", size1);
      expect(verifyConsistency(c)).toBe(true);
    }
    store.close();
  });

  it("continue after a reopen: the last partial tile is rebuilt from the records", async () => {
    const logger = createLogger({ path: temp.path, stream: "credit", model: MODEL, create: false });
    for (let i = 0; i < 300; i++) logger.log({ features: { i }, output: 0, score: 0.1 });
    await logger.flush();
    logger.checkpoint();
    expect(logger.verify()).toMatchObject({ ok: true, checked: 620, checkpoints: 2 });
    await logger.close();
    const db = new Database(temp.path, { readonly: true });
    expect(
      db
        .prepare("SELECT level, idx, length(hashes), length(mids) FROM merkle_tiles ORDER BY 1, 2")
        .raw()
        .all(),
    ).toEqual([
      [0, 0, 8192, 512],
      [0, 1, 8192, 512],
      [1, 0, 64, 0],
    ]);
    db.close();
  });
});

describe("tampering with Merkle tiles", () => {
  it("an edited leaf hash: MERKLE_LEAF_MISMATCH at that seq", () => {
    sql((db) => setTileEntry(db, 0, 0, 100));
    expect(verify().failures.map((f) => [f.code, f.seq])).toEqual([["MERKLE_LEAF_MISMATCH", 100]]);
  });

  it("a deleted full level-0 tile: every leaf of it missing, from seq 0", () => {
    sql((db) => db.prepare("DELETE FROM merkle_tiles WHERE level = 0").run());
    const result = verify();
    expect(result.failures[0]).toMatchObject({ code: "MERKLE_LEAF_MISMATCH", seq: 0, found: "missing" });
    expect(new Set(result.failures.map((f) => f.code))).toEqual(new Set(["MERKLE_LEAF_MISMATCH"]));
  });

  it("an edited or deleted level-8 hash: MERKLE_NODE_MISMATCH at the record completing it", () => {
    sql((db) => setTileEntry(db, 1, 0, 0));
    expect(verify().failures.map((f) => [f.code, f.seq])).toEqual([["MERKLE_NODE_MISMATCH", 255]]);
    sql((db) => db.prepare("DELETE FROM merkle_tiles WHERE level = 1").run());
    expect(verify().failures).toEqual([
      expect.objectContaining({ code: "MERKLE_NODE_MISMATCH", seq: 255, found: "missing" }),
    ]);
  });

  it("an edited mid (level 4 in a tile): MERKLE_NODE_MISMATCH at the record completing it", () => {
    sql((db) => setTileEntry(db, 0, 0, 2, undefined, "mids"));
    expect(verify().failures.map((f) => [f.code, f.seq])).toEqual([["MERKLE_NODE_MISMATCH", 47]]);
  });

  it("edited bytes with the CID column recomputed, in a full tile: MERKLE_LEAF_MISMATCH at that seq", () => {
    sql((db) => {
      const bytes = db.prepare("SELECT bytes FROM records WHERE seq = 10").pluck().get() as Buffer;
      const record = decodeRecord(bytes) as Extract<AncoraRecord, { kind: "decision" }>;
      const ts = "2020-01-01T00:00:00.000Z";
      const forged = encodeRecordBlock({ ...record, ts });
      db.prepare("UPDATE records SET bytes = ?, cid = ? WHERE seq = 10").run(
        forged.bytes,
        forged.cid.toString(),
      );
    });
    const result = verify();
    expect(result.firstBadSeq).toBe(10);
    expect(result.failures.map((f) => [f.code, f.seq])).toEqual(
      expect.arrayContaining([
        ["MERKLE_LEAF_MISMATCH", 10],
        ["PREV_MISMATCH", 11],
      ]),
    );
  });

  it("a recomputed chain with its leaf hashes rewritten: the tile's stored level-4 hash diverges", () => {
    sql((db) => {
      const cids = forgeFrom10(db);
      for (let seq = 10; seq < 256; seq++) {
        setTileEntry(db, 0, 0, seq, hashLeaf((cids[seq] as BlockCid).bytes, nodeSha256));
      }
    });
    const result = verify();
    // The mid over leaves 0-15 (seq 10 is one of them), then the level-8 hash over the whole tile.
    expect(result.failures[0]).toMatchObject({ code: "MERKLE_NODE_MISMATCH", seq: 15 });
    expect(result.failures.map((f) => [f.code, f.seq])).toContainEqual(["MERKLE_NODE_MISMATCH", 255]);
    expect(result.failures.map((f) => f.code)).toContain("CHECKPOINT_ROOT_MISMATCH");
  });

  it("a recomputed chain with every tile and the head rewritten: the stored checkpoint catches it", () => {
    sql((db) => {
      const cids = forgeFrom10(db);
      const tree = new CompactRange(nodeSha256);
      const tiles = new TileBuilder(0, []);
      tiles.add(tree.appendLeaves(cids.map((c) => c.bytes)).nodes);
      db.prepare("DELETE FROM merkle_tiles").run();
      const insert = db.prepare(
        "INSERT INTO merkle_tiles (stream_id, level, idx, hashes, mids) VALUES (1, ?, ?, ?, ?)",
      );
      for (const t of tiles.take()) insert.run(t.tileLevel, t.index, t.hashes, t.mids);
      db.prepare("UPDATE streams SET tree_state = ?").run(JSON.stringify(tree.state()));
    });
    // Only the checkpoint's root (and, in production, its on-chain anchor) still says what was there.
    expect(verify().failures.map((f) => [f.code, f.seq])).toEqual([
      ["CHECKPOINT_ROOT_MISMATCH", 299],
      ["CHECKPOINT_HEAD_MISMATCH", 299],
    ]);
  });
});
