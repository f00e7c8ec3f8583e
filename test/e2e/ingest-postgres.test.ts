/**
 * `ancora ingest --db postgres://…` against a real PostgreSQL server (Debian's package, started for this
 * file on 127.0.0.1 and a free port, stopped after it): the schema made on first use, several streams
 * in one transaction, all or nothing against bad input and against a stream a logger writes at the same
 * time, and `ancora-verify --db` reading what it wrote.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../packages/sdk/src/logger.ts";
import { CONFIG, MODEL } from "../../packages/sdk/src/testing/fixtures.ts";
import { type PostgresServer, startPostgres } from "../../packages/sdk/src/testing/postgres-server.ts";
import { cliRun, ingestInput, TEST_MODEL } from "../../packages/service/src/testing/cli.ts";
import { runVerifyBin } from "./support/verify-bin.ts";

let server: PostgresServer;
let admin: pg.Pool;
let work: string;

beforeAll(async () => {
  server = await startPostgres();
  admin = new pg.Pool({ connectionString: server.url, max: 2 });
  work = mkdtempSync(join(tmpdir(), "ancora-ingest-pg-"));
}, 180_000);
afterAll(async () => {
  await admin?.end();
  server?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function freshUrl(name: string): Promise<string> {
  await admin.query(`CREATE DATABASE ${name}`);
  return server.url.replace(/\/postgres$/, `/${name}`);
}

async function count(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const exists = await pool.query("SELECT to_regclass('records') IS NOT NULL AS found");
    if (exists.rows[0]?.found !== true) return 0;
    return Number((await pool.query("SELECT count(*) AS n FROM records")).rows[0]?.n);
  } finally {
    await pool.end();
  }
}

const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe("ancora ingest --db postgres://…", () => {
  it("writes several streams in one transaction; the auditor's verify passes", async () => {
    const url = await freshUrl("ingest_ok");
    const fraud = [
      line({ ...CONFIG, kind: "config", stream: "fraud" }),
      line({ kind: "decision", stream: "fraud", model: TEST_MODEL, input: { a: 1 }, output: 1, score: 0.9 }),
    ].join("\n");
    const run = await cliRun(["ingest", "--db", url, "--json"], {
      cwd: work,
      stdin: `${ingestInput(40)}\n${fraud}`,
    });
    expect(run.stderr).not.toContain("Error");
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { records: number; streams: Record<string, { size: number }> };
    // loans: genesis, 2 labels, config, 40 decisions; fraud: genesis, 2 labels, config, 1 decision.
    expect(summary.streams.loans?.size).toBe(44);
    expect(summary.streams.fraud?.size).toBe(5);
    expect(summary.records).toBe(49);
    expect(await count(url)).toBe(49);
    const verify = await runVerifyBin(["--db", url, "--json"]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('"fraud"');
  }, 120_000);

  it("writes nothing when any line fails, and names the line", async () => {
    const url = await freshUrl("ingest_refused");
    expect((await cliRun(["ingest", "--db", url], { cwd: work, stdin: ingestInput(5) })).code).toBe(0);
    const before = await count(url);
    // Line 3 is a decision of a stream without config: the whole input is refused.
    const bad = [
      ingestInput(3).split("\n")[1],
      line({ kind: "decision", stream: "loans", model: TEST_MODEL, input: { x: 1 }, output: 1, score: 0.2 }),
      line({
        kind: "decision",
        stream: "new-one",
        model: TEST_MODEL,
        input: { x: 2 },
        output: 1,
        score: 0.2,
      }),
    ].join("\n");
    const run = await cliRun(["ingest", "--db", url], { cwd: work, stdin: bad });
    expect(run.code).not.toBe(0);
    expect(run.stderr, run.stdout).toContain("INGEST_CONFIG_MISSING");
    expect(run.stderr).toMatch(/line 3/);
    expect(await count(url)).toBe(before);
  }, 120_000);

  it("interleaves with a logger writing the same stream: one chain, nothing lost", async () => {
    const url = await freshUrl("ingest_with_logger");
    const logger = createLogger({ url, stream: "loans", model: MODEL });
    await logger.setConfig(CONFIG);
    const logged = Promise.all(
      Array.from({ length: 200 }, (_, i) => logger.record({ features: { i }, output: i, score: 0.5 })),
    );
    const lines = ingestInput(100).split("\n").slice(1).join("\n"); // decisions only: the config is there
    const ingested = cliRun(["ingest", "--db", url], { cwd: work, stdin: lines });
    const [records, run] = await Promise.all([logged, ingested]);
    await logger.close();
    expect(run.code, run.stderr).toBe(0);
    expect(records).toHaveLength(200);
    expect(await count(url)).toBe(4 + 200 + 100);
    const verify = await runVerifyBin(["--db", url, "--json"]);
    expect(verify.code, verify.stderr).toBe(0);
  }, 120_000);
});
