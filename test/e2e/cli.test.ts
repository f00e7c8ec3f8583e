/**
 * The `ancora` CLI end to end, each command a child process run from the TypeScript sources, against
 * a real `hardhat node` on loopback and real SQLite files: init → deploy → ingest → anchor → receipt →
 * verify, then a plain-SQL tamper that `verify` reports (exit 1); bad flags exit 2, an unreachable RPC
 * endpoint exits 3, and a bad line or a write that fails part-way leaves the store as it was.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { receiptFromJSON, verifyReceiptOffline } from "@ancora/core";
import Database from "better-sqlite3";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HARDHAT_DEV_KEY, type LocalChain, startLocalChain } from "../../scripts/lib/local-chain.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "packages/service/src/cli/main.ts");
const REGISTER = join(ROOT, "packages/verifier/src/testing/register-source.mjs");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ancora ARGS` as a child process from the sources, with only the given secrets in its environment. */
function ancora(
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<Run> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    // Node caches compiled (type-stripped) modules here: later children start faster.
    NODE_COMPILE_CACHE: join(tmpdir(), "ancora-test-node-cache"),
    ...options.env,
  };
  const child = spawn(
    process.execPath,
    ["--conditions=@ancora/source", "--import", REGISTER, MAIN, ...args],
    {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  child.stdin.end(options.input ?? "");
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const MODEL = { id: "loan_scorer", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };
function decisions(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return JSON.stringify({
      kind: "decision",
      stream: "loans",
      model: MODEL,
      input: { income: 20_000 + i * 37, debt: (i * 101) % 9_000 },
      output: { score: (i % 100) / 100 },
      score: (i % 100) / 100,
    });
  });
}
const CONFIG = JSON.stringify({
  kind: "config",
  stream: "loans",
  threshold: 0.6,
  aboveLabel: "approved",
  belowLabel: "denied",
  changedBy: "risk",
  changeReason: "initial policy",
});

async function closedPort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

let chain: LocalChain;
let work: string;
const dataDir = () => join(work, "data");
const db = () => join(dataDir(), "ancora.db");

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "ancora-cli-e2e-"));
  chain = await startLocalChain();
}, 90_000);

