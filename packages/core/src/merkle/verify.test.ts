/**
 * The verifiers on hostile input: whatever arrives (wrong types, wrong lengths, huge or negative or
 * fractional sizes, garbage proofs), the boolean verifiers answer false and never throw, and the
 * assert variants throw only a VerificationError with JSON-safe evidence.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VerificationError } from "../errors.js";
import { CompactRange } from "./compact-range.js";
import { MemoryNodeStore } from "./node-store.js";
import { consistencyProof, inclusionProof, rootAt } from "./proof.js";
import {
  assertConsistency,
  assertInclusion,
  type ConsistencyProofInput,
  type InclusionProofInput,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from "./verify.js";

const RUNS = process.env.CI === "true" ? 2000 : 200;

const store = new MemoryNodeStore();
const tree = new CompactRange();
for (let i = 0; i < 21; i++) store.putAll(tree.appendLeaf(Uint8Array.of(i)).nodes);

const leafHash5 = store.node(0, 5) as Uint8Array;
const goodInclusion: InclusionProofInput = {
  leafHash: leafHash5,
  index: 5,
  size: 21,
  proof: inclusionProof(store, 5, 21),
  root: rootAt(store, 21),
};
const goodConsistency: ConsistencyProofInput = {
  size1: 6,
  size2: 21,
  root1: rootAt(store, 6),
  root2: rootAt(store, 21),
  proof: consistencyProof(store, 6, 21),
};

/** Casts hostile values through the typed API, as JSON from a stranger would arrive. */
const hostile = <T>(value: unknown) => value as T;

const badNumbers: unknown[] = [
  -1,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  2 ** 64,
  "5",
  5n,
  null,
  undefined,
  {},
  [5],
];
const badHashes: unknown[] = [
  new Uint8Array(31),
  new Uint8Array(33),
  new Uint8Array(0),
  new Uint16Array(16),
  Array.from({ length: 32 }, () => 0),
  "00".repeat(32),
  new ArrayBuffer(32),
  null,
  undefined,
  42,
];
const badProofs: unknown[] = [
  null,
  undefined,
  "proof",
  {},
  { length: 5 },
  [new Uint8Array(31)],
  [null],
  Array.from({ length: 65 }, () => new Uint8Array(32)),
  Array.from({ length: 100_000 }, () => new Uint8Array(32)),
  // biome-ignore lint/suspicious/noSparseArray: a sparse array is exactly the hostile input tested here
  [, new Uint8Array(32)],
];

describe("verifyInclusion", () => {
  it("accepts the valid proof the malformed cases below are derived from", () => {
    expect(verifyInclusion(goodInclusion)).toBe(true);
    expect(rootFromInclusionProof(goodInclusion)).toEqual(goodInclusion.root);
  });

  it.each([
    ...badNumbers.map((v) => ["index", v] as const),
    ...badNumbers.map((v) => ["size", v] as const),
    ...badHashes.map((v) => ["leafHash", v] as const),
    ...badHashes.map((v) => ["root", v] as const),
    ...badProofs.map((v) => ["proof", v] as const),
  ])("is false for a malformed %s (%#)", (field, value) => {
    const input = hostile<InclusionProofInput>({ ...goodInclusion, [field]: value });
    expect(verifyInclusion(input)).toBe(false);
    if (field !== "root") expect(rootFromInclusionProof(input)).toBeUndefined();
  });

  it("is false for inputs that are not objects", () => {
    for (const input of [null, undefined, 0, "x", [], () => 0]) {
      expect(verifyInclusion(hostile(input))).toBe(false);
      expect(rootFromInclusionProof(hostile(input))).toBeUndefined();
    }
  });

  it("is false for a proof that is one hash too long or too short", () => {
    const { proof } = goodInclusion;
    expect(verifyInclusion({ ...goodInclusion, proof: [...proof, new Uint8Array(32)] })).toBe(false);
    expect(verifyInclusion({ ...goodInclusion, proof: proof.slice(0, -1) })).toBe(false);
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(
        fc.record({
          leafHash: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.anything()),
          index: fc.oneof(fc.nat(64), fc.double(), fc.anything()),
          size: fc.oneof(fc.nat(64), fc.maxSafeNat(), fc.double(), fc.anything()),
          proof: fc.oneof(
            fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }), { maxLength: 8 }),
            fc.anything(),
          ),
          root: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.anything()),
        }),
        (input) => {
          // Random bytes can form a valid proof (size 1, no proof, root = leaf hash): only the
          // agreement of the two variants and the absence of other exceptions is asserted.
          const ok = verifyInclusion(hostile(input));
          expect(typeof ok).toBe("boolean");
          if (ok) expect(() => assertInclusion(hostile(input))).not.toThrow();
          else expect(() => assertInclusion(hostile(input))).toThrow(VerificationError);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("handles sizes and indices beyond 2^32 exactly (bit arithmetic must not wrap)", () => {
    // In a tree of 2^32 + 1 leaves, the last leaf's path is one left sibling: the perfect root of the
    // first 2^32 leaves. A verifier using 32-bit shifts would see size - 1 = 0 and reject the proof.
    const left = new Uint8Array(32).fill(7);
    const leaf = new Uint8Array(32).fill(9);
    const input = { leafHash: leaf, index: 2 ** 32, size: 2 ** 32 + 1, proof: [left] };
    const root = rootFromInclusionProof(input);
    expect(root).toBeDefined();
    expect(verifyInclusion({ ...input, root: root as Uint8Array })).toBe(true);
    expect(verifyInclusion({ ...input, index: 0, root: root as Uint8Array })).toBe(false);
    // The largest safe size still works: index 2^53 - 2 is the last leaf, one hash per set bit above it.
    const big = { leafHash: leaf, index: 2 ** 53 - 2, size: 2 ** 53 - 1, proof: Array(52).fill(left) };
    expect(rootFromInclusionProof(big)).toBeDefined();
    expect(rootFromInclusionProof({ ...big, proof: Array(53).fill(left) })).toBeUndefined();
  });
});

