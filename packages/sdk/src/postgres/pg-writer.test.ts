/**
 * The PostgreSQL writer against a real PostgreSQL server (Debian's package, started for this file on
 * 127.0.0.1 and a free port, stopped after it): migrations, the same records as the SQLite store for
 * the same entries, and several processes appending to one stream at once (one of them killed with
 * SIGKILL mid-load) without a fork, a gap, a duplicate or a lost acknowledged decision.
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CompactRange, toHex } from "@ancora/core";
import { verifyStreamAsync } from "@ancora/verifier";
import { openPostgresLog } from "@ancora/verifier/node";
import Database from "better-sqlite3";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitmentConfig } from "../internal/commitments.js";
import { createLogger } from "../logger.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import { type PostgresServer, startPostgres } from "../testing/postgres-server.js";
import { spawnSource } from "../testing/source-child.js";
import { configEntry, decisionEntry } from "./pg-entries.js";
import { migratePostgres, PG_SCHEMA_VERSION, postgresSchemaVersion } from "./pg-schema.js";
import { PgWriter } from "./pg-writer.js";

const CHILD = fileURLToPath(new URL("../testing/pg-append-child.ts", import.meta.url));
const AT = new Date("2025-03-01T09:00:00.000Z");

let server: PostgresServer;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startPostgres();
  pool = new pg.Pool({ connectionString: server.url, max: 8 });
}, 180_000);
afterAll(async () => {
  await pool?.end();
  server?.stop();
});

/** A fresh database in the server, migrated; returns a pool on it. */
async function freshDatabase(name: string): Promise<pg.Pool> {
  await pool.query(`CREATE DATABASE ${name}`);
  const db = new pg.Pool({ connectionString: server.url.replace(/\/postgres$/, `/${name}`), max: 8 });
  const client = await db.connect();
  try {
    await migratePostgres(client);
  } finally {
    client.release();
  }
  return db;
}

interface RecordRow {
  seq: number;
  cid: string;
  kind: string;
  ts: string;
  label: string | null;
  model_id: string | null;
  model_version: string | null;
  bytes: Buffer;
}

async function pgRecords(db: pg.Pool, stream: string): Promise<RecordRow[]> {
  const rows = await db.query<RecordRow>(
    `SELECT seq::float8 AS seq, cid, kind, ts, label, model_id, model_version, bytes FROM records
     WHERE stream_id = (SELECT id FROM streams WHERE name = $1) ORDER BY seq`,
    [stream],
  );
  return rows.rows;
}

/** Verifies a stream with the verifier's PostgreSQL source: chain, CIDs, rules, columns, leaves, head. */
async function verifyPg(db: pg.Pool, stream: string) {
  const database = (await db.query<{ name: string }>("SELECT current_database() AS name")).rows[0]?.name;
  const log = await openPostgresLog(server.url.replace(/\/postgres$/, `/${database}`));
  try {
    const result = await verifyStreamAsync(log.source, stream);
    const head = (
      await db.query<{ tree_state: string }>("SELECT tree_state FROM streams WHERE name = $1", [stream])
    ).rows[0];
    if (head === undefined) throw new Error("no head row");
    return { result, root: toHex(CompactRange.fromState(JSON.parse(head.tree_state)).root()) };
  } finally {
    await log.close();
  }
}

describe("PostgreSQL schema", () => {
  it("migrates a new database once, also when replicas start together, and refuses a newer one", async () => {
    await pool.query("CREATE DATABASE migrate_test");
    // A statement that waits longer than this fails with its own error instead of hanging the test.
    const db = new pg.Pool({
      connectionString: server.url.replace(/\/postgres$/, "/migrate_test"),
      max: 4,
      statement_timeout: 20_000,
    });
    const clients: pg.PoolClient[] = [];
    try {
      for (let i = 0; i < 3; i++) clients.push(await db.connect());
      const [first] = clients as [pg.PoolClient];
      expect(await postgresSchemaVersion(first)).toBe(0);
      await Promise.all(clients.map((c) => migratePostgres(c)));
      for (const c of clients) expect(await postgresSchemaVersion(c)).toBe(PG_SCHEMA_VERSION);
      await db.query("UPDATE ancora_meta SET value = '99' WHERE key = 'schema_version'");
      await expect(migratePostgres(first)).rejects.toMatchObject({ code: "STORE_SCHEMA_TOO_NEW" });
    } finally {
      for (const c of clients) c.release();
      await db.end();
    }
  });
});

