/**
 * `ancora export` writing files: `--out` gives the same bytes as stdout for every format and states
 * the bytes written; a process killed while writing leaves nothing under the final name; an unknown
 * stream or model exits 2 and writes nothing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CliRun, cliRun, ingestInput } from "../testing/cli.js";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const REGISTER = fileURLToPath(new URL("../../../verifier/src/testing/register-source.mjs", import.meta.url));
// A fixed export time (the reproducible-builds convention), so two exports of one log are equal.
const ENV = { SOURCE_DATE_EPOCH: "1764547200" };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-export-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(argv: string[], stdin = ""): Promise<CliRun> {
  return cliRun(argv, { cwd: dir, env: ENV, stdin });
}

const INPUT = ingestInput(40);

const FORMATS: [string, string[]][] = [
  ["jsonl", ["--format", "jsonl"]],
  ["eu-ai-act (Markdown)", ["--format", "eu-ai-act", "--model", "loan_scorer"]],
  ["eu-ai-act --json", ["--format", "eu-ai-act", "--model", "loan_scorer", "--json"]],
  ["eu-ai-act-html", ["--format", "eu-ai-act-html", "--model", "loan_scorer@2.3.1"]],
];

describe("ancora export --out", () => {
  beforeEach(async () => {
    expect((await cli(["ingest", "--db", "a.db"], INPUT)).code).toBe(0);
  });

  it.each(FORMATS)("writes exactly what stdout gets, and says how many bytes: %s", async (_name, flags) => {
    const stdout = await cli(["export", "--db", "a.db", "--stream", "loans", ...flags]);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.stdout.length).toBeGreaterThan(500);
    const json = flags.includes("--json");
    const toFile = await cli(["export", "--db", "a.db", "--stream", "loans", ...flags, "--out", "out.file"]);
    expect(toFile.code, toFile.stderr).toBe(0);
    const written = readFileSync(join(dir, "out.file"), "utf8");
    expect(written).toBe(stdout.stdout);
    const size = statSync(join(dir, "out.file")).size;
    if (json) expect(JSON.parse(toFile.stdout)).toMatchObject({ bytes: size, out: join(dir, "out.file") });
    else expect(toFile.stdout).toContain(`(${size.toLocaleString("en-US")} bytes)`);
    // No temporary file is left beside it (the store's own files aside).
    expect(readdirSync(dir).filter((f) => !f.startsWith("a.db"))).toEqual(["out.file"]);
  });

  it("writes the bundle to a file only, and states its size", async () => {
    const toStdout = await cli([
      "export",
      "--db",
      "a.db",
      "--stream",
      "loans",
      "--format",
      "eu-ai-act-bundle",
      "--model",
      "loan_scorer",
    ]);
    expect(toStdout.code).toBe(2);
    expect(toStdout.stderr).toMatch(/^error USAGE: .*--out/);
    const run = await cli([
      ...["export", "--db", "a.db", "--stream", "loans", "--format", "eu-ai-act-bundle"],
      ...["--model", "loan_scorer", "--out", "b.tar", "--json"],
    ]);
    expect(run.code, run.stdout).toBe(0);
    // Never anchored: no manifest and no receipt, but the pack, the records and the digests.
    expect(JSON.parse(run.stdout)).toMatchObject({
      bytes: statSync(join(dir, "b.tar")).size,
      files: 7,
      decisions: 40,
      receipts: 0,
    });
  });

  it("exits 3 when the chain to check the pack against cannot be reached, and names no URL", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${port}/key-in-path`;
    const run = await cli([
      ...["export", "--db", "a.db", "--stream", "loans", "--format", "eu-ai-act", "--model", "loan_scorer"],
      ...["--rpc", url, "--registry", `0x${"11".repeat(20)}`, "--out", "pack.md", "--json"],
    ]);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout).error.code).toBe("CHAIN_UNREACHABLE");
    expect(run.stdout + run.stderr).not.toContain("key-in-path");
    expect(existsSync(join(dir, "pack.md"))).toBe(false);
  });

  it("replaces an existing file only with a complete export", async () => {
    writeFileSync(join(dir, "pack.md"), "an older pack\n");
    const run = await cli([
      "export",
      "--db",
      "a.db",
      "--stream",
      "loans",
      "--format",
      "eu-ai-act",
      "--model",
      "loan_scorer",
      "--out",
      "pack.md",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, "pack.md"), "utf8")).toMatch(/^# Evidence pack: loan_scorer/);
  });

  it.each([
    ["an unknown model", ["--stream", "loans", "--model", "credit_scorer"], "MODEL_UNKNOWN"],
    ["an unknown model version", ["--stream", "loans", "--model", "loan_scorer@9.0.0"], "MODEL_UNKNOWN"],
    ["an unknown stream", ["--stream", "fraud", "--model", "loan_scorer"], "STREAM_UNKNOWN"],
  ])("exits 2 for %s and leaves the file as it was", async (_name, flags, code) => {
    writeFileSync(join(dir, "pack.md"), "an older pack\n");
    const run = await cli([
      "export",
      "--db",
      "a.db",
      "--format",
      "eu-ai-act",
      ...flags,
      "--out",
      "pack.md",
      "--json",
    ]);
    expect(run.code).toBe(2);
    const error = JSON.parse(run.stdout).error;
    expect(error.code).toBe(code);
    expect(error.hint).toEqual(expect.any(String));
    expect(readFileSync(join(dir, "pack.md"), "utf8")).toBe("an older pack\n");
    const toStdout = await cli(["export", "--db", "a.db", "--format", "eu-ai-act", ...flags]);
    expect(toStdout.code).toBe(2);
    expect(toStdout.stdout).toBe("");
    expect(toStdout.stderr).toMatch(new RegExp(`^error ${code}: `));
  });
});

/** Starts `ancora ARGS` from the sources, paused by the test hook once the temporary file is part-written. */
function startPaused(args: string[]): { child: ChildProcess; paused: Promise<string> } {
  const child = spawn(
    process.execPath,
    ["--conditions=@ancora/source", "--import", REGISTER, MAIN, ...args],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ANCORA_TEST_PAUSE_ATOMIC_WRITE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  const paused = new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
      const match = /ANCORA_TEST_PAUSE_ATOMIC_WRITE: paused (.+)\n/.exec(stderr);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`ancora exited (${code}) before pausing: ${stderr}`)));
  });
  return { child, paused };
}

