/**
 * Outages seen through the anchoring worker thread: what `ancora serve` logs comes from these two
 * callbacks, so they must cross the thread with their fields. While the chain's endpoint refuses every
 * request, the worker reports the outage with the time of its next attempt and tries no job; the first
 * pass after it answers again sends the anchor and calls `onRecovered` with the backlog.
 */
import type { AncoraError } from "@ancora/core";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { configuredLogger } from "../testing/configured-logger.js";
import { DEV_KEY_1 } from "../testing/fixtures.js";
import { httpChain } from "../testing/http-chain.js";
import type { AnchorErrorContext, Recovery } from "./anchorer-options.js";
import { startAnchoringWorker } from "./worker.js";

const STREAM = "loans";
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("anchoring worker through an outage", () => {
  it("reports the outage with its next attempt, tries no job, and calls onRecovered when the chain answers", async () => {
    const c = await httpChain({ streams: [STREAM], anchorers: [DEV_KEY_1] });
    cleanups.push(() => c.rpc.stop());
    const logger = await configuredLogger(cleanups, { stream: STREAM, decisions: 1 });
    logger.checkpoint();
    const errors: Array<{ error: AncoraError; context: AnchorErrorContext }> = [];
    const recoveries: Recovery[] = [];
    c.rpc.down = true;
    const worker = await startAnchoringWorker({
      path: logger.store.path,
      streams: STREAM,
      registry: c.registry,
      rpcUrl: c.rpc.url,
      account: privateKeyToAccount(DEV_KEY_1),
      policy: false,
      confirmations: 1,
      pollIntervalMs: 3_600_000, // the test drives the passes with tick()
      onError: (error, context) => errors.push({ error, context }),
      onRecovered: (recovery) => recoveries.push(recovery),
    });
    cleanups.push(() => worker.stop());

    expect((await worker.tick()).anchoring).toMatchObject({ submitted: 0, failed: 0 });
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]?.error.code).toBe("ANCHOR_CHAIN_UNAVAILABLE");
    expect(errors[0]?.error.hint).toEqual(expect.any(String));
    expect(Date.parse(errors[0]?.context.nextAttemptAt ?? "")).toBeGreaterThan(0);
    expect(JSON.stringify(errors)).not.toContain(c.rpc.url);
    expect(await worker.backlog()).toMatchObject({ jobs: 1, failingJobs: 0 });
    expect(recoveries).toHaveLength(0);

    c.rpc.down = false;
    expect((await worker.tick()).anchoring).toMatchObject({ submitted: 1, failed: 0 });
    await expect.poll(() => recoveries.length).toBe(1);
    expect(recoveries[0]).toMatchObject({
      service: "chain",
      jobs: 1,
      unanchoredRecords: logger.store.stream(STREAM).size,
    });
    expect(recoveries[0]?.unreachableMs).toBeGreaterThanOrEqual(0);
  });
});
