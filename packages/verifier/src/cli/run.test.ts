import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { localParallelDefaults } from "../parallel/verify-local.js";
import { parseArgs } from "./args.js";
import { EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, EXIT_VERIFIED, runVerify } from "./run.js";

const FIXTURE = fileURLToPath(new URL("../../../sdk/test-fixtures/store-v3.db", import.meta.url));
const REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-verify-cli-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function store(): string {
  const path = join(dir, "ancora.db");
  copyFileSync(FIXTURE, path);
  return path;
}

async function cli(args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runVerify(["node", "ancora-verify", ...args], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: options.tty ?? false },
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

/** A port nothing listens on: bound by the kernel, then released. */
async function closedPort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("runVerify --db", () => {
  it("verifies every stream of a log and prints exactly one JSON document", async () => {
    const { code, stdout, stderr } = await cli(["--db", store(), "--json"]);
    expect(code).toBe(EXIT_VERIFIED);
    expect(stderr).toBe("");
    const doc = JSON.parse(stdout);
    expect(Object.keys(doc).slice(0, 4)).toEqual(["ok", "records", "anchors", "failures"]);
    expect(doc).toMatchObject({ ok: true, records: 84, anchors: 0, failures: [], mode: "local" });
    expect(doc.streams.map((s: { stream: string }) => s.stream)).toEqual(["credit", "fraud", "salted"]);
  });

  it("exits 1 on a record edited with plain SQL, naming the first bad record", async () => {
    const path = store();
    const db = new Database(path);
    const row = db.prepare("SELECT bytes FROM records WHERE seq = 7 AND stream_id = 1").get() as {
      bytes: Buffer;
    };
    const edited = Buffer.from(row.bytes.toString("utf8").replace('"score":', '"score":1,"x":'));
    db.prepare("UPDATE records SET bytes = ? WHERE seq = 7 AND stream_id = 1").run(edited);
    db.close();

    const json = await cli(["--db", path, "--json"]);
    expect(json.code).toBe(EXIT_FAILED);
    const doc = JSON.parse(json.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.failures[0]).toMatchObject({ code: "CID_MISMATCH", stream: "credit", seq: 7 });
    expect(Object.keys(doc.failures[0])).toEqual(["code", "stream", "seq", "expected", "found"]);

    const human = await cli(["--db", path]);
    expect(human.code).toBe(EXIT_FAILED);
    expect(human.stdout).toContain("First bad record of credit: seq 7, CID_MISMATCH");
    expect(human.stdout).toMatch(/and \d+ more failures?/);
    expect(human.stdout).toContain("FAILED");
  });

  it("verifies only the streams asked for, and refuses one the log does not have", async () => {
    const path = store();
    const one = await cli(["--db", path, "--stream", "fraud", "--json"]);
    expect(JSON.parse(one.stdout)).toMatchObject({ ok: true, records: 14 });
    const missing = await cli(["--db", path, "--stream", "nope", "--json"]);
    expect(missing.code).toBe(EXIT_USAGE);
    expect(JSON.parse(missing.stdout).error.code).toBe("USAGE_BAD_VALUE");
  });

  it("writes progress to stderr only, with --progress", async () => {
    const { code, stdout, stderr } = await cli(["--db", store(), "--json", "--progress"]);
    expect(code).toBe(EXIT_VERIFIED);
    expect(stderr).toMatch(/84 \/ 84 records .* records\/s {2}ETA/);
    expect(() => JSON.parse(stdout)).not.toThrow();
    const quiet = await cli(["--db", store(), "--json"]);
    expect(quiet.stderr).toBe("");
  });

  it("prints a human summary line per stream", async () => {
    const { code, stdout } = await cli(["--db", store()]);
    expect(code).toBe(EXIT_VERIFIED);
    expect(stdout).toMatch(/credit: 61 records, \d+ checkpoints?, root 0x[0-9a-f]+… — OK/);
    expect(stdout).toContain("VERIFIED: 84 records");
  });
});

describe("runVerify usage and configuration errors (exit 2)", () => {
  it.each([
    [["--frobnicate"], "USAGE_UNKNOWN_OPTION"],
    [["--db"], "USAGE_MISSING_VALUE"],
    [[], "USAGE_NOTHING_TO_VERIFY"],
    [["--db", "a.db", "--jsonl", "b.jsonl"], "USAGE_CONFLICT"],
    [["--db", "a.db", "--rpc", "http://127.0.0.1:8545"], "USAGE_CONFLICT"],
    [["--rpc", "http://127.0.0.1:8545", "--registry", REGISTRY], "USAGE_CONFLICT"],
    [
      ["--rpc", "http://127.0.0.1:8545", "--registry", "0x1234", "--ipfs", "http://127.0.0.1:8080"],
      "USAGE_BAD_VALUE",
    ],
    [
      ["--rpc", "ftp://127.0.0.1", "--registry", REGISTRY, "--ipfs", "/ip4/127.0.0.1/tcp/1"],
      "USAGE_BAD_VALUE",
    ],
    [
      ["--rpc", "http://127.0.0.1:8545", "--registry", REGISTRY, "--ipfs", "127.0.0.1:4001"],
      "USAGE_BAD_VALUE",
    ],
    [["--db", "a.db", "--ipfs", "http://127.0.0.1:8080"], "USAGE_CONFLICT"],
    [["--receipt", "r.json"], "USAGE_CONFLICT"],
    [["--receipt", "r.json", "--rpc", "http://127.0.0.1:8545", "--db", "a.db"], "USAGE_CONFLICT"],
    [["--db", "a.db", "--stream", "Not A Name"], "USAGE_BAD_VALUE"],
    [["--db", "a.db", "extra"], "USAGE_BAD_VALUE"],
  ])("%j → %s", async (args, expected) => {
    const { code, stdout } = await cli([...args, "--json"]);
    expect(code).toBe(EXIT_USAGE);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ ok: false, error: { code: expected } });
    expect(typeof doc.error.message).toBe("string");
    expect(typeof doc.error.hint).toBe("string");
  });

  it("reports a missing file as SOURCE_NOT_FOUND, on stderr with what to do", async () => {
    const { code, stdout, stderr } = await cli(["--db", join(dir, "missing.db")]);
    expect(code).toBe(EXIT_USAGE);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^ancora-verify: error SOURCE_NOT_FOUND: .*\n {2}What to do: /);
  });

  it("prints help on stdout and exits 0", async () => {
    const { code, stdout } = await cli(["--help"]);
    expect(code).toBe(EXIT_VERIFIED);
    expect(stdout).toContain("Exit codes: 0 verified; 1 tampering");
    expect(stdout).toContain("--receipt <file>");
  });

  it("takes the RPC URL from ANCORA_RPC_URL when --registry or --receipt needs one", () => {
    const parsed = parseArgs(["--db", "a.db", "--registry", REGISTRY], {
      ANCORA_RPC_URL: "http://127.0.0.1:8545",
    });
    expect(parsed).toMatchObject({
      command: { mode: { kind: "chain", rpc: { urls: ["http://127.0.0.1:8545"] } } },
    });
    expect(parseArgs(["--db", "a.db"], { ANCORA_RPC_URL: "http://x" })).toMatchObject({
      command: { mode: { kind: "local" } },
    });
    expect(
      parseArgs([
        "--rpc",
        "http://r",
        "--registry",
        REGISTRY,
        "--ipfs",
        "/ip4/127.0.0.1/tcp/4001/p2p/x",
        "--stream",
        "a",
        "b",
      ]),
    ).toMatchObject({
      command: { mode: { kind: "public", ipfs: { kind: "bitswap" } }, streams: ["a", "b"] },
    });
  });
});

