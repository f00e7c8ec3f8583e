/**
 * Batch appends: `appendLeaves` against `appendLeaf` (itself checked against RFC 9162 and the published
 * vectors, as is `appendLeaves` in merkle-vectors.test.ts) for random tree sizes, batches and leaf
 * lengths: same root, state and completed nodes.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256 as nobleSha256 } from "../hash.js";
import { CompactRange } from "./compact-range.js";
import type { MerkleNode } from "./node-store.js";

const RUNS = process.env.CI === "true" ? 300 : 50;
const nodeSha256 = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

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
        fc.constantFrom(36, 0, 55, 200, -1),
        (start, batches, noble, length) => {
          const sha256 = noble ? nobleSha256 : nodeSha256;
          const one = new CompactRange(sha256);
          const many = new CompactRange(sha256);
          // CIDs are 36 bytes; other lengths, and mixed lengths (-1), give the same result.
          const leaf = (i: number) => {
            const input = new Uint8Array(Math.max(4, length === -1 ? (i * 37) % 120 : length));
            new DataView(input.buffer).setUint32(0, i);
            return length === 0 ? new Uint8Array(0) : input;
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
