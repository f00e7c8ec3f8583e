/**
 * Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).
 *
 * Everything here may be handed attacker-controlled input (a receipt from a stranger, a proof from an
 * untrusted log server), so nothing is assumed about it: the boolean verifiers check every type,
 * length and range themselves and answer `false` for anything malformed; they never throw. The
 * `assert*` variants throw a {@link VerificationError} whose evidence a third party can re-check.
 */
import { VerificationError } from "../errors.js";
import { sha256 as defaultSha256, type Sha256 } from "../hash.js";
import { toHex } from "../internal/binary-text.js";
import { isPowerOfTwo, isTreeNumber } from "./bits.js";
import { bytesEqual, isHash, nodeHash } from "./hashing.js";

/**
 * Longest proof worth looking at. A tree of at most 2^53 - 1 leaves has at most 53 levels, so an
 * inclusion proof has at most 53 hashes and a consistency proof at most 54; anything longer fails
 * before a single hash is computed.
 */
const MAX_PROOF_LENGTH = 64;

/** An inclusion proof as RFC 9162 §2.1.3.2 takes it. */
export interface InclusionProofInput {
  /** The leaf's hash, SHA-256(0x00 || leaf input). */
  readonly leafHash: Uint8Array;
  /** 0-based leaf index. */
  readonly index: number;
  /** Size of the tree the proof is for. */
  readonly size: number;
  /** Sibling hashes from the leaf up (RFC 9162 §2.1.3.1 PATH). */
  readonly proof: readonly Uint8Array[];
  /** The tree head the proof must reach. */
  readonly root: Uint8Array;
}

/** A consistency proof as RFC 9162 §2.1.4.2 takes it. */
export interface ConsistencyProofInput {
  readonly size1: number;
  readonly size2: number;
  /** Tree head at size1. */
  readonly root1: Uint8Array;
  /** Tree head at size2. */
  readonly root2: Uint8Array;
  /** RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]). */
  readonly proof: readonly Uint8Array[];
}

type Outcome = { ok: true; root: Uint8Array } | { ok: false; reason: string; computedRoot?: Uint8Array };

/**
 * True when `proof` proves that `leafHash` is leaf `index` of the tree of `size` leaves whose head is
 * `root` (RFC 9162 §2.1.3.2). Malformed input of any kind gives `false`, never an exception.
 *
 * @example
 * ```ts
 * const ok = verifyInclusion({ leafHash: hashLeaf(cid.bytes), index, size, proof, root });
 * ```
 */
export function verifyInclusion(input: InclusionProofInput, sha256: Sha256 = defaultSha256): boolean {
  return checkInclusion(input, sha256).ok;
}

/**
 * The tree head an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1-4), or `undefined` when the
 * input is malformed or the proof has the wrong length for (index, size). Compare the result with a
 * trusted root yourself, or use {@link verifyInclusion}.
 *
 * @example
 * ```ts
 * const root = rootFromInclusionProof({ leafHash, index, size, proof });
 * if (root !== undefined && anchoredRoots.has(toHex(root))) { ... }
 * ```
 */
export function rootFromInclusionProof(
  input: Omit<InclusionProofInput, "root">,
  sha256: Sha256 = defaultSha256,
): Uint8Array | undefined {
  const outcome = computeInclusionRoot(input, sha256);
  return outcome.ok ? outcome.root : undefined;
}

/**
 * Like {@link verifyInclusion}, but throws.
 *
 * @throws {VerificationError} `INCLUSION_PROOF_INVALID`, with the reason and the inputs (hex) as evidence.
 * @example
 * ```ts
 * assertInclusion({ leafHash, index, size, proof, root }); // throws when it does not verify
 * ```
 */
export function assertInclusion(input: InclusionProofInput, sha256: Sha256 = defaultSha256): void {
  const outcome = checkInclusion(input, sha256);
  if (outcome.ok) return;
  const i = asRecord(input);
  throw new VerificationError(
    "INCLUSION_PROOF_INVALID",
    `Inclusion proof does not verify: ${outcome.reason}`,
    {
      hint: "The leaf is not in the tree with this head, or the proof, index, size or root is wrong.",
      evidence: {
        reason: outcome.reason,
        index: describe(i.index),
        size: describe(i.size),
        leafHash: describe(i.leafHash),
        root: describe(i.root),
        proof: describeProof(i.proof),
        ...(outcome.computedRoot === undefined ? {} : { computedRoot: toHex(outcome.computedRoot) }),
      },
    },
  );
}

