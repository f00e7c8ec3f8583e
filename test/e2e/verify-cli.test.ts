/**
 * The `ancora-verify` bin end to end, run as a child process from the TypeScript sources against a
 * real SDK log anchored on a real `hardhat node` and served by the SDK's embedded IPFS node: the log
 * verifies (exit 0, the JSON shape), a plain-SQL tamper on a copy exits 1 with the failure, public
 * mode from only an RPC URL, a registry address and an IPFS address exits 0, the log against the chain
 * exits 0, bad flags exit 2 and an RPC endpoint nobody listens on exits 3.
 */
import { copyFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnchoredLog, STREAM, startAnchoredLog } from "./support/anchored-log.ts";
import { runVerifyBin } from "./support/verify-bin.ts";

const verify = runVerifyBin;

let org: AnchoredLog;

beforeAll(async () => {
  org = await startAnchoredLog({ batches: 2, perBatch: 30 });
}, 120_000);

afterAll(async () => {
  await org?.stop();
});

describe("ancora-verify (bin)", () => {
  it("--db: exit 0 and one JSON document of the documented shape", async () => {
    const run = await verify(["--db", org.db, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(Object.keys(doc).slice(0, 4)).toEqual(["ok", "records", "anchors", "failures"]);
    expect(doc).toMatchObject({ ok: true, records: org.records, anchors: 0, failures: [], mode: "local" });
  });

  it("--db on a copy tampered with plain SQL: exit 1 naming the first bad record", async () => {
    const copy = join(org.dir, "tampered.db");
    copyFileSync(org.db, copy);
    const db = new Database(copy);
    const row = db.prepare("SELECT bytes FROM records WHERE seq = 20").get() as { bytes: Buffer };
    const edited = row.bytes
      .toString("utf8")
      .replace(/"label":"L00(\d)"/, (_, d) => `"label":"L00${d === "1" ? "2" : "1"}"`);
    expect(edited).not.toBe(row.bytes.toString("utf8"));
    db.prepare("UPDATE records SET bytes = ? WHERE seq = 20").run(Buffer.from(edited));
    db.close();
    const json = await verify(["--db", copy, "--json"]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.failures[0]).toMatchObject({ code: "CID_MISMATCH", stream: STREAM, seq: 20 });
    const human = await verify(["--db", copy]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`First bad record of ${STREAM}: seq 20, CID_MISMATCH`);
  });

  it("--db with --rpc --registry: the log against the chain, exit 0", async () => {
    const run = await verify(["--db", org.db, "--rpc", org.chain.url, "--registry", org.registry, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      records: org.records,
      anchors: org.anchors,
      mode: "chain",
    });
  });

  it("public mode over the node's HTTP gateway (batch endpoint): exit 0 with the same result", async () => {
    const gateway = org.ipfs.gatewayUrl as string;
    expect(gateway).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const json = await verify([
      "--rpc",
      org.chain.url,
      "--registry",
      org.registry,
      "--ipfs",
      gateway,
      "--json",
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      records: org.records,
      anchors: org.anchors,
      failures: [],
      mode: "public",
    });
  });

  it("public mode from only an RPC URL, a registry address and an IPFS address: exit 0", async () => {
    const peer = org.ipfs.addresses[0] as string;
    const json = await verify(["--rpc", org.chain.url, "--registry", org.registry, "--ipfs", peer, "--json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({
      ok: true,
      records: org.records,
      anchors: org.anchors,
      failures: [],
      mode: "public",
    });
    expect(doc.streams[0]).toMatchObject({ stream: STREAM, anchoredSize: org.records, ok: true });
    const human = await verify([
      "--rpc",
      org.chain.url,
      "--registry",
      org.registry,
      "--ipfs",
      peer,
      "--progress",
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      new RegExp(`${STREAM}: ${org.records} records, \\d+ checkpoints?, ${org.anchors} anchors?`),
    );
    expect(human.stdout).toContain("history: events replayed from genesis to the chained head in state");
    expect(human.stderr).toMatch(/records\/s/);
  });

  it("bad flags: exit 2 with code, message and what to do", async () => {
    const unknown = await verify(["--db", org.db, "--frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error USAGE_UNKNOWN_OPTION: .*\n {2}What to do: /);
    const badAddress = await verify([
      "--rpc",
      org.chain.url,
      "--registry",
      "0xnope",
      "--ipfs",
      "/ip4/127.0.0.1/tcp/1",
      "--json",
    ]);
    expect(badAddress.code).toBe(2);
    expect(JSON.parse(badAddress.stdout).error.code).toBe("USAGE_BAD_VALUE");
  });

  it("an RPC endpoint nobody listens on: exit 3", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const run = await verify([
      "--db",
      org.db,
      "--rpc",
      `http://127.0.0.1:${port}`,
      "--registry",
      org.registry,
      "--json",
    ]);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: "SOURCE_UNREACHABLE" } });
  });
});
