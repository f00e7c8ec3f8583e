/**
 * The canonical encoder: one strict walk over a JavaScript value that both validates it and writes its
 * DAG-JSON bytes, so a value is either rejected with a typed error naming the field or encoded exactly.
 *
 * The output is byte-for-byte what `@ipld/dag-json` produces for the same value (a property test holds
 * it to that; see the one exception below), about twenty times faster on a decision record
 * (bench/records.bench.ts): it writes UTF-8 straight into a reused buffer instead of going through a
 * token stream, caches each map shape's sorted keys, and copies the result out once. What it adds on
 * top of `@ipld/dag-json` is strictness: everything that library would coerce, drop or encode in a way
 * that does not decode back to the same value is an {@link EncodingError} here.
 *
 * The exception: links are written from the CID's bytes. multiformats' parsers are lenient (base32
 * ignores case and `=` padding) and `CID.toString()` returns the text a CID was parsed from, so
 * `@ipld/dag-json` can write a non-canonical spelling for a CID that came from such text; this encoder
 * always writes the canonical one. See docs/formats.md, "Canonical encoding".
 */
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import { EncodingError, type EncodingErrorCode } from "../errors.js";
import { base32Length, writeMultibaseBase32 } from "../internal/base32.js";
import { writeBase64Unpadded } from "../internal/binary-text.js";
import { strictUtf8Decoder, utf8Encoder } from "../internal/web-globals.js";
import { formatPath, type PathSegment } from "./path.js";

/** Maximum nesting of maps and lists. Deeper values are rejected with `ENCODING_TOO_DEEP`. */
export const MAX_DEPTH = 64;

/** Smallest bigint DAG-JSON carries as an integer (int64). */
export const MIN_BIGINT = -(2n ** 63n);
/** Largest bigint DAG-JSON carries as an integer (uint64). */
export const MAX_BIGINT = 2n ** 64n - 1n;

/** Options for {@link encodeCanonical}. */
export interface CanonicalEncodeOptions {
  /** Reject encodings longer than this many bytes with `ENCODING_TOO_LARGE`. Default: no limit. */
  maxBytes?: number;
}

/**
 * Keys that would change meaning on the way back: `/` marks DAG-JSON links and bytes, and `__proto__`
 * is a prototype setter for any JavaScript code that copies the decoded object with assignment.
 */
const RESERVED_KEYS = new Set(["/", "__proto__"]);

const hasIsWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function";
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** True when `s` has no lone UTF-16 surrogate, i.e. it can be written as UTF-8 without loss. */
function isWellFormed(s: string): boolean {
  // In a `u` regex a valid surrogate pair is one code point, so the class matches lone halves only.
  return hasIsWellFormed
    ? (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : !LONE_SURROGATE.test(s);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Compares by Unicode code point, which is the order of the strings' UTF-8 bytes. */
function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i) ?? 0;
    const cb = b.codePointAt(j) ?? 0;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}

/** State of one walk: the containers we are inside (for cycles and depth) and the path to report. */
interface Walk {
  ancestors: object[];
  path: PathSegment[];
}

function fail(walk: Walk, code: EncodingErrorCode, message: string, last?: PathSegment): never {
  const segments = last === undefined ? walk.path : [...walk.path, last];
  throw new EncodingError(code, formatPath(segments), message);
}

// ---------------------------------------------------------------------------------------------------
// Output. The encoder writes UTF-8 straight into one reused buffer and copies the result out once:
// building the text as a string and encoding it afterwards cost more than the walk itself (string
// concatenation, then flattening the rope, then a second pass to encode it).

const INITIAL_BUFFER = 16 * 1024;
/** A buffer grown beyond this for one large value is dropped afterwards rather than kept. */
const MAX_RETAINED_BUFFER = 1024 * 1024;

let out = new Uint8Array(INITIAL_BUFFER);
let pos = 0;
/**
 * UTF-8 bytes written minus the UTF-16 code units of the text they spell, so the text's length (what
 * the size limit's "at least" message reports) is `pos - extra`. Non-zero only for non-ASCII text.
 */
let extra = 0;
/**
 * True while an encoding is in progress. A getter or proxy trap inside the value can call the encoder
 * again; such a nested call gets its own buffer instead of overwriting this one.
 */
let busy = false;

/** Makes room for `n` more bytes. */
function reserve(n: number): void {
  if (pos + n > out.length) grow(n);
}

