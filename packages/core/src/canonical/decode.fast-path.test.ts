/**
 * The decoder's fast path against its reference strategy, the library's own
 * {@link decodeCanonicalByReencoding} (JSON.parse, revive links and bytes, re-encode, compare: the path
 * that answers every input the fast path gives up on, and every error). These tests hold the fast path
 * to "accepts only what the reference accepts, with an equal value" and the whole decoder to "the same
 * value or the same error as the reference" on canonical bytes, on mutations of them, on the published
 * record vectors (test-vectors/records.json) and on every non-canonical spelling listed in
 * docs/formats.md. The reference strategy itself is held to @ipld/dag-json and to the published vectors
 * by canonical.property.test.ts, decode.test.ts and records/record-vectors.test.ts.
 */
import fc from "fast-check";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { describe, expect, test } from "vitest";
import recordVectors from "../../test-vectors/records.json" with { type: "json" };
import { computeCid } from "../cid.js";
import { EncodingError, type EncodingErrorCode } from "../errors.js";
import { strictUtf8Decoder } from "../internal/web-globals.js";
import { decodeCanonical, decodeCanonicalByReencoding, GIVE_UP, parseCanonical } from "./decode.js";
import { encodeCanonical, encodeCanonicalText, MAX_BIGINT, MAX_DEPTH, MIN_BIGINT } from "./encode.js";

const RUNS = process.env.CI === "true" ? 3000 : 300;

const utf8 = (s: string) => new TextEncoder().encode(s);

type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; code: EncodingErrorCode; path: string; message: string; evidence: unknown };

function outcome(decode: () => unknown): Outcome {
  try {
    return { ok: true, value: decode() };
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

/**
 * The two properties, for any input: if the fast path accepts, the reference accepts the same value;
 * and decodeCanonical answers exactly as the reference does. Returns whether the fast path accepted.
 */
function checkAgainstReference(bytes: Uint8Array): boolean {
  const expected = outcome(() => decodeCanonicalByReencoding(bytes));
  expect(outcome(() => decodeCanonical(bytes))).toEqual(expected);
  let text: string;
  try {
    text = strictUtf8Decoder.decode(bytes);
  } catch {
    return false;
  }
  const fast = parseCanonical(text);
  if (fast === GIVE_UP) return false;
  expect(expected).toEqual({ ok: true, value: fast });
  return true;
}

/** Keys the encoder accepts: no reserved key, no NFC collision, one order under UTF-16 and UTF-8. */
function acceptableKeys(keys: string[]): boolean {
  if (keys.includes("/") || keys.includes("__proto__")) return false;
  if (new Set(keys.map((k) => k.normalize("NFC"))).size !== keys.length) return false;
  const byUnits = [...keys].sort();
  const byCodePoints = [...keys].sort((a, b) => {
    const x = [...a].map((c) => c.codePointAt(0) ?? 0);
    const y = [...b].map((c) => c.codePointAt(0) ?? 0);
    for (let i = 0; i < Math.min(x.length, y.length); i++)
      if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
    return x.length - y.length;
  });
  return byUnits.every((k, i) => k === byCodePoints[i]);
}

const cidArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => computeCid(bytes)),
  fc
    .tuple(fc.constantFrom(0x55, 0x71, 0x0129), fc.uint8Array({ minLength: 32, maxLength: 32 }))
    .map(([codec, digest]) => CID.createV1(codec, Digest.create(0x12, digest))),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((d) => CID.createV0(Digest.create(0x12, d))),
);

const stringArb = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '"',
        "\\",
        "\n",
        "\b",
        "\u0000",
        "\u001f",
        "\u007f",
        "\u2028",
        "é",
        "\uFFFF",
        "😀",
        "/",
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 20,
});
/** Mostly ASCII keys (the fast path's), sometimes not (the reference's). */
const keyArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.string({
      unit: fc.constantFrom("a", "b", "c", "Z", "0", "1", "_", "-", " ", "~"),
      maxLength: 6,
    }),
  },
  { weight: 1, arbitrary: stringArb },
);

const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).map((n) => n + 0),
    fc.integer({ min: -1000, max: 1000 }).map((n) => n + 0),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
    fc.oneof(
      fc.bigInt({ min: 2n ** 53n, max: MAX_BIGINT }),
      fc.bigInt({ min: MIN_BIGINT, max: -(2n ** 53n) }),
    ),
    stringArb,
    fc.uint8Array({ maxLength: 40 }),
    cidArb,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(keyArb, tie("value"), { maxKeys: 6 }).filter((o) => acceptableKeys(Object.keys(o))),
  ),
}));

