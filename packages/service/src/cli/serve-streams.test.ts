/**
 * `ancora serve` as its own process, as an operator runs it: stdout holds only the command's result
 * (the human lines, or with --json one JSON object), and the service's JSON log (pino's "Server
 * listening" and the rest) goes to stderr, beside the CLI's own plain-text notes. Every line of each
 * stream is checked to be what that stream claims.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliRun, spawnCli } from "../testing/cli.js";

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "ancora-serve-streams-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Runs `ancora serve ...flags` in a child until its first stdout line, then SIGTERM; both streams. */
async function serveProcess(
  flags: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnCli(["serve", "--dir", "data", "--port", "0", ...flags], work);
  let ended = false;
  void run.done.then(() => {
    ended = true;
  });
  await expect
    .poll(() => ended || run.output().stdout.includes("\n"), { timeout: 60_000, interval: 100 })
    .toBe(true);
  run.child.kill("SIGTERM");
  return run.done;
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/** A line of the service's log: one JSON object with pino's numeric level, time and message. */
function expectLogLine(line: string): { level: number; time: number; msg: string } {
  const record = JSON.parse(line) as { level: number; time: number; msg: string };
  expect(record).toMatchObject({
    level: expect.any(Number),
    time: expect.any(Number),
    msg: expect.any(String),
  });
  return record;
}

/** Checks stderr: JSON lines are log records (one says the server listens), the rest are plain text. */
function expectStderr(stderr: string): void {
  const json = lines(stderr).filter((line) => line.startsWith("{"));
  const text = lines(stderr).filter((line) => !line.startsWith("{"));
  const messages = json.map((line) => expectLogLine(line).msg);
  expect(messages.some((msg) => msg.startsWith("Server listening"))).toBe(true);
  expect(text).toContain("SIGTERM: closing");
  for (const line of text) expect(() => JSON.parse(line)).toThrow();
}

describe("ancora serve's streams", { timeout: 120_000 }, () => {
  it("prints human lines on stdout and the service's JSON log on stderr", async () => {
    expect((await cliRun(["init", "--dir", "data", "--port", "0"], { cwd: work })).code).toBe(0);
    const run = await serveProcess([]);
    expect(run.code, run.stderr).toBe(0);
    const out = lines(run.stdout);
    expect(out[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(out.at(-1)).toBe("stopped");
    // No line of stdout is JSON: Fastify's "Server listening" is not there any more.
    for (const line of out) expect(line.startsWith("{"), line).toBe(false);
    expectStderr(run.stderr);
  });

  it("with --json, every stdout line is the command's JSON and the log stays on stderr", async () => {
    expect((await cliRun(["init", "--dir", "data", "--port", "0"], { cwd: work })).code).toBe(0);
    const run = await serveProcess(["--json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = lines(run.stdout);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0] as string) as Record<string, unknown>;
    expect(result).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), ipfs: [] });
    expect(result).not.toHaveProperty("level");
    expectStderr(run.stderr);
  });
});
