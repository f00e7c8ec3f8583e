/**
 * What every command shares: running its body, printing its result (text or `--json`), and turning
 * any error into `error CODE: message` + `What to do: hint` (or `{ ok: false, error }`) and an exit code.
 */
import { isPostgresUrl } from "@ancora/verifier/node";
import { type Command, InvalidArgumentError } from "commander";
import { CliError } from "../errors.js";
import { exitCodeOf, formatError, jsonError, printedError } from "./error-output.js";
import { type CliIo, type CommandOutput, printOutput } from "./io.js";

/** The state of one CLI run: its streams and the exit code the last command set. */
export interface CliContext {
  io: CliIo;
  exitCode: number;
}

/** Prints an error in the requested form and returns its exit code. */
export function reportError(io: CliIo, error: unknown, json: boolean): number {
  const printed = printedError(error);
  if (json) io.stdout.write(jsonError(printed));
  else io.stderr.write(formatError(printed));
  return exitCodeOf(error);
}

/**
 * A commander action running `body` with the command's options and positional arguments.
 *
 * @example
 * ```ts
 * program.command("receipt").option("--json").action(handler(ctx, async (opts) => ({ json: {}, text: [] })));
 * ```
 */
export function handler<O extends { json?: boolean }>(
  ctx: CliContext,
  body: (options: O, args: string[]) => Promise<CommandOutput>,
): (...args: unknown[]) => Promise<void> {
  return async (...all: unknown[]) => {
    const command = all[all.length - 1] as Command;
    const options = command.opts() as O;
    const json = options.json === true;
    try {
      const output = await body(options, command.args);
      printOutput(ctx.io, output, json);
      ctx.exitCode = output.exitCode ?? 0;
    } catch (error) {
      ctx.exitCode = reportError(ctx.io, error, json);
    }
  };
}

/** Parses a non-negative integer flag, or throws USAGE naming the flag. */
/** Throws USAGE unless `--db`, when given, is a PostgreSQL connection string (init and serve). */
export function checkPostgresFlag(url: string | undefined): void {
  if (url !== undefined && !isPostgresUrl(url)) {
    throw new CliError("USAGE", "--db must be a postgres:// connection string", {
      hint: "e.g. --db postgres://ancora@db.example.org:5432/ancora, with PGPASSWORD in the environment.",
    });
  }
}

export function integerFlag(value: string, flag: string, min = 0): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    // Thrown inside commander's argument parser: it becomes a usage error (exit 2).
    throw new InvalidArgumentError(`${flag} must be an integer >= ${min}`);
  }
  return n;
}
