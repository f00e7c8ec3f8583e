import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IngestError } from "../errors.js";
import { parseIngestInput, parseLine } from "./ingest-parse.js";

const MODEL = { id: "loan_scorer", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };
const decision = (extra: Record<string, unknown> = {}) => ({
  kind: "decision",
  stream: "loans",
  model: MODEL,
  input: { income: 51_000, years: 4 },
  output: { approved: true },
  score: 0.71,
  ...extra,
});
const config = (extra: Record<string, unknown> = {}) => ({
  kind: "config",
  stream: "loans",
  threshold: 0.6,
  aboveLabel: "approved",
  belowLabel: "denied",
  changedBy: "risk",
  changeReason: "initial policy",
  ...extra,
});

function failure(text: string, line = 1): IngestError {
  try {
    parseLine(text, line);
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    return error as IngestError;
  }
  throw new Error("expected an IngestError");
}

const without = (value: Record<string, unknown>, key: string) => {
  const copy = { ...value };
  delete copy[key];
  return copy;
};

describe("parseLine", () => {
  it("reads keys with escapes exactly, whatever lines came before (V8's JSON.parse defect)", () => {
    // A first key no other object has makes the engine's wrong-key state certain (see parseJson).
    parseLine(JSON.stringify({ ...decision(), input: { zq_ingest: 0, "\\": 1 } }), 1);
    for (const key of ["\n", '"', "\u001f"]) {
      const input = { zq_ingest: 0, [key]: 1 };
      expect(parseLine(JSON.stringify({ ...decision(), input }), 2)).toMatchObject({ input });
    }
  });

  it("parses a decision and a config change", () => {
    expect(parseLine(JSON.stringify(decision()), 3)).toEqual({
      line: 3,
      kind: "decision",
      stream: "loans",
      model: MODEL,
      input: { income: 51_000, years: 4 },
      output: { approved: true },
      score: 0.71,
    });
    expect(parseLine(JSON.stringify(config({ aboveLabel: "L002" })), 1)).toMatchObject({
      kind: "config",
      aboveLabel: "L002",
      belowLabel: "denied",
    });
  });

  it.each([
    ["bad JSON", '{"kind":"decision",', "INGEST_BAD_JSON"],
    ["a JSON array", "[1,2]", "INGEST_NOT_OBJECT"],
    ["a JSON string", '"decision"', "INGEST_NOT_OBJECT"],
    ["an unknown kind", JSON.stringify(decision({ kind: "label" })), "INGEST_UNKNOWN_KIND"],
    ["no kind", JSON.stringify(without(decision(), "kind")), "INGEST_UNKNOWN_KIND"],
    ["a missing score", JSON.stringify(without(decision(), "score")), "INGEST_MISSING_FIELD"],
    ["a missing input", JSON.stringify(without(decision(), "input")), "INGEST_MISSING_FIELD"],
    ["a missing output", JSON.stringify(without(decision(), "output")), "INGEST_MISSING_FIELD"],
    ["an unknown field", JSON.stringify(decision({ label: "L001" })), "INGEST_UNKNOWN_FIELD"],
    [
      "a model hash in upper case",
      JSON.stringify(decision({ model: { ...MODEL, hash: `sha256:${"AB".repeat(32)}` } })),
      "INGEST_BAD_MODEL",
    ],
    [
      "a short model hash",
      JSON.stringify(decision({ model: { ...MODEL, hash: "sha256:abc" } })),
      "INGEST_BAD_MODEL",
    ],
    [
      "a model without version",
      JSON.stringify(decision({ model: without(MODEL, "version") })),
      "INGEST_BAD_MODEL",
    ],
    ["a model that is a string", JSON.stringify(decision({ model: "loan_scorer" })), "INGEST_BAD_MODEL"],
    ["an upper-case stream", JSON.stringify(decision({ stream: "Loans" })), "INGEST_BAD_STREAM"],
    ["a stream with a space", JSON.stringify(decision({ stream: "loans eu" })), "INGEST_BAD_STREAM"],
    ["a 65-character stream", JSON.stringify(decision({ stream: "a".repeat(65) })), "INGEST_BAD_STREAM"],
    ["no stream", JSON.stringify(without(decision(), "stream")), "INGEST_BAD_STREAM"],
    ["input that is an array", JSON.stringify(decision({ input: [1, 2] })), "INGEST_BAD_FIELD"],
    ["a score that is a string", JSON.stringify(decision({ score: "0.7" })), "INGEST_BAD_FIELD"],
    [
      "an integer beyond 2^53 in the input",
      '{"kind":"decision","stream":"loans","model":{"id":"m","version":"1","hash":"sha256:' +
        "ab".repeat(32) +
        '"},"input":{"id":12345678901234567890},"output":1,"score":0.5}',
      "INGEST_NOT_ENCODABLE",
    ],
    [
      "a reserved key in the output",
      JSON.stringify(decision({ output: { "/": "x" } })),
      "INGEST_NOT_ENCODABLE",
    ],
    ["a config without reason", JSON.stringify(without(config(), "changeReason")), "INGEST_MISSING_FIELD"],
    ["a config with an empty reason", JSON.stringify(config({ changeReason: "" })), "INGEST_BAD_FIELD"],
    ["a config without actor", JSON.stringify(without(config(), "changedBy")), "INGEST_MISSING_FIELD"],
    ["a config with a string threshold", JSON.stringify(config({ threshold: "0.6" })), "INGEST_BAD_FIELD"],
    [
      "a config with a 300-character label name",
      JSON.stringify(config({ aboveLabel: "x".repeat(300) })),
      "INGEST_BAD_FIELD",
    ],
    [
      "a config with a 5000-character reason",
      JSON.stringify(config({ changeReason: "x".repeat(5000) })),
      "INGEST_BAD_FIELD",
    ],
  ])("rejects %s", (_case, text, code) => {
    const error = failure(text, 57);
    expect(error.code).toBe(code);
    expect(error.line).toBe(57);
    expect(error.evidence?.line).toBe(57);
    expect(error.shortMessage).toMatch(/^line 57: /);
    expect(error.hint).toBeDefined();
  });

  it("names the field of a bad model and of a non-encodable input", () => {
    expect(failure(JSON.stringify(decision({ model: { ...MODEL, hash: "md5:" } }))).evidence?.field).toBe(
      "model.hash",
    );
    const error = failure(JSON.stringify(decision({ input: { nested: { "/": 1 } } })));
    expect(error.evidence?.field).toBe(`input.nested["/"]`);
  });

  it("never quotes the input's values in errors (they may be personal data)", () => {
    const secret = "Jane Doe 1970-01-01";
    for (const text of [
      `{"kind":"decision","name":"${secret}"`,
      JSON.stringify(decision({ input: { name: secret, n: { "/": secret } } })),
      JSON.stringify(decision({ stream: secret })),
      JSON.stringify(config({ threshold: secret })),
    ]) {
      const error = failure(text);
      expect(JSON.stringify(error.toJSON())).not.toContain("Jane");
      expect(error.message).not.toContain("Jane");
    }
  });

  it("turns any text into a line or an IngestError, never another exception", () => {
    const fields = fc.record(
      {
        kind: fc.constantFrom("decision", "config", "label", 1),
        stream: fc.oneof(fc.constantFrom("loans", "LOANS", ""), fc.string()),
        model: fc.oneof(fc.constant(MODEL), fc.anything()),
        input: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
        output: fc.jsonValue(),
        score: fc.oneof(fc.double(), fc.string()),
        threshold: fc.oneof(fc.double({ noNaN: true }), fc.constant(null)),
        aboveLabel: fc.oneof(fc.constantFrom("L001", "approved", ""), fc.string()),
        belowLabel: fc.string(),
        changedBy: fc.string(),
        changeReason: fc.string(),
      },
      { requiredKeys: [] },
    );
    const text = fc.oneof(
      fields.map((f) => JSON.stringify(f) ?? "null"),
      fc.string(),
      fc.tuple(fields, fc.nat()).map(([f, cut]) => {
        const json = JSON.stringify(f) ?? "";
        return json.slice(0, cut % (json.length + 1));
      }),
    );
    fc.assert(
      fc.property(text, (line) => {
        try {
          parseLine(line, 1);
        } catch (error) {
          expect(error).toBeInstanceOf(IngestError);
        }
      }),
      { numRuns: process.env.CI ? 2_000 : 300 },
    );
  });
});

describe("parseIngestInput", () => {
  it("skips blank lines but counts them, and reports the first bad line", () => {
    const good = JSON.stringify(decision());
    const text = [JSON.stringify(config()), "", good, "   ", "{oops", good].join("\n");
    expect(() => parseIngestInput(text)).toThrow(
      expect.objectContaining({ code: "INGEST_BAD_JSON", line: 5 }),
    );
    const lines = parseIngestInput([JSON.stringify(config()), "", good, "\r", `${good}\r`, ""].join("\n"));
    expect(lines.map((l) => l.line)).toEqual([1, 3, 5]);
  });

  it("rejects an input without entries", () => {
    expect(() => parseIngestInput("\n\n")).toThrow(expect.objectContaining({ code: "INGEST_EMPTY" }));
  });
});
