/**
 * README.md's "Any language: the HTTP service" run exactly as written, against a real `hardhat node`
 * and a real `ancora serve`: the operator's shell block (init, deploy, a write-only key, serve), the
 * config step with curl and the admin key, then the Python example (standard library only) logging a
 * decision with the write-only key, then one anchoring pass and the auditor's check against the chain. Only what a reader fills in differs: the data directory, the
 * secrets in the environment, and serve's port (0: the test may not take a fixed one).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HARDHAT_DEV_KEY, type LocalChain, startLocalChain } from "../../scripts/lib/local-chain.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "packages/service/src/cli/main.ts");
const REGISTER = join(ROOT, "packages/verifier/src/testing/register-source.mjs");
/** Hardhat's second development account: the key `serve` anchors with. */
const SERVE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const TOKEN = /ak_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/;

/** The fenced blocks of README's "Any language" section, in order, with their languages. */
function readmeBlocks(): { lang: string; code: string }[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("### Any language: the HTTP service");
  const end = readme.indexOf("\n## ", start);
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1] as string,
    code: m[2] as string,
  }));
}

function sh(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", script], { cwd: work, env, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

let chain: LocalChain;
let work: string;
let serve: ChildProcess | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "ancora-readme-"));
  chain = await startLocalChain();
}, 90_000);

afterAll(async () => {
  if (serve?.exitCode === null) {
    const exited = new Promise((resolve) => serve?.once("exit", resolve));
    serve.kill("SIGTERM");
    await exited;
  }
  await chain?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("README: Any language", () => {
  it("sets up, configures, logs a decision from Python with a write-only key, anchors, and the auditor verifies", async () => {
    const blocks = readmeBlocks();
    expect(blocks.map((b) => b.lang)).toEqual(["sh", "sh", "python", "sh"]);
    const [setup, config, python, audit] = blocks.map((b) => b.code) as [string, string, string, string];

    // `ancora` on PATH, run from the sources as the built bin would run.
    const bin = join(work, "bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "ancora"),
      `#!/bin/sh\nexec "${process.execPath}" --conditions=@ancora/source --import "${REGISTER}" "${MAIN}" "$@"\n`,
    );
    chmodSync(join(bin, "ancora"), 0o755);
    const dir = join(work, "ancora");
    const env: Record<string, string> = {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      HOME: process.env.HOME ?? "",
      // Node caches compiled (type-stripped) modules here: later children start faster.
      NODE_COMPILE_CACHE: join(tmpdir(), "ancora-test-node-cache"),
      ANCORA_RPC_URL: chain.url,
      ANCORA_DEPLOYER_KEY: HARDHAT_DEV_KEY,
      ANCORA_PRIVATE_KEY: SERVE_KEY,
    };

    // The operator's block, line by line; `serve` runs in the background on a free port.
    const lines = setup
      .replaceAll("/var/lib/ancora", dir)
      .split("\n")
      .filter((l) => l.trim() !== "");
    expect(lines.map((l) => l.split(" ")[1])).toEqual(["init", "deploy", "keys", "serve"]);
    const tokens: string[] = [];
    for (const line of lines.slice(0, 3)) {
      const run = await sh(line, env);
      expect(run.code, `${line}\n${run.stdout}${run.stderr}`).toBe(0);
      const token = TOKEN.exec(run.stdout)?.[0];
      if (token !== undefined) tokens.push(token);
      expect(run.stdout + run.stderr).not.toContain(SERVE_KEY.slice(2));
    }
    const [adminKey, writeKey] = tokens as [string, string];
    expect(tokens).toHaveLength(2);
    const deployed = JSON.parse(readFileSync(join(dir, "ancora.json"), "utf8")) as {
      chain: { streams: string[] };
    };
    expect(deployed.chain.streams).toEqual(["loans"]);

    const serveLine = `${(lines[3] as string).replace(/\s+#.*$/, "")} --port 0 --json`;
    serve = spawn("sh", ["-c", `exec ${serveLine}`], { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    serve.stdout?.setEncoding("utf8").on("data", (t: string) => (out += t));
    serve.stderr?.setEncoding("utf8").on("data", (t: string) => (err += t));
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    while (url === undefined && serve.exitCode === null && Date.now() < deadline) {
      const ready = out.split("\n").find((l) => l.startsWith('{"url":'));
      if (ready !== undefined) url = (JSON.parse(ready) as { url: string }).url;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(url, `${out}${err}`).toBeDefined();
    const serviceEnv = { ...env, ANCORA_URL: url as string };

    // Before the config step, a decision is refused with 409 CONFIG_REQUIRED, as the README says.
    const write = (key: string) => ({ ...serviceEnv, ANCORA_API_KEY: key });
    const stub = "class my_model:\n    @staticmethod\n    def predict(applicant):\n        return 0.7\n\n";
    const call = 'print(json.dumps({"score": score_and_log({"income": 52000, "debt": 1200})}))\n';
    const script = join(work, "inference.py");
    writeFileSync(script, `${stub}${python}\n${call}`);
    const early = await sh(`python3 "${script}"`, write(writeKey));
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain("HTTP Error 409");

    const configured = await sh(config, { ...serviceEnv, ANCORA_ADMIN_KEY: adminKey });
    expect(configured.code, configured.stderr).toBe(0);
    // The write-only key cannot post a config: that needs the admin key.
    expect((await sh(config, { ...serviceEnv, ANCORA_ADMIN_KEY: writeKey })).code).not.toBe(0);

    const logged = await sh(`python3 "${script}"`, write(writeKey));
    expect(logged.code, logged.stderr).toBe(0);
    expect(JSON.parse(logged.stdout)).toEqual({ score: 0.7 });
    const records = await fetch(`${url}/v1/streams/loans/records`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    const page = (await records.json()) as { items: { label: string; model: { id: string } }[] };
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.model.id).toBe("loan_scorer");

    // Stop serve, anchor at once, and let the auditor check the log against the registry.
    const stopped = new Promise((resolve) => serve?.once("exit", resolve));
    serve.kill("SIGTERM");
    await stopped;
    const registry = (
      JSON.parse(readFileSync(join(dir, "ancora.json"), "utf8")) as { chain: { registry: string } }
    ).chain.registry;
    const [anchorLine, verifyLine] = audit
      .replaceAll("/var/lib/ancora", dir)
      .split("\n")
      .filter((l) => l.trim() !== "") as [string, string];
    const anchored = await sh(anchorLine, env);
    expect(anchored.code, `${anchored.stdout}${anchored.stderr}`).toBe(0);
    const verified = await sh(`${verifyLine} --json`, { ...env, ANCORA_REGISTRY: registry });
    expect(verified.code, `${verified.stdout}${verified.stderr}`).toBe(0);
    const report = JSON.parse(verified.stdout) as {
      ok: boolean;
      mode: string;
      streams: { stream: string; records: number; anchoredSize: number; unanchored: number }[];
    };
    expect(report.ok).toBe(true);
    expect(report.mode).toBe("chain");
    const loans = report.streams.find((s) => s.stream === "loans");
    // Everything the service wrote is anchored: the decision is protected by the chain.
    expect(loans?.anchoredSize).toBe(loans?.records);
    expect(loans?.unanchored).toBe(0);
    expect(loans?.records).toBeGreaterThan(1);
  }, 240_000);
});
