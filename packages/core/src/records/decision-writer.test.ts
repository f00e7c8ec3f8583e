import fc from "fast-check";
import { CID } from "multiformats/cid";
import { describe, expect, test } from "vitest";
import { encodeCanonical } from "../canonical/encode.js";
import { computeCid } from "../cid.js";
import { AncoraError } from "../errors.js";
import { cidArb, decisionArbitrary, oddText, typical } from "../testing/decision-arbitraries.js";
import { encodeRecord, encodeRecordBlock, MAX_RECORD_BYTES, validateRecord } from "./codec.js";
import { MAX_FAST_CHECKS, SCRATCH_BYTES, writeDecisionRecord } from "./decision-writer.js";
import type { AncoraRecord, DecisionRecord } from "./types.js";

const RUNS = process.env.CI === "true" ? 2000 : 200;
const owned = (length: number): Uint8Array => new Uint8Array(length);

type Outcome = { bytes: string } | { error: { name: string; code: string; path: string; message: string } };

function outcome(encode: () => Uint8Array): Outcome {
  try {
    return { bytes: Buffer.from(encode()).toString("latin1") };
  } catch (error) {
    if (!(error instanceof AncoraError)) throw error;
    const path = (error as { path?: string }).path ?? "";
    return { error: { name: error.name, code: error.code, path, message: error.message } };
  }
}

/** The general path, as encodeRecord took it before the fast path existed. */
function general(record: unknown): Outcome {
  return outcome(() => {
    const bytes = encodeCanonical(record, { maxBytes: MAX_RECORD_BYTES });
    validateRecord(record);
    return bytes;
  });
}

const plainDecisionArb = decisionArbitrary(true);
const decisionArb = decisionArbitrary(false);
const numberArb = fc.oneof(fc.double(), fc.constantFrom(-0, 2 ** 53, Number.NaN, Number.NEGATIVE_INFINITY));

// Edits: set, delete or add a field anywhere, or change what kind of object holds it.
/** Objects an edit may insert, made anew for every edit (an arbitrary's objects are shared between runs). */
const OBJECTS: (() => object)[] = [
  () => [],
  () => ({}),
  () => Object.create(null),
  () => [1, "two"],
  () => new Date(0),
  () => new Uint8Array(32),
  () => ({ "/": "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq" }),
];
class MakeObject {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
}
const weirdValue = fc.oneof(
  numberArb,
  oddText,
  fc.constantFrom(undefined, null, true, 10n, Symbol("s"), () => 1),
  fc.integer({ min: 0, max: OBJECTS.length - 1 }).map((index) => new MakeObject(index)),
  cidArb,
);
type Edit =
  | { op: "set"; at: number; value: unknown }
  | { op: "delete"; at: number }
  | { op: "add"; at: number; key: string; value: unknown }
  | { op: "symbol" | "nullProto" | "getter" | "sparse"; at: number };
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: weirdValue }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("add" as const),
    at: fc.nat(),
    key: fc.constantFrom("extra", "__proto__", "/", "score", "checks", "keyId"),
    value: weirdValue,
  }),
  fc.record({
    op: fc.constantFrom("symbol" as const, "nullProto" as const, "getter" as const, "sparse" as const),
    at: fc.nat(),
  }),
);

/** Every plain object and array inside `value` (value included), in a stable order. */
function containers(value: unknown, found: object[] = []): object[] {
  if (
    typeof value !== "object" ||
    value === null ||
    value instanceof Uint8Array ||
    CID.asCID(value) !== null
  ) {
    return found;
  }
  found.push(value);
  for (const child of Object.values(value)) containers(child, found);
  return found;
}

function applyEdit(record: Record<string, unknown>, edit: Edit): Record<string, unknown> {
  let root = record;
  const all = containers(root);
  const target = all[edit.at % all.length] as Record<string, unknown>;
  const keys = Object.keys(target);
  const key = keys.length > 0 ? (keys[edit.at % keys.length] as string) : "x";
  switch (edit.op) {
    case "set":
      Object.defineProperty(target, key, {
        value: fresh(edit.value),
        enumerable: true,
        configurable: true,
        writable: true,
      });
      break;
    case "delete":
      delete target[key];
      break;
    case "add":
      Object.defineProperty(target, edit.key, {
        value: fresh(edit.value),
        enumerable: true,
        configurable: true,
        writable: true,
      });
      break;
    case "symbol":
      (target as Record<symbol, unknown>)[Symbol("extra")] = 1;
      break;
    case "nullProto": {
      if (Array.isArray(target)) break;
      const copy = Object.assign(Object.create(null), target) as Record<string, unknown>;
      if (target === root) root = copy;
      else {
        for (const parent of all) {
          for (const [k, v] of Object.entries(parent))
            if (v === target)
              Object.defineProperty(parent, k, { value: copy, enumerable: true, configurable: true });
        }
      }
      break;
    }
    case "getter": {
      const value = target[key];
      Object.defineProperty(target, key, { get: () => value, enumerable: true, configurable: true });
      break;
    }
    case "sparse":
      if (Array.isArray(target) && target.length > 0) delete target[edit.at % target.length];
      break;
  }
  return root;
}

