import {
  type AncoraRecord,
  type BlockCid,
  decodeRecord,
  encodeRecordBlock,
  parseBlockCid,
} from "@ancora/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkPlainDecision, type RecordState } from "./record-checks.js";
import type { RecordSource, StoredRecord } from "./source.js";
import { nodeSha256Text } from "./sources/node-sha256.js";
import { type Built, buildStream, CONFIG, type Draft, LABELS, nodeSha256 } from "./testing/stream-builder.js";
import { verifyStream } from "./verify-streams.js";

const RUNS = process.env.CI === "true" ? 1500 : 300;
/** Bytes as SQLite hands them to JavaScript as text: UTF-8, invalid sequences as U+FFFD. */
const asText = new TextDecoder("utf-8");

/** A stream of decisions with and without scores, a second config, and labels given by hand. */
function stream(): Built {
  const decisions = (from: number): Draft[] =>
    Array.from({ length: 12 }, (_, i) =>
      i % 4 === 3 ? { kind: "decision", label: "L001" } : { kind: "decision", score: (from + i) / 25 },
    );
  const second: Draft = { kind: "config", body: { ...CONFIG.body, threshold: 0.3 } };
  return buildStream("credit", [...LABELS, CONFIG, ...decisions(0), second, ...decisions(12)], [9, 20]);
}

/** The rows as a source that reads text hands them over (one character per byte, else no text). */
function withText(rows: readonly StoredRecord[]): StoredRecord[] {
  return rows.map((row) => {
    const text = asText.decode(row.bytes);
    return text.length === row.bytes.length ? { ...row, text } : { ...row };
  });
}

function verify(built: Built, rows: readonly StoredRecord[], options = {}) {
  const source: RecordSource = {
    records: () => rows,
    checkpoints: () => built.checkpoints,
    head: () => built.head,
  };
  return verifyStream(source, "credit", { sha256: nodeSha256, ...options });
}

type Tamper =
  | { kind: "byte"; row: number; at: number; byte: number; op: "set" | "insert" | "delete" }
  | { kind: "cid"; row: number; from: number }
  | {
      kind: "column";
      row: number;
      column: "kind" | "label" | "modelId" | "modelVersion" | "ts";
      value: string | null;
    }
  | { kind: "seq"; row: number; seq: number }
  | { kind: "indexed"; row: number; label: string | null }
  | { kind: "swap"; row: number; with: number }
  | { kind: "drop"; row: number }
  | {
      kind: "forge";
      row: number;
      field: "label" | "score" | "config" | "prev" | "seq" | "stream" | "model";
      from: number;
    };

function tampered(rows: readonly StoredRecord[], tamper: Tamper): StoredRecord[] {
  const out = [...rows];
  const i = tamper.row % out.length;
  const row = out[i] as StoredRecord;
  switch (tamper.kind) {
    case "byte": {
      const list = [...row.bytes];
      const at = tamper.at % (list.length + 1);
      if (tamper.op === "insert") list.splice(at, 0, tamper.byte);
      else if (at < list.length && tamper.op === "set") list[at] = tamper.byte;
      else if (at < list.length) list.splice(at, 1);
      out[i] = { ...row, bytes: new Uint8Array(list) };
      break;
    }
    case "cid":
      out[i] = { ...row, cid: (out[tamper.from % out.length] as StoredRecord).cid };
      break;
    case "column":
      out[i] = { ...row, [tamper.column]: tamper.value };
      break;
    case "seq":
      out[i] = { ...row, seq: tamper.seq };
      break;
    case "indexed":
      out[i] = {
        ...row,
        indexed: {
          kind: row.kind ?? "decision",
          ts: row.ts ?? "",
          label: tamper.label,
          modelId: row.modelId ?? null,
          modelVersion: row.modelVersion ?? null,
        },
      };
      break;
    case "swap": {
      const j = tamper.with % out.length;
      [out[i], out[j]] = [out[j] as StoredRecord, row];
      break;
    }
    case "drop":
      out.splice(i, 1);
      break;
    case "forge": {
      // A forger who rewrites a decision and its CID column (the following records then break their prev).
      let record: AncoraRecord;
      try {
        record = decodeRecord(row.bytes);
      } catch {
        break;
      }
      if (record.kind !== "decision") break;
      const other = parseBlockCid((out[tamper.from % out.length] as StoredRecord).cid) as BlockCid;
      const body = { ...record.body };
      let forged: AncoraRecord = record;
      if (tamper.field === "label")
        forged = { ...record, body: { ...body, label: body.label === "L001" ? "L002" : "L001" } };
      if (tamper.field === "score") forged = { ...record, body: { ...body, score: (tamper.from % 7) / 7 } };
      if (tamper.field === "config") forged = { ...record, body: { ...body, config: other } };
      if (tamper.field === "prev") forged = { ...record, prev: other };
      if (tamper.field === "seq") forged = { ...record, seq: 1 + (tamper.from % 30) };
      if (tamper.field === "stream") forged = { ...record, stream: "fraud" };
      if (tamper.field === "model")
        forged = { ...record, body: { ...body, model: { ...body.model, version: "9" } } };
      const block = encodeRecordBlock(forged, nodeSha256);
      out[i] = { ...row, bytes: block.bytes, cid: block.cid.toString() };
      break;
    }
  }
  return out;
}

