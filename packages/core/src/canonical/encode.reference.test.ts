/**
 * The encoder against its previous implementation, kept here verbatim as the reference: it built the
 * DAG-JSON text as a string (cached key shapes in a trie, JSON.stringify for strings needing escapes)
 * and then encoded it with TextEncoder. The current encoder writes UTF-8 straight into a reused
 * buffer; for every value, accepted or refused, the two must agree exactly: the same bytes, or the same
 * error (code, path, message, evidence).
 *
 * One deliberate difference, tested at the end: a CID parsed with multiformats' lenient `CID.parse`
 * from a non-canonical spelling (upper case, `=` padding) is written in its canonical form now, where
 * the reference wrote the spelling multiformats cached.
 */

import fc from "fast-check";
import { base32 } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { describe, expect, test } from "vitest";
import { computeCid } from "../cid.js";
import { EncodingError, type EncodingErrorCode } from "../errors.js";
import { toBase64 } from "../internal/binary-text.js";
import { encodeCanonical, encodeCanonicalText, MAX_BIGINT, MAX_DEPTH, MIN_BIGINT } from "./encode.js";
import { formatPath, type PathSegment } from "./path.js";

const RUNS = process.env.CI === "true" ? 3000 : 300;

// ---------------------------------------------------------------------------------------------------
// The reference: packages/core/src/canonical/encode.ts as it was before the byte-writing encoder.

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

/** Strings up to this length are scanned in JS; longer ones go to the engine's native scan. */
const SHORT_STRING = 128;

function writeString(s: string, walk: Walk): string {
  // Fast path for the common case (short, nothing to escape, no surrogates): quote it as is. Calling
  // into JSON.stringify costs more than this scan for short strings.
  if (s.length <= SHORT_STRING) {
    let plain = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
        plain = false;
        break;
      }
    }
    if (plain) return `"${s}"`;
  }
  if (!isWellFormed(s)) fail(walk, "ENCODING_LONE_SURROGATE", "String contains a lone UTF-16 surrogate");
  // JSON.stringify escapes exactly what @ipld/dag-json escapes (it calls JSON.stringify itself):
  // `"`, `\`, and control characters below U+0020; everything else is written as UTF-8.
  return JSON.stringify(s);
}

function writeNumber(n: number, walk: Walk): string {
  if (Number.isInteger(n)) {
    if (!Number.isSafeInteger(n)) {
      fail(walk, "ENCODING_UNSAFE_INTEGER", "Integer is outside ±(2^53 − 1); pass a bigint to keep it exact");
    }
    // -0 is an integer that DAG-JSON would silently write as 0; rejecting keeps decode(encode(x)) ≡ x.
    if (n === 0 && 1 / n < 0) fail(walk, "ENCODING_NEGATIVE_ZERO", "Negative zero cannot be encoded; use 0");
    return String(n);
  }
  if (!Number.isFinite(n)) fail(walk, "ENCODING_NON_FINITE_NUMBER", "NaN and ±Infinity cannot be encoded");
  // A finite non-integer is below 2^53, so String() gives the shortest text that parses back to the same
  // double (ECMA-262 Number::toString), always with a `.` or an exponent: a float on decode too.
  return String(n);
}

function writeBigInt(n: bigint, walk: Walk): string {
  if (n < MIN_BIGINT || n > MAX_BIGINT) {
    fail(walk, "ENCODING_UNSAFE_INTEGER", "Bigint is outside the int64/uint64 range DAG-JSON carries");
  }
  return n.toString();
}

function writeBytes(bytes: Uint8Array): string {
  return `{"/":{"bytes":"${toBase64(bytes, false)}"}}`;
}

function writeArray(array: unknown[], walk: Walk): string {
  if (Object.getPrototypeOf(array) !== Array.prototype) {
    fail(walk, "ENCODING_NON_PLAIN_OBJECT", "Array subclasses cannot be encoded; pass a plain array");
  }
  if (array.length === 0) return "[]";
  let out = "[";
  for (let i = 0; i < array.length; i++) {
    walk.path.push(i);
    // A hole in a sparse array reads as undefined and is rejected like any undefined.
    out += (i === 0 ? "" : ",") + writeValue(array[i], walk);
    walk.path.pop();
  }
  return `${out}]`;
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
  keys: string[];
  /** `"key":`, preceded by `,` after the first. */
  prefixes: string[];
}

interface ShapeNode {
  next: Map<string, ShapeNode> | undefined;
  shape: Shape | undefined;
}

