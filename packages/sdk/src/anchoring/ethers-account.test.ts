import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { Wallet } from "ethers";
import { type Address, createWalletClient, custom, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterEach, describe, expect, it } from "vitest";
import {
  anchorerFor,
  chain,
  cleanUpAnchoring,
  expectChainMatchesLocal,
  log,
  newLogger,
  STREAM,
  settle,
} from "../testing/anchoring-chain.js";
import { DEV_KEY_1, DEV_KEY_2 } from "../testing/fixtures.js";
import { ethersSignerToAccount } from "./ethers-account.js";

afterEach(cleanUpAnchoring);

describe("ethers signer adapter", () => {
  it("signs like the key itself, and anchors through the anchorer", async () => {
    const c = await chain();
    const signer = new Wallet(DEV_KEY_2);
    const account = await ethersSignerToAccount(signer);
    const direct = privateKeyToAccount(DEV_KEY_2);
    expect(account.address).toBe(direct.address);
    expect(await account.signMessage({ message: "hello" })).toBe(
      await direct.signMessage({ message: "hello" }),
    );
    expect(await account.signMessage({ message: { raw: "0x0102" } })).toBe(
      await direct.signMessage({ message: { raw: "0x0102" } }),
    );
    const logger = newLogger();
    await log(logger, 7);
    logger.checkpoint();
    const walletClient = createWalletClient({
      account,
      chain: hardhat,
      transport: custom({ request: (args) => c.provider.request(args) }),
    });
    const anchorer = anchorerFor(c, logger, { walletClient });
    await settle(c, anchorer);
    const [anchor] = logger.store.anchors(STREAM);
    const tx = await c.publicClient.getTransaction({ hash: anchor?.txHash as Hex });
    expect(tx.from.toLowerCase()).toBe(direct.address.toLowerCase());
    expect(tx.type).toBe("eip1559");
    await expectChainMatchesLocal(c, logger);
  });

  it("refuses a signer that signs for another address", async () => {
    const honest = new Wallet(DEV_KEY_1);
    const other = new Wallet(DEV_KEY_2);
    const account = await ethersSignerToAccount({
      getAddress: () => honest.getAddress(),
      signMessage: (m) => honest.signMessage(m),
      signTypedData: (d, t, v) => honest.signTypedData(d, t, v),
      signTransaction: (tx) => other.signTransaction(tx),
    });
    await expect(
      account.signTransaction({
        chainId: 31337,
        nonce: 0,
        gas: 21_000n,
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 1n,
        to: honest.address as Address,
        type: "eip1559",
      }),
    ).rejects.toMatchObject({ code: "ANCHOR_INVALID_OPTION" });
  });
});
