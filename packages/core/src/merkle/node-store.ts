/**
 * Where the tree's nodes live between appends and proofs.
 *
 * A node is addressed by (level, index): the perfect subtree covering leaves
 * [index * 2^level, (index + 1) * 2^level). Level 0 holds the leaf hashes. Only perfect subtrees are
 * ever stored: once complete they never change, so a store is append-only and every node a tree of
 * size n needs is also exactly the node any earlier size m <= n needs. Nodes on the right border that
 * are not perfect (RFC 9162's MTH of a range that is not a power of two) are recomputed from at most
 * log2(n) stored nodes when a proof needs them.
 */
import { ArgumentError } from "../errors.js";
import { isTreeNumber } from "./bits.js";
import { bytesEqual, HASH_SIZE, isHash } from "./hashing.js";

/** One perfect subtree: leaves [index * 2^level, (index + 1) * 2^level), and its hash. */
export interface MerkleNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/**
 * Read access to stored perfect-subtree hashes; what proof generation needs. Synchronous, so a
 * better-sqlite3 table (`PRIMARY KEY (level, idx)`) can back it directly.
 *
 * @example
 * ```ts
 * const reader: MerkleNodeReader = {
 *   node: (level, index) => selectNode.get(level, index)?.hash,
 * };
 * ```
 */
export interface MerkleNodeReader {
  /** The hash of perfect subtree (level, index), or `undefined` when it is not stored. */
  node(level: number, index: number): Uint8Array | undefined;
}

const CHUNK_NODES = 4096;

interface Chunk {
  readonly hashes: Uint8Array;
  readonly present: Uint8Array;
}

/**
 * An in-memory node store: 32 bytes per node in 128 KiB chunks (about 64 MiB per million leaves,
 * counting all levels), for tests, benchmarks and short-lived trees.
 *
 * Nodes are write-once: putting a different hash at an occupied (level, index) throws, because a
 * perfect subtree's hash never changes in an append-only log.
 *
 * @example
 * ```ts
 * const store = new MemoryNodeStore();
 * const tree = new CompactRange();
 * for (const cid of cids) store.putAll(tree.appendLeaf(cid).nodes);
 * const proof = inclusionProof(store, 3, tree.size);
 * ```
 */
export class MemoryNodeStore implements MerkleNodeReader {
  readonly #levels: Array<Map<number, Chunk>> = [];

  #count = 0;

  /** Number of nodes stored, all levels together. */
  get count(): number {
    return this.#count;
  }

  /** The hash of (level, index) as a fresh copy, or `undefined` when absent. */
  node(level: number, index: number): Uint8Array | undefined {
    const chunk = this.#levels[level]?.get(Math.floor(index / CHUNK_NODES));
    const slot = index % CHUNK_NODES;
    if (chunk === undefined || chunk.present[slot] !== 1) return undefined;
    return chunk.hashes.slice(slot * HASH_SIZE, (slot + 1) * HASH_SIZE);
  }

  /**
   * Stores one node.
   *
   * @throws {ArgumentError} on a bad address or hash, or a different hash at an occupied address.
   */
  put(node: MerkleNode): void {
    const { level, index, hash } = node;
    if (!isTreeNumber(level) || level > 53 || !isTreeNumber(index) || !isHash(hash)) {
      throw new ArgumentError("MemoryNodeStore.put: expected an integer level and index and a 32-byte hash", {
        evidence: { level, index },
      });
    }
    let chunks = this.#levels[level];
    if (chunks === undefined) {
      for (let l = this.#levels.length; l <= level; l++) this.#levels.push(new Map());
      chunks = this.#levels[level] as Map<number, Chunk>;
    }
    const key = Math.floor(index / CHUNK_NODES);
    let chunk = chunks.get(key);
    if (chunk === undefined) {
      chunk = { hashes: new Uint8Array(CHUNK_NODES * HASH_SIZE), present: new Uint8Array(CHUNK_NODES) };
      chunks.set(key, chunk);
    }
    const slot = index % CHUNK_NODES;
    const offset = slot * HASH_SIZE;
    if (chunk.present[slot] === 1) {
      if (!bytesEqual(chunk.hashes.subarray(offset, offset + HASH_SIZE), hash)) {
        throw new ArgumentError(
          `MemoryNodeStore.put: node (${level}, ${index}) already holds a different hash`,
          {
            hint: "Perfect subtrees never change in an append-only log: the tree was rebuilt from other leaves.",
            evidence: { level, index },
          },
        );
      }
      return;
    }
    chunk.hashes.set(hash, offset);
    chunk.present[slot] = 1;
    this.#count++;
  }

  /** Stores every node, e.g. the `nodes` of an {@link AppendResult}. */
  putAll(nodes: Iterable<MerkleNode>): void {
    for (const node of nodes) this.put(node);
  }
}

/**
 * Reads a node that must exist, for proof generation and builder resumption.
 *
 * @throws {ArgumentError} when the store lacks it (the size asked for exceeds what was stored) or holds
 * something that is not a 32-byte hash.
 */
export function readNode(reader: MerkleNodeReader, level: number, index: number): Uint8Array {
  const hash: unknown = reader.node(level, index);
  if (!isHash(hash)) {
    const found =
      hash === undefined
        ? "nothing"
        : hash instanceof Uint8Array
          ? `${hash.length} bytes`
          : `a ${typeof hash}`;
    throw new ArgumentError(
      `The node store holds ${found} at node (${level}, ${index}), not a 32-byte hash`,
      {
        hint: "Ask only for sizes the store has fully recorded, and persist every node that append() reports.",
        evidence: { level, index },
      },
    );
  }
  return hash;
}
