import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SourceError } from "../errors.js";
import { verifyStreams } from "../verify-streams.js";
import { nodeSha256 } from "./node-sha256.js";
import { MAX_STORE_SCHEMA, openLocalLog } from "./sqlite.js";

const FIXTURES = fileURLToPath(new URL("../../../sdk/test-fixtures/", import.meta.url));
const SQLITE_MODULE = fileURLToPath(new URL("./sqlite.ts", import.meta.url));
/** The loader that lets a plain Node child run the workspace's TypeScript sources (test-only). */
const REGISTER = fileURLToPath(new URL("../testing/register-source.mjs", import.meta.url));
const VERSIONS = [1, 2, 3] as const;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-local-log-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of a fixture store in the test's directory (the originals are never opened for writing). */
function copy(version: number, name = `store-v${version}.db`): string {
  const path = join(dir, name);
  copyFileSync(join(FIXTURES, `store-v${version}.db`), path);
  return path;
}

/** Runs plain SQL on a copy, as someone with write access to the file would. */
function tamper(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  db.prepare(sql).run(...params);
  db.close();
}

function verify(path: string) {
  const log = openLocalLog(path);
  try {
    return verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
  } finally {
    log.close();
  }
}

function sourceErrorOf(run: () => unknown): SourceError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error("expected a SourceError");
}

describe("openLocalLog on the SDK's fixture stores", () => {
  it.each(VERSIONS)("store-v%i.db opens and verifies", (version) => {
    const log = openLocalLog(copy(version));
    try {
      expect(log.streams()).toEqual(["credit", "fraud", "salted"]);
      const result = verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
      expect(result.failures).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.checked).toBe(61 + 14 + 9);
      expect(log.source.head?.("credit")).toMatchObject({ size: 61 });
      expect(log.anchors("credit")).toEqual([]);
      expect(log.manifests("credit")).toEqual([]);
    } finally {
      log.close();
    }
  });

  it("presents the rows as stored: index columns, leaf hashes, checkpoints", () => {
    const log = openLocalLog(copy(2));
    try {
      const records = [...log.source.records("fraud")];
      expect(records.map((r) => r.seq)).toEqual([...Array(14).keys()]);
      for (const record of records) {
        expect(record.leafHash).toHaveLength(32);
        expect(record.cid).toMatch(/^bafkrei[a-z2-7]{52}$/);
        expect(typeof record.kind).toBe("string");
      }
      const checkpoints = [...log.source.checkpoints("credit")];
      expect(checkpoints.length).toBeGreaterThan(0);
      for (const c of checkpoints) expect(c.root).toHaveLength(32);
      expect(log.source.node?.("credit", 1, 0)).toHaveLength(32);
      expect(log.source.node?.("credit", 1, 10_000)).toBeUndefined();
    } finally {
      log.close();
    }
  });

  it("hands out every record's bytes exactly (ASCII, other UTF-8, invalid UTF-8), also after close", () => {
    const path = copy(2);
    const stored = new Map<number, string>([
      [3, "7b22c3a9227d"], // {"é"}: valid UTF-8, one character for two bytes
      [4, "41ff42"], // invalid UTF-8, one replacement character per byte
      [5, "ff"],
      [6, "00412200"], // NUL bytes and a quote, ASCII
    ]);
    for (const [seq, hex] of stored) {
      tamper(path, "UPDATE records SET bytes = unhex(?) WHERE stream_id = 2 AND seq = ?", hex, seq);
    }
    const log = openLocalLog(path);
    const records = [...log.source.records("fraud")];
    log.close();
    const db = new Database(path, { readonly: true });
    const raw = db.prepare("SELECT seq, bytes FROM records WHERE stream_id = 2 ORDER BY seq").raw().all() as [
      number,
      Buffer,
    ][];
    db.close();
    expect(records.map((r) => Buffer.from(r.bytes).toString("hex"))).toEqual(
      raw.map(([, bytes]) => bytes.toString("hex")),
    );
    for (const record of records) {
      // Text only where it is the bytes, character for byte.
      if (record.text !== undefined)
        expect(Buffer.from(record.text, "latin1")).toEqual(Buffer.from(record.bytes));
    }
    expect(records.filter((r) => stored.has(r.seq) && r.seq !== 6).map((r) => r.text)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const result = verify(path);
    expect(result.failures.filter((f) => f.code === "CID_MISMATCH").map((f) => f.seq)).toEqual([3, 4, 5, 6]);
  });

  it("is idempotent to close and rejects an unknown stream with SOURCE_NOT_FOUND", () => {
    const log = openLocalLog(copy(1));
    expect(sourceErrorOf(() => [...log.source.records("nope")]).code).toBe("SOURCE_NOT_FOUND");
    expect(log.anchors("nope")).toEqual([]);
    log.close();
    log.close();
  });
});

