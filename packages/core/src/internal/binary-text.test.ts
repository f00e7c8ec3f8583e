import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { equalBytesConstantTime, fromBase64, fromHex, toBase64, toHex } from "./binary-text.js";

const RUNS = process.env.CI === "true" ? 1000 : 200;

describe("hex", () => {
  test("round-trips and matches node's lowercase hex", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = toHex(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("hex"));
        expect(fromHex(text)).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  test("accepts one spelling only: no upper case, no odd length, no other characters", () => {
    expect(fromHex("0aff")).toEqual(Uint8Array.of(10, 255));
    for (const bad of ["0AFF", "0af", "0x0a", "zz", " 0a"]) expect(fromHex(bad)).toBeUndefined();
  });
});

describe("base64", () => {
  test("round-trips and matches node's RFC 4648 base64, padded and unpadded", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const padded = Buffer.from(bytes).toString("base64");
        expect(toBase64(bytes, true)).toBe(padded);
        expect(toBase64(bytes, false)).toBe(padded.replace(/=+$/, ""));
        expect(fromBase64(padded, true)).toEqual(bytes);
        expect(fromBase64(padded.replace(/=+$/, ""), false)).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  test("refuses other spellings: wrong padding, non-zero trailing bits, URL alphabet, stray characters", () => {
    expect(fromBase64("AQI=", true)).toEqual(Uint8Array.of(1, 2));
    for (const [text, pad] of [
      ["AQI", true],
      ["AQI=", false],
      ["AQJ=", true],
      ["AR==", true],
      ["A===", true],
      ["AQ-_", false],
      ["AQ I", false],
      ["A", false],
      ["é", false],
    ] as const) {
      expect(fromBase64(text, pad)).toBeUndefined();
    }
  });
});

describe("equalBytesConstantTime", () => {
  test("compares content and length", () => {
    expect(equalBytesConstantTime(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytesConstantTime(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytesConstantTime(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
});