function grow(n: number): void {
  const next = new Uint8Array(Math.max(out.length * 2, pos + n));
  next.set(out.subarray(0, pos));
  out = next;
}

/** Writes an ASCII-only string (numbers, fixed syntax, CIDv0 text). */
function writeAscii(s: string): void {
  const n = s.length;
  if (pos + n > out.length) grow(n);
  const buf = out;
  let p = pos;
  for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
  pos = p;
}

function writeString(s: string, walk: Walk): void {
  // Fast path: printable ASCII with nothing to escape, by far the common case, is copied as is.
  const n = s.length;
  if (pos + n + 2 > out.length) grow(n + 2);
  const buf = out;
  let p = pos;
  buf[p++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7f) {
      writeStringSlow(s, walk);
      return;
    }
    buf[p++] = c;
  }
  buf[p++] = 0x22;
  pos = p;
}

const HEX_DIGITS = "0123456789abcdef";

/**
 * Any string: exactly the UTF-8 of `JSON.stringify(s)` (what @ipld/dag-json writes, since it calls
 * JSON.stringify itself): `"`, `\` and control characters below U+0020 escaped, with the short forms
 * `\b \t \n \f \r` and lower-case `\u00xx` otherwise; every other character as UTF-8. A property test
 * holds it to JSON.stringify + TextEncoder.
 */
function writeStringSlow(s: string, walk: Walk): void {
  if (!isWellFormed(s)) fail(walk, "ENCODING_LONE_SURROGATE", "String contains a lone UTF-16 surrogate");
  const n = s.length;
  reserve(n + 8);
  let buf = out;
  let p = pos;
  // Room is checked per character for the longest form (\u00xx, 6 bytes; the closing quote fits too),
  // so a long string with a few special characters does not reserve six times its length.
  let limit = buf.length - 8;
  let more = 0;
  buf[p++] = 0x22;
  for (let i = 0; i < n; i++) {
    if (p > limit) {
      pos = p;
      grow(n - i + 8);
      buf = out;
      limit = buf.length - 8;
    }
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
        buf[p++] = c;
        continue;
      }
      buf[p++] = 0x5c; // backslash
      switch (c) {
        case 0x22:
          buf[p++] = 0x22;
          break;
        case 0x5c:
          buf[p++] = 0x5c;
          break;
        case 0x08:
          buf[p++] = 0x62; // b
          break;
        case 0x09:
          buf[p++] = 0x74; // t
          break;
        case 0x0a:
          buf[p++] = 0x6e; // n
          break;
        case 0x0c:
          buf[p++] = 0x66; // f
          break;
        case 0x0d:
          buf[p++] = 0x72; // r
          break;
        default:
          buf[p++] = 0x75; // u
          buf[p++] = 0x30;
          buf[p++] = 0x30;
          buf[p++] = HEX_DIGITS.charCodeAt(c >> 4);
          buf[p++] = HEX_DIGITS.charCodeAt(c & 15);
      }
    } else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
      more += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      // A high surrogate; the string is well-formed, so a low one follows.
      const cp = ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00) + 0x10000;
      buf[p++] = 0xf0 | (cp >> 18);
      buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
      buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
      buf[p++] = 0x80 | (cp & 0x3f);
      more += 2;
    } else {
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
      buf[p++] = 0x80 | (c & 0x3f);
      more += 2;
    }
  }
  buf[p++] = 0x22;
  pos = p;
  extra += more;
}

function writeNumber(n: number, walk: Walk): void {
  if (Number.isInteger(n)) {
    if (!Number.isSafeInteger(n)) {
      fail(walk, "ENCODING_UNSAFE_INTEGER", "Integer is outside ±(2^53 − 1); pass a bigint to keep it exact");
    }
    // -0 is an integer that DAG-JSON would silently write as 0; rejecting keeps decode(encode(x)) ≡ x.
    if (n === 0 && 1 / n < 0) fail(walk, "ENCODING_NEGATIVE_ZERO", "Negative zero cannot be encoded; use 0");
    writeAscii(String(n));
    return;
  }
  if (!Number.isFinite(n)) fail(walk, "ENCODING_NON_FINITE_NUMBER", "NaN and ±Infinity cannot be encoded");
  // A finite non-integer is below 2^53, so String() gives the shortest text that parses back to the same
  // double (ECMA-262 Number::toString), always with a `.` or an exponent: a float on decode too.
  writeAscii(String(n));
}

