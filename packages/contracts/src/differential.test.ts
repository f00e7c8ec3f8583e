/**
 * Differential test: the contract's RFC 6962 verifiers against @ancora/core's. Random trees are built with
 * core; every inclusion and consistency proof core produces must be accepted on chain, and for every
 * mutated proof the contract and core must give the same answer (which, for a mutated hash, is "no").
 */
import {
  CompactRange,
  consistencyProof,
  hashLeaf,
  inclusionProof,
  MemoryNodeStore,
  rootAt,
  verifyConsistency,
  verifyInclusion,
} from "@ancora/core";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import fc from "fast-check";
import { network } from "hardhat";
import { type Address, bytesToHex, type Hex, type PublicClient } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { deployRegistry } from "./deploy.js";
import { provenanceRegistryAbi } from "./generated/provenance-registry.js";

const RUNS = process.env.CI === "true" ? 200 : 60;

let publicClient: PublicClient;
let registry: Address;

beforeAll(async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const [admin] = await viem.getWalletClients();
  if (admin === undefined) throw new Error("no wallet");
  publicClient = pc as unknown as PublicClient;
  registry = (await deployRegistry(admin, publicClient, { admin: admin.account.address })).address;
});

function buildTree(seed: number, size: number): MemoryNodeStore {
  const tree = new CompactRange();
  const store = new MemoryNodeStore();
  for (let i = 0; i < size; i++)
    store.putAll(tree.appendLeaf(new TextEncoder().encode(`${seed}/${i}`)).nodes);
  return store;
}

const flip = (h: Uint8Array, bit: number): Uint8Array => {
  const out = new Uint8Array(h);
  out[(bit >> 3) % 32] = (out[(bit >> 3) % 32] ?? 0) ^ (1 << (bit & 7));
  return out;
};

const hex = (hs: readonly Uint8Array[]): Hex[] => hs.map((h) => bytesToHex(h));

interface InclusionCase {
  leafHash: Uint8Array;
  index: number;
  size: number;
  root: Uint8Array;
  proof: Uint8Array[];
}

interface ConsistencyCase {
  size1: number;
  size2: number;
  root1: Uint8Array;
  root2: Uint8Array;
  proof: Uint8Array[];
}

function onChainInclusion(c: InclusionCase): Promise<boolean> {
  return publicClient.readContract({
    address: registry,
    abi: provenanceRegistryAbi,
    functionName: "verifyInclusionProof",
    args: [bytesToHex(c.leafHash), BigInt(c.index), BigInt(c.size), bytesToHex(c.root), hex(c.proof)],
  });
}

function onChainConsistency(c: ConsistencyCase): Promise<boolean> {
  return publicClient.readContract({
    address: registry,
    abi: provenanceRegistryAbi,
    functionName: "verifyConsistencyProof",
    args: [BigInt(c.size1), BigInt(c.size2), bytesToHex(c.root1), bytesToHex(c.root2), hex(c.proof)],
  });
}

/** Mutations that change a hash: both verifiers must reject them. */
function hashMutations<T extends { proof: Uint8Array[] }>(c: T, bit: number, keys: (keyof T)[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < c.proof.length; i++) {
    out.push({ ...c, proof: c.proof.map((h, j) => (j === i ? flip(h, bit) : h)) });
  }
  if (c.proof.length > 0) {
    out.push({ ...c, proof: c.proof.slice(0, -1) }); // truncated
    out.push({ ...c, proof: c.proof.slice(1) }); // first element dropped
  }
  out.push({ ...c, proof: [...c.proof, c.proof[0] ?? new Uint8Array(32)] }); // trailing garbage
  if (c.proof.length >= 2) out.push({ ...c, proof: [...c.proof].reverse() });
  for (const key of keys) out.push({ ...c, [key]: flip(c[key] as Uint8Array, bit) });
  return out;
}

