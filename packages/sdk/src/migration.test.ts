/**
 * Every released schema version keeps a fixture store (test-fixtures/store-v<n>.db, written by
 * src/testing/generate-fixture.ts). The current code must open it, migrate it, verify it, and go on
 * writing to it.
 */
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CID, CompactRange, TileBuilder, verifyConsistency, verifyInclusion } from "@ancora/core";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeSha256 } from "./internal/crypto.js";
import { SCHEMA_VERSION } from "./internal/schema.js";
import { createLogger } from "./logger.js";
import { openStore } from "./store.js";
import { tempStore } from "./testing/fixtures.js";

const FIXTURES = fileURLToPath(new URL("../test-fixtures/", import.meta.url));
const fixtures = readdirSync(FIXTURES)
  .filter((f) => /^store-v\d+\.db$/.test(f))
  .sort();

let temp: ReturnType<typeof tempStore>;
beforeEach(() => {
  temp = tempStore();
});
afterEach(() => temp.cleanup());

function copy(fixture: string): string {
  copyFileSync(join(FIXTURES, fixture), temp.path);
  return temp.path;
}

describe("schema fixtures", () => {
  it("has a fixture for the current schema version", () => {
    expect(fixtures).toContain(`store-v${SCHEMA_VERSION}.db`);
  });

  it.each(fixtures)("%s opens, migrates to the current version and verifies", (fixture) => {
    const path = copy(fixture);
    const version = Number(/v(\d+)/.exec(fixture)?.[1]);
    if (version < SCHEMA_VERSION) {
      expect(() => openStore({ path, readonly: true })).toThrow(
        expect.objectContaining({ code: "STORE_SCHEMA_UNKNOWN" }),
      );
    }
    const store = openStore({ path });
    const db = new Database(path, { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    const result = store.verify();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checked).toBeGreaterThan(0);
    // Every stored checkpoint still proves inclusion and consistency from the migrated node store.
    for (const { name, size } of store.streams()) {
      for (const checkpoint of store.checkpoints(name)) {
        const proof = store.inclusionProof(name, 0, checkpoint.size);
        expect(proof.root).toEqual(checkpoint.root);
        expect(verifyInclusion({ ...proof, proof: proof.proof, root: checkpoint.root })).toBe(true);
        const consistency = store.consistencyProof(name, checkpoint.size, size);
        expect(verifyConsistency({ ...consistency, root1: checkpoint.root })).toBe(true);
      }
    }
    store.close();
  });
});

describe("store-v1.db", () => {
  it("keeps its exact content: heads, labels, configs, salts and outbox", () => {
    const store = openStore({ path: copy("store-v1.db") });
    expect(store.streams().map((s) => [s.name, s.size, s.head])).toEqual([
      ["credit", 61, "bafkreibbing6kmlape46n4qhqdkeyqakfzbf37e5zq4xzrtce4iy5tcnzm"],
      ["fraud", 14, "bafkreicpqh7kaasguq5s5h2hch72qagywrs7w3yi7ydl2n4mxjx6o4hsre"],
      ["salted", 9, expect.stringMatching(/^bafkrei/)],
    ]);
    expect(store.count({ stream: "credit", model: { id: "credit-risk", version: "2.4.0" } })).toBe(20);
    expect(store.count({ stream: "credit", kind: "config" })).toBe(2);
    expect(store.salts("salted", 6)).toEqual({});
    expect(store.salts("salted", 7).input).toHaveLength(32);
    expect(store.dueJobs({ now: new Date("2030-01-01T00:00:00.000Z") })).toEqual([
      // The failed one was pushed back a minute, behind the other.
      expect.objectContaining({ kind: "anchor", stream: "fraud", attempts: 0 }),
      expect.objectContaining({
        kind: "anchor",
        stream: "credit",
        attempts: 1,
        lastError: "rpc unavailable",
      }),
    ]);
    store.close();
  });

  it("accepts new records under the config and labels it already holds", async () => {
    const path = copy("store-v1.db");
    const logger = createLogger({
      path,
      stream: "credit",
      model: { id: "credit-risk", version: "2.4.0", hash: `sha256:${"ef".repeat(32)}` },
      create: false,
    });
    expect(logger.labels()).toEqual([
      { id: "L001", name: "approve" },
      { id: "L002", name: "manual review" },
    ]);
    expect(logger.config()).toMatchObject({ threshold: 0.45, aboveLabel: "L001", belowLabel: "L002" });
    const recorded = await logger.record({ features: { age: 50 }, output: 1, score: 0.5 });
    expect(recorded).toMatchObject({ seq: 61, label: "L001", config: logger.config()?.cid });
    expect(logger.defineLabel("decline")).toMatchObject({ id: "L003" });
    logger.checkpoint();
    expect(logger.store.verify()).toMatchObject({ ok: true, checked: 61 + 2 + 14 + 9 });
    await logger.close();
  });
});

describe("store-v4-tiles.db (a v4 store whose credit stream holds 761 records)", () => {
  it("migrates its Merkle nodes to exactly the tiles the writer keeps, and goes on writing", async () => {
    const path = copy("store-v4-tiles.db");
    const store = openStore({ path });
    const db = new Database(path, { readonly: true });
    const id = db.prepare("SELECT id FROM streams WHERE name = 'credit'").pluck().get() as number;
    const cids = db
      .prepare<[number], string>("SELECT cid FROM records WHERE stream_id = ? ORDER BY seq")
      .pluck()
      .all(id);
    expect(cids).toHaveLength(761);
    // What the writer would have written: full level-0 tiles, level-1 tiles full or partial.
    const tiles = new TileBuilder(0, []);
    tiles.add(new CompactRange(nodeSha256).appendLeaves(cids.map((c) => CID.parse(c).bytes)).nodes);
    const expected = tiles
      .take()
      .map((t) => [
        t.tileLevel,
        t.index,
        Buffer.from(t.hashes).toString("hex"),
        Buffer.from(t.mids).toString("hex"),
      ]);
    expect(expected.map(([level, index]) => [level, index])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(
      db
        .prepare<[number], [number, number, string, string]>(
          "SELECT level, idx, hex(hashes), hex(mids) FROM merkle_tiles WHERE stream_id = ? ORDER BY level, idx",
        )
        .raw()
        .all(id)
        .map(([level, idx, hex, mids]) => [level, idx, hex.toLowerCase(), mids.toLowerCase()]),
    ).toEqual(expected);
    db.close();
    expect(store.verify()).toMatchObject({ ok: true, failures: [] });
    store.close();

    const logger = createLogger({
      path,
      stream: "credit",
      model: { id: "credit-risk", version: "2.4.0", hash: `sha256:${"ef".repeat(32)}` },
      create: false,
    });
    for (let i = 0; i < 300; i++) logger.log({ features: { i }, output: 1, score: 0.9 });
    await logger.flush();
    const checkpoint = logger.checkpoint();
    expect(checkpoint.size).toBe(1061);
    expect(logger.verify()).toMatchObject({ ok: true, checked: 1061 });
    const proof = logger.store.inclusionProof("credit", 700);
    expect(verifyInclusion({ ...proof, index: 700, root: checkpoint.root })).toBe(true);
    await logger.close();
  });
});
