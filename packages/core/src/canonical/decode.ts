/**
 * The strict decoder: bytes are accepted only if they are the canonical encoding of the value they
 * decode to, so two different byte strings can never decode to the same value (and therefore never
 * claim the same record).
 *
 * Two strategies, one answer:
 *
 * - The fast path ({@link parseCanonical}) is a single-pass parser that accepts only the canonical form
 *   as it reads: no whitespace, keys strictly increasing, canonical number and string spellings, links
 *   and bytes in their one form. It covers what records are made of (ASCII keys, safe integers, floats,
 *   any well-formed string, block CIDs, bytes) and gives up on anything else.
 * - The reference path (everything it gives up on, and so every error) is the original strategy: parse
 *   with the engine's JSON.parse, turn DAG-JSON's `{"/": ...}` forms into CIDs and bytes, re-encode with
 *   {@link encodeCanonical} and compare the bytes. Integers beyond 2^53 are the one thing JSON.parse
 *   cannot return exactly; when it meets one the bytes are parsed again with `@ipld/dag-json`, which
 *   returns them as bigints.
 *
 * The fast path only ever accepts bytes the reference path accepts, with an equal value; property
 * tests (decode.fast-path.test.ts) hold it to that against {@link decodeCanonicalByReencoding} on
 * canonical and mutated inputs and on every published record vector. Errors always come
 * from the reference path, so codes, paths and offsets are the same whichever path ran first.
 */

import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { parseBlockCidAt } from "../cid.js";
import { AncoraError, EncodingError } from "../errors.js";
import { base64Range, fromBase64 } from "../internal/binary-text.js";
import { strictUtf8Decoder } from "../internal/web-globals.js";
import { parseJson } from "../json/parse-json.js";
import { bytesEqual } from "../merkle/hashing.js";
import { encodeCanonical, MAX_DEPTH } from "./encode.js";
import { formatPath, type PathSegment } from "./path.js";

/** Options for {@link decodeCanonical}. */
export interface CanonicalDecodeOptions {
  /** Reject inputs longer than this many bytes with `ENCODING_TOO_LARGE`. Default: no limit. */
  maxBytes?: number;
}

/** Thrown inside {@link revive} when JSON.parse has rounded an integer: parse again, exactly. */
const NEEDS_EXACT_INTEGERS = Symbol("needs exact integers");

function malformed(path: string, message: string, cause?: unknown): EncodingError {
  return new EncodingError("ENCODING_MALFORMED_BYTES", path, message, cause === undefined ? {} : { cause });
}

/** Turns one `{"/": ...}` map into a CID or bytes, or returns `undefined` if it is neither form. */
function reviveSlashForm(object: Record<string, unknown>, path: PathSegment[]): unknown {
  const keys = Object.keys(object);
  if (keys.length !== 1) return undefined;
  const inner = object["/"];
  if (typeof inner === "string") {
    try {
      return CID.parse(inner);
    } catch (cause) {
      throw malformed(formatPath(path), "Link is not a valid CID", cause);
    }
  }
  if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
    const innerKeys = Object.keys(inner);
    const b64 = (inner as Record<string, unknown>).bytes;
    if (innerKeys.length !== 1 || typeof b64 !== "string") return undefined;
    // Non-canonical spellings (padding, non-zero trailing bits) are rejected here; the re-encoding
    // comparison would reject them too.
    const bytes = fromBase64(b64, false);
    if (bytes === undefined) throw malformed(formatPath(path), "Bytes are not unpadded RFC 4648 base64");
    return bytes;
  }
  return undefined;
}

