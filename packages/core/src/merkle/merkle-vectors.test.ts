/**
 * Ancora's published Merkle vectors (test-vectors/merkle-roots.json, written by
 * scripts/generate-merkle-vectors.ts from an independent transcription of RFC 9162): recomputed here
 * with the core's builder, node store, proof generator and verifiers.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CompactRange, rootOfLeaves } from "./compact-range.js";
import { EMPTY_ROOT, hashLeaf } from "./hashing.js";
import { MemoryNodeStore } from "./node-store.js";
import { consistencyProof, inclusionProof, rootAt } from "./proof.js";
import { verifyConsistency, verifyInclusion } from "./verify.js";

interface TreeVectors {
  name: string;
  leafInputs: string[];
  roots: Array<{ size: number; root: string }>;
  inclusion: Array<{ index: number; size: number; leafHash: string; proof: string[]; root: string }>;
  consistency: Array<{ size1: number; size2: number; root1: string; root2: string; proof: string[] }>;
}

const file = JSON.parse(
  readFileSync(new URL("../../test-vectors/merkle-roots.json", import.meta.url), "utf8"),
) as { version: number; trees: TreeVectors[] };

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

describe("Ancora Merkle vectors (test-vectors/merkle-roots.json)", () => {
  it("is version 1 with the expected trees and sizes 0..20", () => {
    expect(file.version).toBe(1);
    expect(file.trees.map((t) => t.name)).toEqual(["rfc6962-classic", "cid-leaves"]);
    const cids = file.trees[1] as TreeVectors;
    for (let size = 0; size <= 20; size++) expect(cids.roots.some((r) => r.size === size)).toBe(true);
    expect(Math.max(...cids.roots.map((r) => r.size))).toBe(1025);
  });

  it("agrees with the RFC 6962 reference roots everyone publishes", () => {
    const classic = file.trees[0] as TreeVectors;
    expect(classic.roots.find((r) => r.size === 0)?.root).toBe(hex(EMPTY_ROOT));
    expect(classic.roots.find((r) => r.size === 8)?.root).toBe(
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    );
  });

  describe.each(file.trees)("tree $name", (tree) => {
    const leafHashes = tree.leafInputs.map((input) => hashLeaf(bytes(input)));
    const store = new MemoryNodeStore();
    const builder = new CompactRange();
    const rootsWhileAppending = new Map<number, string>([[0, hex(builder.root())]]);
    for (const leafHash of leafHashes) {
      store.putAll(builder.append(leafHash).nodes);
      rootsWhileAppending.set(builder.size, hex(builder.root()));
    }

    it.each(tree.roots)("root at size $size", ({ size, root }) => {
      expect(rootsWhileAppending.get(size)).toBe(root);
      expect(hex(rootAt(store, size))).toBe(root);
      expect(hex(rootOfLeaves(leafHashes.slice(0, size)))).toBe(root);
    });

    it.each(tree.inclusion)("inclusion of $index at size $size", (v) => {
      expect(hex(leafHashes[v.index] as Uint8Array)).toBe(v.leafHash);
      expect(inclusionProof(store, v.index, v.size).map(hex)).toEqual(v.proof);
      const input = { leafHash: bytes(v.leafHash), index: v.index, size: v.size, proof: v.proof.map(bytes) };
      expect(verifyInclusion({ ...input, root: bytes(v.root) })).toBe(true);
    });

    it("appendLeaves in uneven batches reaches every published root, and stores the same nodes", () => {
      const inputs = tree.leafInputs.map(bytes);
      const batched = new CompactRange();
      const batchedStore = new MemoryNodeStore();
      const wanted = new Map(tree.roots.map(({ size, root }) => [size, root]));
      expect(hex(batched.root())).toBe(wanted.get(0));
      for (let at = 0, step = 1; at < inputs.length; at += step, step = (step % 7) + 1) {
        batchedStore.putAll(batched.appendLeaves(inputs.slice(at, at + step)).nodes);
        const root = wanted.get(batched.size);
        if (root !== undefined) expect(hex(batched.root())).toBe(root);
      }
      for (const { size, root } of tree.roots) expect(hex(rootAt(batchedStore, size))).toBe(root);
    });

    it.each(tree.consistency)("consistency $size1 -> $size2", (v) => {
      expect(consistencyProof(store, v.size1, v.size2).map(hex)).toEqual(v.proof);
      const input = { size1: v.size1, size2: v.size2, root1: bytes(v.root1), root2: bytes(v.root2) };
      expect(verifyConsistency({ ...input, proof: v.proof.map(bytes) })).toBe(true);
    });
  });
});