describe("tampering done with plain SQL is reported by the verifier", () => {
  it("edited record bytes: CID_MISMATCH at that seq", () => {
    const path = copy(2);
    tamper(
      path,
      'UPDATE records SET bytes = CAST(replace(CAST(bytes AS TEXT), \'"ts":"2\', \'"ts":"3\') AS BLOB) WHERE stream_id = 1 AND seq = 17',
    );
    const result = verify(path);
    expect(result.ok).toBe(false);
    expect(result.failures[0]).toMatchObject({ code: "CID_MISMATCH", stream: "credit", seq: 17 });
  });

  it("a deleted record: SEQ_GAP at the missing seq", () => {
    const path = copy(1);
    tamper(path, "DELETE FROM records WHERE stream_id = 2 AND seq = 5");
    const result = verify(path);
    expect(result.failures[0]).toMatchObject({ code: "SEQ_GAP", stream: "fraud", seq: 5 });
  });

  it("a corrupt tree_state: HEAD_MISMATCH, never an exception", () => {
    const path = copy(3);
    tamper(path, "UPDATE streams SET tree_state = '{not json' WHERE name = 'salted'");
    const result = verify(path);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ code: "HEAD_MISMATCH", stream: "salted", seq: 8 });
  });

  it("a tree_state of the wrong shape: HEAD_MISMATCH", () => {
    const path = copy(2);
    tamper(path, `UPDATE streams SET tree_state = '{"v":1,"size":3,"hashes":["zz"]}' WHERE name = 'fraud'`);
    expect(verify(path).failures[0]).toMatchObject({ code: "HEAD_MISMATCH", stream: "fraud" });
  });

  it("a dropped leaf node: MERKLE_LEAF_MISMATCH at its seq", () => {
    const path = copy(2);
    tamper(path, "DELETE FROM merkle_nodes WHERE stream_id = 1 AND level = 0 AND idx = 33");
    expect(verify(path).failures[0]).toMatchObject({
      code: "MERKLE_LEAF_MISMATCH",
      stream: "credit",
      seq: 33,
    });
  });

  it("a dropped upper node: MERKLE_NODE_MISMATCH at the record that completes it", () => {
    const path = copy(3);
    tamper(path, "DELETE FROM merkle_nodes WHERE stream_id = 1 AND level = 2 AND idx = 1");
    // Node (level 2, index 1) covers leaves 4..7: record 7 completes it.
    expect(verify(path).failures[0]).toMatchObject({
      code: "MERKLE_NODE_MISMATCH",
      stream: "credit",
      seq: 7,
    });
  });

  it("a BLOB column turned to TEXT (through a non-STRICT copy of the table) is still judged, not a crash", () => {
    const path = copy(1);
    const db = new Database(path);
    db.exec(`
      CREATE TABLE records2 AS SELECT * FROM records;
      UPDATE records2 SET bytes = CAST(bytes AS TEXT) || ' ' WHERE stream_id = 3 AND seq = 2;
      DROP TABLE records;
      ALTER TABLE records2 RENAME TO records;
    `);
    db.close();
    expect(verify(path).failures[0]).toMatchObject({ code: "CID_MISMATCH", stream: "salted", seq: 2 });
  });
});

