/**
 * RFC 6962 / RFC 9162 §2.1.1 Merkle tree hashing, with the domain separation that keeps a leaf from
 * ever being read as an interior node (second-preimage resistance):
 *
 *   leaf:  MTH({d}) = SHA-256(0x00 || d)
 *   node:  MTH(D)   = SHA-256(0x01 || MTH(left) || MTH(right))
 *   empty: MTH({})  = SHA-256()
 *
 * In Ancora the leaf input `d` is a record's CID bytes.
 */
import { ArgumentError } from "../errors.js";
import { sha256 as defaultSha256, type Sha256 } from "../hash.js";

/** Size in bytes of every tree hash (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/**
 * Root of the empty tree, MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1):
 * e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855. Typed arrays cannot be frozen:
 * never write to it (functions in this package that return the empty root return a copy).
 */
export const EMPTY_ROOT: Uint8Array = defaultSha256(new Uint8Array(0));

// Scratch buffers, reused across calls: hashing is synchronous and a `Sha256` must not keep its input
// (see its contract), so reuse is safe and saves an allocation per hash on the append hot path.
const nodeScratch = new Uint8Array(1 + 2 * HASH_SIZE);
nodeScratch[0] = NODE_PREFIX;
const MAX_LEAF_SCRATCH = 1024; // longer leaf inputs get a buffer of their own, so none is kept alive
const leafScratch = new Uint8Array(MAX_LEAF_SCRATCH);
let leafView = leafScratch.subarray(0, 1); // for the last length hashed: CIDs all have one length

/**
 * Hash of a leaf: SHA-256(0x00 || leafInput) (RFC 9162 §2.1.1).
 *
 * @param leafInput The leaf's data; in Ancora, a record's CID bytes.
 * @param sha256 SHA-256 implementation (default: @noble/hashes).
 * @example
 * ```ts
 * const leafHash = hashLeaf(cid.bytes);
 * ```
 */
export function hashLeaf(leafInput: Uint8Array, sha256: Sha256 = defaultSha256): Uint8Array {
  if (!(leafInput instanceof Uint8Array)) {
    throw new ArgumentError("hashLeaf: leafInput must be a Uint8Array");
  }
  const length = 1 + leafInput.length;
  if (length > MAX_LEAF_SCRATCH) {
    const message = new Uint8Array(length);
    message[0] = LEAF_PREFIX;
    message.set(leafInput, 1);
    return sha256(message);
  }
  if (leafView.length !== length) leafView = leafScratch.subarray(0, length);
  leafView[0] = LEAF_PREFIX;
  leafView.set(leafInput, 1);
  return sha256(leafView);
}

/**
 * Hash of an interior node: SHA-256(0x01 || left || right) (RFC 9162 §2.1.1).
 *
 * @param left The 32-byte hash of the left child.
 * @param right The 32-byte hash of the right child.
 * @param sha256 SHA-256 implementation (default: @noble/hashes).
 * @throws {ArgumentError} when a child is not a 32-byte hash.
 * @example
 * ```ts
 * const parent = hashChildren(hashLeaf(a), hashLeaf(b));
 * ```
 */
export function hashChildren(
  left: Uint8Array,
  right: Uint8Array,
  sha256: Sha256 = defaultSha256,
): Uint8Array {
  if (!isHash(left) || !isHash(right)) {
    throw new ArgumentError("hashChildren: both children must be 32-byte hashes", {
      evidence: { leftLength: lengthOf(left), rightLength: lengthOf(right) },
    });
  }
  return nodeHash(left, right, sha256);
}

/**
 * `hashChildren` without argument checks, for callers that have already validated both hashes (the
 * builder, the proof generator and the verifiers).
 */
export function nodeHash(left: Uint8Array, right: Uint8Array, sha256: Sha256): Uint8Array {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return sha256(nodeScratch);
}

/** True when `value` is a Uint8Array of exactly 32 bytes. */
export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

/** Byte-wise equality. Tree hashes are public, so this need not be constant-time. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function lengthOf(value: unknown): number | string {
  return value instanceof Uint8Array ? value.length : typeof value;
}
