import * as dagJson from "@ipld/dag-json";
import fc from "fast-check";
import { base32 } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { describe, expect, test } from "vitest";
import { computeCid } from "../cid.js";
import { EncodingError, type EncodingErrorCode } from "../errors.js";
import { toBase64 } from "../internal/binary-text.js";
import { decodeCanonical } from "./decode.js";
import { encodeCanonical, encodeCanonicalText, MAX_BIGINT, MAX_DEPTH, MIN_BIGINT } from "./encode.js";

const RUNS = process.env.CI === "true" ? 3000 : 300;

const text = (value: unknown) => new TextDecoder().decode(encodeCanonical(value));

/** Asserts that encoding `value` throws an EncodingError with exactly this code and path. */
function expectRejected(
  value: unknown,
  code: EncodingErrorCode,
  path: string,
  options: { maxBytes?: number } = {},
): EncodingError {
  let caught: unknown;
  try {
    encodeCanonical(value, options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EncodingError);
  const error = caught as EncodingError;
  expect({ code: error.code, path: error.path }).toEqual({ code, path });
  expect(error.evidence?.path).toBe(path);
  return error;
}

const digest = new Uint8Array(32).map((_, i) => i);
const rawCid = CID.createV1(0x55, Digest.create(0x12, digest));

describe("encodeCanonical: what it writes", () => {
  test("sorts keys, drops whitespace, writes integers, floats, strings, null and booleans", () => {
    expect(text({ z: 1, a: [true, false, null], m: "x", f: 0.5, n: -7 })).toBe(
      '{"a":[true,false,null],"f":0.5,"m":"x","n":-7,"z":1}',
    );
  });

  test("writes links as {'/': cid} and bytes as unpadded base64 under {'/': {bytes}}", () => {
    expect(text({ link: rawCid, bytes: Uint8Array.of(1, 2, 3, 4) })).toBe(
      `{"bytes":{"/":{"bytes":"AQIDBA"}},"link":{"/":"${rawCid.toString()}"}}`,
    );
  });

  test("accepts a Node Buffer as bytes (it is a Uint8Array)", () => {
    expect(text(Buffer.from([255]))).toBe('{"/":{"bytes":"/w"}}');
  });

  test("escapes exactly as JSON.stringify: quotes, backslash, control characters; writes the rest as UTF-8", () => {
    const s = 'q"b\\\n\t\u0001\u001f\u007f\u2028é😀';
    expect(text(s)).toBe(JSON.stringify(s));
    expect(encodeCanonical("é")).toEqual(Uint8Array.of(0x22, 0xc3, 0xa9, 0x22));
  });

  test("long strings take the native path and give the same text", () => {
    const long = `${"a".repeat(200)}"\n${"😀".repeat(50)}`;
    expect(text(long)).toBe(JSON.stringify(long));
  });

  test("writes floats in their shortest round-trip form, with an exponent where ECMAScript uses one", () => {
    expect(text([0.1, 1.5e-7, -2.5, 123456.789])).toBe("[0.1,1.5e-7,-2.5,123456.789]");
  });

  test("writes safe integers and in-range bigints as plain digits", () => {
    expect(text([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, MAX_BIGINT, MIN_BIGINT, 5n])).toBe(
      "[9007199254740991,-9007199254740991,18446744073709551615,-9223372036854775808,5]",
    );
  });

  test("sorts keys by UTF-16 code units, which equals UTF-8 byte order for BMP-only keys", () => {
    expect(text({ b: 1, B: 2, "": 3, ab: 4, a: 5, é: 6, "~": 7 })).toBe(
      '{"":3,"B":2,"a":5,"ab":4,"b":1,"~":7,"é":6}',
    );
  });

  test("equal objects built in different key orders give identical bytes", () => {
    const a = { x: { p: 1, q: [1, { s: 2, r: 3 }] }, y: "y" };
    const b = { y: "y", x: { q: [1, { r: 3, s: 2 }], p: 1 } };
    expect(encodeCanonical(a)).toEqual(encodeCanonical(b));
  });

  test("accepts objects without a prototype and shared (acyclic) references", () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 1;
    const shared = { s: 1 };
    expect(text({ bare, one: shared, two: shared })).toBe('{"bare":{"k":1},"one":{"s":1},"two":{"s":1}}');
  });

  test("matches @ipld/dag-json byte for byte on a mixed value", () => {
    const value = { a: [1, -2, 0.25, "s", null, true], b: { c: rawCid, d: Uint8Array.of(9) }, e: 2n ** 60n };
    expect(Buffer.from(encodeCanonical(value)).equals(dagJson.encode(value))).toBe(true);
  });

  test("nests exactly MAX_DEPTH containers", () => {
    let value: unknown = 1;
    for (let i = 0; i < MAX_DEPTH; i++) value = [value];
    expect(text(value)).toBe(`${"[".repeat(MAX_DEPTH)}1${"]".repeat(MAX_DEPTH)}`);
  });

  test("encodeCanonicalText returns the text that encodeCanonical encodes", () => {
    expect(encodeCanonicalText({ b: "é", a: 1 })).toBe('{"a":1,"b":"é"}');
  });
});