function writeBigInt(n: bigint, walk: Walk): void {
  if (n < MIN_BIGINT || n > MAX_BIGINT) {
    fail(walk, "ENCODING_UNSAFE_INTEGER", "Bigint is outside the int64/uint64 range DAG-JSON carries");
  }
  writeAscii(n.toString());
}

const BYTES_OPEN = '{"/":{"bytes":"';
const BYTES_CLOSE = '"}}';

/** `{"/":{"bytes":"<RFC 4648 §4 base64, no padding>"}}`, as `toBase64(bytes, false)` spells it. */
function writeBytes(bytes: Uint8Array): void {
  reserve(BYTES_OPEN.length + Math.ceil((bytes.length * 4) / 3) + BYTES_CLOSE.length);
  writeAscii(BYTES_OPEN);
  pos = writeBase64Unpadded(bytes, out, pos);
  writeAscii(BYTES_CLOSE);
}

/**
 * `{"/":"<cid>"}` with the CID in its default string form: base58btc for CIDv0, otherwise `b` and the
 * base32 of its bytes, always computed from the bytes. (Not `toString()`: multiformats caches the text
 * a CID was parsed from, and its parsers are lenient: base32 ignores case and `=` padding, base58 reads
 * characters outside its alphabet as garbage instead of failing. So `toString()` can return a spelling
 * other than the canonical one; writing from the bytes is what makes such a spelling fail to decode.)
 */
function writeLink(cid: CID): void {
  if (cid.version === 0) {
    // CIDv0 text is base58btc without its multibase prefix `z`.
    writeAscii(`{"/":"${base58btc.encode(cid.bytes).slice(1)}"}`);
    return;
  }
  const bytes = cid.bytes;
  reserve(6 + 1 + base32Length(bytes.length) + 2);
  writeAscii('{"/":"');
  pos = writeMultibaseBase32(bytes, out, pos);
  writeAscii('"}');
}

function writeArray(array: unknown[], walk: Walk): void {
  if (Object.getPrototypeOf(array) !== Array.prototype) {
    fail(walk, "ENCODING_NON_PLAIN_OBJECT", "Array subclasses cannot be encoded; pass a plain array");
  }
  reserve(1);
  out[pos++] = 0x5b; // [
  const path = walk.path;
  for (let i = 0; i < array.length; i++) {
    if (i > 0) {
      reserve(1);
      out[pos++] = 0x2c; // ,
    }
    path.push(i);
    // A hole in a sparse array reads as undefined and is rejected like any undefined.
    writeValue(array[i], walk);
    path.pop();
  }
  reserve(1);
  out[pos++] = 0x5d; // ]
}

/** Checks that only matter for non-ASCII keys: surrogates, NFC collisions and an unambiguous order. */
function checkUnicodeKeys(sortedKeys: string[], walk: Walk): void {
  const byNormalForm = new Map<string, string>();
  for (const key of sortedKeys) {
    if (!isWellFormed(key))
      fail(walk, "ENCODING_LONE_SURROGATE", "Key contains a lone UTF-16 surrogate", key);
    const nfc = key.normalize("NFC");
    const other = byNormalForm.get(nfc);
    if (other !== undefined) {
      fail(
        walk,
        "ENCODING_KEY_COLLISION",
        `Keys collide after Unicode NFC normalisation (with key ${JSON.stringify(other)})`,
        key,
      );
    }
    byNormalForm.set(nfc, key);
  }
  // @ipld/dag-json sorts keys by UTF-16 code units; the DAG-JSON spec says by UTF-8 bytes. The two
  // orders differ only when a key has a character above U+FFFF and another one in U+E000..U+FFFF at
  // the same position. Such maps are rejected, so our bytes satisfy both.
  for (let i = 1; i < sortedKeys.length; i++) {
    const a = sortedKeys[i - 1] ?? "";
    const b = sortedKeys[i] ?? "";
    if (compareCodePoints(a, b) > 0) {
      fail(walk, "ENCODING_AMBIGUOUS_KEY_ORDER", "Keys sort differently by UTF-16 and by UTF-8", b);
    }
  }
}

/**
 * What sorting and checking a map's keys produces, cached per key sequence: records and their bodies
 * repeat the same few shapes, and sorting plus escaping keys was most of the encoder's time.
 */