/** Replaces DAG-JSON link and bytes forms in place, depth first. Returns the revived value. */
function revive(value: unknown, path: PathSegment[], depth: number): unknown {
  if (typeof value === "number") {
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw NEEDS_EXACT_INTEGERS;
    return value;
  }
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_DEPTH) {
    throw new EncodingError(
      "ENCODING_TOO_DEEP",
      formatPath(path),
      `Value is nested more than ${MAX_DEPTH} deep`,
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      value[i] = revive(value[i], path, depth + 1);
      path.pop();
    }
    return value;
  }
  const object = value as Record<string, unknown>;
  if (Object.hasOwn(object, "/")) {
    const special = reviveSlashForm(object, path);
    if (special !== undefined) return special;
    // Otherwise it stays a map with a reserved key, which the re-encoding rejects.
  }
  for (const key of Object.keys(object)) {
    path.push(key);
    // JSON.parse made every key an own data property (even "__proto__"), so this assignment cannot
    // reach a prototype.
    object[key] = revive(object[key], path, depth + 1);
    path.pop();
  }
  return object;
}

function parse(text: string, bytes: Uint8Array): unknown {
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (cause) {
    throw malformed("$", "Bytes are not JSON", cause);
  }
  try {
    return revive(parsed, [], 0);
  } catch (error) {
    if (error !== NEEDS_EXACT_INTEGERS) throw error;
  }
  try {
    return dagJson.decode(bytes);
  } catch (cause) {
    throw malformed("$", "Bytes are not DAG-JSON", cause);
  }
}

// ---------------------------------------------------------------------------------------------------
// Fast path: a parser of the canonical form only. It reads the decoded text once, builds the value as
// it goes, and gives up (throws GIVE_UP) at the first thing that is not certainly canonical or that it
// does not handle (non-ASCII or escaped keys, integers that may exceed 2^53, CIDs other than block CIDs,
// deep nesting); the reference path then decides. Its state is module-level: it calls no user code.

/**
 * Thrown by the fast path to hand the input to the reference path, and what {@link parseCanonical}
 * returns then. Internal (exported for tests).
 */
export const GIVE_UP = Symbol("give up");

/** Containers nested deeper than this go to the reference path (which enforces MAX_DEPTH exactly). */
const FAST_MAX_DEPTH = MAX_DEPTH - 2;
/** Integers with more digits than this are unsafe (2^53 has 16); they go to the reference path. */
const FAST_MAX_DIGITS = 16;
/** Length of a block CID's text, `b` + 58 base32 characters. */
const BLOCK_CID_TEXT = 59;

let src = "";
let at = 0;

function giveUp(): never {
  throw GIVE_UP;
}

function parseValue(depth: number): unknown {
  const s = src;
  const c = s.charCodeAt(at);
  switch (c) {
    case 0x22: // "
      return parseString();
    case 0x7b: // {
      return parseObject(depth);
    case 0x5b: // [
      return parseArray(depth);
    case 0x74: // t
      if (s.startsWith("true", at)) {
        at += 4;
        return true;
      }
      return giveUp();
    case 0x66: // f
      if (s.startsWith("false", at)) {
        at += 5;
        return false;
      }
      return giveUp();
    case 0x6e: // n
      if (s.startsWith("null", at)) {
        at += 4;
        return null;
      }
      return giveUp();
    default:
      return parseNumber();
  }
}

/**
 * Numbers in their canonical spelling: an integer as `-?(0|[1-9][0-9]*)` (not `-0`), a float as exactly
 * `String(value)` for a finite non-integer value, the spelling the encoder writes.
 */
