/**
 * Batch hashing and batch appends: the 4-lane WebAssembly SHA-256 against node:crypto, its one-by-one
 * fallback against both, and `appendLeaves` against `appendLeaf` (itself checked against RFC 9162 and
 * the published vectors) for random tree sizes and batches: same root, state and completed nodes.
 */
import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256 as nobleSha256 } from "../hash.js";
import { createBatchHasher, MAX_BATCH_LEAF_INPUT } from "./batch-hashing.js";
import { CompactRange } from "./compact-range.js";
import type { MerkleNode } from "./node-store.js";

const RUNS = process.env.CI === "true" ? 300 : 50;
const nodeSha256 = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const sha = (...parts: Uint8Array[]) => nodeSha256(Buffer.concat(parts));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const split = (flat: Uint8Array) =>
  Array.from({ length: flat.length / 32 }, (_, i) => hex(flat.subarray(i * 32, (i + 1) * 32)));

describe("batch hashing", () => {
  const simd = createBatchHasher(nodeSha256);
  const fallback = createBatchHasher(nodeSha256, { simd: false });

  it("runs on WebAssembly SIMD in Node, and falls back when asked", () => {
    expect(simd.simd).toBe(true);
    expect(fallback.simd).toBe(false);
  });

  it("hashes leaves of every length that fits one block, in batches of every size, as node:crypto does", () => {
    for (let length = 1; length <= MAX_BATCH_LEAF_INPUT; length++) {
      for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 33]) {
        const inputs = Array.from({ length: n }, () => new Uint8Array(randomBytes(length)));
        const want = inputs.map((input) => hex(sha(new Uint8Array([0]), input)));
        expect(split(simd.leafHashes(inputs))).toEqual(want);
        expect(split(fallback.leafHashes(inputs))).toEqual(want);
      }
    }
    expect(simd.leafHashes([])).toHaveLength(0);
  });

  it("hashes leaves that do not fit one block, or differ in length, one by one with the same result", () => {
    const inputs = [randomBytes(36), randomBytes(55), randomBytes(200), randomBytes(0), randomBytes(36)].map(
      (b) => new Uint8Array(b),
    );
    const want = inputs.map((input) => hex(sha(new Uint8Array([0]), input)));
    expect(split(simd.leafHashes(inputs))).toEqual(want);
  });

  it("hashes sibling pairs as node:crypto does, whatever the batch size, reusing its scratch memory", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 54 }), (pairs, leafLength) => {
        // Leaf hashes first, so the scratch area's leaf padding is overwritten by node inputs and back.
        simd.leafHashes([new Uint8Array(leafLength)]);
        const items = new Uint8Array(randomBytes(pairs * 64));
        const want = Array.from({ length: pairs }, (_, i) =>
          hex(sha(new Uint8Array([1]), items.subarray(i * 64, i * 64 + 64))),
        );
        expect(split(simd.nodeHashes(items, pairs))).toEqual(want);
        expect(split(fallback.nodeHashes(items, pairs))).toEqual(want);
        const leaf = new Uint8Array(randomBytes(leafLength));
        expect(split(simd.leafHashes([leaf]))).toEqual([hex(sha(new Uint8Array([0]), leaf))]);
      }),
      { numRuns: RUNS },
    );
  });

  it("grows its memory for large batches", () => {
    const inputs = Array.from({ length: 5_000 }, (_, i) => new Uint8Array(36).fill(i % 251));
    const flat = simd.leafHashes(inputs);
    expect(split(flat)[4_999]).toBe(hex(sha(new Uint8Array([0]), inputs[4_999] as Uint8Array)));
  });
});

/** Nodes by position, for comparing what two ways of appending completed (order aside). */
const byPosition = (nodes: readonly MerkleNode[]) =>
  new Map(nodes.map((n) => [`${n.level}/${n.index}`, hex(n.hash)]));

describe("CompactRange.appendLeaves", () => {
  it("equals appending one by one: root, state and completed nodes, from any size, in any batches", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_500 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (start, batches, noble) => {
          const sha256 = noble ? nobleSha256 : nodeSha256;
          const one = new CompactRange(sha256);
          const many = new CompactRange(sha256);
          const leaf = (i: number) => {
            const cid = new Uint8Array(36);
            new DataView(cid.buffer).setUint32(0, i);
            return cid;
          };
          for (let i = 0; i < start; i++) one.appendLeaf(leaf(i));
          many.appendLeaves(Array.from({ length: start }, (_, i) => leaf(i)));
          expect(many.state()).toEqual(one.state());
          let next = start;
          for (const size of batches) {
            const inputs = Array.from({ length: size }, (_, i) => leaf(next + i));
            const expected: MerkleNode[] = [];
            for (const input of inputs) expected.push(...one.appendLeaf(input).nodes);
            const result = many.appendLeaves(inputs);
            expect(result.index).toBe(next);
            expect(result.count).toBe(size);
            expect(byPosition(result.nodes)).toEqual(byPosition(expected));
            expect(result.nodes).toHaveLength(expected.length);
            expect(many.state()).toEqual(one.state());
            expect(hex(many.root())).toBe(hex(one.root()));
            next += size;
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("rejects inputs that are not byte arrays and leaves the tree as it was", () => {
    const tree = new CompactRange(nodeSha256);
    tree.appendLeaves([new Uint8Array(36)]);
    const before = tree.state();
    expect(() => tree.appendLeaves([new Uint8Array(36), "x" as unknown as Uint8Array])).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(tree.state()).toEqual(before);
  });
});
