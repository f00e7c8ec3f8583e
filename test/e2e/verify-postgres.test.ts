/**
 * `ancora-verify --db postgres://…` against a real PostgreSQL server (Debian's package, started for this
 * file on 127.0.0.1 and a free port): a log written by the SDK's PostgreSQL writer verifies with exit 0
 * through a role that may only SELECT; plain SQL edits of a record, of a tile and of the head are each
 * named (exit 1); a newer schema (exit 2) and an unreachable server or RPC endpoint (exit 3) are clear
 * errors, and the password of the connection string never appears in the output.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitmentConfig } from "../../packages/sdk/src/internal/commitments.ts";
import { configEntry, decisionEntry } from "../../packages/sdk/src/postgres/pg-entries.ts";
import { migratePostgres } from "../../packages/sdk/src/postgres/pg-schema.ts";
import { PgWriter } from "../../packages/sdk/src/postgres/pg-writer.ts";
import { CONFIG, MODEL } from "../../packages/sdk/src/testing/fixtures.ts";
import { type PostgresServer, startPostgres } from "../../packages/sdk/src/testing/postgres-server.ts";
import { openPostgresLog } from "../../packages/verifier/src/sources/postgres.ts";
import { runVerifyBin } from "./support/verify-bin.ts";

const STREAM = "loans";
const RECORDS = 700; // genesis, two labels, config, 696 decisions: two full tiles and a partial one

let server: PostgresServer;
let admin: pg.Pool;
let dbUrl: string;
let auditorUrl: string;

beforeAll(async () => {
  server = await startPostgres();
  admin = new pg.Pool({ connectionString: server.url, max: 4 });
  await admin.query("CREATE DATABASE audit");
  dbUrl = server.url.replace(/\/postgres$/, "/audit");
  const db = new pg.Pool({ connectionString: dbUrl, max: 8 });
  try {
    const client = await db.connect();
    await migratePostgres(client);
    client.release();
    const writer = new PgWriter(db);
    const id = await writer.openStream(STREAM, { createdBy: "ancora-sdk" });
    expect((await writer.append(id, STREAM, configEntry(STREAM, CONFIG))).ok).toBe(true);
    const settings = {
      commitment: commitmentConfig("salted"),
      anonymise: undefined,
      maxInputBytes: 1 << 20,
      model: MODEL,
    };
    const outcomes = await Promise.all(
      Array.from({ length: RECORDS - 4 }, (_, i) =>
        writer.append(
          id,
          STREAM,
          decisionEntry(STREAM, { features: { i }, output: i % 2, score: (i % 10) / 10 }, settings),
        ),
      ),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // The auditor's role: it may read the store's tables and nothing else.
    await db.query("CREATE ROLE auditor LOGIN PASSWORD 'pw-never-printed'");
    await db.query("GRANT SELECT ON ancora_meta, streams, records, merkle_tiles TO auditor");
  } finally {
    await db.end();
  }
  auditorUrl = dbUrl.replace("ancora@", "auditor:pw-never-printed@");
}, 180_000);

afterAll(async () => {
  await admin?.end();
  server?.stop();
});

/** Runs `sql` on a copy of the audit database and returns the copy's URL for the auditor. */
async function tamperedCopy(name: string, sql: string): Promise<string> {
  await admin.query(`CREATE DATABASE ${name} TEMPLATE audit`);
  const copy = new pg.Pool({ connectionString: server.url.replace(/\/postgres$/, `/${name}`), max: 1 });
  try {
    expect((await copy.query(sql)).rowCount).toBeGreaterThan(0);
  } finally {
    await copy.end();
  }
  return auditorUrl.replace(/\/audit$/, `/${name}`);
}