/**
 * True when `proof` proves that the tree of `size1` leaves with head `root1` is a prefix of the tree
 * of `size2` leaves with head `root2` (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and equal
 * roots. RFC 9162 requires 0 < size1: a proof from the empty tree proves nothing and is refused.
 * Malformed input of any kind gives `false`, never an exception.
 *
 * @example
 * ```ts
 * const ok = verifyConsistency({ size1: old.size, size2: now.size, root1: old.root, root2: now.root, proof });
 * ```
 */
export function verifyConsistency(input: ConsistencyProofInput, sha256: Sha256 = defaultSha256): boolean {
  return checkConsistency(input, sha256).ok;
}

/**
 * Like {@link verifyConsistency}, but throws.
 *
 * @throws {VerificationError} `CONSISTENCY_PROOF_INVALID`, with the reason and the inputs (hex) as
 * evidence: for an anchored pair of checkpoints, evidence of a forked or rewritten log.
 * @example
 * ```ts
 * assertConsistency({ size1, size2, root1, root2, proof });
 * ```
 */
export function assertConsistency(input: ConsistencyProofInput, sha256: Sha256 = defaultSha256): void {
  const outcome = checkConsistency(input, sha256);
  if (outcome.ok) return;
  const i = asRecord(input);
  throw new VerificationError(
    "CONSISTENCY_PROOF_INVALID",
    `Consistency proof does not verify: ${outcome.reason}`,
    {
      hint: "The two tree heads are not of one append-only log, or the proof, sizes or roots are wrong.",
      evidence: {
        reason: outcome.reason,
        size1: describe(i.size1),
        size2: describe(i.size2),
        root1: describe(i.root1),
        root2: describe(i.root2),
        proof: describeProof(i.proof),
        ...(outcome.computedRoot === undefined ? {} : { computedRoot2: toHex(outcome.computedRoot) }),
      },
    },
  );
}

function checkInclusion(input: unknown, sha256: Sha256): Outcome {
  const { root } = asRecord(input);
  if (!isHash(root)) return { ok: false, reason: "root is not a 32-byte hash" };
  const outcome = computeInclusionRoot(input, sha256);
  if (!outcome.ok) return outcome;
  // RFC 9162 §2.1.3.2 step 5 (the sn = 0 half was checked while computing).
  if (!bytesEqual(outcome.root, root)) {
    return { ok: false, reason: "the proof leads to a different root", computedRoot: outcome.root };
  }
  return outcome;
}

/** RFC 9162 §2.1.3.2 steps 1-4 and the sn = 0 check of step 5. */
function computeInclusionRoot(input: unknown, sha256: Sha256): Outcome {
  const { leafHash, index, size, proof } = asRecord(input);
  if (!isTreeNumber(index) || !isTreeNumber(size)) {
    return { ok: false, reason: "index and size must be safe integers >= 0" };
  }
  if (!isHash(leafHash)) return { ok: false, reason: "leafHash is not a 32-byte hash" };
  const path = asProof(proof);
  if (path === undefined) return { ok: false, reason: proofProblem(proof) };
  // 1. leaf_index must be below tree_size.
  if (index >= size) return { ok: false, reason: "index is not below size" };
  // 2-3. fn = leaf_index, sn = tree_size - 1, r = hash.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  // 4. Walk the path. Halving stands in for right shifts: sizes exceed the 32 bits of `>>`.
  for (const p of path) {
    if (sn === 0) return { ok: false, reason: "the proof is too long" }; // 4a
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r, sha256); // 4b.i: p is a left sibling
      while (fn % 2 === 0 && fn !== 0) {
        // 4b.ii: skip the levels where this node has no right sibling
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p, sha256); // 4b, otherwise: p is a right sibling
    }
    fn = Math.floor(fn / 2); // 4c
    sn = Math.floor(sn / 2);
  }
  // 5. (first half) sn must have reached 0, or the proof is too short.
  if (sn !== 0) return { ok: false, reason: "the proof is too short" };
  return { ok: true, root: r === leafHash ? new Uint8Array(r) : r };
}

