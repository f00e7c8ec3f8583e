/**
 * Differential test: the core's SHA-256 (@noble/hashes) against node:crypto (OpenSSL), as noble-hashes
 * checks itself, on random inputs of many lengths, every padding boundary and a large input; and the
 * Merkle functions give identical results whichever of them is injected.
 */
import { createHash, hash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256 } from "./hash.js";
import { CompactRange } from "./merkle/compact-range.js";
import { hashChildren, hashLeaf } from "./merkle/hashing.js";
import { MemoryNodeStore } from "./merkle/node-store.js";
import { consistencyProof, inclusionProof, rootAt } from "./merkle/proof.js";
import { verifyConsistency, verifyInclusion } from "./merkle/verify.js";

const RUNS = process.env.CI === "true" ? 5000 : 500;

const viaCreateHash = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const viaOneShot = (data: Uint8Array) => hash("sha256", data, "buffer");
/** The fastest Node form for short inputs (bench/merkle.bench.ts): "binary" (latin1) maps bytes 1:1 to code units. */
const viaBinary = (data: Uint8Array) => {
  const digest = hash("sha256", data, "binary");
  return Uint8Array.from({ length: digest.length }, (_, i) => digest.charCodeAt(i));
};
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("sha256: @noble/hashes vs node:crypto", () => {
  it("agree on the FIPS 180-4 example and the empty string", () => {
    expect(hex(sha256(new TextEncoder().encode("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(hex(sha256(new Uint8Array(0)))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("agree on every length from 0 to 300 bytes (all padding boundaries of one to five blocks)", () => {
    for (let length = 0; length <= 300; length++) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      const want = hex(viaCreateHash(data));
      expect(hex(sha256(data)), `length ${length}`).toBe(want);
      expect(hex(viaOneShot(data)), `length ${length}`).toBe(want);
      expect(hex(viaBinary(data)), `length ${length}`).toBe(want);
    }
  });

  it("agree on random inputs of random lengths", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (data) => {
        expect(hex(sha256(data))).toBe(hex(viaCreateHash(data)));
        expect(hex(viaBinary(data))).toBe(hex(viaCreateHash(data)));
      }),
      { numRuns: RUNS },
    );
  });

  it("agree on views into larger buffers and on a 5 MiB input", () => {
    const big = Uint8Array.from({ length: 5 * 1024 * 1024 }, (_, i) => (i * 7) & 0xff);
    expect(hex(sha256(big))).toBe(hex(viaCreateHash(big)));
    const view = big.subarray(1000, 1077);
    expect(hex(sha256(view))).toBe(hex(viaCreateHash(view)));
  });

  it("give identical trees, proofs and verdicts when injected into the Merkle functions", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 70 }), (leaves) => {
        const results = [sha256, viaOneShot, viaBinary].map((impl) => {
          const tree = new CompactRange(impl);
          const store = new MemoryNodeStore();
          for (const leaf of leaves) store.putAll(tree.appendLeaf(leaf).nodes);
          const n = leaves.length;
          const m = Math.ceil(n / 2);
          const proof = inclusionProof(store, n - 1, n, impl);
          const consistency = consistencyProof(store, m, n, impl);
          const root = rootAt(store, n, impl);
          const leafHash = hashLeaf(leaves[n - 1] as Uint8Array, impl);
          return {
            root: hex(tree.root()),
            rootAt: hex(root),
            proof: proof.map(hex),
            consistency: consistency.map(hex),
            children: hex(hashChildren(leafHash, root, impl)),
            inclusionOk: verifyInclusion({ leafHash, index: n - 1, size: n, proof, root }, impl),
            consistencyOk: verifyConsistency(
              { size1: m, size2: n, root1: rootAt(store, m, impl), root2: root, proof: consistency },
              impl,
            ),
          };
        });
        expect(results[1]).toEqual(results[0]);
        expect(results[2]).toEqual(results[0]);
        expect(results[0]?.inclusionOk && results[0]?.consistencyOk).toBe(true);
      }),
      { numRuns: Math.ceil(RUNS / 10) },
    );
  });
});