describe("ancora export killed while writing", () => {
  it.each([
    ["jsonl", ["--format", "jsonl"]],
    ["eu-ai-act", ["--format", "eu-ai-act", "--model", "loan_scorer"]],
    ["eu-ai-act-bundle", ["--format", "eu-ai-act-bundle", "--model", "loan_scorer"]],
  ])(
    "leaves no partial file under the final name: %s",
    async (_name, flags) => {
      expect((await cli(["ingest", "--db", "a.db"], INPUT)).code).toBe(0);
      const { child, paused } = startPaused([
        "export",
        "--db",
        "a.db",
        "--stream",
        "loans",
        ...flags,
        "--out",
        "x.out",
      ]);
      try {
        const temp = await paused;
        // The hook flushed half a chunk to the temporary file beside the final name, then stopped.
        expect(temp.startsWith(join(dir, ".x.out."))).toBe(true);
        expect(statSync(temp).size).toBeGreaterThan(0);
        expect(existsSync(join(dir, "x.out"))).toBe(false);
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        expect(await exited).toBeNull();
        expect(existsSync(join(dir, "x.out"))).toBe(false);
      } finally {
        child.kill("SIGKILL");
      }
      // Run again, unhooked: the complete file appears under the final name.
      const again = await cli(["export", "--db", "a.db", "--stream", "loans", ...flags, "--out", "x.out"]);
      expect(again.code, again.stderr).toBe(0);
      expect(statSync(join(dir, "x.out")).size).toBeGreaterThan(500);
    },
    60_000,
  );
});
