import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  base64Range,
  equalBytesConstantTime,
  fromBase64,
  fromHex,
  toBase64,
  toHex,
  writeBase64Unpadded,
} from "./binary-text.js";

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

describe("writeBase64Unpadded", () => {
  test("writes the ASCII of toBase64(bytes, false) at the position given, and nothing around it", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(16), (bytes, at) => {
        const out = new Uint8Array(at + 140).fill(0xee);
        const end = writeBase64Unpadded(bytes, out, at);
        const text = toBase64(bytes, false);
        expect(end - at).toBe(text.length);
        expect(Buffer.from(out.subarray(at, end)).toString("latin1")).toBe(text);
        expect(out.subarray(0, at).every((b) => b === 0xee)).toBe(true);
        expect(out.subarray(end).every((b) => b === 0xee)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("equalBytesConstantTime", () => {
  test("compares content and length", () => {
    expect(equalBytesConstantTime(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytesConstantTime(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytesConstantTime(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
});

// The base64 decoder as it was before base64Range (which reads in place, four characters at a time):
// the reference for the property below.
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function referenceFromBase64(text: string, pad: boolean): Uint8Array | undefined {
  let body = text;
  if (pad) {
    if (text.length % 4 !== 0) return undefined;
    if (text.endsWith("==")) body = text.slice(0, -2);
    else if (text.endsWith("=")) body = text.slice(0, -1);
  }
  const rest = body.length % 4;
  if (rest === 1) return undefined;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < body.length; i += 4) {
    let t = 0;
    const chunk = Math.min(4, body.length - i);
    for (let j = 0; j < 4; j++) {
      let v = 0;
      if (j < chunk) {
        const code = body.charCodeAt(i + j);
        v = code < 128 ? (B64_INDEX[code] ?? -1) : -1;
        if (v < 0) return undefined;
      }
      t = (t << 6) | v;
    }
    if (chunk === 4) {
      out[o++] = t >> 16;
      out[o++] = (t >> 8) & 255;
      out[o++] = t & 255;
    } else if (chunk === 3) {
      if ((t & 0xff) !== 0) return undefined;
      out[o++] = t >> 16;
      out[o++] = (t >> 8) & 255;
    } else {
      if ((t & 0xffff) !== 0) return undefined;
      out[o++] = t >> 16;
    }
  }
  return out;
}

describe("base64 decoding vs its previous implementation", () => {
  /** Base64-ish text: valid encodings, and ones with padding, other alphabets and stray characters. */
  const textArb = fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((bytes) => toBase64(bytes, false)),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => toBase64(bytes, true)),
    fc.string({
      unit: fc.constantFrom("A", "Q", "g", "w", "/", "+", "=", "-", "_", " ", "é", "0", "z"),
      maxLength: 12,
    }),
  );

  test("property: fromBase64 and base64Range answer exactly as before, padded or not", () => {
    fc.assert(
      fc.property(textArb, fc.boolean(), (text, pad) => {
        const expected = referenceFromBase64(text, pad);
        expect(fromBase64(text, pad)).toEqual(expected);
        if (!pad) expect(base64Range(`"${text}"}`, 1, 1 + text.length)).toEqual(expected);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