interface Shape {
  /** The keys in the map's own order (`Object.keys`), to recognise the shape. */
  own: string[];
  /** The keys in canonical order. */
  keys: string[];
  /** UTF-8 of `"key":` for each key in canonical order, preceded by `,` after the first, concatenated. */
  prefixBytes: Uint8Array;
  /** End offset of each key's prefix in `prefixBytes`. */
  prefixEnds: number[];
  /** `extra` (UTF-8 bytes minus UTF-16 units) of all prefixes together. */
  prefixExtra: number;
}

/** Maps with more keys than this are not cached (they are rarely repeated). */
const MAX_CACHED_KEYS = 32;
/** Shapes kept per first key; beyond it the oldest is replaced. */
const MAX_SHAPES_PER_FIRST_KEY = 8;
/** Bound on the cache; it is simply dropped when full. */
const MAX_SHAPES = 2048;

/** Cached shapes by their first own key (a cheap, selective hash of the key sequence). */
let shapes = new Map<string, Shape[]>();
let shapeCount = 0;

function buildShape(own: string[], walk: Walk): Shape {
  const sorted = [...own].sort(); // UTF-16 code unit order, as @ipld/dag-json; see checkUnicodeKeys.
  let unicode = false;
  for (const key of sorted) {
    if (RESERVED_KEYS.has(key))
      fail(walk, "ENCODING_RESERVED_KEY", `The key ${JSON.stringify(key)} is reserved`, key);
    if (!unicode && !isAscii(key)) unicode = true;
  }
  if (unicode) checkUnicodeKeys(sorted, walk);
  let text = "";
  const ends: number[] = [];
  const parts: Uint8Array[] = [];
  let length = 0;
  for (let i = 0; i < sorted.length; i++) {
    const prefix = `${i === 0 ? "" : ","}${JSON.stringify(sorted[i])}:`;
    text += prefix;
    const bytes = utf8Encoder.encode(prefix);
    parts.push(bytes);
    length += bytes.length;
    ends.push(length);
  }
  const prefixBytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    prefixBytes.set(part, at);
    at += part.length;
  }
  return { own, keys: sorted, prefixBytes, prefixEnds: ends, prefixExtra: length - text.length };
}

/** The shape of a map with these keys (in the map's own order), from the cache when seen before. */
function shapeOf(own: string[], walk: Walk): Shape {
  const n = own.length;
  if (n > MAX_CACHED_KEYS) return buildShape(own, walk);
  const first = own[0] as string;
  let list = shapes.get(first);
  if (list !== undefined) {
    for (let s = 0; s < list.length; s++) {
      const shape = list[s] as Shape;
      const cached = shape.own;
      if (cached.length !== n) continue;
      let i = 1;
      while (i < n && cached[i] === own[i]) i++;
      if (i === n) return shape;
    }
  }
  // Only a shape whose keys passed every check is stored, so a hit needs no re-checking.
  const shape = buildShape(own, walk);
  if (shapeCount >= MAX_SHAPES) {
    shapes = new Map();
    shapeCount = 0;
    list = undefined;
  }
  if (list === undefined) {
    list = [];
    shapes.set(first, list);
  }
  if (list.length >= MAX_SHAPES_PER_FIRST_KEY) list.shift();
  else shapeCount++;
  list.push(shape);
  return shape;
}

function writeObject(object: Record<string, unknown>, walk: Walk): void {
  if (Object.getOwnPropertySymbols(object).length > 0) {
    fail(walk, "ENCODING_UNSUPPORTED_TYPE", "Symbol-keyed properties cannot be encoded");
  }
  const own = Object.keys(object);
  if (own.length === 0) {
    writeAscii("{}");
    return;
  }
  const { keys, prefixBytes, prefixEnds, prefixExtra } = shapeOf(own, walk);
  reserve(1);
  out[pos++] = 0x7b; // {
  extra += prefixExtra;
  const path = walk.path;
  let from = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const to = prefixEnds[i] as number;
    if (pos + (to - from) > out.length) grow(to - from);
    const buf = out;
    let p = pos;
    for (let j = from; j < to; j++) buf[p++] = prefixBytes[j] as number;
    pos = p;
    from = to;
    path.push(key);
    writeValue(object[key], walk);
    path.pop();
  }
  reserve(1);
  out[pos++] = 0x7d; // }
}

function writeContainer(value: object, walk: Walk): void {
  const ancestors = walk.ancestors;
  if (ancestors.includes(value)) fail(walk, "ENCODING_CYCLE", "Value refers to itself (a cycle)");
  if (ancestors.length >= MAX_DEPTH) {
    fail(walk, "ENCODING_TOO_DEEP", `Value is nested more than ${MAX_DEPTH} maps and lists deep`);
  }
  ancestors.push(value);
  if (Array.isArray(value)) writeArray(value as unknown[], walk);
  else writeObject(value as Record<string, unknown>, walk);
  ancestors.pop();
}

