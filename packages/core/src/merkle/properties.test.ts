/**
 * Property tests: the builder, the node store and the proof generator against a naive reference that
 * transcribes RFC 9162's recursive definitions (MTH §2.1.1, PATH §2.1.3.1, PROOF/SUBPROOF §2.1.4.1)
 * over leaf inputs, hashing with node:crypto; and the verifiers against every single-bit mutation.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompactRange, rootOfLeaves } from "./compact-range.js";
import { hashLeaf } from "./hashing.js";
import { MemoryNodeStore } from "./node-store.js";
import { consistencyProof, inclusionProof, rootAt } from "./proof.js";
import { verifyConsistency, verifyInclusion } from "./verify.js";

const RUNS = process.env.CI === "true" ? 500 : 60;

// ---------------------------------------------------------------------------------------------------
// Reference: RFC 9162 §2.1 word for word, over D[start:end] of the leaf inputs, memoised on the range.

function sha(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

/** The largest power of two smaller than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

class Reference {
  readonly #memo = new Map<string, Uint8Array>();
  readonly leaves: readonly Uint8Array[];
  constructor(leaves: readonly Uint8Array[]) {
    this.leaves = leaves;
  }

  /** MTH(D[start:end]). */
  mth(start: number, end: number): Uint8Array {
    const key = `${start}:${end}`;
    let hash = this.#memo.get(key);
    if (hash === undefined) {
      const n = end - start;
      if (n === 0) hash = sha();
      else if (n === 1) hash = sha(Uint8Array.of(0), this.leaves[start] as Uint8Array);
      else {
        const k = splitPoint(n);
        hash = sha(Uint8Array.of(1), this.mth(start, start + k), this.mth(start + k, end));
      }
      this.#memo.set(key, hash);
    }
    return hash;
  }

  /** PATH(m, D[start:end]), with the side of each element ("L": the sibling is on the left). */
  path(m: number, start: number, end: number): Array<{ hash: Uint8Array; side: "L" | "R" }> {
    const n = end - start;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.path(m, start, start + k), { hash: this.mth(start + k, end), side: "R" }];
    return [...this.path(m - k, start + k, end), { hash: this.mth(start, start + k), side: "L" }];
  }

  /** PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true). */
  proof(m: number, n: number): Uint8Array[] {
    return this.#subproof(m, 0, n, true);
  }

  #subproof(m: number, start: number, end: number, b: boolean): Uint8Array[] {
    const n = end - start;
    if (m === n) return b ? [] : [this.mth(start, end)];
    const k = splitPoint(n);
    if (m <= k) return [...this.#subproof(m, start, start + k, b), this.mth(start + k, end)];
    return [...this.#subproof(m - k, start + k, end, false), this.mth(start, start + k)];
  }
}

// ---------------------------------------------------------------------------------------------------

/** Distinct leaf inputs: a random prefix plus the leaf's position, so no two leaves are equal. */
const leavesArb = (min: number, max: number) =>
  fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: min, maxLength: max }).map((prefixes) =>
    prefixes.map((prefix, i) => {
      const out = new Uint8Array(prefix.length + 4);
      out.set(prefix);
      new DataView(out.buffer).setUint32(prefix.length, i);
      return out;
    }),
  );

function build(leaves: readonly Uint8Array[]): { tree: CompactRange; store: MemoryNodeStore } {
  const tree = new CompactRange();
  const store = new MemoryNodeStore();
  for (const leaf of leaves) store.putAll(tree.appendLeaf(leaf).nodes);
  return { tree, store };
}

/** A tree of 1..max leaves with a size m in [1, n] and an index i in [0, m). */
const treeSizeIndexArb = (max: number) =>
  leavesArb(1, max).chain((leaves) =>
    fc
      .integer({ min: 1, max: leaves.length })
      .chain((m) => fc.tuple(fc.constant(leaves), fc.constant(m), fc.integer({ min: 0, max: m - 1 }))),
  );

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const hexAll = (list: readonly Uint8Array[]) => list.map(hex);