const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({
    kind: fc.constant("byte" as const),
    row: fc.nat(),
    at: fc.nat(),
    byte: fc.oneof(
      fc.constantFrom(...'"\\{}[],:0123456789-+.eLb/ '.split("").map((c) => c.charCodeAt(0))),
      fc.constantFrom(0x00, 0x7f, 0x80, 0xc3, 0xff),
      fc.integer({ min: 0, max: 255 }),
    ),
    op: fc.constantFrom("set" as const, "insert" as const, "delete" as const),
  }),
  fc.record({ kind: fc.constant("cid" as const), row: fc.nat(), from: fc.nat() }),
  fc.record({
    kind: fc.constant("column" as const),
    row: fc.nat(),
    column: fc.constantFrom(
      "kind" as const,
      "label" as const,
      "modelId" as const,
      "modelVersion" as const,
      "ts" as const,
    ),
    value: fc.constantFrom(
      "decision",
      "L001",
      "L002",
      "credit-risk",
      "1.0.0",
      "2025-01-31T12:00:00.000Z",
      null,
      "",
    ),
  }),
  fc.record({ kind: fc.constant("seq" as const), row: fc.nat(), seq: fc.integer({ min: -1, max: 40 }) }),
  fc.record({
    kind: fc.constant("indexed" as const),
    row: fc.nat(),
    label: fc.constantFrom("L001", "L002", null),
  }),
  fc.record({ kind: fc.constant("swap" as const), row: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant("drop" as const), row: fc.nat() }),
  fc.record({
    kind: fc.constant("forge" as const),
    row: fc.nat(),
    field: fc.constantFrom(
      "label" as const,
      "score" as const,
      "config" as const,
      "prev" as const,
      "seq" as const,
      "stream" as const,
      "model" as const,
    ),
    from: fc.nat(),
  }),
);

describe("the fast path for decisions (checkPlainDecision)", () => {
  it("takes an untampered decision from its text, and leaves everything else to the full checks", () => {
    const built = stream();
    const rows = withText(built.rows);
    const config = rows[3] as StoredRecord;
    const decision = rows[4] as StoredRecord;
    const state = (): RecordState => ({
      expectedSeq: 4,
      prev: config.cid,
      labels: new Set(["L001", "L002"]),
      config: {
        cid: parseBlockCid(config.cid) as BlockCid,
        body: CONFIG.body,
      },
    });
    const fresh = state();
    const checked = checkPlainDecision(decision, "credit", fresh, nodeSha256, nodeSha256Text);
    expect(checked?.cidText).toBe(decision.cid);
    expect(checked?.record).toBeUndefined();
    expect(fresh).toMatchObject({ expectedSeq: 5, prev: decision.cid });
    // The same row without its text, or with any doubt, is left to checkRecord, the state untouched.
    for (const [row, why] of [
      [{ ...decision, text: undefined }, "no text"],
      [{ ...decision, cid: config.cid }, "another CID"],
      [
        { ...decision, label: decision.label === "L001" ? "L002" : "L001" },
        "a label column the record does not hold",
      ],
      [{ ...decision, indexed: null }, "a search row missing"],
      [{ ...decision, seq: 5 }, "an unexpected seq"],
      [config, "not a decision"],
    ] as const) {
      const before = state();
      expect(checkPlainDecision(row, "credit", before, nodeSha256, nodeSha256Text), why).toBeUndefined();
      expect(before, why).toEqual(state());
    }
    const unlabelled = state();
    unlabelled.labels.delete(String(decision.label));
    expect(checkPlainDecision(decision, "credit", unlabelled, nodeSha256, nodeSha256Text)).toBeUndefined();
    expect(checkPlainDecision(decision, "other", state(), nodeSha256, nodeSha256Text)).toBeUndefined();
  });

  it("gives an untampered stream the same result as the full checks, with and without sha256Text", () => {
    const built = stream();
    const full = verify(built, built.rows);
    expect(full.ok).toBe(true);
    expect(verify(built, withText(built.rows), { sha256Text: nodeSha256Text })).toEqual(full);
    expect(verify(built, withText(built.rows))).toEqual(full);
  });

  it("property: any tampering gets exactly the failures of the full checks", () => {
    const built = stream();
    fc.assert(
      fc.property(fc.array(tamperArb, { minLength: 1, maxLength: 2 }), (tampers) => {
        const rows = tampers.reduce(tampered, built.rows);
        const expected = verify(built, rows);
        expect(verify(built, withText(rows), { sha256Text: nodeSha256Text })).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
