/**
 * A fleet: three `ancora serve --db postgres://…` replicas (each its own process, with its own data
 * directory, as on three machines) over one PostgreSQL server (Debian's package, started for this file
 * on 127.0.0.1 and a free port, stopped after it) and one chain (a `hardhat node`). Decisions are sent to
 * all of them at once; the replica that holds the anchoring lease is killed with SIGKILL mid-load and
 * started again. Afterwards every acknowledged decision (201) is in the log, the stream is one chain
 * without gap or duplicate, another replica took over anchoring, the anchors cover every record,
 * nothing was anchored twice, `ancora-verify --db` passes locally and against the chain, and a replica
 * that does not anchor serves the last decision with a receipt that verifies on chain.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistryReader, encodeStreamId } from "@ancora/contracts";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG } from "../../packages/sdk/src/testing/fixtures.ts";
import { type HttpChain, httpChain } from "../../packages/sdk/src/testing/http-chain.ts";
import { type PostgresServer, startPostgres } from "../../packages/sdk/src/testing/postgres-server.ts";
import { TcpProxy } from "../../packages/sdk/src/testing/tcp-proxy.ts";
import { createService } from "../../packages/service/src/service.ts";
import { cliRun, spawnCli, TEST_MODEL } from "../../packages/service/src/testing/cli.ts";
import { decision, testService } from "../../packages/service/src/testing/test-service.ts";
import { HARDHAT_DEV_KEY } from "../../scripts/lib/local-chain.ts";
import { runVerifyBin } from "./support/verify-bin.ts";

let server: PostgresServer;
let chain: HttpChain;
let work: string;
/** The fleet's database. */
let fleetUrl: string;
/** An admin API key of the replicas' data directories (copies of one, so they share its key file). */
let headers: Record<string, string>;
const replicas: Array<ReturnType<typeof spawnCli>> = [];

