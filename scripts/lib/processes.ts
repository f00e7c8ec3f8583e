/**
 * Child processes for the demo: the `ancora` and `ancora-verify` commands run exactly as an operator and
 * an auditor would run them (compiled bins, their own processes, secrets only in their environment).
 * Every process started is tracked so that one call stops them all, whatever happened before.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ANCORA_BIN = join(ROOT, "packages", "service", "bin", "ancora.js");
export const VERIFY_BIN = join(ROOT, "packages", "verifier", "bin", "ancora-verify.js");

const running = new Set<ChildProcess>();

/** The result of a command that ran to its end. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin ...args` to completion; rejects only when it cannot start or outlives `timeoutMs`. */
export function run(
  bin: string,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Finished> {
  return runToEnd(
    process.execPath,
    [bin, ...args],
    args[0] ?? bin,
    { ...process.env, ...options.env },
    options,
  );
}

/**
 * Runs a command line through bash, as a person would paste it, with the workspace's `ancora` and
 * `ancora-verify` (node_modules/.bin) and this Node first on PATH.
 */
export function runShell(
  command: string,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Finished> {
  const path = [join(ROOT, "node_modules", ".bin"), dirname(process.execPath), process.env.PATH ?? ""].join(
    ":",
  );
  return runToEnd(
    "bash",
    ["-c", command],
    command.split(" ")[0] ?? "bash",
    {
      ...process.env,
      ...options.env,
      PATH: path,
    },
    options,
  );
}

function runToEnd(
  file: string,
  args: readonly string[],
  name: string,
  env: NodeJS.ProcessEnv,
  options: { timeoutMs?: number },
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr?.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not finish within ${options.timeoutMs ?? 300_000} ms`));
    }, options.timeoutMs ?? 300_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running child: its ready line, its log file, and a graceful stop. */
export interface Daemon {
  readonly readyLine: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts `node bin ...args`, waits for the stdout line that says it is ready (`isReady`, such as the
 * `{ url }` line of `ancora serve --json`; other lines, e.g. its own logs, may come first), and appends
 * everything else it prints to `logFile`.
 */
export function startDaemon(
  bin: string,
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    logFile: string;
    isReady: (line: string) => boolean;
    readyTimeoutMs?: number;
  },
): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    running.add(child);
    const log = createWriteStream(options.logFile, { flags: "a" });
    let buffer = "";
    let ready = false;
    const exited = new Promise<number | null>((r) =>
      child.once("close", (code) => {
        running.delete(child);
        log.end();
        r(code);
      }),
    );
    const timer = setTimeout(() => {
      if (ready) return;
      child.kill("SIGKILL");
      reject(new Error(`${args[0] ?? bin} was not ready within the deadline; see ${options.logFile}`));
    }, options.readyTimeoutMs ?? 60_000);
    child.stderr?.pipe(log, { end: false });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      if (ready) {
        log.write(chunk);
        return;
      }
      buffer += chunk;
      for (let newline = buffer.indexOf("\n"); newline >= 0 && !ready; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!options.isReady(line)) {
          log.write(`${line}\n`);
          continue;
        }
        ready = true;
        clearTimeout(timer);
        log.write(buffer);
        resolve(daemon(line));
      }
    });
    const daemon = (readyLine: string): Daemon => ({
      readyLine,
      async stop(graceMs = 15_000) {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill("SIGTERM");
        const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
        const code = await exited;
        clearTimeout(kill);
        return code;
      },
    });
    void exited.then((code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(
          new Error(`${args[0] ?? bin} exited with ${code} before it was ready; see ${options.logFile}`),
        );
      }
    });
  });
}

/** Kills every child still running (the demo's `finally`). */
export function stopAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}
