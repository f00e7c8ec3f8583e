/**
 * The anchorer's confirmations match the chain: on Hardhat's automine network (a node that mines only
 * on demand) `confirmations: 2` drains without another block, saying so once through `onNotice`; on a
 * node that does not automine the requested confirmations stand and the anchor waits for each block.
 */

import { createPublicClient, createWalletClient, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { configuredLogger } from "../testing/configured-logger.js";
import { DEV_KEY_1 } from "../testing/fixtures.js";
import { type HttpChain, httpChain } from "../testing/http-chain.js";
import { createAnchorer } from "./anchorer.js";
import type { AnchorNotice } from "./anchorer-options.js";

const STREAM = "loans";
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const c = await httpChain({ streams: [STREAM], anchorers: [DEV_KEY_1] });
  cleanups.push(() => c.rpc.stop());
  const logger = await configuredLogger(cleanups, { stream: STREAM, decisions: 1 });
  logger.checkpoint();
  const notices: AnchorNotice[] = [];
  const anchorer = createAnchorer({
    store: logger.store,
    streams: STREAM,
    registry: c.registry,
    publicClient: createPublicClient({ transport: http(c.rpc.url) }) as PublicClient,
    walletClient: createWalletClient({ account: privateKeyToAccount(DEV_KEY_1), transport: http(c.rpc.url) }),
    policy: false,
    confirmations: 2,
    pollIntervalMs: 1,
    onNotice: (notice) => notices.push(notice),
  });
  cleanups.push(() => anchorer.stop());
  return { c, logger, anchorer, notices };
}

const mine = (c: HttpChain) => c.provider.request({ method: "hardhat_mine", params: ["0x1"] });

describe("confirmations that match the chain", { timeout: 60_000 }, () => {
  it("counts an automine chain's block as final: confirmations 2 drain without another block", async () => {
    const { c, logger, anchorer, notices } = await setup();
    const before = await c.publicClient.getBlockNumber();
    expect(await anchorer.drain({ timeoutMs: 30_000 })).toBe(true);
    expect(logger.store.anchors(STREAM).map((a) => [a.status, a.confirmations])).toEqual([["confirmed", 1]]);
    // One block: the anchor's. Nothing else was mined to reach a second confirmation.
    expect(await c.publicClient.getBlockNumber()).toBe(before + 1n);
    expect(notices).toEqual([
      {
        code: "CHAIN_MINES_ON_DEMAND",
        message: expect.stringContaining("automine"),
        requested: 2,
        confirmations: 1,
      },
    ]);
    await anchorer.tick();
    expect(notices).toHaveLength(1); // said once
  });

  it("waits for every requested block on a node that does not automine", async () => {
    const { c, logger, anchorer, notices } = await setup();
    await c.provider.request({ method: "evm_setAutomine", params: [false] });
    const status = () => logger.store.anchors(STREAM).map((a) => [a.status, a.confirmations]);
    await anchorer.tick();
    expect(status()).toEqual([["submitted", 0]]);
    await mine(c);
    await anchorer.tick();
    expect(status()).toEqual([["submitted", 1]]);
    await mine(c);
    await anchorer.tick();
    expect(status()).toEqual([["confirmed", 2]]);
    expect(notices).toEqual([]);
  });
});
