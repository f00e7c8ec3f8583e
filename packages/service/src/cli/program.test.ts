/** The CLI in-process: flags, exit codes, printed errors and results, with real files and sockets. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { generatePrivateKey } from "viem/accounts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliRun, ingestInput } from "../testing/cli.js";
import { runCli } from "./program.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(
  argv: string[],
  options: { stdin?: string; env?: Record<string, string>; stop?: Promise<string> } = {},
): Promise<Run> {
  return cliRun(argv, { cwd: dir, ...options });
}

const INPUT = ingestInput(5);

/** A TCP port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe("usage errors", () => {
  it("exits 0 for --help and --version", async () => {
    expect((await cli(["--help"])).code).toBe(0);
    const version = await cli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [["nonsense"]],
    [["ingest", "--bogus"]],
    [["receipt", "--db", "x.db", "--stream", "loans"]], // --seq missing
    [["receipt", "--db", "x.db", "--stream", "loans", "--seq", "-1"]],
    [["export", "--db", "x.db", "--stream", "loans", "--format", "pdf"]],
    [[]],
  ])("exits 2 for %j", async (argv) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
  });

  it("prints code, message and what to do, or JSON with --json", async () => {
    const text = await cli(["ingest", "--bogus"]);
    expect(text.stderr).toMatch(/^error USAGE: unknown option '--bogus'\nWhat to do: /);
    const json = await cli(["ingest", "--bogus", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: false,
      error: { code: "USAGE", message: "unknown option '--bogus'", hint: expect.any(String) },
    });
  });

  it("needs a store for ingest", async () => {
    const run = await cli(["ingest", "--json"], { stdin: INPUT });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error.code).toBe("USAGE");
  });
});

describe("ingest, receipt and export", () => {
  it("ingests stdin and prints the summary", async () => {
    const run = await cli(["ingest", "--db", "a.db", "--json"], { stdin: INPUT });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      records: 9,
      streams: { loans: { size: 9, head: expect.stringMatching(/^bafkrei/) } },
    });
  });

  it("reports a bad line with its number and exits 2", async () => {
    writeFileSync(join(dir, "in.jsonl"), `${INPUT}\n{"kind":"decision"}\n`);
    const run = await cli(["ingest", "--db", "a.db", "in.jsonl", "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: "INGEST_BAD_STREAM", evidence: { line: 7 } });
    expect(existsSync(join(dir, "a.db"))).toBe(false);
    const missing = await cli(["ingest", "--db", "a.db", "nope.jsonl"]);
    expect(missing.stderr).toMatch(/^error FILE_UNREADABLE: /);
  });

  it("refuses a receipt before anchoring, and for records or streams that do not exist", async () => {
    await cli(["ingest", "--db", "a.db"], { stdin: INPUT });
    const notAnchored = await cli(["receipt", "--db", "a.db", "--stream", "loans", "--seq", "3", "--json"]);
    expect(notAnchored.code).toBe(2);
    expect(JSON.parse(notAnchored.stdout).error.code).toBe("NOT_ANCHORED");
    expect(JSON.parse(notAnchored.stdout).error.hint).toContain("ancora anchor");
    const beyond = await cli(["receipt", "--db", "a.db", "--stream", "loans", "--seq", "9", "--json"]);
    expect(JSON.parse(beyond.stdout).error.code).toBe("USAGE");
    const unknown = await cli(["receipt", "--db", "a.db", "--stream", "fraud", "--seq", "0", "--json"]);
    expect(JSON.parse(unknown.stdout).error.code).toBe("STREAM_UNKNOWN");
    const noStore = await cli(["receipt", "--db", "none.db", "--stream", "loans", "--seq", "0", "--json"]);
    expect(JSON.parse(noStore.stdout).error.code).toBe("FILE_UNREADABLE");
  });

  it("exports the audit log to a file, or the evidence pack", async () => {
    await cli(["ingest", "--db", "a.db"], { stdin: INPUT });
    const run = await cli(["export", "--db", "a.db", "--stream", "loans", "--out", "audit.jsonl", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ records: 9, lines: 11, verification: { ok: true } });
    const lines = readFileSync(join(dir, "audit.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(11);
    expect(existsSync(join(dir, "audit.jsonl.partial"))).toBe(false);
    const stdout = await cli(["export", "--db", "a.db", "--stream", "loans"]);
    expect(stdout.stdout.trim().split("\n")).toHaveLength(11);
    const pack = await cli([
      "export",
      "--db",
      "a.db",
      "--stream",
      "loans",
      "--format",
      "eu-ai-act",
      "--model",
      "loan_scorer",
    ]);
    expect(pack.code).toBe(0);
    expect(pack.stdout).toContain("loan_scorer");
    const noModel = await cli(["export", "--db", "a.db", "--stream", "loans", "--format", "eu-ai-act"]);
    expect(noModel.code).toBe(2);
  });
});

describe("chain commands", () => {
  it("exits 3 when the RPC endpoint is unreachable, and never prints the key", async () => {
    await cli(["ingest", "--db", "a.db"], { stdin: INPUT });
    const key = generatePrivateKey();
    const port = await closedPort();
    const argv = [
      "anchor",
      "--db",
      "a.db",
      "--rpc",
      `http://127.0.0.1:${port}`,
      "--registry",
      `0x${"11".repeat(20)}`,
    ];
    const run = await cli([...argv, "--json"], { env: { ANCORA_PRIVATE_KEY: key } });
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout).error.code).toBe("CHAIN_UNREACHABLE");
    expect(run.stdout + run.stderr).not.toContain(key.slice(2));
    const deploy = await cli(["init", "--dir", "d"]).then(() =>
      cli(["deploy", "--dir", "d", "--rpc", `http://127.0.0.1:${port}`], {
        env: { ANCORA_DEPLOYER_KEY: key },
      }),
    );
    expect(deploy.code).toBe(3);
    expect(deploy.stderr).toMatch(/^error CHAIN_UNREACHABLE: /);
  });

  it("takes keys from the environment only", async () => {
    await cli(["ingest", "--db", "a.db"], { stdin: INPUT });
    const argv = [
      "anchor",
      "--db",
      "a.db",
      "--rpc",
      "http://127.0.0.1:1",
      "--registry",
      `0x${"11".repeat(20)}`,
      "--json",
    ];
    const missing = await cli(argv);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.code).toBe("SECRET_MISSING");
    const malformed = await cli(argv, { env: { ANCORA_PRIVATE_KEY: "0x1234-not-a-key" } });
    expect(JSON.parse(malformed.stdout).error.code).toBe("SECRET_MISSING");
    expect(malformed.stdout).not.toContain("not-a-key");
    const noRegistry = await cli(["anchor", "--db", "a.db", "--rpc", "http://127.0.0.1:1", "--json"]);
    expect(JSON.parse(noRegistry.stdout).error.code).toBe("USAGE");
  });
});

describe("init and serve", () => {
  it("creates a data directory once, with a config free of secrets and one admin key", async () => {
    const run = await cli([
      "init",
      "--dir",
      "data",
      "--rpc",
      "http://127.0.0.1:8545",
      "--port",
      "0",
      "--json",
    ]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.apiKey).toMatchObject({ scopes: ["admin"], token: expect.stringMatching(/^ak_/) });
    const config = readFileSync(join(dir, "data", "ancora.json"), "utf8");
    expect(JSON.parse(config)).toMatchObject({
      format: "ancora.config",
      chain: { rpcUrl: "http://127.0.0.1:8545" },
    });
    expect(config).not.toContain(out.apiKey.token);
    // The secret is everything after `ak_<16 hex digits>_` (base64url, which may itself hold a `_`).
    const secret = (out.apiKey.token as string).slice("ak_".length + 16 + 1);
    expect(secret).toHaveLength(43);
    expect(readFileSync(join(dir, "data", "api-keys.json"), "utf8")).not.toContain(secret);
    const again = await cli(["init", "--dir", "data", "--json"]);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error.code).toBe("DATA_DIR_EXISTS");
  });

  it("serves from the config until stopped, then closes", async () => {
    await cli(["init", "--dir", "data", "--port", "0"]);
    let stop: (signal: string) => void = () => {};
    const stopSignal = new Promise<string>((resolve) => {
      stop = resolve;
    });
    let stdout = "";
    let stderr = "";
    const running = runCli(["serve", "--dir", "data", "--json"], {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      stdin: Readable.from([]),
      env: {},
      cwd: dir,
      stopSignal,
    });
    const deadline = Date.now() + 20_000;
    while (!stdout.includes("\n") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const { url } = JSON.parse(stdout.split("\n")[0] as string) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Listening for real: an unauthenticated request is answered (and refused).
    const response = await fetch(`${url}/v1/streams/loans/records`);
    expect(response.status).toBe(401);
    stop("SIGTERM");
    expect(await running).toBe(0);
    expect(stderr).toContain("SIGTERM: closing");
  });
});
