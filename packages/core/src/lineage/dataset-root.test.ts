import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArgumentError } from "../errors.js";
import { sha256 } from "../hash.js";
import { rootOfLeaves } from "../merkle/compact-range.js";
import { hashChildren, hashLeaf } from "../merkle/hashing.js";
import { datasetRoot, sampleProof, verifySampleInDataset, verifySampleProof } from "./dataset-root.js";

const RUNS = process.env.CI === "true" ? 200 : 40;
const sample = (i: number) => sha256(new TextEncoder().encode(`sample-${i}`));
const samples = fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), {
  minLength: 1,
  maxLength: 40,
  selector: (b) => Buffer.from(b).toString("hex"),
});

describe("datasetRoot", () => {
  it("is the RFC 9162 tree head over the sample hashes as leaf inputs", () => {
    const [a, b, c] = [sample(0), sample(1), sample(2)];
    expect(datasetRoot([a])).toEqual(hashLeaf(a));
    const expected = hashChildren(hashChildren(hashLeaf(a), hashLeaf(b)), hashLeaf(c));
    expect(datasetRoot([a, b, c])).toEqual(expected);
    expect(datasetRoot([a, b, c])).toEqual(rootOfLeaves([a, b, c].map((s) => hashLeaf(s))));
  });

  it("depends on the order of the samples", () => {
    expect(datasetRoot([sample(0), sample(1)])).not.toEqual(datasetRoot([sample(1), sample(0)]));
  });

  it("refuses an empty list and hashes that are not 32 bytes", () => {
    expect(() => datasetRoot([])).toThrow(ArgumentError);
    expect(() => datasetRoot([sample(0), new Uint8Array(31)])).toThrow(ArgumentError);
    expect(() => datasetRoot(["x" as unknown as Uint8Array])).toThrow(ArgumentError);
  });
});

describe("sample membership proofs", () => {
  it("every sample proves its membership (property)", () => {
    fc.assert(
      fc.property(samples, (hashes) => {
        const root = datasetRoot(hashes);
        hashes.forEach((s, index) => {
          const proof = sampleProof(hashes, index);
          expect(proof.size).toBe(hashes.length);
          expect(verifySampleProof({ sample: s, root, ...proof })).toBe(true);
          expect(verifySampleInDataset({ root, samples: hashes.length }, s, proof)).toBe(true);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("a sample that is not in the split never proves, at any index (property)", () => {
    fc.assert(
      fc.property(samples, fc.uint8Array({ minLength: 32, maxLength: 32 }), (hashes, outsider) => {
        fc.pre(!hashes.some((h) => Buffer.from(h).equals(Buffer.from(outsider))));
        const root = datasetRoot(hashes);
        for (let index = 0; index < hashes.length; index++) {
          const proof = sampleProof(hashes, index);
          expect(verifySampleProof({ sample: outsider, root, ...proof })).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("fails for a wrong index, size, root or proof, and for malformed input, without throwing", () => {
    const hashes = Array.from({ length: 7 }, (_, i) => sample(i));
    const root = datasetRoot(hashes);
    const proof = sampleProof(hashes, 3);
    expect(verifySampleProof({ sample: hashes[3] as Uint8Array, root, ...proof, index: 4 })).toBe(false);
    expect(verifySampleProof({ sample: hashes[3] as Uint8Array, root, ...proof, size: 2 })).toBe(false);
    expect(verifySampleProof({ sample: hashes[3] as Uint8Array, root: sample(99), ...proof })).toBe(false);
    expect(
      verifySampleProof({ sample: hashes[3] as Uint8Array, root, ...proof, proof: proof.proof.slice(1) }),
    ).toBe(false);
    expect(verifySampleProof({ sample: new Uint8Array(5), root, ...proof })).toBe(false);
    expect(verifySampleProof(null as never)).toBe(false);
    expect(verifySampleInDataset({ root, samples: 8 }, hashes[3] as Uint8Array, proof)).toBe(false);
    expect(verifySampleInDataset({ root, samples: 7 }, hashes[3] as Uint8Array, null as never)).toBe(false);
  });

  it("refuses an index outside the list", () => {
    expect(() => sampleProof([sample(0)], 1)).toThrow(ArgumentError);
    expect(() => sampleProof([sample(0)], -1)).toThrow(ArgumentError);
    expect(() => sampleProof([sample(0)], 0.5)).toThrow(ArgumentError);
  });
});