describe("encodeCanonical: every rejection names its rule and path", () => {
  test("NaN and ±Infinity", () => {
    expectRejected(
      { body: { input: { age: Number.NaN } } },
      "ENCODING_NON_FINITE_NUMBER",
      "$.body.input.age",
    );
    expectRejected([1, Number.POSITIVE_INFINITY], "ENCODING_NON_FINITE_NUMBER", "$[1]");
    expectRejected({ x: Number.NEGATIVE_INFINITY }, "ENCODING_NON_FINITE_NUMBER", "$.x");
  });

  test("undefined, including array holes", () => {
    expectRejected({ a: undefined }, "ENCODING_UNDEFINED", "$.a");
    expectRejected(undefined, "ENCODING_UNDEFINED", "$");
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point of the test
    expectRejected({ list: [1, , 3] }, "ENCODING_UNDEFINED", "$.list[1]");
  });

  test("functions and symbols, as values and as keys", () => {
    expectRejected({ f: () => 1 }, "ENCODING_UNSUPPORTED_TYPE", "$.f");
    expectRejected({ s: Symbol("x") }, "ENCODING_UNSUPPORTED_TYPE", "$.s");
    expectRejected({ inner: { [Symbol("hidden")]: 1, shown: 2 } }, "ENCODING_UNSUPPORTED_TYPE", "$.inner");
  });

  test("class instances and other non-plain objects", () => {
    class Point {
      x = 1;
    }
    expectRejected({ when: new Date(0) }, "ENCODING_NON_PLAIN_OBJECT", "$.when");
    expectRejected({ m: new Map() }, "ENCODING_NON_PLAIN_OBJECT", "$.m");
    expectRejected({ s: new Set([1]) }, "ENCODING_NON_PLAIN_OBJECT", "$.s");
    expectRejected({ p: new Point() }, "ENCODING_NON_PLAIN_OBJECT", "$.p");
    expectRejected({ r: /x/ }, "ENCODING_NON_PLAIN_OBJECT", "$.r");
    expectRejected({ boxed: new String("x") }, "ENCODING_NON_PLAIN_OBJECT", "$.boxed");
    expectRejected({ ab: new ArrayBuffer(2) }, "ENCODING_NON_PLAIN_OBJECT", "$.ab");
    class List extends Array<number> {}
    expectRejected({ l: List.from([1]) }, "ENCODING_NON_PLAIN_OBJECT", "$.l");
  });

  test("typed arrays other than Uint8Array (their bytes would depend on the platform's endianness)", () => {
    expectRejected({ f: new Float32Array([1]) }, "ENCODING_NON_PLAIN_OBJECT", "$.f");
    expectRejected({ c: new Uint8ClampedArray([1]) }, "ENCODING_NON_PLAIN_OBJECT", "$.c");
    expectRejected({ d: new DataView(new ArrayBuffer(1)) }, "ENCODING_NON_PLAIN_OBJECT", "$.d");
  });

  test("cycles, through objects and arrays", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    expectRejected({ root: a }, "ENCODING_CYCLE", "$.root.self");
    const list: unknown[] = [];
    list.push({ back: list });
    expectRejected(list, "ENCODING_CYCLE", "$[0].back");
  });

  test("lone surrogates in strings and in keys", () => {
    expectRejected({ name: "a\uD800b" }, "ENCODING_LONE_SURROGATE", "$.name");
    expectRejected({ name: "\uDC00" }, "ENCODING_LONE_SURROGATE", "$.name");
    expectRejected({ long: `${"x".repeat(300)}\uD83D` }, "ENCODING_LONE_SURROGATE", "$.long");
    expectRejected({ outer: { "k\uD800": 1 } }, "ENCODING_LONE_SURROGATE", '$.outer["k\\ud800"]');
  });

  test("unsafe integers unless bigint, and bigints outside int64/uint64", () => {
    expectRejected({ n: 2 ** 53 }, "ENCODING_UNSAFE_INTEGER", "$.n");
    expectRejected({ n: -(2 ** 53) }, "ENCODING_UNSAFE_INTEGER", "$.n");
    expectRejected({ n: 1e21 }, "ENCODING_UNSAFE_INTEGER", "$.n");
    expectRejected({ n: MAX_BIGINT + 1n }, "ENCODING_UNSAFE_INTEGER", "$.n");
    expectRejected({ n: MIN_BIGINT - 1n }, "ENCODING_UNSAFE_INTEGER", "$.n");
  });

  test("negative zero (DAG-JSON would silently write 0)", () => {
    expectRejected({ score: -0 }, "ENCODING_NEGATIVE_ZERO", "$.score");
    expect(text({ score: -0 + 0 })).toBe('{"score":0}');
  });

  test("keys that collide after Unicode NFC normalisation", () => {
    // "é" precomposed (U+00E9) and decomposed (e + U+0301) are the same text to a reader.
    expectRejected({ p: { "\u00e9": 1, "e\u0301": 2 } }, "ENCODING_KEY_COLLISION", '$.p["\u00e9"]');
    // The Kelvin sign normalises to a plain ASCII K.
    expectRejected({ K: 1, "\u212a": 2 }, "ENCODING_KEY_COLLISION", '$["\u212a"]');
  });

  test("maps whose key order differs between UTF-16 and UTF-8", () => {
    // By UTF-16 units U+10000 (D800 DC00) sorts before U+E000; by UTF-8 bytes (F0... vs EE...) after.
    expectRejected({ m: { "\u{10000}": 1, "\uE000": 2 } }, "ENCODING_AMBIGUOUS_KEY_ORDER", '$.m["\uE000"]');
    // Either alone is fine.
    expect(text({ "\u{10000}": 1, a: 2 })).toBe('{"a":2,"\u{10000}":1}');
  });

  test("reserved keys: '/' (DAG-JSON links and bytes) and '__proto__'", () => {
    expectRejected({ x: { "/": "bafy" } }, "ENCODING_RESERVED_KEY", '$.x["/"]');
    expectRejected(JSON.parse('{"__proto__": 1}'), "ENCODING_RESERVED_KEY", "$.__proto__");
  });

  test("nesting deeper than MAX_DEPTH", () => {
    let value: unknown = 1;
    for (let i = 0; i <= MAX_DEPTH; i++) value = { d: value };
    const error = expectRejected(value, "ENCODING_TOO_DEEP", `$${".d".repeat(MAX_DEPTH)}`);
    expect(error.message).toContain(String(MAX_DEPTH));
  });

  test("encodings over maxBytes, counted in UTF-8 bytes", () => {
    expect(encodeCanonical("é".repeat(3), { maxBytes: 8 })).toHaveLength(8);
    const error = expectRejected("é".repeat(4), "ENCODING_TOO_LARGE", "$", { maxBytes: 8 });
    expect(error.evidence).toMatchObject({ size: 10, maxBytes: 8 });
    // A text longer than the limit in UTF-16 units fails before it is UTF-8 encoded.
    expectRejected("x".repeat(20), "ENCODING_TOO_LARGE", "$", { maxBytes: 8 });
  });

  test("errors name the field but never carry its value", () => {
    const error = expectRejected({ ssn: "123-45-6789\uD800" }, "ENCODING_LONE_SURROGATE", "$.ssn");
    expect(JSON.stringify(error.toJSON())).not.toContain("123-45");
    expect(error.message).not.toContain("123-45");
  });
});

