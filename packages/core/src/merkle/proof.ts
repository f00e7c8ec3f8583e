/**
 * Tree heads and proofs at any size m <= n from a store of perfect-subtree nodes, in O(log n) reads.
 *
 * RFC 9162 defines MTH, PATH and PROOF recursively over the leaves (§2.1.1, §2.1.3.1, §2.1.4.1). Walked
 * bottom-up instead, every value they produce is either a perfect subtree (read from the store) or
 * the one node on the right border of the size-m tree that is not perfect, whose hash is MTH of the
 * range [start, m) and is recomputed from that range's perfect subtrees (transparency-dev's
 * "ephemeral" node). Because perfect subtrees never change, the same store serves every historical
 * size: nothing is ever recomputed from leaves.
 */
import { ArgumentError } from "../errors.js";
import { sha256 as defaultSha256, type Sha256 } from "../hash.js";
import { isPowerOfTwo, isTreeNumber, perfectSubtrees, pow2, trailingZeros } from "./bits.js";
import { EMPTY_ROOT, nodeHash } from "./hashing.js";
import { type MerkleNodeReader, readNode } from "./node-store.js";

/**
 * The tree head MTH(D[0:size]) (RFC 9162 §2.1.1) from stored nodes: one read per set bit of `size`.
 *
 * @throws {ArgumentError} when `size` is not a safe integer >= 0 or the store lacks a node.
 * @example
 * ```ts
 * const rootAtCheckpoint = rootAt(store, checkpoint.size);
 * ```
 */
export function rootAt(reader: MerkleNodeReader, size: number, sha256: Sha256 = defaultSha256): Uint8Array {
  if (!isTreeNumber(size))
    throw new ArgumentError("rootAt: size must be a safe integer >= 0", { evidence: { size } });
  if (size === 0) return new Uint8Array(EMPTY_ROOT);
  return rangeHash(reader, 0, size, sha256);
}

/**
 * The inclusion proof PATH(index, D[0:size]) of RFC 9162 §2.1.3.1: sibling hashes from the leaf up.
 *
 * @throws {ArgumentError} unless 0 <= index < size (safe integers), or when the store lacks a node.
 * @example
 * ```ts
 * const proof = inclusionProof(store, leafIndex, checkpoint.size);
 * verifyInclusion({ leafHash, index: leafIndex, size: checkpoint.size, proof, root: checkpoint.root });
 * ```
 */
export function inclusionProof(
  reader: MerkleNodeReader,
  index: number,
  size: number,
  sha256: Sha256 = defaultSha256,
): Uint8Array[] {
  if (!isTreeNumber(index) || !isTreeNumber(size) || index >= size) {
    throw new ArgumentError("inclusionProof: need safe integers 0 <= index < size", {
      evidence: { index, size },
    });
  }
  const proof: Uint8Array[] = [];
  pathToRoot(reader, 0, index, size, proof, sha256);
  return proof;
}

/**
 * The consistency proof PROOF(size1, D[0:size2]) of RFC 9162 §2.1.4.1, which proves that the tree of
 * `size1` leaves is a prefix of the tree of `size2` leaves. Empty when the sizes are equal.
 *
 * @throws {ArgumentError} unless 0 < size1 <= size2 (safe integers; RFC 9162 defines no proof from the
 * empty tree), or when the store lacks a node.
 * @example
 * ```ts
 * const proof = consistencyProof(store, anchored.size, current.size);
 * verifyConsistency({ size1: anchored.size, size2: current.size, root1: anchored.root, root2: current.root, proof });
 * ```
 */
export function consistencyProof(
  reader: MerkleNodeReader,
  size1: number,
  size2: number,
  sha256: Sha256 = defaultSha256,
): Uint8Array[] {
  if (!isTreeNumber(size1) || !isTreeNumber(size2) || size1 === 0 || size1 > size2) {
    throw new ArgumentError("consistencyProof: need safe integers 0 < size1 <= size2", {
      evidence: { size1, size2 },
    });
  }
  const proof: Uint8Array[] = [];
  if (size1 === size2) return proof; // SUBPROOF(m, D[m], true) = {}
  // SUBPROOF recurses down the right border of the size1 tree to the last perfect subtree of size1's
  // decomposition, node (level, index), then climbs back collecting what the size2 tree adds: that is
  // this node's own hash, then its inclusion path in the size2 tree. When size1 is a power of two the
  // node is the whole old tree, whose root the verifier already has, so it is left out (b = true).
  const level = trailingZeros(size1);
  const index = (size1 - pow2(level)) / pow2(level);
  if (!isPowerOfTwo(size1)) proof.push(readNode(reader, level, index));
  pathToRoot(reader, level, index, size2, proof, sha256);
  return proof;
}

/**
 * Appends to `out` the audit path of node (level, index) in the tree of `size` leaves, bottom-up: at
 * each level the sibling of the node on the path, which is a stored perfect subtree, or absent when
 * the path node is the last at its level, or (at most once) the right border's partial node, MTH of
 * [siblingStart, size).
 */
function pathToRoot(
  reader: MerkleNodeReader,
  level: number,
  index: number,
  size: number,
  out: Uint8Array[],
  sha256: Sha256,
): void {
  let width = pow2(level);
  let node = index;
  let last = Math.floor((size - 1) / width); // index of the rightmost node at this level
  while (last > 0) {
    const sibling = node % 2 === 0 ? node + 1 : node - 1;
    if (sibling < last || (sibling === last && (last + 1) * width === size)) {
      out.push(readNode(reader, level, sibling));
    } else if (sibling === last) {
      out.push(rangeHash(reader, sibling * width, size, sha256));
    } // else sibling > last: nothing there, this node is promoted unchanged (RFC 9162 §2.1.1 split).
    node = Math.floor(node / 2);
    last = Math.floor(last / 2);
    level++;
    width *= 2;
  }
}

/** MTH(D[begin:end]) for a non-empty range starting on a node boundary: its perfect subtrees folded right to left. */
function rangeHash(reader: MerkleNodeReader, begin: number, end: number, sha256: Sha256): Uint8Array {
  const nodes = perfectSubtrees(begin, end);
  let i = nodes.length - 1;
  const lastNode = nodes[i] as { level: number; index: number };
  let hash = readNode(reader, lastNode.level, lastNode.index);
  for (i--; i >= 0; i--) {
    const { level, index } = nodes[i] as { level: number; index: number };
    hash = nodeHash(readNode(reader, level, index), hash, sha256);
  }
  return hash;
}
