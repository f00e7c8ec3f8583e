/**
 * A small, deliberately naive RFC 6962 reference implementation for the contract tests and the gas report:
 * the recursive definitions of RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1 (PROOF/SUBPROOF),
 * transcribed without optimisation so that it is easy to check against the RFC. It is independent of
 * @ancora/core on purpose: the differential test compares the contract with both.
 */
import { createHash } from "node:crypto";

export type Hash = `0x${string}`;

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function toHex(bytes: Uint8Array): Hash {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

export function fromHex(hex: Hash): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), "hex"));
}

const LEAF = new Uint8Array([0x00]);
const NODE = new Uint8Array([0x01]);

/** `SHA-256(0x00 || input)` (RFC 9162 §2.1.1). */
export function leafHash(input: Uint8Array): Hash {
  return toHex(sha256(LEAF, input));
}

/** `SHA-256(0x01 || left || right)` (RFC 9162 §2.1.1). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return toHex(sha256(NODE, fromHex(left), fromHex(right)));
}

/** The largest power of two strictly smaller than `n` (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * A tree over leaf hashes, with memoised subtree hashes so that proofs for trees of a few thousand leaves
 * stay fast (the memo is keyed by the subtree's [start, end) range, which never changes in a prefix).
 */
export class ReferenceTree {
  readonly leaves: Hash[] = [];
  private readonly memo = new Map<string, Hash>();

  constructor(leafHashes: Iterable<Hash> = []) {
    for (const h of leafHashes) this.leaves.push(h);
  }

  append(leaf: Hash): void {
    this.leaves.push(leaf);
  }

  get size(): number {
    return this.leaves.length;
  }

  /** MTH(D[start:end]) (RFC 9162 §2.1.1). */
  private mth(start: number, end: number): Hash {
    const n = end - start;
    if (n === 0) return toHex(sha256());
    if (n === 1) return this.leafAt(start);
    const key = `${start}:${end}`;
    const cached = this.memo.get(key);
    if (cached !== undefined) return cached;
    const k = split(n);
    const h = nodeHash(this.mth(start, start + k), this.mth(start + k, end));
    this.memo.set(key, h);
    return h;
  }

  private leafAt(i: number): Hash {
    const h = this.leaves[i];
    if (h === undefined) throw new RangeError(`no leaf ${i}`);
    return h;
  }

  /** The root of the first `size` leaves. */
  root(size = this.size): Hash {
    if (size > this.size) throw new RangeError(`tree has ${this.size} leaves, not ${size}`);
    return this.mth(0, size);
  }

  /** PATH(m, D[0:size]) (RFC 9162 §2.1.3.1). */
  inclusionProof(index: number, size = this.size): Hash[] {
    if (index < 0 || index >= size || size > this.size) throw new RangeError(`bad index ${index}/${size}`);
    const path = (m: number, start: number, end: number): Hash[] => {
      const n = end - start;
      if (n === 1) return [];
      const k = split(n);
      return m < k
        ? [...path(m, start, start + k), this.mth(start + k, end)]
        : [...path(m - k, start + k, end), this.mth(start, start + k)];
    };
    return path(index, 0, size);
  }

  /** PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) (RFC 9162 §2.1.4.1). */
  consistencyProof(size1: number, size2 = this.size): Hash[] {
    if (size1 < 1 || size1 > size2 || size2 > this.size) throw new RangeError(`bad sizes ${size1}/${size2}`);
    const subproof = (m: number, start: number, end: number, b: boolean): Hash[] => {
      const n = end - start;
      if (m === n) return b ? [] : [this.mth(start, end)];
      const k = split(n);
      return m <= k
        ? [...subproof(m, start, start + k, b), this.mth(start + k, end)]
        : [...subproof(m - k, start + k, end, false), this.mth(start, start + k)];
    };
    return subproof(size1, 0, size2, true);
  }
}

/** Deterministic leaf hashes `leafHash(uint32be(seed) || uint32be(i))` for tests that need many leaves. */
export function syntheticLeaves(count: number, seed = 0): Hash[] {
  const out: Hash[] = [];
  const buf = new Uint8Array(8);
  const view = new DataView(buf.buffer);
  view.setUint32(0, seed);
  for (let i = 0; i < count; i++) {
    view.setUint32(4, i);
    out.push(leafHash(buf));
  }
  return out;
}