beforeAll(async () => {
  // The chain: Hardhat's in-process network behind an HTTP endpoint the replicas' processes reach.
  [server, chain] = await Promise.all([
    startPostgres(),
    httpChain({ streams: ["loans"], anchorers: [HARDHAT_DEV_KEY] }),
  ]);
  work = mkdtempSync(join(tmpdir(), "ancora-fleet-"));
  fleetUrl = server.createDatabase("fleet");
  // The data directory (config, API keys) and the log's schema, as an operator sets up a fleet.
  const init = await cliRun(
    ["init", "--dir", "data", "--port", "0", "--db", fleetUrl, "--rpc", chain.rpc.url, "--json"],
    { cwd: work },
  );
  expect(init.code, init.stderr).toBe(0);
  expect(JSON.parse(init.stdout)).toMatchObject({ postgres: { schemaVersion: 2 } });
  const token = (JSON.parse(init.stdout) as { apiKey: { token: string } }).apiKey.token;
  headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  // Anchoring on: the registry the fleet anchors to, small batches so that anchors happen under load.
  const configPath = join(work, "data", "ancora.json");
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  config.chain = {
    ...config.chain,
    chainId: 31337,
    registry: chain.registry,
    streams: ["loans"],
    confirmations: 1,
  };
  config.anchoring = { enabled: true, everyRecords: 100, everyMs: 500 };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  // One data directory per replica, as on separate machines.
  for (const n of [0, 1, 2]) cpSync(join(work, "data"), join(work, `data${n}`), { recursive: true });
}, 180_000);
afterAll(async () => {
  for (const r of replicas)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await Promise.all(replicas.map((r) => r.done));
  await chain?.rpc.stop();
  server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Starts a replica on data directory `dir`; resolves with its URL once it listens. */
async function replica(
  url: string,
  dir = "data",
): Promise<{ run: ReturnType<typeof spawnCli>; base: string; dir: string }> {
  const run = spawnCli(["serve", "--dir", dir, "--port", "0", "--db", url, "--json"], work, {
    ANCORA_PRIVATE_KEY: HARDHAT_DEV_KEY,
  });
  replicas.push(run);
  let ended = false;
  void run.done.then(() => {
    ended = true;
  });
  await expect
    .poll(() => ended || run.output().stdout.includes("\n"), { timeout: 90_000, interval: 100 })
    .toBe(true);
  expect(ended, run.output().stderr).toBe(false);
  return {
    run,
    dir,
    base: (JSON.parse(run.output().stdout.split("\n")[0] as string) as { url: string }).url,
  };
}

/** Whether a replica's log says it took the anchoring lease (and has not given it up since). */
const leads = (node: { run: ReturnType<typeof spawnCli> }) => {
  const log = node.run.output().stderr;
  return log.lastIndexOf("anchoring lease taken") > log.lastIndexOf("anchoring lease given up");
};

describe("a fleet of ancora serve replicas over one PostgreSQL", () => {
  it("loses no acknowledged decision when the anchoring replica is SIGKILLed mid-load; anchors cover everything", async () => {
    const url = fleetUrl;
    const nodes = await Promise.all([0, 1, 2].map((n) => replica(url, `data${n}`)));
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
    // Mid-load, once anchoring has begun: the replica that anchors dies without a chance to finish
    // anything (its lease goes with its PostgreSQL session).
    await expect.poll(() => nodes.filter(leads).length, { timeout: 60_000, interval: 50 }).toBe(1);
    await expect.poll(() => acknowledged.length, { timeout: 60_000, interval: 20 }).toBeGreaterThan(150);
    const killed = nodes.findIndex(leads);
    const victim = nodes[killed] as (typeof nodes)[number];
    victim.run.child.kill("SIGKILL");
    // Another replica takes the lease and goes on anchoring.
    await expect
      .poll(() => nodes.filter((node, i) => i !== killed && leads(node)).length, {
        timeout: 60_000,
        interval: 50,
      })
      .toBe(1);
    await first;
    // Started again, it takes its share of the load (and does not anchor: the lease is taken).
    nodes[killed] = await replica(url, victim.dir);
    await load(20);
    const db = new pg.Pool({ connectionString: url, max: 1 });
    db.on("error", () => {}); // a connection the server ends at the test's end
    // The anchors, copied back to PostgreSQL by the anchoring replica, reach the log's size.
    const coverage = async () =>
      (
        await db.query<{ size: number; anchored: number }>(
          `SELECT s.size::float8 AS size, coalesce(max(a.size) FILTER (WHERE a.status = 'confirmed'), 0)::float8 AS anchored
           FROM streams s LEFT JOIN anchors a ON a.stream_id = s.id WHERE s.name = 'loans' GROUP BY s.size`,
        )
      ).rows[0];
    await expect
      .poll(async () => (await coverage())?.anchored, { timeout: 90_000, interval: 200 })
      .toBe((await coverage())?.size);
    expect(nodes.filter(leads)).toHaveLength(1);
    // Any replica answers reads from its copy of the log, caught up first: the last acknowledged
    // decision, with a receipt, from a replica that does not anchor.
    const reader = nodes.find((node) => !leads(node)) as (typeof nodes)[number];
    const size = (await coverage())?.size as number;
    const last = await fetch(`${reader.base}/v1/streams/loans/records/${size - 1}`, { headers });
    expect(last.status, await last.clone().text()).toBe(200);
    const record = (await last.json()) as { cid: string; receipt: unknown };
    expect(acknowledged).toContain(record.cid);
    expect(record.receipt).not.toBeNull();
    const receiptFile = join(work, "receipt.json");
    writeFileSync(receiptFile, JSON.stringify(record.receipt));
    const receipt = await runVerifyBin(["--receipt", receiptFile, "--rpc", chain.rpc.url, "--json"]);
    expect(receipt.code, receipt.stdout + receipt.stderr).toBe(0);
    for (const node of nodes) node.run.child.kill("SIGTERM");
    await Promise.all(nodes.map((node) => node.run.done));

    expect(acknowledged.length).toBeGreaterThan(300);
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
    // Nothing anchored twice: every size once in the registry's history, the last the log's size.
    const history = await createRegistryReader(chain.publicClient, chain.registry).verifyHistory(
      encodeStreamId("loans"),
    );
    const sizes = history.anchors.map((e) => Number(e.treeSize));
    expect(new Set(sizes).size).toBe(sizes.length);
    expect(sizes.length).toBeGreaterThan(1);
    // Against the chain: every anchor, manifest and record, and no record left unanchored.
    const onChain = await runVerifyBin([
      "--db",
      url,
      "--rpc",
      chain.rpc.url,
      "--registry",
      chain.registry,
      "--json",
    ]);
    expect(onChain.code, onChain.stdout + onChain.stderr).toBe(0);
    const report = JSON.parse(onChain.stdout) as { streams: Array<{ stream: string; unanchored: number }> };
    expect(report.streams.find((s) => s.stream === "loans")).toMatchObject({ unanchored: 0 });
    // The killed replica's clients were cut off (and refused until it came back); the others went on.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(sent);
  }, 300_000);

  it("answers reads from the replica's copy, lineage writes with 501 NOT_ON_POSTGRES; the IPFS node is refused", async () => {
    const url = server.createDatabase("fleet_reads");
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
    // Reads come from the replica's copy of the log, caught up before answering.
    const read = await fetch(`${node.base}/v1/streams/later/records/4`, { headers });
    expect(read.status, await read.clone().text()).toBe(200);
    expect(await read.json()).toMatchObject({ seq: 4, receipt: null });
    const search = await fetch(`${node.base}/v1/streams/later/records`, { headers });
    expect(search.status).toBe(200);
    expect(((await search.json()) as { items: unknown[] }).items).toHaveLength(1);
    // Lineage and consent records are not written to a PostgreSQL log yet.
    const consent = await fetch(`${node.base}/v1/streams/loans/consents`, {
      method: "POST",
      headers,
      body: JSON.stringify({ subject: "s-1", purposes: ["credit"], roles: ["input"] }),
    });
    expect(consent.status, await consent.clone().text()).toBe(501);
    expect(await consent.json()).toMatchObject({ error: { code: "NOT_ON_POSTGRES" } });
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
    // The embedded IPFS node does not run from a PostgreSQL log yet: refused before anything opens.
    await expect(
      createService({ dataDir: join(work, "data"), database: url, ipfs: true }),
    ).rejects.toMatchObject({
      code: "INVALID_OPTION",
    });
  }, 180_000);

  it("survives PostgreSQL going away: writes and reads answer 503 and retry, nothing acknowledged is lost", async () => {
    const proxy = new TcpProxy({ host: "127.0.0.1", port: server.port });
    await proxy.start();
    const url = server.createDatabase("fleet_outage").replace(`:${server.port}/`, `:${proxy.port}/`);
    const svc = await testService({ database: url });
    try {
      const admin = svc.tokens.admin;
      expect((await svc.call("/v1/streams/loans/config", { token: admin, body: CONFIG })).status).toBe(201);
      const first = await svc.call("/v1/streams/loans/decisions", {
        token: svc.tokens.write,
        body: decision(1),
      });
      expect(first.status).toBe(201);
      const { seq } = (await first.json()) as { seq: number };
      await proxy.stop(); // the database is gone: every connection cut, none accepted
      const read = await svc.call(`/v1/streams/loans/records/${seq}`, { token: svc.tokens.read });
      expect(read.status).toBe(503);
      expect(read.headers.get("retry-after")).not.toBeNull();
      expect(await read.json()).toMatchObject({ error: { code: "STORE_UNREACHABLE" } });
      const write = await svc.call("/v1/streams/loans/decisions", {
        token: svc.tokens.write,
        body: decision(2),
      });
      expect(write.status).toBe(503);
      expect((await svc.call("/health")).status).toBe(200); // the process lives on
      await proxy.start(); // back: the pools reconnect, the copy catches up
      const again = await svc.call(`/v1/streams/loans/records/${seq}`, { token: svc.tokens.read });
      expect(again.status, await again.clone().text()).toBe(200);
      const next = await svc.call("/v1/streams/loans/decisions", {
        token: svc.tokens.write,
        body: decision(3),
      });
      expect(next.status, await next.clone().text()).toBe(201);
      const latest = await svc.call(
        `/v1/streams/loans/records/${((await next.json()) as { seq: number }).seq}`,
        {
          token: svc.tokens.read,
        },
      );
      expect(latest.status).toBe(200);
    } finally {
      await svc.cleanup();
      await proxy.stop();
    }
  }, 120_000);
});
