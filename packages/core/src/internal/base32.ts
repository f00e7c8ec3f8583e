/**
 * RFC 4648 base32, lower case, no padding: the default string form of a CIDv1 (multibase prefix `b`).
 *
 * multiformats' generic codec is correct but slow for the one layout Ancora uses everywhere (a 36-byte
 * CIDv1 raw sha2-256, `bafkrei…`, 59 characters), and its decoder is lenient: it ignores case and
 * strips `=` padding. These functions are strict and fast; `base32.test.ts` holds them to multiformats'
 * encoder byte for byte.
 */

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
const CODES = new Uint8Array(32);
for (let i = 0; i < 32; i++) CODES[i] = ALPHABET.charCodeAt(i);

/** Character code → 5-bit value for `a-z2-7`, -1 for anything else (upper case included). */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** The 5-bit value of a character code, or -1 when it is not in the (lower case) alphabet. */
function value(code: number): number {
  return code < 128 ? (VALUES[code] as number) : -1;
}

/** Number of characters (without the multibase prefix) that encode `byteLength` bytes. */
export function base32Length(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}

/**
 * Writes `b` followed by the base32 of `bytes` into `out` at `pos` as ASCII bytes and returns the
 * position after it. `out` must have room for `1 + base32Length(bytes.length)` bytes.
 */
export function writeMultibaseBase32(bytes: Uint8Array, out: Uint8Array, pos: number): number {
  let o = pos;
  out[o++] = 0x62; // "b"
  const n = bytes.length;
  let i = 0;
  // Five bytes are exactly eight characters: straight-line code for each whole group.
  for (; i + 5 <= n; i += 5) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1] as number;
    const b2 = bytes[i + 2] as number;
    const b3 = bytes[i + 3] as number;
    const b4 = bytes[i + 4] as number;
    out[o++] = CODES[b0 >> 3] as number;
    out[o++] = CODES[((b0 & 7) << 2) | (b1 >> 6)] as number;
    out[o++] = CODES[(b1 >> 1) & 31] as number;
    out[o++] = CODES[((b1 & 1) << 4) | (b2 >> 4)] as number;
    out[o++] = CODES[((b2 & 15) << 1) | (b3 >> 7)] as number;
    out[o++] = CODES[(b3 >> 2) & 31] as number;
    out[o++] = CODES[((b3 & 3) << 3) | (b4 >> 5)] as number;
    out[o++] = CODES[b4 & 31] as number;
  }
  let buffer = 0;
  let bits = 0;
  for (; i < n; i++) {
    // Only the low 12 bits are ever needed (at most 4 pending bits plus the new byte).
    buffer = ((buffer << 8) | (bytes[i] as number)) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[o++] = CODES[(buffer >> bits) & 31] as number;
    }
  }
  if (bits > 0) out[o++] = CODES[(buffer << (5 - bits)) & 31] as number;
  return o;
}

const CHUNK = 4096;
let scratch = new Uint8Array(128);
const codeUnits: number[] = [];

/** `b` + base32 of `bytes`: exactly what multiformats' `base32.encode` (and so `CID.toString()`) writes. */
export function multibaseBase32(bytes: Uint8Array): string {
  const length = 1 + base32Length(bytes.length);
  if (length > scratch.length) scratch = new Uint8Array(length);
  const end = writeMultibaseBase32(bytes, scratch, 0);
  let out = "";
  for (let start = 0; start < end; start += CHUNK) {
    const stop = Math.min(end, start + CHUNK);
    codeUnits.length = stop - start;
    for (let i = start; i < stop; i++) codeUnits[i - start] = scratch[i] as number;
    out += String.fromCharCode.apply(null, codeUnits);
  }
  codeUnits.length = 0;
  if (scratch.length > 4096) scratch = new Uint8Array(128);
  return out;
}

/**
 * Decodes `count` characters of base32 from `text` at `start` into `out` at `offset`, strictly: lower
 * case alphabet only, no padding, and the bits after the last whole byte must be zero (so every byte
 * string has exactly one spelling). `count` must be a valid unpadded length for the bytes expected:
 * the caller passes `base32Length(n)` for `n` bytes. Returns false, leaving `out` partly written, on
 * any other character or non-zero trailing bits.
 */
export function decodeBase32Into(
  text: string,
  start: number,
  count: number,
  out: Uint8Array,
  offset: number,
): boolean {
  let o = offset;
  let i = start;
  const end = start + count;
  // Eight characters are exactly five bytes: straight-line code for each whole group.
  for (; i + 8 <= end; i += 8) {
    const c0 = value(text.charCodeAt(i));
    const c1 = value(text.charCodeAt(i + 1));
    const c2 = value(text.charCodeAt(i + 2));
    const c3 = value(text.charCodeAt(i + 3));
    const c4 = value(text.charCodeAt(i + 4));
    const c5 = value(text.charCodeAt(i + 5));
    const c6 = value(text.charCodeAt(i + 6));
    const c7 = value(text.charCodeAt(i + 7));
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) < 0) return false;
    out[o++] = (c0 << 3) | (c1 >> 2);
    out[o++] = ((c1 & 3) << 6) | (c2 << 1) | (c3 >> 4);
    out[o++] = ((c3 & 15) << 4) | (c4 >> 1);
    out[o++] = ((c4 & 1) << 7) | (c5 << 2) | (c6 >> 3);
    out[o++] = ((c6 & 7) << 5) | c7;
  }
  let buffer = 0;
  let bits = 0;
  for (; i < end; i++) {
    const v = value(text.charCodeAt(i));
    if (v < 0) return false;
    buffer = ((buffer << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return (buffer & ((1 << bits) - 1)) === 0;
}