describe("contract verifiers agree with @ancora/core", () => {
  it("inclusion: core's proofs are accepted on chain, mutated ones rejected by both", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.nat({ max: 255 }),
        async (seed, size, rawIndex, bit) => {
          const store = buildTree(seed, size);
          const index = rawIndex % size;
          const root = rootAt(store, size);
          const leafHash = hashLeaf(new TextEncoder().encode(`${seed}/${index}`));
          const valid: InclusionCase = {
            leafHash,
            index,
            size,
            root,
            proof: inclusionProof(store, index, size),
          };
          expect(verifyInclusion(valid)).toBe(true);
          expect(await onChainInclusion(valid)).toBe(true);
          for (const bad of hashMutations(valid, bit, ["leafHash", "root"])) {
            expect(verifyInclusion(bad)).toBe(false);
            expect(await onChainInclusion(bad)).toBe(false);
          }
          // Index and size changes: the RFC algorithm may accept another (index, size) with the same path
          // shape, so the contract must agree with core rather than always reject.
          const others: InclusionCase[] = [
            { ...valid, index: (index + 1) % size },
            { ...valid, index: size },
            { ...valid, size: size + 1 },
            { ...valid, size: Math.max(1, size - 1) },
            { ...valid, size: size * 2 },
          ];
          for (const other of others) expect(await onChainInclusion(other)).toBe(verifyInclusion(other));
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("consistency: core's proofs are accepted on chain, mutated ones rejected by both", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.nat({ max: 255 }),
        async (seed, size2, rawSize1, bit) => {
          const store = buildTree(seed, size2);
          const size1 = 1 + (rawSize1 % size2);
          const valid: ConsistencyCase = {
            size1,
            size2,
            root1: rootAt(store, size1),
            root2: rootAt(store, size2),
            proof: consistencyProof(store, size1, size2),
          };
          expect(verifyConsistency(valid)).toBe(true);
          expect(await onChainConsistency(valid)).toBe(true);
          const mutated = hashMutations(valid, bit, ["root1", "root2"]).filter(
            // With equal sizes the only valid proof is empty; the "trailing garbage" mutation covers it.
            (m) =>
              !(
                size1 === size2 &&
                m.proof.length === 0 &&
                m.root1 === valid.root1 &&
                m.root2 === valid.root2
              ),
          );
          for (const bad of mutated) {
            expect(verifyConsistency(bad)).toBe(false);
            expect(await onChainConsistency(bad)).toBe(false);
          }
          // A fork of anchored history: the old tree with one leaf replaced. Neither the honest proof nor
          // the fork's own proof links the forked old root to the honest new root.
          const forkAt = rawSize1 % size1;
          const forkTree = new CompactRange();
          const forkStore = new MemoryNodeStore();
          for (let i = 0; i < size2; i++) {
            const input = new TextEncoder().encode(i === forkAt ? `fork/${seed}/${i}` : `${seed}/${i}`);
            forkStore.putAll(forkTree.appendLeaf(input).nodes);
          }
          const forkRoot1 = rootAt(forkStore, size1);
          const forks: ConsistencyCase[] = [
            { ...valid, root1: forkRoot1 },
            ...(size1 < size2
              ? [{ ...valid, root1: forkRoot1, proof: consistencyProof(forkStore, size1, size2) }]
              : []),
          ];
          for (const fork of forks) {
            expect(verifyConsistency(fork)).toBe(false);
            expect(await onChainConsistency(fork)).toBe(false);
          }
          const sizeChanges: ConsistencyCase[] = [
            { ...valid, size1: size1 + 1 },
            { ...valid, size1: size1 - 1 },
            { ...valid, size2: size2 + 1 },
            { ...valid, size2: size2 - 1 },
          ];
          for (const other of sizeChanges)
            expect(await onChainConsistency(other)).toBe(verifyConsistency(other));
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("large trees: proofs at 2^16 + 3 leaves agree", async () => {
    const size = 65_539;
    const store = buildTree(7, size);
    const root = rootAt(store, size);
    for (const index of [0, 1, 32_768, size - 2, size - 1]) {
      const c: InclusionCase = {
        leafHash: hashLeaf(new TextEncoder().encode(`7/${index}`)),
        index,
        size,
        root,
        proof: inclusionProof(store, index, size),
      };
      expect(await onChainInclusion(c)).toBe(true);
    }
    for (const size1 of [1, 2, 3, 1000, 32_768, 65_536, size - 1]) {
      const c: ConsistencyCase = {
        size1,
        size2: size,
        root1: rootAt(store, size1),
        root2: root,
        proof: consistencyProof(store, size1, size),
      };
      expect(await onChainConsistency(c)).toBe(true);
      expect(await onChainConsistency({ ...c, root1: flip(c.root1, 3) })).toBe(false);
    }
  }, 120_000);
});