describe("PostgreSQL writer", () => {
  it("writes the same records, tiles and head as the SQLite store for the same entries", async () => {
    const db = await freshDatabase("same_bytes");
    const temp = tempStore();
    try {
      const clock = () => AT;
      const logger = createLogger({
        path: temp.path,
        stream: "loans",
        model: MODEL,
        commitment: "plain",
        clock,
      });
      // At most 128 entries per transaction (the logger's groupCommit.maxBatch): counted by connections.
      const writer = new PgWriter(db, clock, 128);
      const id = await writer.openStream("loans", { createdBy: "ancora-sdk" });
      const connect = db.connect.bind(db);
      let transactions = 0;
      db.connect = ((...args: Parameters<typeof connect>) => {
        transactions++;
        return connect(...args);
      }) as typeof db.connect;
      const settings = {
        commitment: commitmentConfig("plain"),
        anonymise: undefined,
        maxInputBytes: 1 << 20,
        model: MODEL,
      };
      logger.setConfig(CONFIG);
      expect((await writer.append(id, "loans", configEntry("loans", CONFIG))).ok).toBe(true);
      // 600 decisions: past two full tiles of 256 leaves; in PostgreSQL in concurrent groups.
      const inputs = Array.from({ length: 600 }, (_, i) => ({
        features: { i, name: `a${i}` },
        output: i % 3,
        score: (i % 10) / 10,
      }));
      for (const input of inputs) logger.recordSync(input);
      const outcomes = await Promise.all(
        inputs.map((input) => writer.append(id, "loans", decisionEntry("loans", input, settings))),
      );
      expect(outcomes.every((o) => o.ok)).toBe(true);
      // The config's transaction, then the 600 decisions in groups of at most 128 (not one group).
      expect(transactions).toBeGreaterThanOrEqual(1 + Math.ceil(600 / 128));
      await logger.close();

      const sqlite = new Database(temp.path, { readonly: true });
      const lite = sqlite
        .prepare("SELECT seq, cid, kind, ts, label, model_id, model_version, bytes FROM records ORDER BY seq")
        .all() as RecordRow[];
      const liteTiles = sqlite
        .prepare("SELECT level, idx, hashes, mids FROM merkle_tiles ORDER BY level, idx")
        .all();
      const liteHead = sqlite.prepare("SELECT size, head_cid, tree_state FROM streams").get();
      sqlite.close();

      const rows = await pgRecords(db, "loans");
      expect(rows.length).toBe(604); // genesis, two labels, config, 600 decisions
      expect(rows.map((r) => ({ ...r, bytes: r.bytes.toString("hex") }))).toEqual(
        lite.map((r) => ({ ...r, bytes: Buffer.from(r.bytes).toString("hex") })),
      );
      const pgTiles = await db.query(
        "SELECT level, idx::float8 AS idx, hashes, mids FROM merkle_tiles ORDER BY level, idx",
      );
      expect(pgTiles.rows.length).toBe(3); // two full level-0 tiles, the partial level-1 tile above them
      expect(pgTiles.rows).toEqual(liteTiles);
      const pgHead = await db.query("SELECT size::float8 AS size, head_cid, tree_state FROM streams");
      expect(pgHead.rows[0]).toEqual(liteHead);
    } finally {
      temp.cleanup();
      await db.end();
    }
  }, 120_000);

  it("property: any interleaving of writers, batches and failing entries keeps one chain with every acknowledged entry", async () => {
    const db = await freshDatabase("interleavings");
    // Three writers with their own connection pools: for the database, three processes.
    const pools = [0, 1, 2].map(
      () => new pg.Pool({ connectionString: server.url.replace(/\/postgres$/, "/interleavings"), max: 3 }),
    );
    const settings = {
      commitment: commitmentConfig("salted"),
      anonymise: undefined,
      maxInputBytes: 1 << 20,
      model: MODEL,
    };
    const step = fc.record({
      writer: fc.nat({ max: 2 }),
      kind: fc.constantFrom("decision", "decision", "decision", "config", "failing"),
      score: fc.integer({ min: 0, max: 10 }),
    });
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
          const stream = `s${run++}`;
          const writers = pools.map((p) => new PgWriter(p, () => AT));
          const id = await (writers[0] as PgWriter).openStream(stream, { createdBy: "ancora-sdk" });
          expect((await (writers[0] as PgWriter).append(id, stream, configEntry(stream, CONFIG))).ok).toBe(
            true,
          );
          const outcomes = await Promise.all(
            steps.map(({ writer, kind, score }, i) => {
              const w = writers[writer] as PgWriter;
              if (kind === "config") {
                return w.append(
                  id,
                  stream,
                  configEntry(stream, { ...CONFIG, threshold: score / 10, changeReason: `step ${i}` }),
                );
              }
              if (kind === "failing") {
                // An entry whose drafts fail under the lock: it alone fails, the others of its
                // transaction are written.
                return w.append(id, stream, {
                  build: () => {
                    throw new Error(`entry ${i} refused`);
                  },
                  done: () => ({ seq: -1, cid: "" }),
                });
              }
              return w.append(
                id,
                stream,
                decisionEntry(stream, { features: { i }, output: i, score: score / 10 }, settings),
              );
            }),
          );
          const rows = await pgRecords(db, stream);
          expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i));
          const cids = new Map(rows.map((r) => [r.seq, r.cid]));
          for (const outcome of outcomes) {
            if (!outcome.ok) continue;
            const value = outcome.value as { seq: number; cid: string };
            expect(cids.get(value.seq)).toBe(value.cid);
          }
          // Failed entries wrote nothing and failed alone: genesis, the first config and its two labels,
          // then one record per decision or config that succeeded (configs here define no new label).
          expect(outcomes.filter((o) => !o.ok).length).toBe(
            steps.filter((st) => st.kind === "failing").length,
          );
          expect(rows.length).toBe(4 + outcomes.filter((o) => o.ok).length);
          const { result } = await verifyPg(db, stream);
          expect(result.failures).toEqual([]);
        }),
        { numRuns: process.env.CI ? 25 : 8 },
      );
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await db.end();
    }
  }, 180_000);

  it("lets several processes append to one stream at once: no fork, gap or duplicate, and a SIGKILLed writer loses no acknowledged decision", async () => {
    const db = await freshDatabase("fleet");
    try {
      const writer = new PgWriter(db);
      const id = await writer.openStream("loans", { createdBy: "ancora-sdk" });
      expect((await writer.append(id, "loans", configEntry("loans", CONFIG))).ok).toBe(true);

      const run = (count: number) => {
        const child: ChildProcess = spawnSource(CHILD, [
          server.url.replace(/\/postgres$/, "/fleet"),
          "loans",
          String(count),
          "8",
        ]);
        let out = "";
        let err = "";
        child.stdout?.on("data", (d: Buffer) => {
          out += d.toString();
        });
        child.stderr?.on("data", (d: Buffer) => {
          err += d.toString();
        });
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.on("exit", (code, signal) => resolve({ code, signal })),
        );
        const acks = () =>
          out
            .split("\n")
            .filter((line) => /^\d+ \S+$/.test(line))
            .map((line) => line.split(" ") as [string, string]);
        return { child, exited, acks, stderr: () => err };
      };
      const writers = [run(150), run(150), run(150)];
      const victim = run(1_000_000);
      // Kill the fourth writer once it has had some decisions acknowledged, with the others running.
      while (victim.acks().length < 40) await new Promise((r) => setTimeout(r, 20));
      victim.child.kill("SIGKILL");
      const victimExit = await victim.exited;
      expect(victimExit.signal).toBe("SIGKILL");
      for (const w of writers) {
        const exit = await w.exited;
        expect(exit.code, w.stderr()).toBe(0);
      }

      const rows = await pgRecords(db, "loans");
      // Contiguous seqs from 0 (the primary key rules out duplicates).
      expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i));
      const bySeq = new Map(rows.map((r) => [String(r.seq), r.cid]));
      const acked = [...writers.flatMap((w) => w.acks()), ...victim.acks()];
      expect(writers.flatMap((w) => w.acks()).length).toBe(450);
      for (const [seq, cid] of acked) expect(bySeq.get(seq)).toBe(cid);
      // One chain: every record links to the one before, and the head row agrees.
      const { result, root } = await verifyPg(db, "loans");
      expect(result.failures).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.checked).toBe(rows.length);
      expect(`0x${root}`).toBe(result.root);
      // A writer that starts afterwards continues the same chain.
      const after = await writer.append(
        id,
        "loans",
        decisionEntry(
          "loans",
          { features: { last: true }, output: 1, score: 0.9 },
          {
            commitment: commitmentConfig("salted"),
            anonymise: undefined,
            maxInputBytes: 1 << 20,
            model: MODEL,
          },
        ),
      );
      expect(after.ok && after.value.seq).toBe(rows.length);
      expect((await verifyPg(db, "loans")).result.ok).toBe(true);
    } finally {
      await db.end();
    }
  }, 180_000);

  it("a COMMIT whose answer is lost says the entries may be in the log; the next append continues the chain", async () => {
    const db = await freshDatabase("lost_commit");
    // Connections whose COMMIT reaches the server, then loses the answer (as when the network drops
    // after the server committed): only while `lose` is set.
    let lose = false;
    const lossy = new Proxy(db, {
      get(target, property) {
        if (property !== "connect") {
          // Bound to the real pool: its query() checks out connections with its own connect().
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        }
        return async () => {
          const client = await target.connect();
          return new Proxy(client, {
            get(c, p) {
              if (p !== "query") return Reflect.get(c, p, c);
              return async (...args: unknown[]) => {
                const result = await (c.query as (...a: unknown[]) => Promise<unknown>)(...args);
                if (lose && args[0] === "COMMIT") throw new Error("Connection terminated unexpectedly");
                return result;
              };
            },
          });
        };
      },
    });
    try {
      const settings = {
        commitment: commitmentConfig("plain"),
        anonymise: undefined,
        maxInputBytes: 1 << 20,
        model: MODEL,
      };
      const writer = new PgWriter(lossy as pg.Pool);
      const id = await writer.openStream("loans", { createdBy: "ancora-sdk" });
      expect((await writer.append(id, "loans", configEntry("loans", CONFIG))).ok).toBe(true);
      lose = true;
      const lost = await writer.append(
        id,
        "loans",
        decisionEntry("loans", { features: { a: 1 }, output: 1, score: 0.9 }, settings),
      );
      lose = false;
      expect(lost.ok).toBe(false);
      expect(!lost.ok && lost.error).toMatchObject({
        code: "STORE_WRITE_FAILED",
        evidence: { phase: "commit" },
      });
      // It was committed: the log holds it, and the writer's next append follows it, not the old head.
      expect((await pgRecords(db, "loans")).length).toBe(5);
      const next = await writer.append(
        id,
        "loans",
        decisionEntry("loans", { features: { a: 2 }, output: 1, score: 0.9 }, settings),
      );
      expect(next.ok && next.value.seq).toBe(5);
      expect((await verifyPg(db, "loans")).result.ok).toBe(true);
      // A failure before COMMIT (a statement the server refuses) is "nothing was written".
      const failing = await writer.append(id, "loans", {
        build: () => {
          throw new Error("refused while planning");
        },
        done: () => undefined,
      });
      expect(failing.ok).toBe(false);
      expect((await pgRecords(db, "loans")).length).toBe(6);
    } finally {
      await db.end();
    }
  }, 120_000);
});
