/**
 * Test helpers: the `ancora` CLI run in-process with buffers for its streams, as a user would see it,
 * or as its own process from the TypeScript sources.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { CliIo } from "../cli/io.js";
import { runCli } from "../cli/program.js";

/** What one run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where a run happens: its directory, environment, standard input and (for `serve`) stop signal. */
export interface CliRunOptions {
  cwd: string;
  env?: Record<string, string>;
  stdin?: string;
  stop?: Promise<string>;
}

/**
 * Starts `ancora ARGV` in-process. `output()` reads what it printed so far (for `serve`, which prints
 * a line and runs until `stop` resolves); `done` is the finished run.
 */
export function startCli(
  argv: readonly string[],
  options: CliRunOptions,
): { output: () => { stdout: string; stderr: string }; done: Promise<CliRun> } {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([options.stdin ?? ""]),
    env: options.env ?? {},
    cwd: options.cwd,
    ...(options.stop === undefined ? {} : { stopSignal: options.stop }),
  };
  const done = runCli(argv, io).then((code) => ({ code, stdout, stderr }));
  return { output: () => ({ stdout, stderr }), done };
}

/** The model every CLI test's decisions name. */
export const TEST_MODEL = { id: "loan_scorer", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };

/**
 * `ancora ingest` input for stream `loans`: a config line, then `decisions` decisions of
 * {@link TEST_MODEL} with scores spread over [0, 1).
 */
export function ingestInput(decisions: number): string {
  return [
    JSON.stringify({
      kind: "config",
      stream: "loans",
      threshold: 0.6,
      aboveLabel: "approved",
      belowLabel: "denied",
      changedBy: "risk",
      changeReason: "launch",
    }),
    ...Array.from({ length: decisions }, (_, i) =>
      JSON.stringify({
        kind: "decision",
        stream: "loans",
        model: TEST_MODEL,
        input: { i },
        output: i,
        score: i / decisions,
      }),
    ),
  ].join("\n");
}

/** Runs `ancora ARGV` in-process to its end. */
export function cliRun(argv: readonly string[], options: CliRunOptions): Promise<CliRun> {
  return startCli(argv, options).done;
}

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const REGISTER = fileURLToPath(new URL("../../../verifier/src/testing/register-source.mjs", import.meta.url));

/**
 * Starts `ancora ARGV` as a child process from the sources, in `cwd`, with only PATH and HOME in its
 * environment. `output()` reads what it printed so far; `done` resolves when it has exited.
 */
export function spawnCli(
  argv: readonly string[],
  cwd: string,
  /** Variables added to PATH and HOME (e.g. ANCORA_PRIVATE_KEY). */
  env: Readonly<Record<string, string>> = {},
): {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(
    process.execPath,
    ["--conditions=@ancora/source", "--import", REGISTER, MAIN, ...argv],
    {
      cwd,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        // Node caches compiled (type-stripped) modules here: later children start faster.
        NODE_COMPILE_CACHE: join(tmpdir(), "ancora-test-node-cache"),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  child.stderr?.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, output: () => ({ stdout, stderr }), done };
}