/** RFC 9162 §2.1.4.2, with the equal-size case it leaves to the caller. */
function checkConsistency(input: unknown, sha256: Sha256): Outcome {
  const { size1, size2, root1, root2, proof } = asRecord(input);
  if (!isTreeNumber(size1) || !isTreeNumber(size2)) {
    return { ok: false, reason: "size1 and size2 must be safe integers >= 0" };
  }
  if (!isHash(root1) || !isHash(root2))
    return { ok: false, reason: "root1 and root2 must be 32-byte hashes" };
  const path = asProof(proof);
  if (path === undefined) return { ok: false, reason: proofProblem(proof) };
  // RFC 9162 §2.1.4.2 is stated for 0 < first < second.
  if (size1 > size2) return { ok: false, reason: "size1 is greater than size2" };
  if (size1 === 0) return { ok: false, reason: "a consistency proof from the empty tree proves nothing" };
  if (size1 === size2) {
    // Same size: the trees are one tree, so the roots must match and there is nothing to prove.
    if (path.length !== 0) return { ok: false, reason: "equal sizes need an empty proof" };
    return bytesEqual(root1, root2)
      ? { ok: true, root: root2 }
      : { ok: false, reason: "equal sizes, different roots" };
  }
  // 1. An empty path fails.
  if (path.length === 0) return { ok: false, reason: "the proof is empty" };
  // 2. If first is an exact power of 2, the old root itself starts the path (the prover left it out).
  const seeded = isPowerOfTwo(size1) ? [root1, ...path] : path;
  // 3. fn = first - 1, sn = second - 1.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // 4. Climb past the levels where the old tree's last node is a right child.
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  // 5. fr = sr = the first value of the path.
  let fr = seeded[0] as Uint8Array;
  let sr = fr;
  // 6. Fold in every subsequent value.
  for (let i = 1; i < seeded.length; i++) {
    const c = seeded[i] as Uint8Array;
    if (sn === 0) return { ok: false, reason: "the proof is too long" }; // 6a
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr, sha256); // 6b.i
      sr = nodeHash(c, sr, sha256); // 6b.ii
      while (fn % 2 === 0 && fn !== 0) {
        // 6b.iii
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c, sha256); // 6b, otherwise
    }
    fn = Math.floor(fn / 2); // 6c
    sn = Math.floor(sn / 2);
  }
  // 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
  if (sn !== 0) return { ok: false, reason: "the proof is too short" };
  if (!bytesEqual(fr, root1)) return { ok: false, reason: "the proof does not lead to root1" };
  if (!bytesEqual(sr, root2))
    return { ok: false, reason: "the proof leads to a different root2", computedRoot: sr };
  return { ok: true, root: sr };
}

/** The proof as an array of 32-byte hashes, or `undefined` when it is anything else. */
function asProof(proof: unknown): readonly Uint8Array[] | undefined {
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_LENGTH) return undefined;
  for (const p of proof) if (!isHash(p)) return undefined;
  return proof as readonly Uint8Array[];
}

function proofProblem(proof: unknown): string {
  if (!Array.isArray(proof)) return "proof is not an array";
  if (proof.length > MAX_PROOF_LENGTH) return `proof has more than ${MAX_PROOF_LENGTH} hashes`;
  return "every proof element must be a 32-byte hash";
}

function asRecord(input: unknown): Record<string, unknown> {
  return typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
}

/** A JSON-safe, bounded rendering of one input field for error evidence. */
function describe(value: unknown): string | number {
  if (value instanceof Uint8Array) return value.length <= 64 ? toHex(value) : `(${value.length} bytes)`;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  return `(${typeof value})`;
}

function describeProof(proof: unknown): Array<string | number> | string {
  if (!Array.isArray(proof)) return `(${typeof proof})`;
  if (proof.length > MAX_PROOF_LENGTH) return `(${proof.length} elements)`;
  return proof.map(describe);
}
