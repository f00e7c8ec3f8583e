/**
 * Decision records for the tests of the decision fast paths (writer and reader): a typical one, and
 * fast-check arbitraries of the plain form they take and of everything they must hand over.
 */
import fc from "fast-check";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { encodeCanonical } from "../canonical/encode.js";
import { computeCid } from "../cid.js";
import { commitHmac, commitPlain } from "../commitment.js";
import { MAX_FAST_CHECKS } from "../records/decision-writer.js";
import type { DecisionRecord } from "../records/types.js";

const cidOf = (text: string) => computeCid(new TextEncoder().encode(text));

/** The decision record of bench/records.bench.ts: 630 bytes, two links, two digests, a key id, a score. */
export const typical: DecisionRecord = {
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

// Arbitrary decisions: mostly of the form the fast path takes, with every field also drawn from values
// it must hand to the general path (escapes, non-ASCII, lone surrogates, values the schema refuses).

export const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
export const cidArb = fc.oneof(
  digestArb.map((d) => CID.createV1(0x55, Digest.create(0x12, d))),
  digestArb.map((d) => computeCid(d)),
);
export const oddText = fc.constantFrom(
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
export function decisionArbitrary(plain: boolean) {
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

/** Bytes an edit may write: the syntax, digits, letters, escapes, non-ASCII and invalid UTF-8. */
export const editByte = fc.oneof(
  fc.constantFrom(...'"\\{}[],:0123456789-+.eEaAzZLb/ \t'.split("").map((c) => c.charCodeAt(0))),
  fc.constantFrom(0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xa9, 0xef, 0xff),
  fc.integer({ min: 0, max: 255 }),
);
export type ByteEdit = { op: "set" | "insert" | "delete"; at: number; byte: number };
export const byteEditArb: fc.Arbitrary<ByteEdit> = fc.record({
  op: fc.constantFrom("set" as const, "insert" as const, "delete" as const),
  at: fc.nat(),
  byte: editByte,
});

/** `bytes` with one edit applied (positions wrap around the length). */
export function applyByteEdit(bytes: Uint8Array, edit: ByteEdit): Uint8Array {
  const list = [...bytes];
  const at = edit.at % (list.length + 1);
  if (edit.op === "insert") list.splice(at, 0, edit.byte);
  else if (at < list.length && edit.op === "set") list[at] = edit.byte;
  else if (at < list.length) list.splice(at, 1);
  return new Uint8Array(list);
}

/** The canonical bytes of an arbitrary value, or `undefined` when it cannot be encoded at all. */
export function canonicalBytesOf(value: unknown): Uint8Array | undefined {
  try {
    return encodeCanonical(value);
  } catch {
    return undefined;
  }
}