/** One edit of a text: what a careless or malicious writer might produce instead of the canonical form. */
const editArb = fc.tuple(
  fc.constantFrom("insert", "delete", "replace", "swap", "duplicate", "upper"),
  fc.nat(),
  fc.constantFrom(
    " ",
    "\n",
    '"',
    "\\",
    ",",
    ":",
    "{",
    "}",
    "[",
    "]",
    "0",
    "1",
    "9",
    ".",
    "e",
    "E",
    "-",
    "+",
    "u",
    "/",
    "A",
    "a",
    "=",
    "é",
    "\ufeff",
    "\u0000",
    "t",
    "n",
  ),
);

function applyEdit(text: string, [kind, at, char]: [string, number, string]): string {
  if (text.length === 0) return char;
  const i = at % text.length;
  switch (kind) {
    case "insert":
      return text.slice(0, i) + char + text.slice(i);
    case "delete":
      return text.slice(0, i) + text.slice(i + 1);
    case "replace":
      return text.slice(0, i) + char + text.slice(i + 1);
    case "swap":
      return i + 1 < text.length ? text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2) : text;
    case "duplicate": {
      const j = Math.min(text.length, i + 1 + (at % 7));
      return text.slice(0, j) + text.slice(i, j) + text.slice(j);
    }
    default:
      return text.slice(0, i) + text.slice(i, i + 8).toUpperCase() + text.slice(i + 8);
  }
}

