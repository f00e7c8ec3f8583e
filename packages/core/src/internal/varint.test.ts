import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { encodeVarint, varintLength, writeVarint } from "./varint.js";

/** An independent reading of an unsigned LEB128 varint. */
function decode(bytes: Uint8Array): number {
  let value = 0;
  bytes.forEach((b, i) => {
    value += (b & 0x7f) * 2 ** (7 * i);
  });
  return value;
}

describe("varint", () => {
  test("known encodings", () => {
    expect(encodeVarint(0)).toEqual(Uint8Array.of(0));
    expect(encodeVarint(1)).toEqual(Uint8Array.of(1));
    expect(encodeVarint(127)).toEqual(Uint8Array.of(0x7f));
    expect(encodeVarint(128)).toEqual(Uint8Array.of(0x80, 0x01));
    expect(encodeVarint(300)).toEqual(Uint8Array.of(0xac, 0x02));
    expect(encodeVarint(2 ** 32)).toEqual(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10));
  });

  test("round-trips every safe integer; length and in-place writing agree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const bytes = encodeVarint(n);
        expect(bytes.length).toBe(varintLength(n));
        expect(decode(bytes)).toBe(n);
        for (const [i, b] of bytes.entries()) expect(b >= 0x80).toBe(i < bytes.length - 1);
        const out = new Uint8Array(bytes.length + 2);
        expect(writeVarint(out, 1, n)).toBe(1 + bytes.length);
        expect(out.subarray(1, 1 + bytes.length)).toEqual(bytes);
      }),
    );
  });
});