function writeValue(value: unknown, walk: Walk): void {
  switch (typeof value) {
    case "string":
      writeString(value, walk);
      return;
    case "number":
      writeNumber(value, walk);
      return;
    case "boolean":
      writeAscii(value ? "true" : "false");
      return;
    case "bigint":
      writeBigInt(value, walk);
      return;
    case "undefined":
      fail(walk, "ENCODING_UNDEFINED", "undefined cannot be encoded; omit the field or use null");
      return;
    case "function":
    case "symbol":
      fail(walk, "ENCODING_UNSUPPORTED_TYPE", `A ${typeof value} cannot be encoded`);
      return;
    default:
      break;
  }
  if (value === null) {
    writeAscii("null");
    return;
  }
  const object = value as object;
  if (object instanceof Uint8Array) {
    writeBytes(object);
    return;
  }
  const proto = Object.getPrototypeOf(object);
  if (proto === Object.prototype || proto === null || Array.isArray(object)) {
    writeContainer(object, walk);
    return;
  }
  const cid = CID.asCID(object);
  if (cid !== null) {
    writeLink(cid);
    return;
  }
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  fail(
    walk,
    "ENCODING_NON_PLAIN_OBJECT",
    `Only plain objects, arrays, Uint8Array and CID can be encoded${typeof name === "string" ? `, found ${name}` : ""}`,
  );
}

/**
 * Encodes `value` into the shared buffer and returns a copy of the bytes (checked against `maxBytes`),
 * or the text when `asText`. Takes care of encodings nested through getters.
 */
function encodeWith(value: unknown, asText: boolean, maxBytes: number): Uint8Array | string {
  const nested = busy;
  const savedOut = out;
  const savedPos = pos;
  const savedExtra = extra;
  if (nested) out = new Uint8Array(256);
  busy = true;
  pos = 0;
  extra = 0;
  try {
    writeValue(value, { ancestors: [], path: [] });
    if (asText) return strictUtf8Decoder.decode(out.subarray(0, pos));
    // The limit's "at least" form reports the text's length in UTF-16 units, as it always has.
    const textLength = pos - extra;
    if (textLength > maxBytes) throw tooLarge(textLength, maxBytes, "at least ");
    if (pos > maxBytes) throw tooLarge(pos, maxBytes, "");
    return out.slice(0, pos);
  } finally {
    if (nested) {
      out = savedOut;
      pos = savedPos;
      extra = savedExtra;
    } else {
      busy = false;
      if (out.length > MAX_RETAINED_BUFFER) out = new Uint8Array(INITIAL_BUFFER);
    }
  }
}

/**
 * Returns the canonical DAG-JSON text of `value`, before UTF-8 encoding. Prefer {@link encodeCanonical};
 * this exists for callers that need the text itself.
 *
 * @example
 * ```ts
 * encodeCanonicalText({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function encodeCanonicalText(value: unknown): string {
  return encodeWith(value, true, Number.POSITIVE_INFINITY) as string;
}

/**
 * Encodes `value` as canonical DAG-JSON bytes: keys sorted, no whitespace, CIDs as `{"/": "..."}`,
 * bytes as `{"/": {"bytes": "..."}}`. Throws {@link EncodingError} with the path of the offending
 * field for anything that cannot be encoded exactly (see docs/formats.md for the full list).
 *
 * @example
 * ```ts
 * const bytes = encodeCanonical({ b: 1, a: "x" });
 * new TextDecoder().decode(bytes); // '{"a":"x","b":1}'
 * encodeCanonical({ age: Number.NaN }); // throws EncodingError ENCODING_NON_FINITE_NUMBER at $.age
 * ```
 */
export function encodeCanonical(value: unknown, options: CanonicalEncodeOptions = {}): Uint8Array {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  return encodeWith(value, false, maxBytes) as Uint8Array;
}

function tooLarge(size: number, maxBytes: number, qualifier: string): EncodingError {
  return new EncodingError(
    "ENCODING_TOO_LARGE",
    "$",
    `Encoding is ${qualifier}${size} bytes, over the limit of ${maxBytes}`,
    {
      evidence: { size, maxBytes },
    },
  );
}