describe("decoder fast path vs the reference strategy", () => {
  test("property: canonical encodings of any value decode to the reference's value", () => {
    let fast = 0;
    fc.assert(
      fc.property(valueArb, (value) => {
        if (checkAgainstReference(encodeCanonical(value))) fast++;
      }),
      { numRuns: RUNS },
    );
    // Most inputs take the fast path (the rest have non-ASCII keys, bigints, other CIDs, ...).
    expect(fast).toBeGreaterThan(RUNS / 2);
  });

  test("property: after one or two edits, the same value or the same error as the reference", () => {
    fc.assert(
      fc.property(valueArb, editArb, fc.option(editArb), (value, first, second) => {
        let text = applyEdit(encodeCanonicalText(value), first);
        if (second !== null) text = applyEdit(text, second);
        checkAgainstReference(utf8(text));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("property: arbitrary bytes and arbitrary JSON texts give the reference's answer", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 30 }), fc.json().map(utf8)), (bytes) => {
        checkAgainstReference(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  test("every published record vector takes the fast path", () => {
    for (const { canonical } of recordVectors.records) {
      expect(parseCanonical(canonical)).not.toBe(GIVE_UP);
      expect(checkAgainstReference(utf8(canonical))).toBe(true);
    }
  });

  const cid = computeCid(Uint8Array.of(1, 2, 3));
  const text = cid.toString();
  const nonCanonical: Array<[string, string | Uint8Array]> = [
    ["whitespace between tokens", '{"a": 1}'],
    ["whitespace after a comma", '{"a":1, "b":2}'],
    ["whitespace in a list", "[1, 2]"],
    ["leading whitespace", ' {"a":1}'],
    ["a trailing newline", '{"a":1}\n'],
    ["trailing data", '{"a":1}{}'],
    ["a second value", "1 2"],
    ["unsorted keys", '{"b":1,"a":2}'],
    ["unsorted keys by UTF-16", '{"ab":1,"a":2}'],
    ["duplicate keys", '{"a":1,"a":1}'],
    ["duplicate keys, different values", '{"a":1,"a":2}'],
    ["an integer written as a float", '{"a":1.0}'],
    ["an exponent where none is needed", '{"a":1e2}'],
    ["an integer-valued exponent", "1e21"],
    ["an upper-case exponent", '{"a":1.5E-7}'],
    ["an explicit plus in an exponent", "1.5e+7"],
    ["a float with a trailing zero", '{"a":0.50}'],
    ["a float that is not the shortest", "0.30000000000000001"],
    ["a leading plus", "+1"],
    ["negative zero", "-0"],
    ["negative zero as a float", "-0.0"],
    ["a leading zero", "01"],
    ["a leading zero after a minus", "-01"],
    ["an integer beyond 2^53 as a float", "9007199254740993.0"],
    ["a huge integer-valued float", "1.7976931348623157e+308"],
    [
      "a CIDv0 with a character outside base58",
      `{"/":"${CID.createV0(cid.multihash).toString().slice(0, 9)}\ufeff${CID.createV0(cid.multihash).toString().slice(10)}"}`,
    ],
    ["a needless escape", '{"a":"\\u0041"}'],
    ["an escaped slash", '"\\/"'],
    ["an upper-case \\u escape", '"\\u001F"'],
    ["\\u for a character with a short escape", '"\\u000a"'],
    ["\\u for DEL, written literally", '"\\u007f"'],
    ["\\u for a non-ASCII character", '"\\u00e9"'],
    ["an escaped astral character", '"\\ud83d\\ude00"'],
    ["a lone high surrogate", '{"s":"\\ud800"}'],
    ["a lone low surrogate", '"\\udc00"'],
    ["an escape in a key", '{"\\u0061":1}'],
    ["a raw control character", '"a\u0001"'],
    ["a byte-order mark", utf8("\ufeff{}")],
    ["a CID in base58", `{"/":"${cid.toString(base58btc)}"}`],
    ["a CID in upper case after the prefix", `{"/":"b${text.slice(1).toUpperCase()}"}`],
    [
      "a CID with one upper-case letter",
      `{"/":"${text.slice(0, 20)}${text.slice(20, 21).toUpperCase()}${text.slice(21)}"}`,
    ],
    ["a CID with padding", `{"/":"${text}=="}`],
    ["a CID in upper-case base32", `{"/":"${text.toUpperCase()}"}`],
    ["a link with another key", `{"/":"${text}","a":1}`],
    ["bytes with padding", '{"/":{"bytes":"AQI="}}'],
    ["bytes with non-zero trailing bits", '{"/":{"bytes":"AQJ"}}'],
    ["bytes in the URL alphabet", '{"/":{"bytes":"_w"}}'],
    ["bytes with another key", '{"/":{"bytes":"AQID","x":1}}'],
    ["a reserved key", '{"/":1}'],
    ["__proto__", '{"__proto__":1}'],
    ["a truncated text", '{"a":[1,2'],
    ["an empty input", ""],
    ["NaN", "NaN"],
    ["a single quote string", "'a'"],
    ["not UTF-8", Uint8Array.of(0x22, 0xff, 0x22)],
    ["nesting past MAX_DEPTH", `${"[".repeat(MAX_DEPTH + 1)}${"]".repeat(MAX_DEPTH + 1)}`],
  ];

  test.each(nonCanonical)("the fast path gives up on %s, and the decoder refuses it", (_, input) => {
    const bytes = typeof input === "string" ? utf8(input) : input;
    expect(() => decodeCanonical(bytes)).toThrow(EncodingError);
    expect(checkAgainstReference(bytes)).toBe(false);
  });

  test("canonical texts at the edges take the fast path", () => {
    const accepted = [
      "{}",
      "[]",
      '""',
      "0",
      "-1",
      "9007199254740991",
      "123456789012345",
      "0.5",
      "-0.5",
      "1.5e-7",
      "5e-324",
      "-1.7976931348623157e-300",
      "-9007199254740991",
      '"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/\u007f\u2028é😀"',
      '{"":1,"0":2,"10":3,"9":4,"A":5,"a":6,"~":7}',
      `{"a":{"/":"${text}"},"b":{"/":{"bytes":""}},"c":{"/":{"bytes":"AQ"}},"d":[true,false,null]}`,
      `${"[".repeat(20)}${"]".repeat(20)}`,
    ];
    for (const input of accepted) {
      expect(parseCanonical(input)).not.toBe(GIVE_UP);
      expect(checkAgainstReference(utf8(input))).toBe(true);
    }
    // Beyond 2^53 the fast path gives up and the reference path returns a bigint.
    expect(parseCanonical("9007199254740992")).toBe(GIVE_UP);
    expect(decodeCanonical(utf8("9007199254740992"))).toBe(9007199254740992n);
    expect(checkAgainstReference(utf8("-9007199254740992"))).toBe(false);
    // Integer-like keys come back in the engine's order for them, as JSON.parse leaves them.
    expect(Object.keys(decodeCanonical(utf8('{"10":1,"9":2,"a":3}')) as object)).toEqual(["9", "10", "a"]);
  });

  test("keys named like Object.prototype's members become own data properties, as with JSON.parse", () => {
    const input = '{"constructor":1,"hasOwnProperty":2,"toString":3,"valueOf":{"isPrototypeOf":4}}';
    expect(parseCanonical(input)).not.toBe(GIVE_UP);
    expect(checkAgainstReference(utf8(input))).toBe(true);
    const value = decodeCanonical(utf8(input)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "toString")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(value, "toString")?.value).toBe(3);
  });

  test("a property store that throws (a frozen or booby-trapped prototype) hands over to the reference", () => {
    Object.defineProperty(Object.prototype, "trap", {
      set() {
        throw new Error("no");
      },
      configurable: true,
    });
    try {
      const input = '{"a":1,"trap":2}';
      expect(parseCanonical(input)).toBe(GIVE_UP);
      expect(decodeCanonical(utf8(input))).toEqual(JSON.parse(input));
    } finally {
      delete (Object.prototype as Record<string, unknown>).trap;
    }
  });

  test("links come back as CIDs whose string is the canonical one, and bytes as Uint8Array", () => {
    const value = decodeCanonical(utf8(`{"b":{"/":{"bytes":"AQID"}},"l":{"/":"${text}"}}`)) as {
      b: Uint8Array;
      l: CID;
    };
    expect(value.l).toBeInstanceOf(CID);
    expect(value.l.equals(cid)).toBe(true);
    expect(value.l.toString()).toBe(text);
    expect(value.b).toEqual(Uint8Array.of(1, 2, 3));
  });
});
