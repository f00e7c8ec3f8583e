/**
 * Bit arithmetic on tree sizes and indices up to 2^53 - 1.
 *
 * Sizes and indices are JavaScript numbers (safe integers), but the bitwise operators work on 32 bits
 * only, so these helpers split a number into its high and low 32-bit halves where needed.
 */

const TWO_32 = 0x1_0000_0000;

/** True when `n` is a safe integer >= 0, the domain of every tree size and index. */
export function isTreeNumber(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

/** 2^level, exact for level <= 53. */
export function pow2(level: number): number {
  return 2 ** level;
}

/** Number of bits needed to write `n` (0 for 0): Go's `bits.Len64`. */
export function bitLength(n: number): number {
  if (n < TWO_32) return 32 - Math.clz32(n);
  return 64 - Math.clz32(Math.floor(n / TWO_32));
}

/** Number of trailing zero bits of `n` > 0: Go's `bits.TrailingZeros64`. */
export function trailingZeros(n: number): number {
  const low = n >>> 0; // n mod 2^32
  if (low !== 0) return 31 - Math.clz32(low & -low);
  return 32 + trailingZeros(Math.floor(n / TWO_32));
}

/** Number of set bits of `n`: Go's `bits.OnesCount64`. */
export function popCount(n: number): number {
  let count = 0;
  for (let word of [n >>> 0, Math.floor(n / TWO_32)]) {
    while (word !== 0) {
      word &= word - 1;
      count++;
    }
  }
  return count;
}

/** True when `n` > 0 is an exact power of two. */
export function isPowerOfTwo(n: number): boolean {
  return n > 0 && pow2(trailingZeros(n)) === n;
}

/**
 * The perfect subtrees covering leaves [begin, end), largest first, as (level, index) pairs.
 *
 * `begin` must be 0 or a multiple of a power of two greater than `end - begin` (the start of a node on
 * the tree's right border), which holds for every range the RFC 6962 tree shape produces: that makes
 * each piece a node of the tree, namely one per set bit of `end - begin` (RFC 9162 §2.1.1: MTH splits
 * at the largest power of two smaller than the size, so a tree of size n is the perfect subtrees of
 * n's binary decomposition, folded right to left).
 */
export function perfectSubtrees(begin: number, end: number): Array<{ level: number; index: number }> {
  const out: Array<{ level: number; index: number }> = [];
  let pos = begin;
  let rest = end - begin;
  while (rest > 0) {
    const level = bitLength(rest) - 1;
    const width = pow2(level);
    out.push({ level, index: pos / width });
    pos += width;
    rest -= width;
  }
  return out;
}
