import fc from "fast-check";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { describe, expect, test } from "vitest";
import { encodeCanonical } from "../canonical/encode.js";
import { computeCid } from "../cid.js";
import { commitHmac, commitPlain } from "../commitment.js";
import { AncoraError } from "../errors.js";
import { encodeRecord, encodeRecordBlock, MAX_RECORD_BYTES, validateRecord } from "./codec.js";
import { MAX_FAST_CHECKS, SCRATCH_BYTES, writeDecisionRecord } from "./decision-writer.js";
import type { AncoraRecord, DecisionRecord } from "./types.js";

const RUNS = process.env.CI === "true" ? 2000 : 200;
const owned = (length: number): Uint8Array => new Uint8Array(length);
const cidOf = (text: string) => computeCid(new TextEncoder().encode(text));

const typical: DecisionRecord = {
  v: 1,
  kind: "decision",
  stream: "credit-scoring",
  seq: 123_456,
  prev: cidOf("previous record"),
  ts: "2025-05-01T12:34:56.789Z",
  body: {
    model: { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` },
    input: commitHmac({ age: 42, income: 51_000 }, new Uint8Array(32).fill(7), { keyId: "org-2025" }),
    output: commitPlain({ score: 0.7312 }),
    score: 0.7312,
    label: "L002",
    config: cidOf("config record"),
  },
};

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

// ---------------------------------------------------------------------------------------------------
// Arbitrary decisions: mostly of the form the fast path takes, with every field also drawn from values
// it must hand to the general path (escapes, non-ASCII, lone surrogates, values the schema refuses).

const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const cidArb = fc.oneof(
  digestArb.map((d) => CID.createV1(0x55, Digest.create(0x12, d))),
  digestArb.map((d) => computeCid(d)),
);
const oddText = fc.constantFrom(
  'a"b',
  "a\\b",
  "tab\there",
  "\u0000",
  "\ud800",
  "é",
  "\u007f",
  "",
  "😀",
  "\u2028",
);
const verbatim = fc.stringMatching(/^[ !#-[\]-~]{1,24}$/);
/**
 * Decisions of the plain form when `plain`, else with every field also drawn from values the fast path
 * must hand to the general path (escapes, non-ASCII, lone surrogates, values the schema refuses).
 */
function decisionArbitrary(plain: boolean) {
  const mix = <T, U>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
    plain ? usual : fc.oneof({ weight: 6, arbitrary: usual }, { weight: 1, arbitrary: odd });
  const nameArb = mix(verbatim, fc.oneof(fc.string({ maxLength: 12 }), oddText));
  const identArb = mix(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
    fc.constantFrom("-x", "", "a b", "é", "x".repeat(129), "x".repeat(65)),
  );
  const hashArb = mix(
    fc.oneof(
      { weight: 4, arbitrary: digestArb.map((d) => `sha256:${Buffer.from(d).toString("hex")}`) },
      fc.uint8Array({ minLength: 64, maxLength: 64 }).map((d) => `sha512:${Buffer.from(d).toString("hex")}`),
      fc.constantFrom("blake3:abcDEF", "x+y.z:a=b"),
    ),
    fc.constantFrom("sha256:AB", "sha256:", "md5", `sha256:${"A".repeat(64)}`),
  );
  const numberArb = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 2 ** 53, -(2 ** 53), Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-324),
  );
  const scoreArb = mix(
    fc.double({ min: -1e15, max: 1e15, noNaN: true }).map((x) => x + 0),
    numberArb,
  );
  const commitmentArb = mix(
    fc.oneof(
      fc.record({ scheme: fc.constantFrom("plain", "salted"), digest: digestArb }),
      fc.record({ scheme: fc.constant("hmac"), digest: digestArb, keyId: identArb }),
      fc.record({ scheme: fc.constant("hmac"), digest: digestArb }),
    ),
    fc.oneof(
      fc.record({ scheme: fc.constantFrom("other", "Plain"), digest: digestArb }),
      fc.record({ scheme: fc.constantFrom("plain", "salted"), digest: digestArb, keyId: identArb }),
      fc.record({ scheme: fc.constant("plain"), digest: fc.uint8Array({ minLength: 31, maxLength: 33 }) }),
    ),
  );
  const checkArb = fc.record({
    name: identArb,
    category: identArb,
    result: mix(fc.constantFrom("pass", "fail", "warn"), fc.constant("ok")),
    blocking: mix(fc.boolean(), fc.constant(1)),
  });
  const tsArb = fc
    .date({
      min: new Date("0000-01-01T00:00:00.000Z"),
      max: new Date("9999-12-31T23:59:59.999Z"),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString());
  return fc.record({
    v: mix(fc.constant(1), fc.constant(2)),
    kind: mix(fc.constant("decision"), fc.constant("label")),
    stream: mix(
      fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/),
      fc.constantFrom("A", "-a", "", "x".repeat(65), "é"),
    ),
    seq: mix(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), numberArb),
    prev: mix(cidArb, fc.constant({ "/": "bafy" })),
    ts: mix(tsArb, fc.constantFrom("2025-02-30T00:00:00.000Z", "2025-01-01", "+010000-01-01T00:00:00.000Z")),
    body: fc.record(
      {
        model: fc.record({ id: nameArb, version: nameArb, hash: hashArb }),
        input: commitmentArb,
        output: commitmentArb,
        score: scoreArb,
        label: mix(
          fc.integer({ min: 0, max: 99_999 }).map((n) => `L${String(n).padStart(3, "0")}`),
          fc.constantFrom("L01", "l001", "L0000000000000000", "L00x"),
        ),
        config: cidArb,
        checks: fc.array(checkArb, {
          minLength: plain ? 1 : 0,
          maxLength: plain ? MAX_FAST_CHECKS : MAX_FAST_CHECKS + 2,
        }),
      },
      { requiredKeys: ["model", "input", "output", "label", "config"] },
    ),
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
