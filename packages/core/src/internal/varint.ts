/**
 * Unsigned LEB128 varints (the multiformats unsigned-varint and protobuf varint), as CAR v1 frames its
 * header and sections and dag-pb its fields. Writers only, for non-negative safe integers: readers
 * check what they read against limits of their own (see the verifier's CAR reader).
 */

/** Bytes of the varint of `n`. */
export function varintLength(n: number): number {
  let length = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 128)) length++;
  return length;
}

/** Writes the varint of `n` into `out` at `at` and returns the position after it. */
export function writeVarint(out: Uint8Array, at: number, n: number): number {
  let v = n;
  let i = at;
  while (v >= 0x80) {
    out[i++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[i++] = v;
  return i;
}

/**
 * The varint of `n`.
 *
 * @example
 * ```ts
 * encodeVarint(300); // Uint8Array [0xac, 0x02]
 * ```
 */
export function encodeVarint(n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n));
  writeVarint(out, 0, n);
  return out;
}