/** Maps with more keys than this are not cached (they are rarely repeated and would bloat the trie). */
const MAX_CACHED_KEYS = 32;
/** Bound on the cache; it is simply dropped when full. */
const MAX_SHAPE_NODES = 4096;

let shapeRoot: ShapeNode = { next: undefined, shape: undefined };
let shapeNodes = 0;

function buildShape(keys: string[], walk: Walk): Shape {
  const sorted = [...keys].sort(); // UTF-16 code unit order, as @ipld/dag-json; see checkUnicodeKeys.
  let unicode = false;
  for (const key of sorted) {
    if (RESERVED_KEYS.has(key))
      fail(walk, "ENCODING_RESERVED_KEY", `The key ${JSON.stringify(key)} is reserved`, key);
    if (!unicode && !isAscii(key)) unicode = true;
  }
  if (unicode) checkUnicodeKeys(sorted, walk);
  return { keys: sorted, prefixes: sorted.map((key, i) => `${i === 0 ? "" : ","}${JSON.stringify(key)}:`) };
}

/** The shape of a map with these keys (in the map's own order), from the cache when seen before. */
function shapeOf(keys: string[], walk: Walk): Shape {
  if (keys.length > MAX_CACHED_KEYS) return buildShape(keys, walk);
  let node = shapeRoot;
  for (const key of keys) {
    let child = node.next?.get(key);
    if (child === undefined) {
      if (shapeNodes >= MAX_SHAPE_NODES) {
        shapeRoot = { next: undefined, shape: undefined };
        shapeNodes = 0;
        return buildShape(keys, walk);
      }
      child = { next: undefined, shape: undefined };
      node.next ??= new Map();
      node.next.set(key, child);
      shapeNodes++;
    }
    node = child;
  }
  // Only a shape whose keys passed every check is stored, so a hit needs no re-checking.
  node.shape ??= buildShape(keys, walk);
  return node.shape;
}

function writeObject(object: Record<string, unknown>, walk: Walk): string {
  if (Object.getOwnPropertySymbols(object).length > 0) {
    fail(walk, "ENCODING_UNSUPPORTED_TYPE", "Symbol-keyed properties cannot be encoded");
  }
  const ownKeys = Object.keys(object);
  if (ownKeys.length === 0) return "{}";
  const { keys, prefixes } = shapeOf(ownKeys, walk);
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    walk.path.push(key);
    out += prefixes[i] + writeValue(object[key], walk);
    walk.path.pop();
  }
  return `${out}}`;
}

function writeContainer(value: object, walk: Walk): string {
  if (walk.ancestors.includes(value)) fail(walk, "ENCODING_CYCLE", "Value refers to itself (a cycle)");
  if (walk.ancestors.length >= MAX_DEPTH) {
    fail(walk, "ENCODING_TOO_DEEP", `Value is nested more than ${MAX_DEPTH} maps and lists deep`);
  }
  walk.ancestors.push(value);
  const out = Array.isArray(value)
    ? writeArray(value as unknown[], walk)
    : writeObject(value as Record<string, unknown>, walk);
  walk.ancestors.pop();
  return out;
}

