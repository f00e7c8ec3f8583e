import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeCanonical } from "../canonical/decode.js";
import { encodeCanonical } from "../canonical/encode.js";
import { AncoraError } from "../errors.js";
import {
  applyByteEdit,
  byteEditArb,
  canonicalBytesOf,
  decisionArbitrary,
  typical,
} from "../testing/decision-arbitraries.js";
import { decodeRecord, encodeRecord, MAX_RECORD_BYTES, validateRecord } from "./codec.js";
import { readDecisionRecord } from "./decision-reader.js";

const RUNS = process.env.CI === "true" ? 2000 : 200;

type Outcome =
  | { value: unknown; keys: unknown }
  | { error: { name: string; code: string; path: string; message: string } };

/** Every plain object's keys in order, recursively: the general decoder builds them in canonical order. */
function keyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keyOrder);
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype)
    return null;
  return Object.entries(value).map(([key, item]) => [key, keyOrder(item)]);
}

function outcome(decode: () => unknown): Outcome {
  try {
    const value = decode();
    return { value, keys: keyOrder(value) };
  } catch (error) {
    if (!(error instanceof AncoraError)) throw error;
    const path = (error as { path?: string }).path ?? "";
    return { error: { name: error.name, code: error.code, path, message: error.message } };
  }
}

/** The general path, as decodeRecord took it before the fast path existed. */
const general = (bytes: Uint8Array) =>
  outcome(() => validateRecord(decodeCanonical(bytes, { maxBytes: MAX_RECORD_BYTES })));

const plainDecisionArb = decisionArbitrary(true);
const decisionArb = decisionArbitrary(false);

describe("the decision fast path when decoding", () => {
  test("reads the typical decision as the general path does, keys in the same order", () => {
    const bytes = encodeRecord(typical);
    expect(readDecisionRecord(bytes)).toBeDefined();
    expect(outcome(() => readDecisionRecord(bytes))).toEqual(general(bytes));
    expect(outcome(() => decodeRecord(bytes))).toEqual(general(bytes));
  });

  test("hands over other kinds and non-canonical spellings", () => {
    const genesis = { v: 1, kind: "genesis", stream: "s", seq: 0, ts: typical.ts, body: { createdBy: "x" } };
    expect(readDecisionRecord(encodeCanonical(genesis))).toBeUndefined();
    const text = new TextDecoder().decode(encodeRecord(typical));
    const spaced = new TextEncoder().encode(text.replace('"label":', '"label": '));
    expect(readDecisionRecord(spaced)).toBeUndefined();
    expect(() => decodeRecord(spaced)).toThrow(expect.objectContaining({ code: "ENCODING_NOT_CANONICAL" }));
    const escaped = new TextEncoder().encode(text.replace('"credit-risk"', '"credit\\u002drisk"'));
    expect(readDecisionRecord(escaped)).toBeUndefined();
  });

  test("refuses every other spelling of a number, as the general path does", () => {
    const text = new TextDecoder().decode(encodeRecord(typical));
    const spellings = {
      '"seq":123456': [
        "0123456",
        "123456.0",
        "1.23456e5",
        "1.23456e+5",
        "+123456",
        "123456e0",
        "-123456",
        "9007199254740993",
      ],
      '"score":0.7312': [
        "0.73120",
        ".7312",
        "7.312e-1",
        "0.7312e0",
        "-0",
        "00.7312",
        "0.7312.",
        "1e400",
        "1E2",
        "-0.0",
      ],
    };
    for (const [field, others] of Object.entries(spellings)) {
      const key = field.slice(0, field.indexOf(":") + 1);
      for (const other of others) {
        const bytes = new TextEncoder().encode(text.replace(field, `${key}${other}`));
        expect(readDecisionRecord(bytes), other).toBeUndefined();
        expect(
          outcome(() => decodeRecord(bytes)),
          other,
        ).toEqual(general(bytes));
      }
    }
    for (const score of [
      0,
      5,
      -5,
      2.5e-10,
      1e-7,
      123.456,
      -2.2250738585072014e-308,
      Number.MAX_SAFE_INTEGER,
    ]) {
      const bytes = encodeRecord({ ...typical, body: { ...typical.body, score } });
      expect(readDecisionRecord(bytes)?.body.score, String(score)).toBe(score);
    }
  });

  test("property: decisions of the plain form take the fast path, with the general path's value", () => {
    fc.assert(
      fc.property(plainDecisionArb, (record) => {
        const bytes = encodeRecord(record as never);
        expect(readDecisionRecord(bytes)).toBeDefined();
        expect(outcome(() => readDecisionRecord(bytes))).toEqual(general(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  test("property: the canonical bytes of arbitrary records decode exactly as on the general path", () => {
    fc.assert(
      fc.property(decisionArb, (record) => {
        const bytes = canonicalBytesOf(record);
        if (bytes === undefined) return; // not encodable at all: nothing to decode
        const expected = general(bytes);
        const fast = readDecisionRecord(bytes);
        if (fast !== undefined) expect(outcome(() => fast)).toEqual(expected);
        expect(outcome(() => decodeRecord(bytes))).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  test("property: edited bytes give the general path's value or error", () => {
    fc.assert(
      fc.property(
        plainDecisionArb,
        fc.array(byteEditArb, { minLength: 1, maxLength: 3 }),
        (record, edits) => {
          const bytes = edits.reduce(applyByteEdit, encodeRecord(record as never));
          expect(outcome(() => decodeRecord(bytes))).toEqual(general(bytes));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  }, 120_000);
});
