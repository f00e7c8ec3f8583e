/**
 * Every entry point a user runs (`ancora`, `ancora-verify`, `node scripts/verify.mjs`) refuses a
 * Node.js older than 22.12 with one line naming the version it needs, exit code 2, and nothing on
 * stdout, instead of crashing inside a native addon. Run with this Node told it is 20.19.0 (a preload
 * that replaces `process.versions`), and with the machine's own /usr/bin/node when that is an older
 * Node (Debian's is 20). The same entry points still run on this Node.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ENTRY_POINTS = [
  ["ancora", "packages/service/bin/ancora.js"],
  ["ancora-verify", "packages/verifier/bin/ancora-verify.js"],
  ["node scripts/verify.mjs", "scripts/verify.mjs"],
] as const;
const PRETEND_20 =
  'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"20.19.0"}})';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(node: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(node, args, { cwd: ROOT }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** /usr/bin/node when it is a Node older than 22 (the machines this project runs on ship Node 20). */
async function oldSystemNode(): Promise<string | undefined> {
  if (!existsSync("/usr/bin/node")) return undefined;
  const version = await run("/usr/bin/node", ["--version"]);
  const major = Number(/^v(\d+)\./.exec(version.stdout)?.[1]);
  return major < 22 ? "/usr/bin/node" : undefined;
}

describe("a Node.js older than 22.12", { timeout: 60_000 }, () => {
  it.each(ENTRY_POINTS)("is refused by %s in one line naming the version needed", async (command, file) => {
    const runs = [await run(process.execPath, ["--import", PRETEND_20, file, "--help"])];
    const old = await oldSystemNode();
    if (old !== undefined) runs.push(await run(old, [file, "--help"]));
    for (const result of runs) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(
        new RegExp(
          `^error NODE_TOO_OLD: ${command} needs Node\\.js 22\\.12 or newer, and this is Node\\.js 20\\.\\d+\\.\\d+: [^\\n]+\\n$`,
        ),
      );
    }
  });

  it.each(ENTRY_POINTS)("does not stop %s on this Node", async (_command, file) => {
    const result = await run(process.execPath, [file, "--help"]);
    expect(result.stderr).not.toContain("NODE_TOO_OLD");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Usage|usage/);
  });
});