describe("ancora-verify --db postgres://…", () => {
  it("verifies the log with a read-only role: exit 0, every record checked", async () => {
    const run = await runVerifyBin(["--db", auditorUrl, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ ok: true, records: RECORDS, failures: [], mode: "local" });
    expect(run.stdout).not.toContain("pw-never-printed");
  });

  it("names the first bad record after plain SQL edits: a record's bytes, a stored leaf, the head", async () => {
    const edited = await tamperedCopy(
      "edited_record",
      `UPDATE records SET bytes = convert_to(replace(convert_from(bytes, 'UTF8'), '"score":0.1}', '"score":0.2}'), 'UTF8')
       WHERE seq = (SELECT min(seq) FROM records WHERE kind = 'decision' AND seq > 300 AND convert_from(bytes, 'UTF8') LIKE '%"score":0.1}%')`,
    );
    const run = await runVerifyBin(["--db", edited, "--json"]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.failures[0]).toMatchObject({ code: "CID_MISMATCH", stream: STREAM });
    expect(doc.failures[0].seq).toBeGreaterThan(300);

    const leaf = await tamperedCopy(
      "edited_leaf",
      "UPDATE merkle_tiles SET hashes = overlay(hashes placing '\\x00'::bytea from 33 for 1) WHERE level = 0 AND idx = 1",
    );
    const leafRun = await runVerifyBin(["--db", leaf, "--json"]);
    expect(leafRun.code).toBe(1);
    expect(JSON.parse(leafRun.stdout).failures[0]).toMatchObject({ stream: STREAM, seq: 257 });

    const cut = await tamperedCopy("cut_tail", `DELETE FROM records WHERE seq >= ${RECORDS - 3}`);
    const cutRun = await runVerifyBin(["--db", cut, "--json"]);
    expect(cutRun.code).toBe(1);
    expect(JSON.parse(cutRun.stdout).failures.length).toBeGreaterThan(0);
  });

  it("reads ASCII records as text and every other record as its bytes, exactly as stored", async () => {
    const odd = {
      10: "7b22c3a9227d", // {"é"}: UTF-8 beyond ASCII
      11: "41ff42", // invalid UTF-8
      12: "5c5c22", // backslashes, which encode(…, 'escape') doubles
      13: "00412200", // zero bytes, which it escapes
    };
    const url = await tamperedCopy(
      "odd_bytes",
      `UPDATE records SET bytes = decode(CASE seq ${Object.entries(odd)
        .map(([seq, hex]) => `WHEN ${seq} THEN '${hex}'`)
        .join(" ")} END, 'hex') WHERE seq IN (${Object.keys(odd).join(", ")})`,
    );
    const log = await openPostgresLog(url);
    const read = [];
    try {
      for await (const record of log.source.records(STREAM)) read.push(record);
    } finally {
      await log.close();
    }
    const copy = new pg.Pool({ connectionString: server.url.replace(/\/postgres$/, "/odd_bytes"), max: 1 });
    const stored = await copy
      .query<{ seq: number; hex: string }>(
        "SELECT seq::float8 AS seq, encode(bytes, 'hex') AS hex FROM records ORDER BY seq",
      )
      .finally(() => copy.end());
    expect(read.map((r) => Buffer.from(r.bytes).toString("hex"))).toEqual(stored.rows.map((r) => r.hex));
    for (const record of read) {
      if (record.text !== undefined)
        expect(Buffer.from(record.text, "latin1")).toEqual(Buffer.from(record.bytes));
    }
    expect(read.filter((r) => r.text !== undefined).length).toBe(RECORDS - 4);
    const run = await runVerifyBin(["--db", url, "--json"]);
    const failures = JSON.parse(run.stdout).failures as { code: string; seq: number }[];
    expect(failures.filter((f) => f.code === "CID_MISMATCH").map((f) => f.seq)).toEqual([10, 11, 12, 13]);
  });

  it("refuses a newer schema (exit 2) and an unreachable server or RPC endpoint (exit 3), never printing the password", async () => {
    const newer = await tamperedCopy(
      "newer",
      "UPDATE ancora_meta SET value = '99' WHERE key = 'schema_version'",
    );
    const run = await runVerifyBin(["--db", newer, "--json"]);
    expect(run.code).toBe(2);
    expect(`${run.stdout}${run.stderr}`).toContain("SOURCE_UNSUPPORTED_VERSION");
    const down = await runVerifyBin([
      "--db",
      "postgres://auditor:pw-never-printed@127.0.0.1:1/audit",
      "--json",
    ]);
    expect(down.code).toBe(3); // a source that cannot be reached (docs/verifier.md, exit codes)
    expect(`${down.stdout}${down.stderr}`).toContain("SOURCE_UNREACHABLE");
    expect(`${down.stdout}${down.stderr}${run.stdout}${run.stderr}`).not.toContain("pw-never-printed");
    const chain = await runVerifyBin([
      "--db",
      auditorUrl,
      "--rpc",
      "http://127.0.0.1:1",
      "--registry",
      `0x${"11".repeat(20)}`,
    ]);
    // Checked against the chain since 0.1.0 (test/e2e/verify-postgres-chain.test.ts): an RPC endpoint
    // nobody listens on is unreachable (exit 3), and the password is still never printed.
    expect(chain.code).toBe(3);
    expect(`${chain.stdout}${chain.stderr}`).toContain("SOURCE_UNREACHABLE");
    expect(`${chain.stdout}${chain.stderr}`).not.toContain("pw-never-printed");
  });
});
