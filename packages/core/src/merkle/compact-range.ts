/**
 * The append-only tree builder: a compact range [0, size) (transparency-dev's `compact.Range`).
 *
 * It keeps only the roots of the perfect subtrees in the binary decomposition of `size`, largest
 * first: at most 53 hashes for any safe-integer size, so appends and roots cost O(log n) time and
 * memory however large the log grows. Every append reports the perfect subtrees it completed, which
 * is exactly what a node store must persist to serve proofs at any later or earlier size.
 */
import { ArgumentError } from "../errors.js";
import { sha256 as defaultSha256, type Sha256 } from "../hash.js";
import { fromHex, toHex } from "../internal/binary-text.js";
import { isTreeNumber, perfectSubtrees, popCount } from "./bits.js";
import { EMPTY_ROOT, HASH_SIZE, hashLeaf, isHash, nodeHash } from "./hashing.js";
import { type MerkleNode, type MerkleNodeReader, readNode } from "./node-store.js";

/** What one append did. */
export interface AppendResult {
  /** Index of the new leaf: the tree size before the append. */
  readonly index: number;
  /**
   * Perfect subtrees this append completed, bottom-up: the leaf itself at level 0, then every parent
   * whose right child it completed. Persist all of them to serve proofs later (1 + trailing ones of
   * `index` nodes, two on average). The hashes are shared with the builder: never modify them.
   */
  readonly nodes: readonly MerkleNode[];
}

/** What one {@link CompactRange.appendLeaves} did. */
export interface BatchAppendResult {
  /** Index of the first new leaf: the tree size before the append. */
  readonly index: number;
  /** Leaves appended. */
  readonly count: number;
  /**
   * Every perfect subtree the batch completed, level by level from the leaves up: exactly the nodes
   * that appending the leaves one by one would have reported, in another order. Persist them all. The
   * hashes share buffers with each other and the builder: never modify them.
   */
  readonly nodes: readonly MerkleNode[];
}

/** Serialisable builder state, version 1 (JSON-safe: hashes are lowercase hex). */
export interface CompactRangeState {
  readonly v: 1;
  /** Number of leaves. */
  readonly size: number;
  /** Roots of the perfect subtrees of `size`'s binary decomposition, largest (leftmost) first. */
  readonly hashes: readonly string[];
}

/**
 * Appends a leaf hash without copying it or reporting nodes: the fast path of {@link rootOfLeaves},
 * set by CompactRange's static block (which may touch its private members) and kept module-private.
 */
let appendUnrecorded: (range: CompactRange, leafHash: Uint8Array) => void;

/**
 * Append-only RFC 6962 Merkle tree builder with O(log n) state.
 *
 * @example
 * ```ts
 * const tree = new CompactRange();
 * const { index, nodes } = tree.appendLeaf(cid.bytes); // leaf hash = SHA-256(0x00 || cid bytes)
 * store.putAll(nodes);
 * const checkpointRoot = tree.root();
 * ```
 */
export class CompactRange {
  static {
    // Gives this module (not the package's users) a path that skips node reporting and copying.
    appendUnrecorded = (range, leafHash) => {
      range.#push(leafHash, undefined);
    };
  }

  readonly #sha256: Sha256;
  #size = 0;
  /** Perfect-subtree roots of #size's binary decomposition, largest first (one per set bit). */
  readonly #hashes: Uint8Array[] = [];

  /** An empty tree. `sha256` defaults to @noble/hashes; inject node:crypto in Node for speed. */
  constructor(sha256: Sha256 = defaultSha256) {
    this.#sha256 = sha256;
  }

  /**
   * Resumes a builder from {@link CompactRange.state}'s output.
   *
   * @throws {ArgumentError} when the state is not a valid version-1 state.
   * @example
   * ```ts
   * const tree = CompactRange.fromState(JSON.parse(saved));
   * ```
   */
  static fromState(state: CompactRangeState, sha256: Sha256 = defaultSha256): CompactRange {
    const s = state as Partial<Record<keyof CompactRangeState, unknown>> | null;
    if (typeof s !== "object" || s === null || s.v !== 1) {
      throw new ArgumentError("CompactRange.fromState: not a version-1 compact range state", {
        hint: "Pass the object returned by CompactRange.state().",
      });
    }
    const { size, hashes } = s;
    if (!isTreeNumber(size) || !Array.isArray(hashes) || hashes.length !== popCount(size)) {
      throw new ArgumentError("CompactRange.fromState: size and hashes do not match", {
        details: "A state of size n holds one hash per set bit of n.",
        evidence: { size: String(size), hashes: Array.isArray(hashes) ? hashes.length : typeof hashes },
      });
    }
    const range = new CompactRange(sha256);
    for (const hex of hashes) {
      const hash = typeof hex === "string" ? fromHex(hex) : undefined;
      if (hash === undefined || !isHash(hash)) {
        throw new ArgumentError("CompactRange.fromState: every hash must be 64 lowercase hex digits");
      }
      range.#hashes.push(hash);
    }
    range.#size = size;
    return range;
  }

