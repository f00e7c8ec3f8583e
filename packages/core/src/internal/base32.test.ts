import fc from "fast-check";
import { base32 } from "multiformats/bases/base32";
import { describe, expect, test } from "vitest";
import { base32Length, decodeBase32Into, multibaseBase32, writeMultibaseBase32 } from "./base32.js";

const RUNS = process.env.CI === "true" ? 2000 : 200;

describe("base32 (multibase b, RFC 4648 lower case, no padding)", () => {
  test("property: writes exactly what multiformats' base32 encoder writes, for any length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat({ max: 5 }), (bytes, offset) => {
        const expected = base32.encode(bytes);
        expect(multibaseBase32(bytes)).toBe(expected);
        const out = new Uint8Array(offset + 1 + base32Length(bytes.length));
        const end = writeMultibaseBase32(bytes, out, offset);
        expect(end).toBe(out.length);
        expect(new TextDecoder().decode(out.subarray(offset))).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });

  test("long inputs are encoded in chunks, identically", () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 131) & 255);
    expect(multibaseBase32(bytes)).toBe(base32.encode(bytes));
  });

  test("property: decodes its own encoding back, at any offset in a text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.string({ maxLength: 3 }), (bytes, before) => {
        const text = `${before}${multibaseBase32(bytes)}"`;
        const out = new Uint8Array(bytes.length);
        const start = before.length + 1; // after the "b"
        expect(decodeBase32Into(text, start, base32Length(bytes.length), out, 0)).toBe(true);
        expect(out).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  test("property: refuses any spelling multiformats reads leniently: upper case, padding, other characters", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.constantFrom("A", "Z", "0", "1", "8", "9", "=", "-", "é", " "),
        (bytes, at, bad) => {
          const text = multibaseBase32(bytes).slice(1);
          const i = at % text.length;
          const spoiled = text.slice(0, i) + bad + text.slice(i + 1);
          const out = new Uint8Array(bytes.length);
          expect(decodeBase32Into(spoiled, 0, text.length, out, 0)).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("refuses non-zero bits after the last whole byte, which multiformats also refuses", () => {
    // One byte is 2 characters, 10 bits: the last 2 must be zero. "ab" = 00000 00001.
    const out = new Uint8Array(1);
    expect(decodeBase32Into("aa", 0, 2, out, 0)).toBe(true);
    expect(decodeBase32Into("ab", 0, 2, out, 0)).toBe(false);
    expect(() => base32.decode("bab")).toThrow();
    // 36 bytes (a block CID) leave 2 spare bits in the last of 58 characters.
    const zeros = multibaseBase32(new Uint8Array(36)).slice(1);
    expect(zeros.at(-1)).toBe("a");
    expect(decodeBase32Into(zeros, 0, 58, new Uint8Array(36), 0)).toBe(true);
    for (const last of ["b", "c", "d"]) {
      expect(decodeBase32Into(`${zeros.slice(0, 57)}${last}`, 0, 58, new Uint8Array(36), 0)).toBe(false);
    }
    expect(decodeBase32Into(`${zeros.slice(0, 57)}e`, 0, 58, new Uint8Array(36), 0)).toBe(true);
  });
});