function writeValue(value: unknown, walk: Walk): string {
  switch (typeof value) {
    case "string":
      return writeString(value, walk);
    case "number":
      return writeNumber(value, walk);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return writeBigInt(value, walk);
    case "undefined":
      return fail(walk, "ENCODING_UNDEFINED", "undefined cannot be encoded; omit the field or use null");
    case "function":
    case "symbol":
      return fail(walk, "ENCODING_UNSUPPORTED_TYPE", `A ${typeof value} cannot be encoded`);
    default:
      break;
  }
  if (value === null) return "null";
  const object = value as object;
  if (object instanceof Uint8Array) return writeBytes(object);
  const proto = Object.getPrototypeOf(object);
  if (proto === Object.prototype || proto === null || Array.isArray(object))
    return writeContainer(object, walk);
  const cid = CID.asCID(object);
  if (cid !== null) return `{"/":"${cid.toString()}"}`;
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return fail(
    walk,
    "ENCODING_NON_PLAIN_OBJECT",
    `Only plain objects, arrays, Uint8Array and CID can be encoded${typeof name === "string" ? `, found ${name}` : ""}`,
  );
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
function referenceEncodeText(value: unknown): string {
  return writeValue(value, { ancestors: [], path: [] });
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
function referenceEncode(value: unknown, options: { maxBytes?: number } = {}): Uint8Array {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const text = referenceEncodeText(value);
  // Each UTF-16 unit takes at least one UTF-8 byte, so an over-long text fails before encoding it.
  if (text.length > maxBytes) throw tooLarge(text.length, maxBytes, "at least ");
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes, "");
  return bytes;
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

// ---------------------------------------------------------------------------------------------------

type Outcome =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; code: EncodingErrorCode; path: string; message: string; evidence: unknown };

function outcome(encode: () => Uint8Array): Outcome {
  try {
    return { ok: true, bytes: encode() };
  } catch (error) {
    if (!(error instanceof EncodingError)) throw error;
    return {
      ok: false,
      code: error.code,
      path: error.path,
      message: error.message,
      evidence: error.evidence,
    };
  }
}

/** Asserts that both encoders give the same bytes or the same error for `value`. */
function expectSameOutcome(value: unknown, options: { maxBytes?: number } = {}): Outcome {
  const expected = outcome(() => referenceEncode(value, options));
  const actual = outcome(() => encodeCanonical(value, options));
  expect(actual).toEqual(expected);
  if (expected.ok) expect(encodeCanonicalText(value)).toBe(referenceEncodeText(value));
  return actual;
}

const cidArb = fc
  .tuple(fc.constantFrom(0x55, 0x71, 0x0129), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([codec, digest]) => CID.createV1(codec, Digest.create(0x12, digest)));

/** v0, identity-hash and block CIDs (the latter from computeCid, with their own toString). */
const anyCidArb = fc.oneof(
  cidArb,
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((d) => CID.createV0(Digest.create(0x12, d))),
  fc.uint8Array({ maxLength: 80 }).map((d) => CID.createV1(0x55, Digest.create(0x00, d))),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => computeCid(bytes)),
);

/** Strings with everything that needs care: escapes, non-ASCII, astral characters, lone surrogates. */
const unitArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '"',
      "\\",
      "\n",
      "\b",
      "\f",
      "\r",
      "\t",
      "\u0000",
      "\u001f",
      "\u007f",
      "\u0080",
      "\u07ff",
      "\u0800",
      "\u2028",
      "\u00e9",
      "e\u0301",
      "\uE000",
      "\uFFFF",
      "\u{10000}",
      "😀",
      "\u212A",
      "K",
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom("\ud800", "\udc00", "\udbff", "\udfff") },
);
const stringArb = fc.string({ unit: unitArb, maxLength: 24 });
const keyArb = fc.oneof(
  { weight: 8, arbitrary: stringArb },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "/",
      "__proto__",
      "v",
      "kind",
      "a",
      "b",
      "é",
      "e\u0301",
      "\u{10000}",
      "\uFFFF",
    ),
  },
);

class Point {
  x = 1;
}

/** Values the encoder must refuse (some only in certain positions). */
const badLeafArb = fc.constantFrom<unknown>(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  2 ** 53,
  1e21,
  undefined,
  () => 1,
  Symbol("s"),
  new Date(0),
  new Map(),
  new Set(),
  new Point(),
  new Float32Array(2),
  new ArrayBuffer(2),
  new DataView(new ArrayBuffer(2)),
  Object(1),
  MAX_BIGINT + 1n,
  MIN_BIGINT - 1n,
  "\ud800",
);

const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).map((n) => n + 0),
    fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
    fc.bigInt({ min: MIN_BIGINT, max: MAX_BIGINT }),
    stringArb,
    fc.uint8Array({ maxLength: 40 }),
    anyCidArb,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.array(fc.tuple(keyArb, tie("value")), { maxLength: 6 }).map((entries) => {
      // defineProperty, so "__proto__" becomes an own key as JSON.parse would make it.
      const object: Record<string, unknown> = {};
      for (const [key, v] of entries) {
        Object.defineProperty(object, key, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    }),
    badLeafArb,
  ),
}));

