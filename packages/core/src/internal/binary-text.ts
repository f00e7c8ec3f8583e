/**
 * Text forms of bytes used by Ancora's formats: lowercase hex and RFC 4648 §4 base64.
 *
 * The decoders are strict on purpose: each accepts exactly one spelling per byte string (lowercase hex;
 * base64 with the padding rule asked for and zero trailing bits), so a text form cannot be re-spelled
 * into a second string that claims the same bytes. They return `undefined` instead of throwing, so the
 * caller can raise an error naming the field.
 */

const HEX = "0123456789abcdef";
const HEX_PAIRS: string[] = Array.from({ length: 256 }, (_, i) => (HEX[i >> 4] ?? "") + (HEX[i & 15] ?? ""));

/** Lowercase hex, no prefix. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[bytes[i] ?? 0];
  return out;
}

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f (uppercase is not canonical)
  return -1;
}

/** Parses lowercase hex without prefix; `undefined` for odd length, uppercase or any other character. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(text.charCodeAt(2 * i));
    const lo = hexNibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** RFC 4648 §4 base64 (standard alphabet), with or without `=` padding. */
export function toBase64(bytes: Uint8Array, pad: boolean): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const t = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64.charAt(t >> 18) + B64.charAt((t >> 12) & 63) + B64.charAt((t >> 6) & 63) + B64.charAt(t & 63);
  }
  const rest = n - i;
  if (rest === 1) {
    const t = (bytes[i] ?? 0) << 16;
    out += B64.charAt(t >> 18) + B64.charAt((t >> 12) & 63) + (pad ? "==" : "");
  } else if (rest === 2) {
    const t = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64.charAt(t >> 18) + B64.charAt((t >> 12) & 63) + B64.charAt((t >> 6) & 63) + (pad ? "=" : "");
  }
  return out;
}

const B64_CODES = new Uint8Array(64);
for (let i = 0; i < 64; i++) B64_CODES[i] = B64.charCodeAt(i);

/**
 * Writes the unpadded RFC 4648 §4 base64 of `bytes` into `out` at `pos` as ASCII bytes (what
 * `toBase64(bytes, false)` spells) and returns the position after it. `out` must have room for
 * `ceil(4 * bytes.length / 3)` bytes.
 */
export function writeBase64Unpadded(bytes: Uint8Array, out: Uint8Array, pos: number): number {
  const n = bytes.length;
  let p = pos;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const t = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[p++] = B64_CODES[t >> 18] as number;
    out[p++] = B64_CODES[(t >> 12) & 63] as number;
    out[p++] = B64_CODES[(t >> 6) & 63] as number;
    out[p++] = B64_CODES[t & 63] as number;
  }
  const rest = n - i;
  if (rest === 1) {
    const t = (bytes[i] as number) << 16;
    out[p++] = B64_CODES[t >> 18] as number;
    out[p++] = B64_CODES[(t >> 12) & 63] as number;
  } else if (rest === 2) {
    const t = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out[p++] = B64_CODES[t >> 18] as number;
    out[p++] = B64_CODES[(t >> 12) & 63] as number;
    out[p++] = B64_CODES[(t >> 6) & 63] as number;
  }
  return p;
}

/**
 * Parses RFC 4648 §4 base64. `pad` says whether `=` padding is required (true) or forbidden (false).
 * Returns `undefined` for any other character, a wrong length, or non-zero trailing bits (RFC 4648 §3.5
 * lets decoders reject those, and we must: otherwise two strings would decode to the same bytes).
 */
export function fromBase64(text: string, pad: boolean): Uint8Array | undefined {
  let end = text.length;
  if (pad) {
    if (end % 4 !== 0) return undefined;
    if (text.endsWith("==")) end -= 2;
    else if (text.endsWith("=")) end -= 1;
  }
  return base64Range(text, 0, end);
}

/** The 6-bit value of a character code, or -1 when it is not in the standard alphabet. */
function b64Value(code: number): number {
  return code < 128 ? (B64_INDEX[code] as number) : -1;
}

/**
 * Parses unpadded RFC 4648 §4 base64 from `text[start, end)`, strictly as {@link fromBase64} with
 * `pad` false: `undefined` for a character outside the alphabet (`=` included), a length of 1 mod 4,
 * or non-zero trailing bits. Reading in place spares the decoder a substring per bytes value.
 */
export function base64Range(text: string, start: number, end: number): Uint8Array | undefined {
  const length = end - start;
  const rest = length % 4;
  if (rest === 1) return undefined;
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  let o = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const a = b64Value(text.charCodeAt(i));
    const b = b64Value(text.charCodeAt(i + 1));
    const c = b64Value(text.charCodeAt(i + 2));
    const d = b64Value(text.charCodeAt(i + 3));
    if ((a | b | c | d) < 0) return undefined;
    const t = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = t >> 16;
    out[o++] = (t >> 8) & 255;
    out[o++] = t & 255;
  }
  if (rest === 3) {
    const a = b64Value(text.charCodeAt(i));
    const b = b64Value(text.charCodeAt(i + 1));
    const c = b64Value(text.charCodeAt(i + 2));
    if ((a | b | c) < 0 || (c & 3) !== 0) return undefined;
    const t = (a << 18) | (b << 12) | (c << 6);
    out[o++] = t >> 16;
    out[o++] = (t >> 8) & 255;
  } else if (rest === 2) {
    const a = b64Value(text.charCodeAt(i));
    const b = b64Value(text.charCodeAt(i + 1));
    if ((a | b) < 0 || (b & 15) !== 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
  }
  return out;
}

/** Byte equality in time independent of where the arrays differ (for digests and MACs). */
export function equalBytesConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