describe("the decision fast path", () => {
  test("takes the typical decision and writes the general path's bytes", () => {
    const fast = writeDecisionRecord(typical, owned);
    expect(fast).toBeDefined();
    expect(fast).toEqual(encodeCanonical(typical));
    expect(encodeRecord(typical)).toEqual(encodeCanonical(typical));
  });

  test("writes the largest record it accepts well inside its buffer", () => {
    const ident = "x".repeat(128);
    const longest: DecisionRecord = {
      ...typical,
      seq: Number.MAX_SAFE_INTEGER,
      stream: "s".repeat(64),
      body: {
        ...typical.body,
        model: { id: "~".repeat(256), version: "~".repeat(256), hash: `a:${"b".repeat(254)}` },
        input: { scheme: "hmac", digest: new Uint8Array(32), keyId: "k".repeat(64) },
        output: { scheme: "hmac", digest: new Uint8Array(32), keyId: "k".repeat(64) },
        score: -2.2250738585072014e-308, // the longest String() of a double: 24 characters
        label: `L${"9".repeat(15)}`,
        checks: Array.from({ length: MAX_FAST_CHECKS }, () => ({
          name: ident,
          category: ident,
          result: "pass" as const,
          blocking: false,
        })),
      },
    };
    const fast = writeDecisionRecord(longest, owned);
    expect(fast).toEqual(encodeCanonical(longest));
    expect((fast as Uint8Array).length).toBeLessThan(SCRATCH_BYTES / 2);
  });

  test("writes into the array the caller allocates", () => {
    const slab = new Uint8Array(4096);
    const bytes = writeDecisionRecord(typical, (length) => slab.subarray(100, 100 + length));
    expect(bytes?.buffer).toBe(slab.buffer);
    expect(bytes).toEqual(encodeCanonical(typical));
    const block = encodeRecordBlock(typical, undefined, (length) => slab.subarray(1000, 1000 + length));
    expect(block.bytes.byteOffset).toBe(1000);
    expect(block.cid.equals(computeCid(encodeCanonical(typical)))).toBe(true);
  });

  test("hands over everything it does not know, and takes what it knows", () => {
    const genesis = { v: 1, kind: "genesis", stream: "s", seq: 0, ts: typical.ts, body: { createdBy: "x" } };
    expect(writeDecisionRecord(genesis, owned)).toBeUndefined();
    expect(
      writeDecisionRecord({ ...typical, body: { ...typical.body, label: "L0\u0301" } }, owned),
    ).toBeUndefined();
    const withChecks = {
      ...typical,
      body: {
        ...typical.body,
        checks: [{ name: "pii-scan", category: "privacy", result: "pass", blocking: true }],
      },
    };
    expect(writeDecisionRecord(withChecks, owned)).toEqual(encodeCanonical(withChecks));
  });

  test("a getter that encodes another record while this one is written gets its own bytes", () => {
    let inner: Uint8Array | undefined;
    const body = { ...typical.body };
    Object.defineProperty(body, "label", {
      enumerable: true,
      get: () => {
        inner = encodeRecord({ ...typical, seq: 7 });
        return "L002";
      },
    });
    const outer = encodeRecord({ ...typical, body } as DecisionRecord);
    expect(outer).toEqual(encodeCanonical(typical));
    expect(inner).toEqual(encodeCanonical({ ...typical, seq: 7 }));
  });

  test("property: decisions of the plain form take the fast path, with the general path's bytes", () => {
    fc.assert(
      fc.property(plainDecisionArb, (record) => {
        const fast = writeDecisionRecord(record, owned);
        expect(fast).toBeDefined();
        expect({ bytes: Buffer.from(fast as Uint8Array).toString("latin1") }).toEqual(general(record));
      }),
      { numRuns: RUNS },
    );
  });

  test("property: arbitrary decisions encode exactly as on the general path (same bytes or same error)", () => {
    fc.assert(
      fc.property(decisionArb, (record) => {
        const expected = general(record);
        const fast = writeDecisionRecord(record, owned);
        if (fast !== undefined) expect({ bytes: Buffer.from(fast).toString("latin1") }).toEqual(expected);
        expect(outcome(() => encodeRecord(record as AncoraRecord))).toEqual(expected);
        expect(outcome(() => encodeRecordBlock(record as AncoraRecord).bytes)).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  test("property: edits anywhere in a decision give the general path's bytes or error", () => {
    fc.assert(
      fc.property(plainDecisionArb, fc.array(editArb, { minLength: 1, maxLength: 3 }), (base, edits) => {
        // Each path gets its own copy of the edited record (getters and edits must not be shared).
        const make = () =>
          edits.reduce<Record<string, unknown>>(
            (record, edit) => applyEdit(record, edit),
            structuredCloneKeepingCids(base),
          );
        expect(outcome(() => encodeRecord(make() as unknown as AncoraRecord))).toEqual(general(make()));
      }),
      { numRuns: RUNS },
    );
  });
});

function fresh(value: unknown): unknown {
  return value instanceof MakeObject ? (OBJECTS[value.index] as () => object)() : value;
}

/** A deep copy of an arbitrary's output that keeps CIDs and byte arrays as they are. */
function structuredCloneKeepingCids<T>(value: T): T {
  if (
    typeof value !== "object" ||
    value === null ||
    value instanceof Uint8Array ||
    CID.asCID(value) !== null
  ) {
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => structuredCloneKeepingCids(item)) as T;
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const [key, item] of Object.entries(value)) copy[key] = structuredCloneKeepingCids(item);
  return copy as T;
}