afterAll(async () => {
  await chain?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("ancora CLI", () => {
  it("logs, anchors, gives receipts and finds tampering", async () => {
    const init = await ancora(["init", "--dir", dataDir(), "--json"]);
    expect(init.code, init.stderr).toBe(0);

    const input = join(work, "decisions.jsonl");
    writeFileSync(input, `${[CONFIG, ...decisions(200)].join("\n")}\n`);
    const ingest = await ancora(["ingest", "--db", db(), input, "--json"]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const ingested = JSON.parse(ingest.stdout) as {
      records: number;
      streams: { loans: { size: number; head: string } };
    };
    // genesis + 2 labels + config + 200 decisions
    expect(ingested).toEqual({
      records: 204,
      streams: { loans: { size: 204, head: expect.stringMatching(/^bafkrei/) } },
    });

    // The dev key is fine on the local chain (31337) only; deploy registers the store's streams.
    const secrets = { ANCORA_DEPLOYER_KEY: HARDHAT_DEV_KEY, ANCORA_PRIVATE_KEY: HARDHAT_DEV_KEY };
    const deploy = await ancora(["deploy", "--dir", dataDir(), "--rpc", chain.url, "--json"], {
      env: secrets,
    });
    expect(deploy.code, deploy.stderr).toBe(0);
    const deployment = JSON.parse(deploy.stdout) as { registry: string; streams: string[]; chainId: number };
    expect(deployment).toMatchObject({ chainId: 31337, streams: ["loans"] });
    const config = JSON.parse(readFileSync(join(dataDir(), "ancora.json"), "utf8"));
    expect(config.chain).toMatchObject({
      registry: deployment.registry,
      rpcUrl: chain.url,
      streams: ["loans"],
    });
    expect(JSON.stringify(config)).not.toContain(HARDHAT_DEV_KEY.slice(2));

    const anchor = await ancora(["anchor", "--dir", dataDir(), "--confirmations", "1", "--json"], {
      env: secrets,
    });
    expect(anchor.code, anchor.stderr).toBe(0);
    const anchored = JSON.parse(anchor.stdout) as {
      anchors: { stream: string; size: number; txHash: string }[];
    };
    expect(anchored.anchors).toEqual([
      expect.objectContaining({
        stream: "loans",
        size: 204,
        txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      }),
    ]);
    expect(anchor.stdout + anchor.stderr).not.toContain(HARDHAT_DEV_KEY.slice(2));

    const receipt = await ancora(["receipt", "--db", db(), "--stream", "loans", "--seq", "57", "--json"]);
    expect(receipt.code, receipt.stderr).toBe(0);
    const parsed = receiptFromJSON(JSON.parse(receipt.stdout));
    expect(parsed.index).toBe(57);
    expect(parsed.checkpoint.size).toBe(204);
    expect(parsed.anchor).toMatchObject({ chainId: 31337, txHash: anchored.anchors[0]?.txHash });
    expect(verifyReceiptOffline(parsed).ok).toBe(true);

    const verify = await ancora([
      "verify",
      "--db",
      db(),
      "--rpc",
      chain.url,
      "--registry",
      deployment.registry,
      "--json",
    ]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });

    // Flip one decision's label with plain SQL in a copy: verify reports it and exits 1.
    const tampered = join(work, "tampered.db");
    copyFileSync(db(), tampered);
    const sql = new Database(tampered);
    const row = sql.prepare("SELECT bytes FROM records WHERE seq = 100").get() as { bytes: Buffer };
    const edited = row.bytes
      .toString("utf8")
      .replace(/"L00(\d)"/, (_m, d: string) => `"L00${d === "1" ? "2" : "1"}"`);
    sql.prepare("UPDATE records SET bytes = ? WHERE seq = 100").run(Buffer.from(edited));
    sql.close();
    const caught = await ancora(["verify", "--db", tampered, "--json"]);
    expect(caught.code).toBe(1);
    const report = JSON.parse(caught.stdout) as { ok: boolean; failures: { seq?: number; code: string }[] };
    expect(report.ok).toBe(false);
    expect(report.failures[0]).toMatchObject({ seq: 100 });
  }, 120_000);

  it("leaves the store unchanged when line 57 of an input is bad", async () => {
    const store = join(work, "all-or-nothing.db");
    const first = await ancora(["ingest", "--db", store, "--json"], {
      input: [CONFIG, ...decisions(10)].join("\n"),
    });
    expect(first.code, first.stderr).toBe(0);
    const lines = decisions(100, 10);
    lines[56] = JSON.stringify({
      kind: "config",
      stream: "loans",
      threshold: 0.5,
      aboveLabel: "a",
      belowLabel: "b",
      changedBy: "risk",
    });
    const bad = await ancora(["ingest", "--db", store, "-", "--json"], { input: lines.join("\n") });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({
      code: "INGEST_MISSING_FIELD",
      evidence: { line: 57, field: "changeReason" },
    });
    const again = await ancora(["verify", "--db", store, "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, records: JSON.parse(first.stdout).records });
  }, 60_000);

  it("writes nothing when the store fails in the middle of a multi-stream input", async () => {
    const store = join(work, "write-fails.db");
    const first = await ancora(["ingest", "--db", store, "--json"], {
      input: [CONFIG, ...decisions(10)].join("\n"),
    });
    expect(first.code, first.stderr).toBe(0);
    // A trigger fails the write of loans' 60th new record, after the "audit" stream's records of the
    // same input were written in the same transaction.
    const sql = new Database(store);
    sql.exec(`CREATE TRIGGER injected BEFORE INSERT ON records
      WHEN NEW.seq = 74 AND NEW.stream_id = (SELECT id FROM streams WHERE name = 'loans')
      BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const before = sql.prepare("SELECT stream_id, seq, cid FROM records ORDER BY stream_id, seq").all();
    sql.close();
    const audit = [CONFIG, ...decisions(20)].map((l) => l.replace('"stream":"loans"', '"stream":"audit"'));
    const bad = await ancora(["ingest", "--db", store, "-", "--json"], {
      input: [...audit, ...decisions(100, 10)].join("\n"),
    });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: "STORE_WRITE_FAILED" });
    const after = new Database(store, { readonly: true });
    expect(after.prepare("SELECT stream_id, seq, cid FROM records ORDER BY stream_id, seq").all()).toEqual(
      before,
    );
    expect(after.prepare("SELECT name FROM streams").pluck().all()).toEqual(["loans"]);
    after.close();
    const again = await ancora(["verify", "--db", store, "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, records: JSON.parse(first.stdout).records });
  }, 60_000);

  it("exits 2 on bad flags and 3 on an unreachable RPC endpoint", async () => {
    const flags = await ancora(["receipt", "--db", db(), "--stream", "loans", "--seq", "x"]);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/^error USAGE: /);
    const port = await closedPort();
    const key = generatePrivateKey();
    const down = await ancora(
      [
        "anchor",
        "--db",
        db(),
        "--rpc",
        `http://127.0.0.1:${port}`,
        "--registry",
        `0x${"11".repeat(20)}`,
        "--json",
      ],
      { env: { ANCORA_PRIVATE_KEY: key } },
    );
    expect(down.code).toBe(3);
    expect(JSON.parse(down.stdout).error.code).toBe("CHAIN_UNREACHABLE");
    expect(down.stdout + down.stderr).not.toContain(key.slice(2));
  }, 60_000);
});