  /**
   * Resumes a builder at `size` from the nodes a store already holds (log2(size) reads), so the
   * store stays the single source of truth after a restart.
   *
   * @throws {ArgumentError} when the store lacks one of the nodes.
   * @example
   * ```ts
   * const tree = CompactRange.fromReader(sqliteNodes, lastCommittedSize);
   * ```
   */
  static fromReader(reader: MerkleNodeReader, size: number, sha256: Sha256 = defaultSha256): CompactRange {
    if (!isTreeNumber(size))
      throw new ArgumentError("CompactRange.fromReader: size must be a safe integer >= 0");
    const range = new CompactRange(sha256);
    for (const { level, index } of perfectSubtrees(0, size))
      range.#hashes.push(readNode(reader, level, index));
    range.#size = size;
    return range;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends a leaf by its hash (already `hashLeaf`ed). The hash is copied.
   *
   * @throws {ArgumentError} when `leafHash` is not 32 bytes, or the tree already holds 2^53 - 1 leaves.
   * @example
   * ```ts
   * store.putAll(tree.append(hashLeaf(cid.bytes)).nodes);
   * ```
   */
  append(leafHash: Uint8Array): AppendResult {
    if (!isHash(leafHash)) throw new ArgumentError("CompactRange.append: leafHash must be a 32-byte hash");
    return this.#push(new Uint8Array(leafHash), []);
  }

  /**
   * Appends a leaf by its input data: hashes it as SHA-256(0x00 || leafInput) (RFC 9162 §2.1.1),
   * then appends. In Ancora the leaf input is the record's CID bytes.
   *
   * @example
   * ```ts
   * const { index } = tree.appendLeaf(cid.bytes);
   * ```
   */
  appendLeaf(leafInput: Uint8Array): AppendResult {
    return this.#push(hashLeaf(leafInput, this.#sha256), []);
  }

  /**
   * Appends many leaves by their input data at once, with the same result as calling
   * {@link CompactRange.appendLeaf} for each in order: the same root, state and completed nodes. A
   * batch's hashes are computed level by level (every leaf hash, then every parent of each level) into
   * one array per level. Checks every input before appending any, so a bad one leaves the tree as it was.
   *
   * @throws {ArgumentError} when an input is not a Uint8Array or the tree would exceed 2^53 - 1 leaves.
   * @example
   * ```ts
   * const { index, nodes } = tree.appendLeaves(cids.map((cid) => cid.bytes));
   * store.putAll(nodes);
   * ```
   */
  appendLeaves(leafInputs: readonly Uint8Array[]): BatchAppendResult {
    const start = this.#size;
    const n = leafInputs.length;
    if (!leafInputs.every((input) => input instanceof Uint8Array)) {
      throw new ArgumentError("CompactRange.appendLeaves: every leaf input must be a Uint8Array");
    }
    if (n > Number.MAX_SAFE_INTEGER - start)
      throw new ArgumentError("CompactRange: the tree is full (2^53 - 1 leaves)");
    if (n === 0) return { index: start, count: 0, nodes: [] };
    const sha256 = this.#sha256;
    // The old decomposition by level: one root per set bit of the old size, smallest level last.
    const old = new Map<number, Uint8Array>();
    for (
      let rest = start, level = 0, i = this.#hashes.length - 1;
      rest > 0;
      level++, rest = Math.floor(rest / 2)
    ) {
      if (rest % 2 === 1) old.set(level, this.#hashes[i--] as Uint8Array);
    }
    const nodes: MerkleNode[] = [];
    const roots = new Map<number, Uint8Array>();
    let items = leafHashes(leafInputs, sha256);
    let count = n;
    let position = start; // index of items[0] at this level
    for (let level = 0; count > 0; level++) {
      for (let i = 0; i < count; i++) {
        nodes.push({ level, index: position + i, hash: items.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE) });
      }
      let row = items;
      let length = count;
      if (position % 2 === 1) {
        // The first new subtree is a right child: its left sibling is the old range's root at this level.
        row = new Uint8Array((count + 1) * HASH_SIZE);
        row.set(old.get(level) as Uint8Array);
        row.set(items.subarray(0, count * HASH_SIZE), HASH_SIZE);
        old.delete(level);
        position--;
        length++;
      }
      // An unpaired last subtree is a root of the new decomposition at this level.
      if (length % 2 === 1) roots.set(level, row.subarray((length - 1) * HASH_SIZE, length * HASH_SIZE));
      count = Math.floor(length / 2);
      items = count > 0 ? nodeHashes(row, count, sha256) : items;
      position /= 2;
    }
    const decomposition = [...old, ...roots].sort(([a], [b]) => b - a);
    this.#hashes.length = 0;
    for (const [, hash] of decomposition) this.#hashes.push(hash);
    this.#size = start + n;
    return { index: start, count: n, nodes };
  }

  /**
   * The tree head MTH(D[0:size]) (RFC 9162 §2.1.1): the decomposition's hashes folded right to left,
   * SHA-256 of the empty string for the empty tree. A fresh array.
   *
   * @example
   * ```ts
   * const root = tree.root();
   * ```
   */
  root(): Uint8Array {
    const hashes = this.#hashes;
    let root = hashes[hashes.length - 1];
    if (root === undefined) return new Uint8Array(EMPTY_ROOT);
    if (hashes.length === 1) return new Uint8Array(root);
    for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root, this.#sha256);
    return root;
  }

  /**
   * A JSON-safe snapshot for {@link CompactRange.fromState}.
   *
   * @example
   * ```ts
   * localStorage.setItem("tree", JSON.stringify(tree.state()));
   * ```
   */
  state(): CompactRangeState {
    return { v: 1, size: this.#size, hashes: this.#hashes.map(toHex) };
  }

  /**
   * Adds one leaf hash (owned by the range from now on) and, when `nodes` is given, records the
   * perfect subtrees that got completed. Merging follows the binary carry of size + 1: each trailing
   * one bit of the old size is a left sibling waiting for this subtree.
   */
  #push(leafHash: Uint8Array, nodes: MerkleNode[] | undefined): AppendResult {
    const index = this.#size;
    if (index >= Number.MAX_SAFE_INTEGER)
      throw new ArgumentError("CompactRange: the tree is full (2^53 - 1 leaves)");
    let hash = leafHash;
    let level = 0;
    let position = index;
    nodes?.push({ level, index: position, hash });
    while (position % 2 === 1) {
      const left = this.#hashes.pop() as Uint8Array; // present: one hash per set bit of the size
      hash = nodeHash(left, hash, this.#sha256);
      level++;
      position = (position - 1) / 2;
      nodes?.push({ level, index: position, hash });
    }
    this.#hashes.push(hash);
    this.#size = index + 1;
    return { index, nodes: nodes ?? [] };
  }
}

/** SHA-256(0x00 || input) of each input, concatenated (32 bytes each): a batch's level 0. */
function leafHashes(inputs: readonly Uint8Array[], sha256: Sha256): Uint8Array {
  const out = new Uint8Array(inputs.length * HASH_SIZE);
  for (let i = 0; i < inputs.length; i++) out.set(hashLeaf(inputs[i] as Uint8Array, sha256), i * HASH_SIZE);
  return out;
}

/** SHA-256(0x01 || left || right) of `pairs` consecutive pairs of hashes in `items`, concatenated. */
function nodeHashes(items: Uint8Array, pairs: number, sha256: Sha256): Uint8Array {
  const out = new Uint8Array(pairs * HASH_SIZE);
  for (let i = 0; i < pairs; i++) {
    const at = i * 2 * HASH_SIZE;
    out.set(
      nodeHash(
        items.subarray(at, at + HASH_SIZE),
        items.subarray(at + HASH_SIZE, at + 2 * HASH_SIZE),
        sha256,
      ),
      i * HASH_SIZE,
    );
  }
  return out;
}

/**
 * MTH of a list of leaf hashes (RFC 9162 §2.1.1) in one pass with O(log n) memory.
 *
 * @throws {ArgumentError} when a leaf hash is not 32 bytes.
 * @example
 * ```ts
 * const root = rootOfLeaves(cids.map((cid) => hashLeaf(cid.bytes)));
 * ```
 */
export function rootOfLeaves(leafHashes: Iterable<Uint8Array>, sha256: Sha256 = defaultSha256): Uint8Array {
  const range = new CompactRange(sha256);
  for (const leafHash of leafHashes) {
    if (!isHash(leafHash)) throw new ArgumentError("rootOfLeaves: every leaf hash must be 32 bytes");
    appendUnrecorded(range, leafHash); // only read, never written
  }
  return range.root();
}