describe("RPC endpoints", () => {
  it("takes several URLs separated by spaces and headers from ANCORA_RPC_HEADERS", () => {
    const parsed = parseArgs(["--receipt", "r.json"], {
      ANCORA_RPC_URL: "https://a.example/v2/KEY  https://b.example/KEY",
      ANCORA_RPC_HEADERS: '{"x-api-key":"k-secret"}',
    });
    expect(parsed).toMatchObject({
      command: {
        mode: {
          kind: "receipt",
          rpc: {
            urls: ["https://a.example/v2/KEY", "https://b.example/KEY"],
            headers: { "x-api-key": "k-secret" },
          },
        },
      },
    });
  });

  it("refuses bad headers with exit 2, without printing them", async () => {
    for (const headers of ['{"x-api-key": k-secret', '{"x-api-key": 5}', '["k-secret"]']) {
      const { code, stdout, stderr } = await cli(["--receipt", "r.json", "--rpc", "http://127.0.0.1:1"], {
        env: { ANCORA_RPC_HEADERS: headers },
      });
      expect(code).toBe(2);
      expect(stdout + stderr).toContain("ANCORA_RPC_HEADERS");
      expect(stdout + stderr).not.toContain("k-secret");
    }
  });
});

describe("runVerify unreachable sources (exit 3)", () => {
  it("exits 3 when the RPC endpoint does not answer, without printing its URL", async () => {
    const port = await closedPort();
    const rpc = `http://127.0.0.1:${port}/v3/SECRET-API-KEY`;
    const json = await cli(["--db", store(), "--rpc", rpc, "--registry", REGISTRY, "--json"]);
    expect(json.code).toBe(EXIT_UNREACHABLE);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: "SOURCE_UNREACHABLE" } });
    expect(json.stdout).not.toContain("SECRET-API-KEY");
    const human = await cli(["--rpc", rpc, "--registry", REGISTRY, "--ipfs", "http://127.0.0.1:1"]);
    expect(human.code).toBe(EXIT_UNREACHABLE);
    expect(human.stderr + human.stdout).not.toContain("SECRET-API-KEY");
  });

  it("exits 2 for a receipt file that does not exist and 1 for one that is not a receipt", async () => {
    const port = await closedPort();
    const rpc = `http://127.0.0.1:${port}`;
    const missing = await cli(["--receipt", join(dir, "none.json"), "--rpc", rpc, "--json"]);
    expect(missing.code).toBe(EXIT_USAGE);
    const garbage = join(dir, "garbage.json");
    writeFileSync(garbage, "{ not json");
    const invalid = await cli(["--receipt", garbage, "--rpc", rpc, "--json"]);
    expect(invalid.code).toBe(EXIT_FAILED);
    expect(JSON.parse(invalid.stdout).failures[0]).toMatchObject({ code: "RECEIPT_INVALID" });
  });
});

