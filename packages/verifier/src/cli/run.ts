/**
 * `ancora-verify` as a function: parses the arguments, runs one mode, prints the report (or one JSON
 * document with `--json`) and returns the exit code. The bin entry (main.ts) only calls it; tests call it
 * in-process with their own output streams.
 */
import { parseArgs, type VerifyCommand } from "./args.js";
import { EXIT_FAILED, EXIT_VERIFIED, exitCodeOf } from "./exit-codes.js";
import { runChain, runLocal, runPack, runPublic, runReceipt } from "./modes.js";
import { createProgress, type ProgressOutput } from "./progress.js";
import { errorJson, errorText, type Summary, summaryJson, summaryText } from "./report.js";

export { EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, EXIT_VERIFIED } from "./exit-codes.js";
export type { StreamSummary, Summary } from "./report.js";

/** Where `runVerify` writes, and the environment it reads (`ANCORA_RPC_URL`). */
export interface VerifyIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressOutput;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

async function execute(command: VerifyCommand, io: VerifyIo): Promise<Summary> {
  const started = performance.now();
  const progress = createProgress(io.stderr, command.progress || io.stderr.isTTY === true);
  const { mode, streams } = command;
  let summary: Omit<Summary, "elapsedMs">;
  switch (mode.kind) {
    case "local":
      summary = await runLocal(mode, streams, progress, command.threads);
      break;
    case "chain":
      summary = await runChain(mode, streams, command.requireAnchored);
      break;
    case "public":
      summary = await runPublic(mode, streams, progress, command.threads);
      break;
    case "receipt":
      summary = await runReceipt(mode);
      break;
    case "pack":
      summary = await runPack(mode);
      break;
  }
  return { ...summary, elapsedMs: Math.round(performance.now() - started) };
}

/**
 * Runs `ancora-verify` with `argv` (as `process.argv`: the first two entries are node and the script)
 * and returns the exit code: 0 verified, 1 tampering or inconsistency found, 2 usage or configuration
 * error, 3 a source was unreachable.
 *
 * @example
 * ```ts
 * const code = await runVerify(["node", "ancora-verify", "--db", "ancora.db", "--json"]);
 * // stdout: {"ok":true,"records":4001,"anchors":0,"failures":[],"mode":"local",…}
 * ```
 */
export async function runVerify(
  argv: string[],
  io: VerifyIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const args = argv.slice(2);
  const json = args.includes("--json");
  try {
    const parsed = parseArgs(args, io.env ?? {});
    if ("help" in parsed) {
      io.stdout.write(parsed.help);
      return EXIT_VERIFIED;
    }
    const summary = await execute(parsed.command, io);
    io.stdout.write(json ? `${summaryJson(summary)}\n` : summaryText(summary));
    return summary.ok ? EXIT_VERIFIED : EXIT_FAILED;
  } catch (error) {
    if (json) io.stdout.write(`${errorJson(error)}\n`);
    else io.stderr.write(errorText(error));
    return exitCodeOf(error);
  }
}
