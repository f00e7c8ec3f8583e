/** Test helper: the `ancora` CLI run in-process with buffers for its streams, as a user would see it. */
import { Readable } from "node:stream";
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

/** Runs `ancora ARGV` in-process to its end. */
export function cliRun(argv: readonly string[], options: CliRunOptions): Promise<CliRun> {
  return startCli(argv, options).done;
}
