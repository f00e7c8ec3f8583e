/**
 * A dataset split's commitment: the RFC 9162 Merkle tree head over its samples' 32-byte hashes, in
 * sample order (leaf = SHA-256(0x00 || sample hash), node = SHA-256(0x01 || left || right)). A `dataset-split`
 * record carries the root; an inclusion proof then shows that one sample was in the split (and so in
 * every training run that names the dataset record) without publishing the other samples.
 *
 * How a sample is hashed is the caller's choice (SHA-256 of its canonical bytes, a salted or keyed
 * hash for personal data); the tree only needs 32 bytes per sample.
 */
import { ArgumentError } from "../errors.js";
import { sha256 as defaultSha256, type Sha256 } from "../hash.js";
import { CompactRange, rootOfLeaves } from "../merkle/compact-range.js";
import { HASH_SIZE, hashLeaf } from "../merkle/hashing.js";
import { MemoryNodeStore } from "../merkle/node-store.js";
import { inclusionProof } from "../merkle/proof.js";
import { verifyInclusion } from "../merkle/verify.js";
import type { DatasetBody } from "../records/types.js";

/** That one sample is leaf `index` of a dataset tree of `size` samples (RFC 9162 §2.1.3.1 PATH). */
export interface SampleProof {
  /** 0-based position of the sample in the split. */
  readonly index: number;
  /** Number of samples in the split (the dataset record's `samples`). */
  readonly size: number;
  /** Sibling hashes from the leaf up, 32 bytes each. */
  readonly proof: readonly Uint8Array[];
}

function checkSamples(sampleHashes: readonly Uint8Array[], what: string): void {
  if (!Array.isArray(sampleHashes) || sampleHashes.length === 0) {
    throw new ArgumentError(`${what}: expected a non-empty list of 32-byte sample hashes`, {
      hint: "A dataset record has at least one sample.",
    });
  }
  for (let i = 0; i < sampleHashes.length; i++) {
    const sample = sampleHashes[i];
    if (!(sample instanceof Uint8Array) || sample.length !== HASH_SIZE) {
      throw new ArgumentError(`${what}: sample hash ${i} is not 32 bytes`, {
        hint: "Hash each sample with SHA-256 (or a keyed hash) first.",
        evidence: { index: i },
      });
    }
  }
}

/**
 * The Merkle root of a dataset split: MTH over `sampleHashes` (RFC 9162 §2.1.1), each a 32-byte
 * sample hash used as the leaf input. The value of a `dataset-split` record's `root`.
 *
 * @throws {ArgumentError} when the list is empty or a hash is not 32 bytes.
 * @example
 * ```ts
 * const root = datasetRoot(samples.map((s) => sha256(encodeCanonical(s))));
 * ```
 */
export function datasetRoot(sampleHashes: readonly Uint8Array[], sha256: Sha256 = defaultSha256): Uint8Array {
  checkSamples(sampleHashes, "datasetRoot");
  return rootOfLeaves(
    sampleHashes.map((sample) => hashLeaf(sample, sha256)),
    sha256,
  );
}

/**
 * The inclusion proof of sample `index` in the tree over `sampleHashes`. Builds the tree in memory
 * (O(n) time and space); for repeated proofs over one split, keep a node store instead.
 *
 * @throws {ArgumentError} for a bad list or an index outside it.
 * @example
 * ```ts
 * const proof = sampleProof(hashes, 17);
 * verifySampleProof({ root, sample: hashes[17], ...proof }); // true
 * ```
 */
export function sampleProof(
  sampleHashes: readonly Uint8Array[],
  index: number,
  sha256: Sha256 = defaultSha256,
): SampleProof {
  checkSamples(sampleHashes, "sampleProof");
  if (!Number.isSafeInteger(index) || index < 0 || index >= sampleHashes.length) {
    throw new ArgumentError("sampleProof: index is outside the sample list", {
      evidence: { index: String(index), size: sampleHashes.length },
    });
  }
  const tree = new CompactRange(sha256);
  const store = new MemoryNodeStore();
  for (const sample of sampleHashes) store.putAll(tree.appendLeaf(sample).nodes);
  return {
    index,
    size: sampleHashes.length,
    proof: inclusionProof(store, index, sampleHashes.length, sha256),
  };
}

/** What {@link verifySampleProof} checks: a sample hash, its proof, and the root it must reach. */
export interface SampleProofInput extends SampleProof {
  /** The sample's 32-byte hash. */
  readonly sample: Uint8Array;
  /** The dataset root (from the dataset record). */
  readonly root: Uint8Array;
}

/**
 * True when `proof` shows that `sample` is sample `index` of the split of `size` samples whose root is
 * `root` (RFC 9162 §2.1.3.2). Malformed input of any kind gives `false`, never an exception.
 *
 * @example
 * ```ts
 * verifySampleProof({ sample, root: dataset.body.root, index, size: dataset.body.samples, proof });
 * ```
 */
export function verifySampleProof(input: SampleProofInput, sha256: Sha256 = defaultSha256): boolean {
  const sample = (input as Partial<SampleProofInput> | null)?.sample;
  if (!(sample instanceof Uint8Array) || sample.length !== HASH_SIZE) return false;
  return verifyInclusion(
    {
      leafHash: hashLeaf(sample, sha256),
      index: input.index,
      size: input.size,
      proof: input.proof,
      root: input.root,
    },
    sha256,
  );
}

/**
 * True when `proof` shows that `sample` belongs to the split a `dataset-split` record commits to: the proof's
 * size must be the record's `samples` and it must reach the record's `root`.
 *
 * @example
 * ```ts
 * const record = decodeRecord(bytes);
 * if (record.kind === "dataset-split") verifySampleInDataset(record.body, sample, proof);
 * ```
 */
export function verifySampleInDataset(
  dataset: Pick<DatasetBody, "root" | "samples">,
  sample: Uint8Array,
  proof: SampleProof,
  sha256: Sha256 = defaultSha256,
): boolean {
  if (proof === null || typeof proof !== "object" || proof.size !== dataset.samples) return false;
  return verifySampleProof({ ...proof, sample, root: dataset.root }, sha256);
}
