/**
 * A fleet: three `ancora serve --db postgres://…` replicas (each its own process) over one PostgreSQL
 * server (Debian's package, started for this file on 127.0.0.1 and a free port, stopped after it).
 * Decisions are sent to all of them at once; one replica is killed with SIGKILL mid-load and started
 * again. Afterwards every acknowledged decision (201) is in the log, the stream is one chain without
 * gap or duplicate, and `ancora-verify --db` passes. Anchoring from PostgreSQL is not built yet.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG } from "../../packages/sdk/src/testing/fixtures.ts";
import { type PostgresServer, startPostgres } from "../../packages/sdk/src/testing/postgres-server.ts";
import { createService } from "../../packages/service/src/service.ts";
import { cliRun, spawnCli, TEST_MODEL } from "../../packages/service/src/testing/cli.ts";
import { runVerifyBin } from "./support/verify-bin.ts";

let server: PostgresServer;
let work: string;
/** An admin API key of the replicas' data directory (they share its key file). */
let headers: Record<string, string>;
const replicas: Array<ReturnType<typeof spawnCli>> = [];

beforeAll(async () => {
  server = await startPostgres();
  work = mkdtempSync(join(tmpdir(), "ancora-fleet-"));
  const admin = new pg.Pool({ connectionString: server.url, max: 1 });
  await admin.query("CREATE DATABASE fleet");
  await admin.end();
  // The data directory (config, API keys) and the log's schema, as an operator sets up a fleet.
  const init = await cliRun(["init", "--dir", "data", "--port", "0", "--db", fleetUrl(), "--json"], {
    cwd: work,
  });
  expect(init.code, init.stderr).toBe(0);
  expect(JSON.parse(init.stdout)).toMatchObject({ postgres: { schemaVersion: 1 } });
  const token = (JSON.parse(init.stdout) as { apiKey: { token: string } }).apiKey.token;
  headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
}, 180_000);
afterAll(async () => {
  for (const r of replicas)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await Promise.all(replicas.map((r) => r.done));
  server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const fleetUrl = () => server.url.replace(/\/postgres$/, "/fleet");

/** Starts a replica; resolves with its URL once it listens. */
async function replica(url: string): Promise<{ run: ReturnType<typeof spawnCli>; base: string }> {
  const run = spawnCli(["serve", "--dir", "data", "--port", "0", "--db", url, "--json"], work);
  replicas.push(run);
  let ended = false;
  void run.done.then(() => {
    ended = true;
  });
  await expect
    .poll(() => ended || run.output().stdout.includes("\n"), { timeout: 90_000, interval: 100 })
    .toBe(true);
  expect(ended, run.output().stderr).toBe(false);
  return { run, base: (JSON.parse(run.output().stdout.split("\n")[0] as string) as { url: string }).url };
}

describe("a fleet of ancora serve replicas over one PostgreSQL", () => {
  it("loses no acknowledged decision when a replica is SIGKILLed mid-load; one chain that verifies", async () => {
    const url = fleetUrl();
    const nodes = await Promise.all([replica(url), replica(url), replica(url)]);
    const config = await fetch(`${nodes[0]?.base}/v1/streams/loans/config`, {
      method: "POST",
      headers,
      body: JSON.stringify(CONFIG),
    });
    expect(config.status, await config.clone().text()).toBe(201);

    const acknowledged: string[] = [];
    let refused = 0;
    let sent = 0;
    const send = async (base: string) => {
      const i = sent++;
      try {
        const response = await fetch(`${base}/v1/streams/loans/decisions`, {
          method: "POST",
          headers,
          body: JSON.stringify({ input: { i }, output: i % 2, score: (i % 10) / 10, model: TEST_MODEL }),
        });
        if (response.status === 201) acknowledged.push(((await response.json()) as { cid: string }).cid);
        else refused++;
      } catch {
        refused++; // the replica died with the request: not acknowledged
      }
    };
    // Four clients per replica, each sending one decision after another, for `rounds` each.
    const load = (rounds: number) =>
      Promise.all(
        nodes.flatMap((node) =>
          Array.from({ length: 4 }, async () => {
            for (let k = 0; k < rounds; k++) await send(node.base);
          }),
        ),
      );
    const first = load(60);
    // Mid-load: replica 1 dies without a chance to finish anything.
    await expect.poll(() => acknowledged.length, { timeout: 60_000, interval: 20 }).toBeGreaterThan(100);
    (nodes[1] as { run: ReturnType<typeof spawnCli> }).run.child.kill("SIGKILL");
    await first;
    // Started again, it takes its share of the load.
    nodes[1] = await replica(url);
    await load(20);
    for (const node of nodes) node.run.child.kill("SIGTERM");
    await Promise.all(nodes.map((node) => node.run.done));

    expect(acknowledged.length).toBeGreaterThan(300);
    const db = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const rows = (
        await db.query<{ seq: number; cid: string }>(
          "SELECT r.seq::float8 AS seq, r.cid FROM records r JOIN streams s ON s.id = r.stream_id WHERE s.name = 'loans' ORDER BY r.seq",
        )
      ).rows;
      expect(rows.map((r) => r.seq)).toStrictEqual(rows.map((_, i) => i)); // no gap, no duplicate
      const stored = new Set(rows.map((r) => r.cid));
      expect(acknowledged.filter((cid) => !stored.has(cid))).toStrictEqual([]); // 0 acknowledged lost
      // Genesis, two labels, the config, and at most every decision sent (those refused or cut may be
      // in or not: they were never acknowledged).
      expect(rows.length).toBeGreaterThanOrEqual(4 + acknowledged.length);
      expect(rows.length).toBeLessThanOrEqual(4 + sent);
    } finally {
      await db.end();
    }
    const verify = await runVerifyBin(["--db", url, "--json"]);
    expect(verify.code, verify.stderr).toBe(0);
    // The killed replica's clients were cut off (and refused until it came back); the others went on.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(sent);
  }, 300_000);

  it("answers what a PostgreSQL log does not serve yet with 501 NOT_ON_POSTGRES; background work is refused", async () => {
    const admin = new pg.Pool({ connectionString: server.url, max: 1 });
    await admin.query("CREATE DATABASE fleet_reads");
    await admin.end();
    const url = server.url.replace(/\/postgres$/, "/fleet_reads");
    const node = await replica(url);
    const config = await fetch(`${node.base}/v1/streams/loans/config`, {
      method: "POST",
      headers,
      body: JSON.stringify(CONFIG),
    });
    expect(config.status).toBe(201);
    // A decision for a stream that has no config (nor even a genesis) yet: 409, and nothing is created;
    // once its config is written, the same replica logs to it.
    const decision = JSON.stringify({ input: { a: 1 }, output: 1, score: 0.9, model: TEST_MODEL });
    const early = await fetch(`${node.base}/v1/streams/later/decisions`, {
      method: "POST",
      headers,
      body: decision,
    });
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: "CONFIG_REQUIRED" } });
    const check = new pg.Pool({ connectionString: url, max: 1 });
    try {
      expect((await check.query("SELECT name FROM streams WHERE name = 'later'")).rowCount).toBe(0);
    } finally {
      await check.end();
    }
    const later = await fetch(`${node.base}/v1/streams/later/config`, {
      method: "POST",
      headers,
      body: JSON.stringify(CONFIG),
    });
    expect(later.status).toBe(201);
    const logged = await fetch(`${node.base}/v1/streams/later/decisions`, {
      method: "POST",
      headers,
      body: decision,
    });
    expect(logged.status, await logged.clone().text()).toBe(201);
    expect(await logged.json()).toMatchObject({ seq: 4, labelName: "approve" });
    const read = await fetch(`${node.base}/v1/streams/loans/records/0`, { headers });
    expect(read.status).toBe(501);
    expect(await read.json()).toMatchObject({ error: { code: "NOT_ON_POSTGRES" } });
    const health = await fetch(`${node.base}/health`);
    expect(health.status).toBe(200);
    node.run.child.kill("SIGTERM");
    expect((await node.run.done).code).toBe(0);
    // init --db against a server that is not there: a typed error, and no data directory is made.
    const down = await cliRun(
      ["init", "--dir", "other", "--db", "postgres://ancora:pw-secret@127.0.0.1:1/x"],
      {
        cwd: work,
      },
    );
    expect(down.code).not.toBe(0);
    expect(down.stderr).toContain("STORE_WRITE_FAILED");
    expect(down.stderr + down.stdout).not.toContain("pw-secret");
    expect(existsSync(join(work, "other"))).toBe(false);
    // Anchoring, pinning and IPFS do not run from a PostgreSQL log yet: refused before anything opens.
    await expect(
      createService({ dataDir: join(work, "data"), database: url, ipfs: true }),
    ).rejects.toMatchObject({
      code: "INVALID_OPTION",
    });
  }, 180_000);
});