describe("encodeCanonical: rules at depth and in keys, its buffer, and its limit", () => {
  test("every rule reports the path through lists, odd keys and nested maps", () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = { back: cycle };
    // biome-ignore lint/suspicious/noSparseArray: a hole is the point
    const sparse = [1, , 3];
    class Items extends Array {}
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_DEPTH; i++) deep = i % 2 === 0 ? [deep] : { d: deep };
    const cases: Array<[unknown, EncodingErrorCode, string]> = [
      [[cycle], "ENCODING_CYCLE", "$[0].self.back"],
      [sparse, "ENCODING_UNDEFINED", "$[1]"],
      [{ a: 1, [Symbol("k")]: 2 }, "ENCODING_UNSUPPORTED_TYPE", "$"],
      [Items.from([1]), "ENCODING_NON_PLAIN_OBJECT", "$"],
      [deep, "ENCODING_TOO_DEEP", `$${"[0].d".repeat(MAX_DEPTH / 2)}`],
      [{ é: 1, "e\u0301": 2 }, "ENCODING_KEY_COLLISION", '$["é"]'],
      [{ K: 1, "\u212A": 2 }, "ENCODING_KEY_COLLISION", '$["\u212A"]'],
      [{ "\u{10000}": 1, "\uFFFF": 2 }, "ENCODING_AMBIGUOUS_KEY_ORDER", '$["\uFFFF"]'],
      [{ "\ud800": 1 }, "ENCODING_LONE_SURROGATE", '$["\\ud800"]'],
      [JSON.parse('{"__proto__":1}'), "ENCODING_RESERVED_KEY", "$.__proto__"],
      [
        { "odd key": { "\n": [0, { x: Number.NaN }] } },
        "ENCODING_NON_FINITE_NUMBER",
        '$["odd key"]["\\n"][1].x',
      ],
      [{ a: { b: [1, 2, { c: 1e21 }] } }, "ENCODING_UNSAFE_INTEGER", "$.a.b[2].c"],
    ];
    for (const [value, code, path] of cases) expectRejected(value, code, path);
  });

  test("long, non-ASCII and large outputs (past the initial buffer) are what @ipld/dag-json writes", () => {
    const values = [
      `${"a".repeat(200)}"\n${"😀".repeat(50)}${"é".repeat(3000)}\u2028`,
      { big: "x".repeat(100_000), list: Array.from({ length: 5000 }, (_, i) => i * 1.5) },
      { huge: "\u0001".repeat(400_000) }, // 2.4 MB written, then the buffer is dropped
      { small: 1 },
    ];
    for (const value of values) {
      expect(Buffer.from(encodeCanonical(value)).equals(dagJson.encode(value))).toBe(true);
      expect(encodeCanonicalText(value)).toBe(new TextDecoder().decode(dagJson.encode(value)));
    }
  });

  test("over maxBytes: the UTF-8 size, or the text's length in the 'at least' form when that is over", () => {
    const tooLarge = (maxBytes: number) =>
      expectRejected("é".repeat(10), "ENCODING_TOO_LARGE", "$", { maxBytes });
    const bytesForm = tooLarge(15); // 12 units of text, 22 bytes
    expect(bytesForm.message).toBe("Encoding is 22 bytes, over the limit of 15 at $");
    expect(bytesForm.evidence).toEqual({ path: "$", size: 22, maxBytes: 15 });
    const atLeast = tooLarge(11);
    expect(atLeast.message).toBe("Encoding is at least 12 bytes, over the limit of 11 at $");
    expect(atLeast.evidence).toEqual({ path: "$", size: 12, maxBytes: 11 });
    expect(encodeCanonical("é".repeat(10), { maxBytes: 22 })).toHaveLength(22);
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
    expect(text(outer)).toBe(
      '{"a":"before","m":{"/":{"bytes":"eyJhIjpbMSwyLDNdLCJ6IjoiaW5uZXIifQ"}},"z":"after"}',
    );
    // And the shared buffer is intact for the next call.
    expect(text({ x: 1 })).toBe('{"x":1}');
  });

  test("an error thrown halfway leaves nothing behind for the next encoding", () => {
    expect(() => encodeCanonical({ a: "x".repeat(50), b: Number.NaN })).toThrow(EncodingError);
    expect(text({ c: 1 })).toBe('{"c":1}');
  });

  test("bytes are written as toBase64 spells them, for every length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(encodeCanonicalText(bytes)).toBe(`{"/":{"bytes":"${toBase64(bytes, false)}"}}`);
      }),
      { numRuns: RUNS },
    );
  });

  test("a CID parsed from a lenient spelling (upper case, padding) is written in its canonical form", () => {
    const cid = computeCid(Uint8Array.of(1, 2, 3));
    const canonical = cid.toString();
    expect(base32.encode(cid.bytes)).toBe(canonical);
    for (const spelling of [`b${canonical.slice(1).toUpperCase()}`, `${canonical}==`]) {
      const lenient = CID.parse(spelling); // multiformats accepts both, and caches the spelling
      expect(lenient.toString()).toBe(spelling);
      expect(encodeCanonicalText(lenient)).toBe(`{"/":"${canonical}"}`);
      expect(decodeCanonical(encodeCanonical(lenient))).toEqual(cid);
    }
  });
});