describe("verifyConsistency", () => {
  it("accepts the valid proof the malformed cases below are derived from", () => {
    expect(verifyConsistency(goodConsistency)).toBe(true);
  });

  it.each([
    ...badNumbers.map((v) => ["size1", v] as const),
    ...badNumbers.map((v) => ["size2", v] as const),
    ...badHashes.map((v) => ["root1", v] as const),
    ...badHashes.map((v) => ["root2", v] as const),
    ...badProofs.map((v) => ["proof", v] as const),
  ])("is false for a malformed %s (%#)", (field, value) => {
    expect(verifyConsistency(hostile({ ...goodConsistency, [field]: value }))).toBe(false);
  });

  it("refuses size1 = 0, size1 > size2, and equal sizes with a proof or different roots", () => {
    const { root1, root2 } = goodConsistency;
    expect(verifyConsistency({ size1: 0, size2: 21, root1, root2, proof: [] })).toBe(false);
    expect(verifyConsistency({ size1: 0, size2: 0, root1, root2: root1, proof: [] })).toBe(false);
    expect(verifyConsistency({ size1: 21, size2: 6, root1: root2, root2: root1, proof: [] })).toBe(false);
    expect(verifyConsistency({ size1: 21, size2: 21, root1: root2, root2, proof: [root2] })).toBe(false);
    expect(verifyConsistency({ size1: 6, size2: 6, root1, root2, proof: [] })).toBe(false);
    expect(verifyConsistency({ size1: 6, size2: 6, root1, root2: new Uint8Array(root1), proof: [] })).toBe(
      true,
    );
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(
        fc.record({
          size1: fc.oneof(fc.nat(64), fc.double(), fc.anything()),
          size2: fc.oneof(fc.nat(64), fc.maxSafeNat(), fc.double(), fc.anything()),
          root1: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.anything()),
          root2: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.anything()),
          proof: fc.oneof(
            fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }), { maxLength: 8 }),
            fc.anything(),
          ),
        }),
        (input) => {
          const ok = verifyConsistency(hostile(input));
          expect(typeof ok).toBe("boolean");
          if (ok) expect(() => assertConsistency(hostile(input))).not.toThrow();
          else expect(() => assertConsistency(hostile(input))).toThrow(VerificationError);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("assertInclusion / assertConsistency", () => {
  it("pass silently on valid proofs", () => {
    expect(() => assertInclusion(goodInclusion)).not.toThrow();
    expect(() => assertConsistency(goodConsistency)).not.toThrow();
  });

  it("throw INCLUSION_PROOF_INVALID with evidence a third party can re-check", () => {
    const wrongRoot = rootAt(store, 20);
    const error = catchError(() => assertInclusion({ ...goodInclusion, root: wrongRoot }));
    expect(error).toBeInstanceOf(VerificationError);
    expect(error.code).toBe("INCLUSION_PROOF_INVALID");
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    expect(error.evidence).toEqual({
      reason: "the proof leads to a different root",
      index: 5,
      size: 21,
      leafHash: hex(goodInclusion.leafHash),
      root: hex(wrongRoot),
      proof: goodInclusion.proof.map(hex),
      computedRoot: hex(goodInclusion.root),
    });
    expect(JSON.parse(JSON.stringify(error.toJSON())).evidence).toEqual(error.evidence);
  });

  it("throw CONSISTENCY_PROOF_INVALID with the reason and bounded evidence for garbage", () => {
    const huge = Array.from({ length: 100_000 }, () => new Uint8Array(32));
    const error = catchError(() => assertConsistency({ ...goodConsistency, proof: huge }));
    expect(error.code).toBe("CONSISTENCY_PROOF_INVALID");
    expect(error.evidence?.reason).toBe("proof has more than 64 hashes");
    expect(error.evidence?.proof).toBe("(100000 elements)");
    const tooShort = catchError(() =>
      assertConsistency({ ...goodConsistency, proof: goodConsistency.proof.slice(0, -1) }),
    );
    expect(tooShort.evidence?.reason).toBe("the proof is too short");
  });
});

function catchError(fn: () => void): VerificationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof VerificationError) return error;
    throw error;
  }
  throw new Error("expected a VerificationError");
}