describe("--threads", () => {
  it("is parsed as an integer from 1 to 64", () => {
    const parsed = (args: string[]) => parseArgs(args) as { command: { threads?: number } };
    expect(parsed(["--db", "x.db"]).command.threads).toBeUndefined();
    expect(parsed(["--db", "x.db", "--threads", "1"]).command.threads).toBe(1);
    expect(parsed(["--db", "x.db", "--threads", "64"]).command.threads).toBe(64);
    const ipfs = [
      "--rpc",
      "http://127.0.0.1:8545",
      "--registry",
      REGISTRY,
      "--ipfs",
      "http://127.0.0.1:8080",
    ];
    expect(parsed([...ipfs, "--threads", "3"]).command.threads).toBe(3);
  });

  it("exits 2 for a count that is not an integer from 1 to 64, or a mode it does not apply to", async () => {
    const path = store();
    for (const value of ["0", "65", "1.5", "four", "1e1", "", "010000"]) {
      const { code, stdout } = await cli(["--db", path, "--threads", value, "--json"]);
      expect(code, value).toBe(EXIT_USAGE);
      expect(JSON.parse(stdout).error.code, value).toBe("USAGE_BAD_VALUE");
    }
    for (const args of [["--threads"], ["--threads", "-2"]]) {
      const { code, stdout } = await cli(["--db", path, ...args, "--json"]);
      expect(code).toBe(EXIT_USAGE);
      expect(JSON.parse(stdout).error.code).toBe("USAGE_MISSING_VALUE");
    }
    const conflicts = [
      ["--jsonl", join(dir, "x.jsonl")],
      ["--db", path, "--rpc", "http://127.0.0.1:8545", "--registry", REGISTRY],
      ["--receipt", join(dir, "r.json"), "--rpc", "http://127.0.0.1:8545"],
    ];
    for (const args of conflicts) {
      const { code, stdout } = await cli([...args, "--threads", "2", "--json"]);
      expect(code).toBe(EXIT_USAGE);
      expect(JSON.parse(stdout).error.code).toBe("USAGE_CONFLICT");
    }
  });

  it("gives the same report on any thread count, intact or tampered", { timeout: 60_000 }, async () => {
    const path = store();
    // Ranges of 16 records on small streams, so that the fixture's streams go to the workers.
    const defaults = { ...localParallelDefaults };
    Object.assign(localParallelDefaults, { minRecords: 1, rangeRecords: 16 });
    onTestFinished(() => {
      Object.assign(localParallelDefaults, defaults);
    });
    const report = async (threads: string) => {
      const { code, stdout } = await cli(["--db", path, "--threads", threads, "--json"]);
      const { elapsedMs: _, ...doc } = JSON.parse(stdout);
      return { code, doc };
    };
    expect(await report("4")).toEqual(await report("1"));
    const db = new Database(path);
    db.prepare("UPDATE records SET label = 'L999' WHERE seq = 9 AND stream_id = 1").run();
    db.close();
    const tampered = await report("3");
    expect(tampered.code).toBe(EXIT_FAILED);
    expect(tampered).toEqual(await report("1"));
    // Progress counts the records checked on every thread.
    const { stderr } = await cli(["--db", path, "--threads", "2", "--progress", "--json"]);
    expect(stderr.trim().split("\n").at(-1)).toMatch(/^ {2}84 \/ 84 records/);
  });
});