describe("bad files give a SourceError with the right code", () => {
  it("a missing file: SOURCE_NOT_FOUND", () => {
    expect(sourceErrorOf(() => openLocalLog(join(dir, "missing.db"))).code).toBe("SOURCE_NOT_FOUND");
  });

  it("a directory: SOURCE_INVALID", () => {
    expect(sourceErrorOf(() => openLocalLog(dir)).code).toBe("SOURCE_INVALID");
  });

  it("a text file: SOURCE_INVALID", () => {
    const path = join(dir, "notes.db");
    writeFileSync(path, "this is not an SQLite database, just some words in a file\n".repeat(100));
    expect(sourceErrorOf(() => openLocalLog(path)).code).toBe("SOURCE_INVALID");
  });

  it("an SQLite file that is not an Ancora store: SOURCE_INVALID", () => {
    const path = join(dir, "other.db");
    const db = new Database(path);
    db.exec("CREATE TABLE things (x INTEGER)");
    db.close();
    expect(sourceErrorOf(() => openLocalLog(path)).code).toBe("SOURCE_INVALID");
  });

  it("a store missing a table its version requires: SOURCE_INVALID naming it", () => {
    const path = copy(2);
    tamper(path, "DROP TABLE manifests");
    const error = sourceErrorOf(() => openLocalLog(path));
    expect(error.code).toBe("SOURCE_INVALID");
    expect(error.evidence).toMatchObject({ missing: ["manifests"] });
  });

  it("a newer schema version: SOURCE_UNSUPPORTED_VERSION", () => {
    const path = copy(3);
    const db = new Database(path);
    db.pragma(`user_version = ${MAX_STORE_SCHEMA + 1}`);
    db.close();
    const error = sourceErrorOf(() => openLocalLog(path));
    expect(error.code).toBe("SOURCE_UNSUPPORTED_VERSION");
    expect(error.evidence).toMatchObject({ version: MAX_STORE_SCHEMA + 1 });
  });
});

describe("anchors and manifests", () => {
  const root = Buffer.alloc(32, 7);
  const insertAnchor = (path: string, size: number, status: string, extra = "") =>
    tamper(
      path,
      `INSERT INTO anchors (chain_id, registry, stream_id, size, root, manifest_cid, status, origin, tx_hash,
         block_number, submitted_at, updated_at${extra === "" ? "" : ", sequence, anchorer, consistency_checked"})
       VALUES (31337, '0xABCDEF0000000000000000000000000000000001', 1, ?, ?, 'bafkreimanifest', ?, 'submitted',
         '0x01', ${status === "confirmed" ? 12 : "NULL"}, 0, '2026-01-01T00:00:00Z'${extra})`,
      size,
      root,
      status,
    );

  it("reads schema-v2 anchors without the v3 link fields, ascending by size", () => {
    const path = copy(2);
    insertAnchor(path, 40, "confirmed");
    insertAnchor(path, 20, "submitted");
    const log = openLocalLog(path);
    try {
      const anchors = log.anchors("credit");
      expect(anchors.map((a) => a.size)).toEqual([20, 40]);
      expect(anchors[1]).toEqual({
        stream: "credit",
        chainId: 31337,
        registry: "0xabcdef0000000000000000000000000000000001",
        size: 40,
        root: new Uint8Array(root),
        manifestCid: "bafkreimanifest",
        txHash: "0x01",
        status: "confirmed",
        blockNumber: 12,
      });
      expect(anchors[0]?.blockNumber).toBeNull();
      expect(log.anchors("fraud")).toEqual([]);
    } finally {
      log.close();
    }
  });

  it("reads the schema-v3 link fields when present and leaves NULLs out", () => {
    const path = copy(3);
    insertAnchor(path, 40, "confirmed", ", 2, '0x00000000000000000000000000000000000000aa', 1");
    insertAnchor(path, 20, "confirmed", ", NULL, NULL, NULL");
    const log = openLocalLog(path);
    try {
      const [first, second] = log.anchors("credit");
      expect(first).not.toHaveProperty("sequence");
      expect(first).not.toHaveProperty("consistencyChecked");
      expect(second).toMatchObject({
        size: 40,
        sequence: 2,
        anchorer: "0x00000000000000000000000000000000000000aa",
        consistencyChecked: true,
      });
    } finally {
      log.close();
    }
  });

  it("rejects an anchors row outside the schema with SOURCE_INVALID", () => {
    const path = copy(2);
    const db = new Database(path);
    // A tamperer can drop the CHECK constraints by rebuilding the table; the reader still refuses.
    db.exec(`
      CREATE TABLE a2 AS SELECT * FROM anchors;
      DROP TABLE anchors;
      ALTER TABLE a2 RENAME TO anchors;
      INSERT INTO anchors (chain_id, registry, stream_id, size, root, manifest_cid, status, origin, tx_hash,
        submitted_at, updated_at, confirmations) VALUES (1, '0x1', 1, 5, x'00', 'c', 'maybe', 'submitted', '0x', 0, '', 0);
    `);
    db.close();
    const log = openLocalLog(path);
    try {
      const error = sourceErrorOf(() => log.anchors("credit"));
      expect(error.code).toBe("SOURCE_INVALID");
      expect(error.evidence).toMatchObject({ field: "status" });
    } finally {
      log.close();
    }
  });

  it("returns manifests raw, ascending by size", () => {
    const path = copy(2);
    const db = new Database(path);
    const insert = db.prepare(
      "INSERT INTO manifests (cid, stream_id, from_seq, size, bytes) VALUES (?, 1, ?, ?, ?)",
    );
    insert.run("bafkreib", 30, 61, Buffer.from("second"));
    insert.run("bafkreia", 0, 30, Buffer.from("first"));
    db.close();
    const log = openLocalLog(path);
    try {
      const manifests = log.manifests("credit");
      expect(manifests.map((m) => m.cid)).toEqual(["bafkreia", "bafkreib"]);
      expect(Buffer.from(manifests[0]?.bytes ?? []).toString()).toBe("first");
      expect(log.manifests("fraud")).toEqual([]);
    } finally {
      log.close();
    }
  });
});