function parseNumber(): number {
  const s = src;
  const start = at;
  let i = at;
  const negative = s.charCodeAt(i) === 0x2d;
  if (negative) i++;
  const first = s.charCodeAt(i);
  let value = 0;
  if (first === 0x30) {
    i++;
  } else if (first >= 0x31 && first <= 0x39) {
    value = first - 0x30;
    i++;
    for (let c = s.charCodeAt(i); c >= 0x30 && c <= 0x39; c = s.charCodeAt(++i))
      value = value * 10 + (c - 0x30);
  } else {
    return giveUp();
  }
  const next = s.charCodeAt(i);
  if (next === 0x2e || next === 0x65 || next === 0x45) {
    // . e E: a float. Scan the JSON number grammar's tail, then require the shortest round-trip text.
    if (next === 0x2e) {
      i++;
      const digits = i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === digits) return giveUp();
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      const digits = i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === digits) return giveUp();
    }
    const text = s.slice(start, i);
    const float = Number(text);
    // An integer-valued spelling (1.0, 1e2, 1e21) is never canonical: integers have no fraction.
    if (!Number.isFinite(float) || Number.isInteger(float) || String(float) !== text) return giveUp();
    at = i;
    return float;
  }
  const digitCount = i - start - (negative ? 1 : 0);
  // Up to 15 digits is always safe; with 16, every prefix is smaller than the value, so it is exact
  // when the value is safe, and rounds to at least 2^53 when it is not.
  if (digitCount > FAST_MAX_DIGITS || (digitCount === FAST_MAX_DIGITS && value > Number.MAX_SAFE_INTEGER)) {
    return giveUp();
  }
  if (negative && value === 0) return giveUp(); // -0
  at = i;
  return negative ? -value : value;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A string value: any well-formed text (the UTF-8 decoder saw to that) with canonical escapes only. */
function parseString(): string {
  const s = src;
  const start = at + 1;
  for (let i = start; ; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      at = i + 1;
      return s.slice(start, i);
    }
    if (c === 0x5c) return parseEscapedString(start, i);
    // Raw control characters are not JSON; NaN (past the end) fails this test too.
    if (!(c >= 0x20)) return giveUp();
  }
}

/** The escapes JSON.stringify writes for U+0000–U+001F, `"` and `\`: anything else is not canonical. */
function parseEscapedString(start: number, firstEscape: number): string {
  const s = src;
  let out = "";
  let chunk = start;
  let i = firstEscape;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      at = i + 1;
      return out + s.slice(chunk, i);
    }
    if (c === 0x5c) {
      out += s.slice(chunk, i);
      const e = s.charCodeAt(i + 1);
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += "\\";
          break;
        case 0x62: // b
          out += "\b";
          break;
        case 0x74: // t
          out += "\t";
          break;
        case 0x6e: // n
          out += "\n";
          break;
        case 0x66: // f
          out += "\f";
          break;
        case 0x72: // r
          out += "\r";
          break;
        case 0x75: {
          // u: only \u00xx in lower-case hex for a control character without a short form.
          if (s.charCodeAt(i + 2) !== 0x30 || s.charCodeAt(i + 3) !== 0x30) return giveUp();
          const hi = s.charCodeAt(i + 4) - 0x30;
          const lo = lowerHex(s.charCodeAt(i + 5));
          if ((hi !== 0 && hi !== 1) || lo < 0) return giveUp();
          const code = (hi << 4) | lo;
          if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) {
            return giveUp();
          }
          out += String.fromCharCode(code);
          i += 4;
          break;
        }
        default:
          return giveUp(); // \/ and anything else
      }
      i += 2;
      chunk = i;
      continue;
    }
    if (!(c >= 0x20)) return giveUp();
    i++;
  }
}

function lowerHex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Recently seen keys by a hash of their text. Records repeat a few dozen keys, and reusing the string
 * object saves a substring and, more importantly, the engine's interning of a new key string on every
 * property store (a quarter of the parse). A hit is verified character by character.
 */
const KEY_CACHE_SIZE = 1024;
const MAX_CACHED_KEY = 64;
const keyCache: (string | undefined)[] = new Array(KEY_CACHE_SIZE).fill(undefined);
/** The character codes of each cached key (ASCII), `MAX_CACHED_KEY` per slot, to verify a hit. */
const keyCodes = new Uint8Array(KEY_CACHE_SIZE * MAX_CACHED_KEY);

/**
 * A key followed by `:`. Only printable ASCII without escapes: for such keys UTF-16 order is UTF-8
 * order and no two are equal after NFC, so "strictly increasing" is the whole canonical-order rule.
 */
