import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { describe, expect, test } from "vitest";
import { EncodingError, type EncodingErrorCode } from "../errors.js";
import { decodeCanonical } from "./decode.js";
import { encodeCanonical, MAX_DEPTH } from "./encode.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

function expectDecodeRejected(
  input: string | Uint8Array,
  code: EncodingErrorCode,
  path = "$",
): EncodingError {
  const bytes = typeof input === "string" ? utf8(input) : input;
  let caught: unknown;
  try {
    decodeCanonical(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EncodingError);
  const error = caught as EncodingError;
  expect({ code: error.code, path: error.path }).toEqual({ code, path });
  return error;
}

const cid = CID.createV1(0x55, Digest.create(0x12, new Uint8Array(32).fill(1)));

describe("decodeCanonical: accepts canonical bytes", () => {
  test("keys with escapes, whatever the engine parsed before (V8's JSON.parse defect)", () => {
    // Found by the round-trip property: Node 24's JSON.parse, once an object so far has one known next
    // key "\\", reads an escaped key there ("\n", "\u001f", ...) as "\\", and the decoder refused
    // canonical bytes as non-canonical. A first key no other object has ("\u0000zq_decode"; keys are
    // sorted, so it must sort first) makes that state certain.
    const first = "\u0000zq_decode";
    for (const key of ["\n", '"', "\u001f", "é\u0001"]) {
      decodeCanonical(encodeCanonical({ [first]: 0, "\\": 1 }));
      const value = { [first]: 0, [key]: { x: [true, null] } };
      expect(decodeCanonical(encodeCanonical(value))).toEqual(value);
    }
  });

  test("returns plain data, CIDs for links, Uint8Array for bytes, bigint beyond 2^53", () => {
    const value = decodeCanonical(
      utf8(
        `{"b":{"/":{"bytes":"AQID"}},"big":18446744073709551615,"l":{"/":"${cid}"},"n":[1,-2.5,null,true,"é"]}`,
      ),
    );
    expect(value).toEqual({
      b: Uint8Array.of(1, 2, 3),
      big: 18446744073709551615n,
      l: cid,
      n: [1, -2.5, null, true, "é"],
    });
    expect((value as { l: unknown }).l).toBeInstanceOf(CID);
  });

  test("accepts any top-level value", () => {
    expect(decodeCanonical(utf8("1"))).toBe(1);
    expect(decodeCanonical(utf8('"s"'))).toBe("s");
    expect(decodeCanonical(utf8("[]"))).toEqual([]);
  });

  test("round-trips an object with a key called __proto__ as data only if the encoder allowed it (it does not)", () => {
    expectDecodeRejected('{"__proto__":{"polluted":1}}', "ENCODING_NOT_CANONICAL", "$.__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("decodeCanonical: rejects every non-canonical spelling", () => {
  test.each([
    ["whitespace between tokens", '{"a": 1}'],
    ["a trailing newline", '{"a":1}\n'],
    ["leading whitespace", ' {"a":1}'],
    ["unsorted keys", '{"b":1,"a":2}'],
    ["duplicate keys", '{"a":1,"a":1}'],
    ["an integer written as a float", '{"a":1.0}'],
    ["an exponent where none is needed", '{"a":1e2}'],
    ["an upper-case exponent", '{"a":1.5E-7}'],
    ["a needless escape", '{"a":"\\u0041"}'],
    ["an escaped slash", '{"a":"\\/"}'],
    ["an escape in a key", '{"\\u0061":1}'],
    ["a float with a trailing zero", '{"a":0.50}'],
    ["a CID in a base other than base32", `{"a":{"/":"${cid.toString(base58btc)}"}}`],
  ])("%s", (_, text) => {
    expectDecodeRejected(text, "ENCODING_NOT_CANONICAL");
  });

  test("the error says where the bytes first differ", () => {
    const error = expectDecodeRejected('{"a": 1}', "ENCODING_NOT_CANONICAL");
    expect(error.evidence?.offset).toBe(5);
  });

  test("negative zero, unsafe integers and lone surrogates name the field", () => {
    expectDecodeRejected('{"x":{"y":-0}}', "ENCODING_NOT_CANONICAL", "$.x.y");
    expectDecodeRejected('{"n":9007199254740992.0}', "ENCODING_NOT_CANONICAL", "$.n");
    expectDecodeRejected('{"n":18446744073709551616}', "ENCODING_NOT_CANONICAL", "$.n");
    expectDecodeRejected('{"n":-9223372036854775809}', "ENCODING_NOT_CANONICAL", "$.n");
    expectDecodeRejected('{"s":"\\ud800"}', "ENCODING_NOT_CANONICAL", "$.s");
  });

  test("reserved '/' maps that are neither a link nor bytes", () => {
    expectDecodeRejected('{"/":"x","a":1}', "ENCODING_NOT_CANONICAL", '$["/"]');
    expectDecodeRejected('{"/":{"bytes":"AQID","x":1}}', "ENCODING_NOT_CANONICAL", '$["/"]');
    expectDecodeRejected('{"/":1}', "ENCODING_NOT_CANONICAL", '$["/"]');
  });

  test("non-canonical base64 in bytes: padding, non-zero trailing bits, URL alphabet", () => {
    expectDecodeRejected('{"/":{"bytes":"AQI="}}', "ENCODING_MALFORMED_BYTES");
    expectDecodeRejected('{"/":{"bytes":"AQJ"}}', "ENCODING_MALFORMED_BYTES");
    expectDecodeRejected('{"/":{"bytes":"_w"}}', "ENCODING_MALFORMED_BYTES");
    expect(decodeCanonical(utf8('{"/":{"bytes":"/w"}}'))).toEqual(Uint8Array.of(255));
  });

  test("malformed input: not UTF-8, a byte-order mark, not JSON, an invalid CID", () => {
    expectDecodeRejected(Uint8Array.of(0x22, 0xff, 0x22), "ENCODING_MALFORMED_BYTES");
    expectDecodeRejected(Uint8Array.of(0xef, 0xbb, 0xbf, 0x31), "ENCODING_MALFORMED_BYTES");
    expectDecodeRejected("", "ENCODING_MALFORMED_BYTES");
    expectDecodeRejected("{", "ENCODING_MALFORMED_BYTES");
    expectDecodeRejected("NaN", "ENCODING_MALFORMED_BYTES");
    expectDecodeRejected('{"a":{"/":"not-a-cid"}}', "ENCODING_MALFORMED_BYTES", "$.a");
  });

  test("duplicate keys next to an integer beyond 2^53 (the exact-integer parse path) are malformed", () => {
    expectDecodeRejected('{"a":1,"a":18446744073709551615}', "ENCODING_MALFORMED_BYTES");
  });

  test("input over maxBytes, before parsing", () => {
    expect(() => decodeCanonical(utf8('"0123456789"'), { maxBytes: 8 })).toThrow(
      expect.objectContaining({
        code: "ENCODING_TOO_LARGE",
        evidence: expect.objectContaining({ size: 12 }),
      }),
    );
  });

  test("nesting deeper than MAX_DEPTH, without overflowing the stack", () => {
    expect(decodeCanonical(utf8(`${"[".repeat(MAX_DEPTH)}${"]".repeat(MAX_DEPTH)}`))).toBeDefined();
    const deep = utf8(`${"[".repeat(MAX_DEPTH + 1)}${"]".repeat(MAX_DEPTH + 1)}`);
    expect(() => decodeCanonical(deep)).toThrow(expect.objectContaining({ code: "ENCODING_TOO_DEEP" }));
    const veryDeep = utf8(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(() => decodeCanonical(veryDeep)).toThrow(expect.objectContaining({ code: "ENCODING_TOO_DEEP" }));
  });

  test("what encodeCanonical writes, decodeCanonical reads back", () => {
    const value = { a: [cid, Uint8Array.of(0), 2n ** 63n, -1.25, "\u2028"], z: { y: null } };
    expect(decodeCanonical(encodeCanonical(value))).toEqual(value);
  });
});
