/**
 * Confirmations that match the chain, against Hardhat's in-process network: with automine a deployment
 * asking for 2 confirmations ends at 1 and says why; with automine off the requested number stands, the
 * wait reports each block and ends when they are mined, and an unmined transaction times out with an
 * error naming it. A node that does not know the automine methods is a production chain; one that
 * cannot be reached is not taken for an answer.
 */
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { network } from "hardhat";
import { HttpRequestError, MethodNotFoundRpcError, type PublicClient, parseEther } from "viem";
import { describe, expect, it } from "vitest";
import {
  type ConfirmationPlan,
  type ConfirmationProgress,
  minesOnDemand,
  planConfirmations,
  waitForConfirmations,
} from "./confirmations.js";
import { deployRegistry } from "./deploy.js";
import { RegistryError } from "./errors.js";

async function devChain() {
  const { viem, provider } = await network.create();
  const publicClient = (await viem.getPublicClient()) as unknown as PublicClient;
  const [wallet] = await viem.getWalletClients();
  if (wallet === undefined) throw new Error("no wallet");
  const send = () => wallet.sendTransaction({ to: wallet.account.address, value: parseEther("0.001") });
  const mine = () => provider.request({ method: "evm_mine", params: [] });
  const automine = (on: boolean) => provider.request({ method: "evm_setAutomine", params: [on] });
  return { publicClient, wallet, send, mine, automine };
}

describe("confirmations on a chain that mines on demand", { timeout: 60_000 }, () => {
  it("deploys with confirmations 2 on an automine chain: 1 is final, with a notice", async () => {
    const c = await devChain();
    expect(await minesOnDemand(c.publicClient)).toBe(true);
    const plans: ConfirmationPlan[] = [];
    const progress: ConfirmationProgress[] = [];
    const deployment = await deployRegistry(c.wallet, c.publicClient, {
      admin: c.wallet.account.address,
      confirmations: 2,
      timeoutMs: 30_000,
      onPlan: (plan) => plans.push(plan),
      onProgress: (p) => progress.push(p),
    });
    expect(plans).toEqual([
      { requested: 2, confirmations: 1, minesOnDemand: true, notice: expect.stringContaining("automine") },
    ]);
    expect(progress.at(-1)).toMatchObject({ transactionHash: deployment.transactionHash, confirmations: 1 });
    // Nothing mined after the deployment's block: the wait did not need a second one.
    expect(await c.publicClient.getBlockNumber()).toBe(deployment.blockNumber);
    expect((await planConfirmations(c.publicClient, 1)).notice).toBeUndefined();
  });

  it("waits for every requested block when the node does not automine, reporting each", async () => {
    const c = await devChain();
    await c.automine(false);
    expect(await planConfirmations(c.publicClient, 2)).toEqual({
      requested: 2,
      confirmations: 2,
      minesOnDemand: false,
    });
    const hash = await c.send();
    const progress: number[] = [];
    const waited = waitForConfirmations(c.publicClient, {
      hash,
      confirmations: 2,
      pollMs: 5,
      timeoutMs: 60_000,
      onProgress: (p) => progress.push(p.confirmations),
    });
    await expect.poll(() => progress).toEqual([0]);
    await c.mine();
    await expect.poll(() => progress).toEqual([0, 1]);
    await c.mine();
    const receipt = await waited;
    expect(receipt.transactionHash).toBe(hash);
    expect(progress).toEqual([0, 1, 2]);
  });

  it("times out on a transaction nothing mines, naming it and what was seen", async () => {
    const c = await devChain();
    await c.automine(false);
    const hash = await c.send();
    const error = await waitForConfirmations(c.publicClient, {
      hash,
      confirmations: 1,
      what: "the deployment transaction",
      pollMs: 5,
      timeoutMs: 50,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({
      code: "REGISTRY_CONFIRMATION_TIMEOUT",
      evidence: { transactionHash: hash, confirmations: 0, required: 1 },
    });
    expect((error as RegistryError).shortMessage).toContain(`the deployment transaction ${hash}`);
    expect((error as RegistryError).shortMessage).toContain("not mined yet");
    // Mined later, it is found: the timeout lost nothing.
    await c.mine();
    const receipt = await waitForConfirmations(c.publicClient, { hash, confirmations: 1, pollMs: 5 });
    expect(receipt.status).toBe("success");
  });

  it("takes an unknown method for a production chain, and an unreachable node for no answer", async () => {
    const unknown = {
      request: async () => {
        throw new MethodNotFoundRpcError(new Error("the method hardhat_getAutomine does not exist"));
      },
    };
    expect(await minesOnDemand(unknown)).toBe(false);
    expect(await planConfirmations(unknown, 3)).toEqual({
      requested: 3,
      confirmations: 3,
      minesOnDemand: false,
    });
    const down = {
      request: async () => {
        throw new HttpRequestError({ url: "http://127.0.0.1:1", status: 503 });
      },
    };
    await expect(minesOnDemand(down)).rejects.toBeInstanceOf(HttpRequestError);
    await expect(planConfirmations(unknown, 0)).rejects.toMatchObject({ code: "REGISTRY_BAD_ARGUMENT" });
  });
});
