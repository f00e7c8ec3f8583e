/**
 * The write-path benchmark (the write path's measuring stick) still runs end to end against the built SDK,
 * at a tiny size: its floors read the store's file through one adapter (bench/baselines.ts `RECORDS`),
 * and a storage layout that moves the records must move that adapter too. Only that it runs and prints
 * every target is checked: timings never pass or fail a test.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const QUICK = ["--size=3000", "--rounds=1", "--records=2000", "--sync=20", "--proofs=50"];

it("runs bench/write-path.bench.ts at a tiny size and prints every target with its verdict", async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(
        process.execPath,
        ["--expose-gc", "bench/write-path.bench.ts", ...QUICK],
        { cwd: ROOT },
        (error, stdout, stderr) => {
          resolve({
            code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
            stdout,
            stderr,
          });
        },
      );
    },
  );
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^CPU: .*SHA extensions/m);
  for (const ratio of [
    "group commit / raw insert floor",
    "group commit / baseline (a)",
    "recordSync / fsync floor",
    "verify, 1 thread / read + SHA-256 floor",
    "inclusion proof p99, fresh process",
  ]) {
    expect(stdout).toMatch(
      new RegExp(`^\\| ${ratio.replace(/[()+/]/g, "\\$&")}.*\\| (met|NOT met|not measured[^|]*) \\|$`, "m"),
    );
  }
});
