/**
 * The `ancora-verify` bin as an auditor runs it: a child process from the TypeScript sources, with no
 * environment but PATH (nothing of the test's process leaks in), its exit code and both streams.
 */
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const MAIN = join(ROOT, "packages/verifier/src/cli/main.ts");
const REGISTER = join(ROOT, "packages/verifier/src/testing/register-source.mjs");

/** What a run of the bin gave. */
export interface VerifyRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ancora-verify ARGS` as a child process from the sources. */
export function runVerifyBin(args: readonly string[]): Promise<VerifyRun> {
  const child = spawn(
    process.execPath,
    ["--conditions=@ancora/source", "--import", REGISTER, MAIN, ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "", NODE_COMPILE_CACHE: join(tmpdir(), "ancora-test-node-cache") },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
