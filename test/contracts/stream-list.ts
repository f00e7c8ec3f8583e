/**
 * ProvenanceRegistry's stream list in storage (`streamCount`, `streamIds`): every registered stream in
 * registration order, retired ones included, paged without gaps or overlaps, so a verifier can list the
 * streams a registry anchors from state alone once the node has dropped the registration events.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { network } from "hardhat";
import { getContract, type Hex, keccak256, stringToBytes } from "viem";
import { provenanceRegistryAbi } from "../../packages/contracts/src/generated/provenance-registry.ts";

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const [adminWallet, strangerWallet] = await viem.getWalletClients();
if (adminWallet === undefined || strangerWallet === undefined) throw new Error("need two accounts");

const id = (name: string): Hex => keccak256(stringToBytes(name));

describe("ProvenanceRegistry: the stream list in storage", () => {
  const names = Array.from({ length: 7 }, (_, i) => `stream-${i}`);
  let registry: ReturnType<typeof bind>;
  const bind = (address: Hex, wallet: NonNullable<typeof adminWallet>) =>
    getContract({ address, abi: provenanceRegistryAbi, client: { public: publicClient, wallet } });

  before(async () => {
    const deployed = await viem.deployContract("ProvenanceRegistry", [adminWallet.account.address]);
    registry = bind(deployed.address, adminWallet);
  });

  it("is empty before any registration, at any page", async () => {
    assert.equal(await registry.read.streamCount(), 0n);
    assert.deepEqual(await registry.read.streamIds([0n, 10n]), []);
    assert.deepEqual(await registry.read.streamIds([5n, 0n]), []);
  });

  it("lists every stream in registration order, retired ones too, and pages exactly", async () => {
    for (const name of names) await registry.write.registerStream([id(name), `{"name":"${name}"}`, true]);
    await registry.write.retireStream([id("stream-2")]);
    const all = names.map(id);
    assert.equal(await registry.read.streamCount(), BigInt(names.length));
    assert.deepEqual(await registry.read.streamIds([0n, 100n]), all);
    for (const size of [1n, 2n, 3n, 7n]) {
      const paged: Hex[] = [];
      for (let start = 0n; start < BigInt(all.length); start += size) {
        paged.push(...(await registry.read.streamIds([start, size])));
      }
      assert.deepEqual(paged, all, `pages of ${size}`);
    }
    assert.deepEqual(await registry.read.streamIds([6n, 5n]), [id("stream-6")]);
    assert.deepEqual(await registry.read.streamIds([7n, 5n]), []);
    assert.deepEqual(await registry.read.streamIds([2n ** 255n, 2n ** 255n]), []);
    assert.deepEqual(await registry.read.streamIds([1n, 2n ** 256n - 1n]), all.slice(1));
  });

  it("does not grow on a refused registration", async () => {
    const stranger = bind(registry.address, strangerWallet);
    await assert.rejects(stranger.write.registerStream([id("intruder"), "m", false]));
    await assert.rejects(registry.write.registerStream([id("stream-0"), "again", false]));
    assert.equal(await registry.read.streamCount(), BigInt(names.length));
  });
});