describe("read-only opening", () => {
  it("never blocks a writer and reads one snapshot while the writer commits", () => {
    const path = copy(3);
    const writer = new Database(path);
    writer.pragma("journal_mode = WAL");
    writer.exec("BEGIN IMMEDIATE");
    writer.prepare("UPDATE streams SET created_at = created_at WHERE id = 1").run();
    const log = openLocalLog(path, { busyTimeoutMs: 0 });
    try {
      // The reader opened while the writer held the write lock, and the writer still commits while
      // the reader's snapshot is open: readers take no write lock.
      writer.exec("COMMIT");
      writer.prepare("DELETE FROM records WHERE stream_id = 2 AND seq = 13").run();
      const result = verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
      expect(result.ok).toBe(true);
    } finally {
      log.close();
      writer.close();
    }
    // A new log sees the writer's later change.
    const later = verify(path);
    expect(later.ok).toBe(false);
    expect(later.failures[0]).toMatchObject({ stream: "fraud" });
  });

  it("opens a store whose file is chmod 444 (and reports one in a read-only directory clearly)", () => {
    const open = join(dir, "open");
    const locked = join(dir, "locked");
    mkdirSync(open);
    mkdirSync(locked);
    const readonlyFile = copy(3, "open/store.db");
    const lockedFile = copy(3, "locked/store.db");
    chmodSync(readonlyFile, 0o444);
    chmodSync(lockedFile, 0o444);
    chmodSync(locked, 0o555);
    const isRoot = process.getuid?.() === 0;
    if (!isRoot) {
      const log = openLocalLog(readonlyFile);
      expect(verifyStreams(log.source, log.streams(), { sha256: nodeSha256 }).ok).toBe(true);
      log.close();
      expect(sourceErrorOf(() => openLocalLog(lockedFile)).code).toBe("SOURCE_UNREADABLE");
      return;
    }
    // Root ignores file modes, so the check runs in a child process as an unprivileged user. The child
    // starts as root, loads every module it needs from the checkout, and only then drops to nobody:
    // the checkout may sit in a private directory (a 0700 home, `mktemp -d`) that nobody cannot enter,
    // while the store files here (under the temporary directory) are what nobody must open.
    const nobody = 65534;
    chmodSync(dir, 0o755);
    chownSync(open, nobody, nobody);
    chownSync(readonlyFile, nobody, nobody);
    const script = join(dir, "open-readonly.mts");
    writeFileSync(
      script,
      `import { createRequire } from "node:module";
       import { openLocalLog } from ${JSON.stringify(SQLITE_MODULE)};
       // better-sqlite3 loads its native addon on first use: load it while the checkout is reachable.
       const Database = createRequire(${JSON.stringify(SQLITE_MODULE)})("better-sqlite3");
       new Database(":memory:").close();
       process.setgroups([]);
       process.setgid(${nobody});
       process.setuid(${nobody});
       const out = [];
       for (const path of process.argv.slice(2)) {
         try {
           const log = openLocalLog(path);
           out.push({ streams: log.streams(), records: [...log.source.records("credit")].length });
           log.close();
         } catch (error) {
           out.push({ code: error.code });
         }
       }
       console.log(JSON.stringify({ uid: process.getuid(), out }));`,
    );
    const args = ["--conditions=@ancora/source", "--import", REGISTER, script, readonlyFile, lockedFile];
    const child = spawnSync(process.execPath, args, {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: dir },
    });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({
      uid: nobody,
      out: [{ streams: ["credit", "fraud", "salted"], records: 61 }, { code: "SOURCE_UNREADABLE" }],
    });
  });
});
