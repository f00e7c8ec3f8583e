import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { encodeCanonical } from "../canonical/encode.js";
import { computeCid } from "../cid.js";
import {
  applyByteEdit,
  byteEditArb,
  canonicalBytesOf,
  decisionArbitrary,
  typical,
} from "../testing/decision-arbitraries.js";
import { decodeRecord, encodeRecord } from "./codec.js";
import { type DecisionExpectation, type ScannedDecision, scanDecisionText } from "./decision-scan.js";
import type { AncoraRecord } from "./types.js";

const RUNS = process.env.CI === "true" ? 2000 : 200;
/** Bytes as SQLite hands them to JavaScript as text: UTF-8, invalid sequences as U+FFFD. */
const asText = new TextDecoder("utf-8");

/** What the scan must find in a decision: its own expectation and fields. */
function expectationOf(record: AncoraRecord): DecisionExpectation {
  if (record.kind !== "decision") throw new Error("not a decision");
  return { prev: String(record.prev), config: String(record.body.config), stream: record.stream };
}

function fieldsOf(record: AncoraRecord): ScannedDecision {
  if (record.kind !== "decision") throw new Error("not a decision");
  const { label, model, score } = record.body;
  return { seq: record.seq, label, modelId: model.id, modelVersion: model.version, ts: record.ts, score };
}

/**
 * The promise the verifier relies on: when the scan answers for the text of `bytes` (read as SQLite
 * hands it over, one character per byte), the bytes decode to a decision with those fields, naming
 * the expected links and stream.
 */
function holdsPromise(bytes: Uint8Array, expected: DecisionExpectation): ScannedDecision | undefined {
  const text = asText.decode(bytes);
  if (text.length !== bytes.length) return undefined; // the source hands no text over then
  const found = scanDecisionText(text, expected);
  if (found === undefined) return undefined;
  const record = decodeRecord(bytes); // must not throw
  expect(record.kind).toBe("decision");
  expect(expectationOf(record)).toEqual(expected);
  expect(found).toEqual(fieldsOf(record));
  return found;
}

const plainDecisionArb = decisionArbitrary(true);
const decisionArb = decisionArbitrary(false);

describe("scanDecisionText, the verifier's look at a decision's text", () => {
  test("finds the typical decision's fields without decoding it", () => {
    const bytes = encodeRecord(typical);
    expect(holdsPromise(bytes, expectationOf(typical))).toEqual(fieldsOf(typical));
  });

  test("answers nothing when a link or the stream is not the expected one", () => {
    const text = asText.decode(encodeRecord(typical));
    const expected = expectationOf(typical);
    const other = String(computeCid(new TextEncoder().encode("other")));
    expect(scanDecisionText(text, { ...expected, prev: other })).toBeUndefined();
    expect(scanDecisionText(text, { ...expected, config: other })).toBeUndefined();
    expect(scanDecisionText(text, { ...expected, stream: "credit" })).toBeUndefined();
  });

  test("answers nothing for other spellings of the same decision, or other kinds", () => {
    const text = asText.decode(encodeRecord(typical));
    const expected = expectationOf(typical);
    for (const [from, to] of [
      ['"label":', '"label": '],
      ['"score":0.7312', '"score":0.73120'],
      ['"seq":123456', '"seq":0123456'],
      ['"seq":123456', '"seq":123456.0'],
      ['"credit-risk"', '"credit\\u002drisk"'],
      ['"v":1}', '"v":1} '],
      ['"kind":"decision"', '"kind":"label"'],
    ] as const) {
      expect(scanDecisionText(text.replace(from, to), expected), to).toBeUndefined();
    }
    // A digest's last character with non-zero trailing bits spells no bytes strictly.
    const at = text.indexOf('"bytes":"') + 9 + 42;
    const loose = `${text.slice(0, at)}${text[at] === "B" ? "C" : "B"}${text.slice(at + 1)}`;
    expect(scanDecisionText(loose, expected)).toBeUndefined();
    expect(() => decodeRecord(new TextEncoder().encode(loose))).toThrow();
    const genesis = { v: 1, kind: "genesis", stream: "s", seq: 0, ts: typical.ts, body: { createdBy: "x" } };
    expect(scanDecisionText(asText.decode(encodeCanonical(genesis)), expected)).toBeUndefined();
  });

  test("property: decisions of the plain form with a sha256 model hash are answered, with their fields", () => {
    fc.assert(
      fc.property(plainDecisionArb, (record) => {
        const decision = record as unknown as AncoraRecord;
        const found = holdsPromise(encodeRecord(decision), expectationOf(decision));
        if ((decision as { body: { model: { hash: string } } }).body.model.hash.startsWith("sha256:")) {
          expect(found).toBeDefined();
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("property: the canonical bytes of arbitrary records are answered only as decodeRecord reads them", () => {
    fc.assert(
      fc.property(decisionArb, (record) => {
        const bytes = canonicalBytesOf(record);
        if (bytes === undefined) return;
        const r = record as { prev?: unknown; stream?: unknown; body?: { config?: unknown } };
        const expected = { prev: String(r.prev), config: String(r.body?.config), stream: String(r.stream) };
        holdsPromise(bytes, expected);
      }),
      { numRuns: RUNS },
    );
  });

  test("property: edited bytes are answered only when they still decode to the expected decision", () => {
    fc.assert(
      fc.property(
        plainDecisionArb,
        fc.array(byteEditArb, { minLength: 1, maxLength: 3 }),
        (record, edits) => {
          const decision = record as unknown as AncoraRecord;
          holdsPromise(edits.reduce(applyByteEdit, encodeRecord(decision)), expectationOf(decision));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  }, 120_000);
});
