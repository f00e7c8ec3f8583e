/**
 * The fast paths of the shared field validators against their previous implementations, kept here as
 * references: `expectKeys` (now one pass over `Object.keys` instead of a `propertyIsEnumerable` call per
 * field), the timestamp check (now without iterators and one-character strings) and the model-hash
 * rule's hand-written test for `sha256:` digests.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { childPath } from "../canonical/path.js";
import { SchemaError } from "../errors.js";
import { isSha256Digest, MODEL_HASH } from "../records/kinds/rules.js";
import { expectKeys, expectTimestamp, type Fields, has, hasKey } from "./schema-fields.js";

const RUNS = process.env.CI === "true" ? 3000 : 300;

function referenceExpectKeys(
  fields: Fields,
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
): void {
  for (const key of required) {
    if (!has(fields, key)) {
      throw new SchemaError("SCHEMA_MISSING_FIELD", childPath(path, key), "Required field is missing");
    }
  }
  let present = required.length;
  for (const key of optional) if (has(fields, key)) present++;
  const keys = Object.keys(fields);
  if (keys.length === present) return;
  const unknown = keys.find((key) => !required.includes(key) && !optional.includes(key)) ?? "";
  throw new SchemaError("SCHEMA_UNKNOWN_FIELD", childPath(path, unknown), "Field is not part of this schema");
}

const TIMESTAMP_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
const TIMESTAMP_SEPARATORS: ReadonlyArray<[number, string]> = [
  [4, "-"],
  [7, "-"],
  [10, "T"],
  [13, ":"],
  [16, ":"],
  [19, "."],
  [23, "Z"],
];

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function twoDigits(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
}

function referenceIsTimestamp(s: string): boolean {
  if (s.length !== 24) return false;
  for (const i of TIMESTAMP_DIGITS) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  for (const [i, ch] of TIMESTAMP_SEPARATORS) if (s[i] !== ch) return false;
  const year = twoDigits(s, 0) * 100 + twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    twoDigits(s, 11) <= 23 &&
    twoDigits(s, 14) <= 59 &&
    twoDigits(s, 17) <= 59
  );
}

function outcome(run: () => unknown): unknown {
  try {
    run();
    return "ok";
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    return { code: error.code, path: error.path, message: error.message };
  }
}

const KEYS = ["a", "b", "c", "d", "e", "__proto__", "0", ""];

/** Objects with own, inherited, non-enumerable and symbol-keyed properties drawn from KEYS. */
const objectArb = fc
  .record({
    own: fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 6 }),
    hidden: fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 2 }),
    inherited: fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 2 }),
    symbol: fc.boolean(),
  })
  .map(({ own, hidden, inherited, symbol }) => {
    const proto: Record<string, unknown> = {};
    for (const key of inherited) Object.defineProperty(proto, key, { value: 1, enumerable: true });
    const object = Object.create(inherited.length > 0 ? proto : Object.prototype) as Record<string, unknown>;
    for (const key of own)
      Object.defineProperty(object, key, { value: 1, enumerable: true, configurable: true });
    for (const key of hidden) {
      if (!own.includes(key)) Object.defineProperty(object, key, { value: 1, enumerable: false });
    }
    if (symbol) (object as Record<symbol, unknown>)[Symbol("s")] = 1;
    return object;
  });

describe("field validators vs their previous implementations", () => {
  test("property: expectKeys passes and fails exactly as before, with the same error", () => {
    fc.assert(
      fc.property(
        objectArb,
        fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 4 }),
        fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 3 }),
        (object, required, optionalAll) => {
          const optional = optionalAll.filter((key) => !required.includes(key));
          expect(outcome(() => expectKeys(object, "$.x", required, optional))).toEqual(
            outcome(() => referenceExpectKeys(object, "$.x", required, optional)),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("property: hasKey on the keys expectKeys returns is has()", () => {
    fc.assert(
      fc.property(objectArb, fc.constantFrom(...KEYS), (object, key) => {
        expect(hasKey(Object.keys(object), key)).toBe(has(object, key));
      }),
      { numRuns: RUNS },
    );
  });

  /** Timestamps, valid and nearly valid: every field at and around its limits, and stray characters. */
  const timestampArb = fc.oneof(
    fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 999 }),
      )
      .map(([y, mo, d, h, mi, s, ms]) => {
        const p = (n: number, w: number) => String(n).padStart(w, "0");
        return `${p(y, 4)}-${p(mo, 2)}-${p(d, 2)}T${p(h, 2)}:${p(mi, 2)}:${p(s, 2)}.${p(ms, 3)}Z`;
      }),
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    fc
      .tuple(
        fc.date({ noInvalidDate: true }),
        fc.nat(),
        fc.constantFrom("-", ":", "T", "Z", ".", "a", " ", "/", "0"),
      )
      .map(([date, at, char]) => {
        const text = date.toISOString();
        const i = at % text.length;
        return text.slice(0, i) + char + text.slice(i + 1);
      }),
    fc.string({ maxLength: 26 }),
  );

  test("property: expectTimestamp accepts exactly what the previous check accepted", () => {
    fc.assert(
      fc.property(timestampArb, (ts) => {
        const accepted = outcome(() => expectTimestamp({ ts }, "ts", "$")) === "ok";
        expect(accepted).toBe(referenceIsTimestamp(ts));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("property: the sha256 fast test never accepts what the model-hash pattern refuses", () => {
    const hex = fc.string({
      unit: fc.constantFrom(..."0123456789abcdefABCDEFg"),
      minLength: 60,
      maxLength: 68,
    });
    fc.assert(
      fc.property(
        fc.constantFrom("sha256:", "sha512:", "SHA256:", "sha256", "sha256::"),
        hex,
        (prefix, digits) => {
          const value = prefix + digits;
          if (isSha256Digest(value)) expect(MODEL_HASH.pattern?.test(value)).toBe(true);
          else if (/^sha256:[0-9a-f]{64}$/.test(value)) throw new Error(`missed ${value}`);
        },
      ),
      { numRuns: RUNS },
    );
    expect(isSha256Digest(`sha256:${"ab".repeat(32)}`)).toBe(true);
    expect(isSha256Digest(`sha256:${"AB".repeat(32)}`)).toBe(false);
  });
});
