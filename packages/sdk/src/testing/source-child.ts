/**
 * Runs a script of the SDK's tests as a real Node process from the TypeScript sources (the
 * `@ancora/source` export condition and the verifier's `.js` → `.ts` resolve hook), under the same
 * Node as the tests.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const REGISTER = fileURLToPath(new URL("../../../verifier/src/testing/register-source.mjs", import.meta.url));

/** Starts `script` (an absolute path) with `args`; stdout and stderr are pipes. */
export function spawnSource(
  script: string,
  args: readonly string[],
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, ["--conditions=@ancora/source", "--import", REGISTER, script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    // Node caches compiled (and type-stripped) modules here: later children start several times faster.
    env: { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), "ancora-test-node-cache") },
  });
}
