/**
 * The SDK's lifecycle in a user's script: `await anchoring.stop()`, `await ipfs.stop()` and
 * `await logger.close()` settle in every state the worker can be in (idle, an anchor confirmed, an
 * anchor waiting for confirmations, a pass in flight, the chain down), and the script then exits on
 * its own with code 0. Each case runs testing/lifecycle-child.ts as a real Node process against
 * Hardhat's network served over HTTP on an ephemeral loopback port.
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { DEV_KEY_1, tempStore } from "./testing/fixtures.js";
import { type HttpChain, httpChain } from "./testing/http-chain.js";
import { spawnSource } from "./testing/source-child.js";

const CHILD = fileURLToPath(new URL("./testing/lifecycle-child.ts", import.meta.url));

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function chain(): Promise<HttpChain> {
  const c = await httpChain({ streams: ["loans"], anchorers: [DEV_KEY_1] });
  cleanups.push(() => c.rpc.stop());
  return c;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

interface Job {
  confirmations: number;
  state: "idle" | "anchored" | "submitted" | "failing";
  ipfs?: boolean;
  rpcTimeoutMs?: number;
}

function runScript(c: HttpChain, job: Job): Promise<Run> {
  const temp = tempStore();
  cleanups.push(() => temp.cleanup());
  const child = spawnSource(CHILD, [
    JSON.stringify({
      path: temp.path,
      registry: c.registry,
      rpcUrl: c.rpc.url,
      key: DEV_KEY_1,
      ipfs: false,
      rpcTimeoutMs: 2_000,
      ...job,
    }),
  ]);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      resolve({ code, signal, lines: stdout.split("\n").filter((l) => l.length > 0), stderr });
    });
  });
}

const STOPPED = ["anchoring stopped", "ipfs stopped", "logger closed"];

describe("a script that stops the SDK exits on its own", { timeout: 120_000 }, () => {
  it.each([1, 2])("idle worker, confirmations %i", async (confirmations) => {
    const c = await chain();
    const run = await runScript(c, { confirmations, state: "idle" });
    expect(run).toMatchObject({ code: 0, signal: null, stderr: "" });
    expect(run.lines).toEqual(["started", ...STOPPED]);
  });

  it.each([
    [1, false, "none"],
    [2, true, "CHAIN_MINES_ON_DEMAND"],
  ])("after drain, confirmations %i, with the IPFS node: %s", async (confirmations, ipfs, notices) => {
    const c = await chain();
    // On Hardhat's automine chain 2 confirmations never come: the worker counts 1 as final and says so.
    const run = await runScript(c, { confirmations, state: "anchored", ipfs });
    expect(run).toMatchObject({ code: 0, signal: null, stderr: "" });
    expect(run.lines).toEqual([
      "started",
      "drained true",
      `notices ${notices}`,
      "anchor confirmed",
      ...STOPPED,
    ]);
  });

  it("while an anchor waits for its confirmations (nothing mines)", async () => {
    const c = await chain();
    await c.provider.request({ method: "evm_setAutomine", params: [false] });
    const run = await runScript(c, { confirmations: 2, state: "submitted", ipfs: true });
    expect(run).toMatchObject({ code: 0, signal: null, stderr: "" });
    expect(run.lines).toEqual(["started", "anchor submitted", ...STOPPED]);
    // The transaction was sent and is still unmined: stop() did not wait for it.
    expect(c.rpc.calls.get("eth_sendRawTransaction")).toBeGreaterThan(0);
    const pending = (await c.provider.request({
      method: "eth_getBlockByNumber",
      params: ["pending", false],
    })) as {
      transactions: unknown[];
    };
    expect(pending.transactions.length).toBeGreaterThan(0);
  });

  it("in the middle of an anchor (its broadcast never answered)", async () => {
    const c = await chain();
    c.rpc.hang.add("eth_sendRawTransaction");
    // A request timeout far beyond the test's: stop() must not wait for the stuck pass.
    const run = await runScript(c, { confirmations: 1, state: "submitted", rpcTimeoutMs: 600_000 });
    expect(run).toMatchObject({ code: 0, signal: null, stderr: "" });
    expect(run.lines).toEqual(["started", "anchor submitted", ...STOPPED]);
  });

  it("with the chain down", async () => {
    const c = await chain();
    c.rpc.down = true;
    const run = await runScript(c, { confirmations: 2, state: "failing", ipfs: true });
    expect(run).toMatchObject({ code: 0, signal: null, stderr: "" });
    expect(run.lines).toEqual(["started", "anchor none", ...STOPPED]);
  });
});
