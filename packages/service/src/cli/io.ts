/**
 * Where a command reads and writes: the process's streams in production, buffers in tests. Every
 * command prints through this, so in-process tests see exactly what a user would.
 */
import type { Readable } from "node:stream";

/** A text sink (process.stdout, process.stderr, or a test buffer). */
export interface TextSink {
  write(text: string): unknown;
  /** True when a person is watching (progress bars are drawn only then). */
  isTTY?: boolean;
}

/** The streams and environment of one CLI run. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  stdin: Readable;
  env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /**
   * Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands (`serve`)
   * wait on it. Tests pass a promise they resolve themselves.
   */
  stopSignal?: Promise<string>;
}

/** The real process's streams. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** What a command returns: its result for `--json`, and the lines a person reads otherwise. */
export interface CommandOutput {
  /** Printed with --json; `undefined` when the command already wrote its content to stdout. */
  json: unknown;
  text: string[];
  /** Exit code (default 0). */
  exitCode?: number;
}

/** Prints a command's output in the requested form. */
export function printOutput(io: CliIo, output: CommandOutput, json: boolean): void {
  if (json) {
    if (output.json !== undefined) io.stdout.write(`${JSON.stringify(output.json)}\n`);
  } else if (output.text.length > 0) io.stdout.write(`${output.text.join("\n")}\n`);
}

/** Reads a whole stream as UTF-8 text. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
