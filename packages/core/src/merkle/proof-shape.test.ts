import { describe, expect, it } from "vitest";
import { ArgumentError } from "../errors.js";
import { CompactRange } from "./compact-range.js";
import { MemoryNodeStore } from "./node-store.js";
import { consistencyProof, rootAt } from "./proof.js";
import { consistencyProofShape, consistencyProofSizes } from "./proof-shape.js";
import { verifyConsistency } from "./verify.js";

function tree(size: number): MemoryNodeStore {
  const store = new MemoryNodeStore();
  const range = new CompactRange();
  for (let i = 0; i < size; i++) store.putAll(range.appendLeaf(new TextEncoder().encode(`leaf ${i}`)).nodes);
  return store;
}

/** The sizes in (size1, limit] for which the honest proof from size1 to size2 verifies. */
function accepting(store: MemoryNodeStore, size1: number, size2: number, limit: number): number[] {
  const proof = consistencyProof(store, size1, size2);
  const root1 = rootAt(store, size1);
  const root2 = rootAt(store, size2);
  const out: number[] = [];
  for (let n = size1 + 1; n <= limit; n++) {
    if (verifyConsistency({ size1, size2: n, root1, root2, proof })) out.push(n);
  }
  return out;
}

function expand(ranges: readonly { from: number; to: number }[], limit: number): number[] {
  return ranges.flatMap((r) => {
    const out: number[] = [];
    for (let n = r.from; n <= Math.min(r.to, limit); n++) out.push(n);
    return out;
  });
}

describe("consistencyProofSizes", () => {
  it("from size 1, every size with the bit length of size2 − 1 accepts the same proof", () => {
    expect(consistencyProofSizes(1, 705)).toEqual([{ from: 513, to: 1024 }]);
    expect(consistencyProofShape(1, 705)).toBe("R".repeat(10));
    const store = tree(1030);
    const proof = consistencyProof(store, 1, 705);
    const at = (n: number) =>
      verifyConsistency({ size1: 1, size2: n, root1: rootAt(store, 1), root2: rootAt(store, 705), proof });
    expect([at(512), at(513), at(704), at(705), at(1024), at(1025)]).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("is exactly the set of sizes the honest proof verifies for (every pair up to 32, real SHA-256)", () => {
    const limit = 32;
    const store = tree(limit);
    for (let size1 = 1; size1 < limit; size1++) {
      for (let size2 = size1 + 1; size2 <= limit; size2++) {
        const sizes = expand(consistencyProofSizes(size1, size2), limit);
        expect(sizes).toContain(size2);
        expect(sizes, `${size1} → ${size2}`).toEqual(accepting(store, size1, size2, limit));
      }
    }
  });

  it("covers sizes near 2^53 without leaving the safe integers", () => {
    const size1 = 2 ** 52 + 3;
    const ranges = consistencyProofSizes(size1, Number.MAX_SAFE_INTEGER);
    expect(ranges.length).toBeGreaterThan(0);
    for (const r of ranges) {
      expect(Number.isSafeInteger(r.to)).toBe(true);
      expect(r.from).toBeGreaterThan(size1);
    }
    expect(ranges.some((r) => r.from <= Number.MAX_SAFE_INTEGER && Number.MAX_SAFE_INTEGER <= r.to)).toBe(
      true,
    );
  });

  it("refuses sizes that have no consistency proof", () => {
    for (const [a, b] of [
      [0, 5],
      [5, 5],
      [6, 5],
      [1.5, 4],
      [1, Number.MAX_SAFE_INTEGER + 1],
    ] as const) {
      expect(() => consistencyProofSizes(a, b)).toThrow(ArgumentError);
    }
  });
});