function parseKey(): string {
  const s = src;
  if (s.charCodeAt(at) !== 0x22) return giveUp();
  const start = at + 1;
  let i = start;
  let hash = 0;
  for (let c = s.charCodeAt(i); c !== 0x22; c = s.charCodeAt(++i)) {
    if (!(c >= 0x20 && c < 0x80) || c === 0x5c) return giveUp();
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  if (s.charCodeAt(i + 1) !== 0x3a) return giveUp(); // :
  at = i + 2;
  const length = i - start;
  if (length > MAX_CACHED_KEY) return s.slice(start, i);
  const slot = (hash ^ length) & (KEY_CACHE_SIZE - 1);
  const cached = keyCache[slot];
  const base = slot * MAX_CACHED_KEY;
  if (cached !== undefined && cached.length === length) {
    let j = 0;
    while (j < length && keyCodes[base + j] === s.charCodeAt(start + j)) j++;
    if (j === length) return cached;
  }
  const key = internalize(s.slice(start, i));
  keyCache[slot] = key;
  for (let j = 0; j < length; j++) keyCodes[base + j] = s.charCodeAt(start + j);
  return key;
}

/**
 * The engine's interned copy of a property name: `Object.keys` returns the strings the object's shape
 * holds. Caching that copy (rather than the substring, which the engine turns into an indirection once
 * it is used as a key) keeps the property stores on the engine's fast path.
 */
function internalize(key: string): string {
  const holder: Record<string, number> = {};
  holder[key] = 0;
  return Object.keys(holder)[0] ?? key;
}

function parseObject(depth: number): unknown {
  const s = src;
  if (depth >= FAST_MAX_DEPTH) return giveUp();
  at++;
  if (s.charCodeAt(at) === 0x7d) {
    at++;
    return {};
  }
  let key = parseKey();
  if (key === "/") return parseSlashForm();
  if (key === "__proto__") return giveUp();
  const object: Record<string, unknown> = {};
  object[key] = parseValue(depth + 1);
  for (;;) {
    const c = s.charCodeAt(at);
    if (c === 0x7d) {
      at++;
      return object;
    }
    if (c !== 0x2c) return giveUp();
    at++;
    const next = parseKey();
    // Strictly increasing: sorted, and no duplicates. "/" and "__proto__" are reserved.
    if (!(next > key) || next === "/" || next === "__proto__") return giveUp();
    key = next;
    object[key] = parseValue(depth + 1);
  }
}

/** After `{"/":`: a block CID link `"bafkrei…"}` or bytes `{"bytes":"<base64>"}}`. */
function parseSlashForm(): unknown {
  const s = src;
  const c = s.charCodeAt(at);
  if (c === 0x22) {
    const end = at + 1 + BLOCK_CID_TEXT;
    if (s.charCodeAt(end) !== 0x22 || s.charCodeAt(end + 1) !== 0x7d) return giveUp();
    const cid = parseBlockCidAt(src, at + 1);
    if (cid === undefined) return giveUp();
    at = end + 2;
    return cid;
  }
  if (c === 0x7b && s.startsWith('{"bytes":"', at)) {
    const start = at + 10;
    let i = start;
    while (s.charCodeAt(i) !== 0x22 && i < s.length) i++;
    if (s.charCodeAt(i + 1) !== 0x7d || s.charCodeAt(i + 2) !== 0x7d) return giveUp();
    const bytes = base64Range(src, start, i);
    if (bytes === undefined) return giveUp();
    at = i + 3;
    return bytes;
  }
  return giveUp();
}

function parseArray(depth: number): unknown[] {
  const s = src;
  if (depth >= FAST_MAX_DEPTH) return giveUp();
  at++;
  const array: unknown[] = [];
  if (s.charCodeAt(at) === 0x5d) {
    at++;
    return array;
  }
  for (;;) {
    array.push(parseValue(depth + 1));
    const c = s.charCodeAt(at);
    at++;
    if (c === 0x5d) return array;
    if (c !== 0x2c) return giveUp();
  }
}

/**
 * The value of `text` if it is certainly in canonical form, {@link GIVE_UP} otherwise. Never throws:
 * any surprise (an exception from a frozen prototype, say) is handed to the reference path too.
 * Internal (exported for tests).
 */
export function parseCanonical(text: string): unknown {
  src = text;
  at = 0;
  try {
    const value = parseValue(0);
    return at === text.length ? value : GIVE_UP;
  } catch {
    return GIVE_UP;
  } finally {
    src = "";
  }
}

// ---------------------------------------------------------------------------------------------------

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/**
 * Decodes canonical DAG-JSON bytes. Throws {@link EncodingError}: `ENCODING_MALFORMED_BYTES` when the
 * bytes are not UTF-8 DAG-JSON at all, `ENCODING_NOT_CANONICAL` when they decode but are not the one
 * canonical encoding of the result (whitespace, key order, `1.0`, escapes, duplicate keys, `-0`, ...),
 * `ENCODING_TOO_LARGE` / `ENCODING_TOO_DEEP` past the limits. Links come back as `CID`, bytes as
 * `Uint8Array`, integers beyond 2^53 as `bigint`.
 *
 * @example
 * ```ts
 * decodeCanonical(new TextEncoder().encode('{"a":1}')); // { a: 1 }
 * decodeCanonical(new TextEncoder().encode('{"a": 1}')); // throws ENCODING_NOT_CANONICAL
 * ```
 */
export function decodeCanonical(bytes: Uint8Array, options: CanonicalDecodeOptions = {}): unknown {
  const text = checkedText(bytes, options);
  const fast = parseCanonical(text);
  if (fast !== GIVE_UP) return fast;
  return decodeByReencoding(text, bytes);
}

/**
 * {@link decodeCanonical} without the fast path: the reference strategy alone, which answers every input
 * the fast path gives up on. Not part of the package's API; decode.fast-path.test.ts holds the fast path
 * to it.
 */
export function decodeCanonicalByReencoding(
  bytes: Uint8Array,
  options: CanonicalDecodeOptions = {},
): unknown {
  return decodeByReencoding(checkedText(bytes, options), bytes);
}

/** The limit and UTF-8 checks both strategies start with; returns the text the bytes spell. */
function checkedText(bytes: Uint8Array, options: CanonicalDecodeOptions): string {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  if (bytes.length > maxBytes) {
    throw new EncodingError(
      "ENCODING_TOO_LARGE",
      "$",
      `Input is ${bytes.length} bytes, over the limit of ${maxBytes}`,
      {
        evidence: { size: bytes.length, maxBytes },
      },
    );
  }
  try {
    return strictUtf8Decoder.decode(bytes);
  } catch (cause) {
    throw malformed("$", "Bytes are not valid UTF-8", cause);
  }
}

/**
 * The reference strategy: parse, re-encode, compare. Every input the fast path gives up on ends here,
 * and so does every error.
 */
function decodeByReencoding(text: string, bytes: Uint8Array): unknown {
  const value = parse(text, bytes);
  let canonical: Uint8Array;
  try {
    canonical = encodeCanonical(value);
  } catch (error) {
    if (error instanceof EncodingError && error.code === "ENCODING_TOO_DEEP") throw error;
    const path = error instanceof EncodingError ? error.path : "$";
    const rule = error instanceof AncoraError ? error.code : "unknown";
    throw new EncodingError(
      "ENCODING_NOT_CANONICAL",
      path,
      `Decoded value breaks an encoding rule (${rule})`,
      {
        cause: error,
      },
    );
  }
  if (!bytesEqual(canonical, bytes)) {
    const offset = firstDifference(bytes, canonical);
    throw new EncodingError(
      "ENCODING_NOT_CANONICAL",
      "$",
      `Bytes are not in canonical form (first difference at byte ${offset})`,
      {
        evidence: { offset },
        hint: "Re-encode the value with encodeCanonical; whitespace, key order, number and string spellings are fixed.",
      },
    );
  }
  return value;
}
