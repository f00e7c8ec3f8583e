/**
 * Which tree sizes one RFC 9162 §2.1.4 consistency proof verifies for.
 *
 * The verification algorithm (§2.1.4.2) reads the sizes only through its branch conditions (is `fn`
 * odd, is `fn == sn`, is `sn == 0`); the hashes it computes depend on the branches taken, not on the
 * sizes. Two new sizes that take the same branches with the same old size therefore accept exactly the
 * same proofs (and, barring a SHA-256 collision, sizes that take different branches accept none in
 * common). The branches depend on the new size `n` only through `d`, the bit length of
 * `(m - 1) XOR (n - 1)`: the check `fn == sn` after `t` right shifts holds exactly when `t >= d`, and
 * `sn == 0` holds when `t >= bitLength(n - 1)`, which `d` fixes too because `n - 1` agrees with `m - 1`
 * above bit `d - 1`. So the sizes sharing a proof are a union of at most 53 intervals, one per `d`,
 * found without hashing anything. docs/threat-model.md ("A wrong-size anchor") uses this to show why
 * the registry cannot refuse a misstated size, and the verifier to find the true size of one.
 */
import { ArgumentError } from "../errors.js";
import { isTreeNumber, pow2 } from "./bits.js";

/** An inclusive range of tree sizes. */
export interface SizeRange {
  readonly from: number;
  readonly to: number;
}

/**
 * The branches RFC 9162 §2.1.4.2 takes for a proof from `size1` to `size2` (0 < size1 < size2): one
 * letter per proof hash after the first, `L` where the hash is a left sibling (step 6b.i) and `R` where
 * it is a right one. A proof verifies for another `size2` only if its shape is the same.
 *
 * @throws {ArgumentError} unless 0 < size1 < size2 (safe integers).
 * @example
 * ```ts
 * consistencyProofShape(1, 705) === consistencyProofShape(1, 1024); // true: "RRRRRRRRRR"
 * ```
 */
export function consistencyProofShape(size1: number, size2: number): string {
  if (!isTreeNumber(size1) || !isTreeNumber(size2) || size1 === 0 || size1 >= size2) {
    throw new ArgumentError("consistencyProofShape: need safe integers 0 < size1 < size2", {
      evidence: { size1, size2 },
    });
  }
  // The same steps as verify.ts's checkConsistency, on the sizes alone (halving for right shifts).
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let shape = "";
  // A valid proof has exactly as many hashes as it takes sn to reach 0 (steps 6a and 7).
  while (sn !== 0) {
    if (fn % 2 === 1 || fn === sn) {
      shape += "L";
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      shape += "R";
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return shape;
}

/**
 * Every new tree size for which the consistency proof from `size1` to `size2` verifies (same roots,
 * same proof), `size2` included, as ascending inclusive ranges. A registry that accepted an anchor of
 * size `s` with a valid proof may therefore hold the root of any size in these ranges (those of
 * `consistencyProofSizes(size1, s)`): a verifier looks for the true size there.
 *
 * @throws {ArgumentError} unless 0 < size1 < size2 (safe integers).
 * @example
 * ```ts
 * consistencyProofSizes(1, 705); // [{ from: 513, to: 1024 }]: 512 sizes accept one proof
 * ```
 */
export function consistencyProofSizes(size1: number, size2: number): SizeRange[] {
  const shape = consistencyProofShape(size1, size2);
  const m1 = size1 - 1;
  const out: SizeRange[] = [];
  // n - 1 agrees with m - 1 above bit d - 1 and exceeds it, so it has bit d - 1 set where m - 1 has
  // it clear, and any bits below: the interval [base + 2^(d-1), base + 2^d - 1].
  for (let d = 1; d <= 53; d++) {
    const width = pow2(d);
    if (Math.floor(m1 / pow2(d - 1)) % 2 === 1) continue;
    const base = Math.floor(m1 / width) * width;
    const from = base + width / 2 + 1;
    const to = Math.min(base + width, Number.MAX_SAFE_INTEGER);
    if (from > to) break;
    if (consistencyProofShape(size1, from) === shape) {
      const last = out.at(-1);
      if (last !== undefined && last.to + 1 === from) out[out.length - 1] = { from: last.from, to };
      else out.push({ from, to });
    }
  }
  return out;
}