describe("encoder vs its previous implementation (reference)", () => {
  test("property: the same bytes or the same error for any value, valid or not", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        expectSameOutcome(value);
      }),
      { numRuns: RUNS },
    );
  });

  test("property: the same ENCODING_TOO_LARGE error (size, evidence, 'at least' form) under any limit", () => {
    fc.assert(
      fc.property(valueArb, fc.nat({ max: 300 }), (value, maxBytes) => {
        expectSameOutcome(value, { maxBytes });
      }),
      { numRuns: RUNS },
    );
  });

  test("property: records-shaped values (repeated shapes hit the shape cache) encode identically", () => {
    const shapeArb = fc.record({
      v: fc.constant(1),
      kind: fc.constantFrom("decision", "label"),
      seq: fc.nat(),
      body: fc.record(
        { score: fc.double({ noNaN: true }), label: stringArb, input: fc.uint8Array({ maxLength: 33 }) },
        { requiredKeys: [] },
      ),
    });
    fc.assert(
      fc.property(fc.array(shapeArb, { maxLength: 20 }), (values) => {
        for (const value of values) expectSameOutcome(value);
      }),
      { numRuns: RUNS / 3 },
    );
  });

  test("every rule, at depth and in keys, with the same path and message", () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = { back: cycle };
    // biome-ignore lint/suspicious/noSparseArray: a hole is the point
    const sparse = [1, , 3];
    const withSymbol = { a: 1, [Symbol("k")]: 2 };
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: [2] });
    class Items extends Array {}
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_DEPTH; i++) deep = i % 2 === 0 ? [deep] : { d: deep };
    const cases: unknown[] = [
      cycle,
      [cycle],
      sparse,
      withSymbol,
      nullProto,
      Items.from([1]),
      deep,
      { é: 1, "e\u0301": 2 },
      { "\u{10000}": 1, "\uFFFF": 2 },
      { K: 1, "\u212A": 2 },
      { "\ud800": 1 },
      JSON.parse('{"__proto__":1}'),
      { "/": "x" },
      { "odd key": { "\n": [0, { x: Number.NaN }] } },
      { a: { b: [1, 2, { c: 1e21 }] } },
    ];
    for (const value of cases) expectSameOutcome(value);
  });

  test("long and non-ASCII strings, and outputs larger than the initial buffer, are identical", () => {
    const long = `${"a".repeat(200)}"\n${"😀".repeat(50)}${"é".repeat(3000)}\u2028`;
    expectSameOutcome(long);
    expectSameOutcome({ big: "x".repeat(100_000), list: Array.from({ length: 5000 }, (_, i) => i * 1.5) });
    expectSameOutcome({ huge: "\u0001".repeat(400_000) }); // 2.4 MB written, then the buffer is dropped
    expectSameOutcome({ small: 1 });
    expectSameOutcome("é".repeat(10), { maxBytes: 15 }); // 12 units of text, 22 bytes: the bytes form
    expectSameOutcome("é".repeat(10), { maxBytes: 11 }); // the "at least" form
  });

  test("an encoding started from inside a getter gets its own buffer", () => {
    const inner = { z: "inner", a: [1, 2, 3] };
    const outer = {
      a: "before",
      get m() {
        return encodeCanonical(inner);
      },
      z: "after",
    };
    const bytes = encodeCanonical(outer);
    expect(bytes).toEqual(referenceEncode(outer));
    expect(new TextDecoder().decode(bytes)).toBe(
      '{"a":"before","m":{"/":{"bytes":"eyJhIjpbMSwyLDNdLCJ6IjoiaW5uZXIifQ"}},"z":"after"}',
    );
    // And the shared buffer is intact for the next call.
    expect(encodeCanonical({ x: 1 })).toEqual(referenceEncode({ x: 1 }));
  });

  test("an error thrown halfway leaves nothing behind for the next encoding", () => {
    expect(() => encodeCanonical({ a: "x".repeat(50), b: Number.NaN })).toThrow(EncodingError);
    expect(encodeCanonical({ c: 1 })).toEqual(referenceEncode({ c: 1 }));
  });

  test("bytes are written as toBase64 spells them, for every length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(encodeCanonicalText(bytes)).toBe(`{"/":{"bytes":"${toBase64(bytes, false)}"}}`);
      }),
      { numRuns: RUNS },
    );
  });

  test("deliberate difference: a CID parsed from a lenient spelling is written canonically", () => {
    const cid = computeCid(Uint8Array.of(1, 2, 3));
    const canonical = cid.toString();
    for (const spelling of [`b${canonical.slice(1).toUpperCase()}`, `${canonical}==`]) {
      const lenient = CID.parse(spelling); // multiformats accepts both, and caches the spelling
      expect(lenient.toString()).toBe(spelling);
      expect(referenceEncodeText(lenient)).toBe(`{"/":"${spelling}"}`);
      expect(encodeCanonicalText(lenient)).toBe(`{"/":"${canonical}"}`);
    }
    expect(base32.encode(cid.bytes)).toBe(canonical);
  });
});