describe("builder and node store against the RFC 9162 reference", () => {
  it("root(), rootOfLeaves and rootAt at every earlier size equal MTH", () => {
    fc.assert(
      fc.property(leavesArb(0, 200), (leaves) => {
        const ref = new Reference(leaves);
        const { tree, store } = build(leaves);
        expect(tree.size).toBe(leaves.length);
        expect(hex(tree.root())).toBe(hex(ref.mth(0, leaves.length)));
        expect(hex(rootOfLeaves(leaves.map((l) => hashLeaf(l))))).toBe(hex(ref.mth(0, leaves.length)));
        for (let m = 0; m <= leaves.length; m++) expect(hex(rootAt(store, m))).toBe(hex(ref.mth(0, m)));
      }),
      { numRuns: RUNS },
    );
  });

  it("root() is right after every append, and appends report exactly the perfect subtrees they complete", () => {
    fc.assert(
      fc.property(leavesArb(0, 80), (leaves) => {
        const ref = new Reference(leaves);
        const tree = new CompactRange();
        const reported = new Set<string>();
        leaves.forEach((leaf, i) => {
          const { index, nodes } = tree.appendLeaf(leaf);
          expect(index).toBe(i);
          for (const { level, index: at, hash } of nodes) {
            const begin = at * 2 ** level;
            const end = begin + 2 ** level;
            expect(end).toBe(i + 1); // completed by this leaf
            expect(hex(hash)).toBe(hex(ref.mth(begin, end)));
            reported.add(`${level}:${at}`);
          }
          expect(hex(tree.root())).toBe(hex(ref.mth(0, i + 1)));
        });
        // Every perfect subtree inside [0, n) was reported once: n at level 0, floor(n/2) at level 1, ...
        let expected = 0;
        for (let w = 1; w <= leaves.length; w *= 2) expected += Math.floor(leaves.length / w);
        expect(reported.size).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it("a builder resumed from state() or from the store continues identically", () => {
    fc.assert(
      fc.property(leavesArb(0, 100), fc.nat(), (leaves, cut) => {
        const split = leaves.length === 0 ? 0 : cut % (leaves.length + 1);
        const { tree: first, store } = build(leaves.slice(0, split));
        const fromState = CompactRange.fromState(JSON.parse(JSON.stringify(first.state())));
        const fromReader = CompactRange.fromReader(store, split);
        for (const leaf of leaves.slice(split)) {
          first.appendLeaf(leaf);
          fromState.appendLeaf(leaf);
          fromReader.appendLeaf(leaf);
        }
        const want = hex(new Reference(leaves).mth(0, leaves.length));
        expect([hex(first.root()), hex(fromState.root()), hex(fromReader.root())]).toEqual([
          want,
          want,
          want,
        ]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("inclusion proofs", () => {
  it("every leaf of a random tree is provable at a random historical size, with the reference's proof", () => {
    fc.assert(
      fc.property(treeSizeIndexArb(150), ([leaves, m]) => {
        const ref = new Reference(leaves);
        const { store } = build(leaves);
        const root = rootAt(store, m);
        for (let i = 0; i < m; i++) {
          const proof = inclusionProof(store, i, m);
          expect(hexAll(proof)).toEqual(hexAll(ref.path(i, 0, m).map((p) => p.hash)));
          const leafHash = hashLeaf(leaves[i] as Uint8Array);
          expect(verifyInclusion({ leafHash, index: i, size: m, proof, root })).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("fails after any single-bit change to a proof element, the leaf hash or the root", () => {
    fc.assert(
      fc.property(treeSizeIndexArb(150), fc.nat(), fc.nat(255), (input, pick, bit) => {
        const [leaves, m, i] = input;
        const { store } = build(leaves);
        const valid = {
          leafHash: hashLeaf(leaves[i] as Uint8Array),
          index: i,
          size: m,
          proof: inclusionProof(store, i, m),
          root: rootAt(store, m),
        };
        expect(verifyInclusion(valid)).toBe(true);
        const target = pick % (valid.proof.length + 2);
        const mutated =
          target === 0
            ? { ...valid, leafHash: flipBit(valid.leafHash, bit) }
            : target === 1
              ? { ...valid, root: flipBit(valid.root, bit) }
              : { ...valid, proof: valid.proof.map((p, j) => (j === target - 2 ? flipBit(p, bit) : p)) };
        expect(verifyInclusion(mutated)).toBe(false);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it("fails for any other index; for another size it passes exactly when the path has the same shape", () => {
    // RFC 9162 proofs do not bind the tree size: (index 0, size 3) and (0, 4) hash the same way. The
    // size is authenticated by the checkpoint that carries the root, never by the proof alone.
    fc.assert(
      fc.property(treeSizeIndexArb(100), fc.integer({ min: -3, max: 300 }), (input, other) => {
        const [leaves, m, i] = input;
        const ref = new Reference(leaves);
        const { store } = build(leaves);
        const valid = {
          leafHash: hashLeaf(leaves[i] as Uint8Array),
          index: i,
          size: m,
          proof: inclusionProof(store, i, m),
          root: rootAt(store, m),
        };
        if (other !== i) expect(verifyInclusion({ ...valid, index: other })).toBe(false);
        if (other !== m) {
          const sameShape =
            other > i &&
            ref
              .path(i, 0, m)
              .map((p) => p.side)
              .join("") === shapeOf(i, other).join("");
          expect(verifyInclusion({ ...valid, size: other })).toBe(sameShape);
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });
});

/** Sides of PATH(m, D[0:n]) from the recursion alone (no hashing). */
function shapeOf(m: number, n: number): Array<"L" | "R"> {
  if (n === 1) return [];
  const k = splitPoint(n);
  return m < k ? [...shapeOf(m, k), "R"] : [...shapeOf(m - k, n - k), "L"];
}

describe("consistency proofs", () => {
  it("every pair 0 < m <= n of a random tree has the reference's proof, and it verifies", () => {
    fc.assert(
      fc.property(leavesArb(1, 40), (leaves) => {
        const ref = new Reference(leaves);
        const { store } = build(leaves);
        for (let n = 1; n <= leaves.length; n++) {
          for (let m = 1; m <= n; m++) {
            const proof = consistencyProof(store, m, n);
            expect(hexAll(proof)).toEqual(hexAll(ref.proof(m, n)));
            const input = { size1: m, size2: n, root1: ref.mth(0, m), root2: ref.mth(0, n), proof };
            expect(verifyConsistency(input)).toBe(true);
          }
        }
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  it("random pairs in larger trees have the reference's proof, and verify", () => {
    fc.assert(
      fc.property(treeSizeIndexArb(600), fc.nat(), ([leaves, n], pick) => {
        const m = 1 + (pick % n);
        const ref = new Reference(leaves);
        const { store } = build(leaves);
        const proof = consistencyProof(store, m, n);
        expect(hexAll(proof)).toEqual(hexAll(ref.proof(m, n)));
        expect(
          verifyConsistency({ size1: m, size2: n, root1: rootAt(store, m), root2: rootAt(store, n), proof }),
        ).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("fails after any single-bit change to a proof element or a root", () => {
    fc.assert(
      fc.property(treeSizeIndexArb(150), fc.nat(), fc.nat(255), ([leaves, n], pick, bit) => {
        const m = 1 + (pick % n);
        const { store } = build(leaves);
        const valid = {
          size1: m,
          size2: n,
          root1: rootAt(store, m),
          root2: rootAt(store, n),
          proof: consistencyProof(store, m, n),
        };
        expect(verifyConsistency(valid)).toBe(true);
        const target = pick % (valid.proof.length + 2);
        const mutated =
          target === 0
            ? { ...valid, root1: flipBit(valid.root1, bit) }
            : target === 1
              ? { ...valid, root2: flipBit(valid.root2, bit) }
              : { ...valid, proof: valid.proof.map((p, j) => (j === target - 2 ? flipBit(p, bit) : p)) };
        expect(verifyConsistency(mutated)).toBe(false);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it("with a changed size, passes exactly when PROOF has the same shape for the new sizes", () => {
    // As for inclusion, the sizes are bound by the checkpoints that carry the roots, not by the proof:
    // PROOF(1, D[7]) also verifies as (1, 5) against the same two roots, since both hash identically.
    fc.assert(
      fc.property(
        treeSizeIndexArb(150),
        fc.nat(),
        fc.integer({ min: -2, max: 300 }),
        ([leaves, n], pick, other) => {
          const m = 1 + (pick % n);
          const { store } = build(leaves);
          const valid = {
            size1: m,
            size2: n,
            root1: rootAt(store, m),
            root2: rootAt(store, n),
            proof: consistencyProof(store, m, n),
          };
          const shape = consistencyShapeOf(m, n);
          if (other !== m) {
            const sameShape = other > 0 && other <= n && consistencyShapeOf(other, n) === shape;
            expect(verifyConsistency({ ...valid, size1: other })).toBe(sameShape);
          }
          if (other !== n) {
            const sameShape = other >= m && consistencyShapeOf(m, other) === shape;
            expect(verifyConsistency({ ...valid, size2: other })).toBe(sameShape);
          }
        },
      ),
      { numRuns: RUNS * 4 },
    );
  });
});

/**
 * The steps of SUBPROOF(m, D[n], true) from the recursion alone: "T"/"F" for the m = n case with b
 * true (nothing emitted) or false (the subtree's root emitted), then per level "R" (a right sibling,
 * only in the new tree) or "L" (a left sibling, in both trees). The verifier's work depends on nothing else.
 */
function consistencyShapeOf(m: number, n: number, b = true): string {
  if (m === n) return b ? "T" : "F";
  const k = splitPoint(n);
  return m <= k ? `${consistencyShapeOf(m, k, b)}R` : `${consistencyShapeOf(m - k, n - k, false)}L`;
}
