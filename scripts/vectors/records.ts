/**
 * records.json: a real chain (genesis, labels, a config, decisions, a rename), commitments over one
 * value, and rejections with the outcome Ancora gives.
 */

import type { AncoraRecord, BlockCid } from "../../packages/core/dist/index.js";
import * as core from "../../packages/core/dist/index.js";
import { bytesOf, hex, jsonForm, text, utf8 } from "./common.ts";

// ---------------------------------------------------------------------------------------------------
// A real chain: genesis, two labels, a config, decisions, a rename. Each record's prev is the CID of
// the one before, so the vectors double as a hash-chain vector.

export const STREAM = "credit-scoring";
export const ORG_KEY = bytesOf(32, (i) => 0xa0 + i);
export const SALT = bytesOf(32, (i) => i);
export const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"9f".repeat(32)}` };
export const ts = (seconds: number) => new Date(Date.UTC(2025, 0, 31, 12, 0, seconds, 250)).toISOString();

export interface Step {
  name: string;
  description: string;
  kind: AncoraRecord["kind"];
  body: (ctx: { configCid: BlockCid | undefined }) => unknown;
}

export const applicant = { age: 42, income: 51_000, postcode: "NW1 6XE" };
export const steps: Step[] = [
  {
    name: "genesis",
    description: "First record of a stream: seq 0, no prev, with the optional organisation and registry.",
    kind: "genesis",
    body: () => ({
      createdBy: "ops@example.org",
      org: "Example Bank plc",
      registry: { chainId: 31337, address: "0x5fbdb2315678afecb367f032d93f642f64180aa3" },
      description: "Retail credit decisions",
    }),
  },
  {
    name: "label-approve",
    description: "Defines label L001.",
    kind: "label",
    body: () => ({
      id: "L001",
      name: "approve",
      changedBy: "ops@example.org",
      changeReason: "initial label set",
    }),
  },
  {
    name: "label-decline",
    description: "Defines label L002, without the optional fields.",
    kind: "label",
    body: () => ({ id: "L002", name: "decline" }),
  },
  {
    name: "config",
    description: "Decision rule: score >= 0.5 is L001, below is L002. Actor and reason are mandatory.",
    kind: "config",
    body: () => ({
      threshold: 0.5,
      aboveLabel: "L001",
      belowLabel: "L002",
      changedBy: "risk-committee",
      changeReason: "Launch threshold approved 2025-01-30",
    }),
  },
  {
    name: "decision-hmac",
    description: "A decision whose input is committed with HMAC-SHA256 (key in the commitments section).",
    kind: "decision",
    body: ({ configCid }) => ({
      model: MODEL,
      input: core.commitHmac(applicant, ORG_KEY, { keyId: "org-key-2025" }),
      output: core.commitPlain({ label: "L001", score: 0.8125 }),
      score: 0.8125,
      label: "L001",
      config: configCid,
    }),
  },
  {
    name: "decision-salted-no-score",
    description: "A decision with a salted input commitment and no score (the field is optional).",
    kind: "decision",
    body: ({ configCid }) => ({
      model: MODEL,
      input: core.commitSalted(applicant, { salt: SALT }).commitment,
      output: core.commitPlain({ label: "L002" }),
      label: "L002",
      config: configCid,
    }),
  },
  {
    name: "decision-small-float",
    description: "A score written with an exponent (1.5e-7), as ECMAScript's shortest round-trip form does.",
    kind: "decision",
    body: ({ configCid }) => ({
      model: MODEL,
      input: core.commitPlain({ public: true }),
      output: core.commitPlain({ label: "L002" }),
      score: 1.5e-7,
      label: "L002",
      config: configCid,
    }),
  },
  {
    name: "label-rename",
    description: "Renames L001: a later label record with the same id. Non-ASCII and escaped characters.",
    kind: "label",
    body: () => ({
      id: "L001",
      name: "genehmigt ✓",
      changedBy: "ops@example.org",
      changeReason: 'Renamed for the German market: "approve" → "genehmigt"\n(ticket #42) 😀',
    }),
  },
];

export const records: Array<{
  name: string;
  description: string;
  record: AncoraRecord;
  bytes: Uint8Array;
  cid: BlockCid;
}> = [];
let prev: BlockCid | undefined;
let configCid: BlockCid | undefined;
for (const [seq, step] of steps.entries()) {
  // Fields in a deliberately non-sorted order; the canonical bytes sort them.
  const record = {
    v: 1,
    kind: step.kind,
    stream: STREAM,
    seq,
    ...(prev === undefined ? {} : { prev }),
    ts: ts(seq),
    body: step.body({ configCid }),
  } as AncoraRecord;
  const { bytes, cid } = core.encodeRecordBlock(record);
  records.push({ name: step.name, description: step.description, record, bytes, cid });
  if (step.kind === "config") configCid = cid;
  prev = cid;
}

// ---------------------------------------------------------------------------------------------------
// Commitments over one applicant value, with the fixed salt and key above.

export const commitments = [
  { name: "plain", scheme: "plain", value: applicant, digest: hex(core.commitPlain(applicant).digest) },
  {
    name: "salted",
    scheme: "salted",
    value: applicant,
    salt: hex(SALT),
    digest: hex(core.commitSalted(applicant, { salt: SALT }).commitment.digest),
  },
  {
    name: "hmac",
    scheme: "hmac",
    value: applicant,
    key: hex(ORG_KEY),
    keyId: "org-key-2025",
    digest: hex(core.commitHmac(applicant, ORG_KEY).digest),
  },
];

// ---------------------------------------------------------------------------------------------------
// Rejections, each with the outcome Ancora gives. The script checks core agrees before writing.

export function outcome(fn: () => unknown): { error: string; path?: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code?: string; path?: string };
    return { error: String(e.code), ...(e.path === undefined ? {} : { path: e.path }) };
  }
  return { error: "none" };
}

export function agreed<T extends { error: string; path?: string }>(
  vector: T,
  actual: { error: string; path?: string },
): T {
  if (actual.error !== vector.error || (vector.path !== undefined && actual.path !== vector.path)) {
    throw new Error(
      `vector ${JSON.stringify(vector)} disagrees with @ancora/core: ${JSON.stringify(actual)}`,
    );
  }
  return vector;
}

export const labelText = text(records[1]?.bytes ?? new Uint8Array());
export const invalidBytesSpecs: Array<{ name: string; bytes: Uint8Array; error: string; path?: string }> = [
  {
    name: "whitespace after a colon",
    bytes: utf8(labelText.replace('"seq":1', '"seq": 1')),
    error: "ENCODING_NOT_CANONICAL",
  },
  { name: "trailing newline", bytes: utf8(`${labelText}\n`), error: "ENCODING_NOT_CANONICAL" },
  {
    name: "keys out of order",
    bytes: utf8(labelText.replace(/^\{("body":\{.*?\}),("kind":"label")/, "{$2,$1")),
    error: "ENCODING_NOT_CANONICAL",
  },
  {
    name: "duplicate key",
    bytes: utf8(labelText.replace('"seq":1,', '"seq":1,"seq":1,')),
    error: "ENCODING_NOT_CANONICAL",
  },
  {
    name: "integer written as 1.0",
    bytes: utf8(labelText.replace('"v":1}', '"v":1.0}')),
    error: "ENCODING_NOT_CANONICAL",
  },
  {
    name: "needless escape \\u0061",
    bytes: utf8(labelText.replace('"approve"', '"\\u0061pprove"')),
    error: "ENCODING_NOT_CANONICAL",
  },
  {
    name: "lone surrogate escape",
    bytes: utf8(labelText.replace('"approve"', '"\\ud800"')),
    error: "ENCODING_NOT_CANONICAL",
    path: "$.body.name",
  },
  { name: "negative zero", bytes: utf8('{"a":-0}'), error: "ENCODING_NOT_CANONICAL", path: "$.a" },
  {
    name: "byte-order mark",
    bytes: Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8(labelText)]),
    error: "ENCODING_MALFORMED_BYTES",
  },
  {
    name: "invalid UTF-8",
    bytes: Uint8Array.from([...utf8('{"a":"'), 0xff, ...utf8('"}')]),
    error: "ENCODING_MALFORMED_BYTES",
  },
  { name: "not JSON", bytes: utf8('{"v":1,'), error: "ENCODING_MALFORMED_BYTES" },
  { name: "padded base64 bytes", bytes: utf8('{"/":{"bytes":"AQI="}}'), error: "ENCODING_MALFORMED_BYTES" },
];

export const invalidBytes = invalidBytesSpecs.map((spec) => {
  const { bytes, name, ...expected } = spec;
  let textForm: string | undefined;
  try {
    textForm = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    textForm = undefined;
  }
  return agreed(
    { name, hex: hex(bytes), ...(textForm === undefined ? {} : { text: textForm }), ...expected },
    outcome(() => core.decodeRecord(bytes)),
  );
});

/** A valid record to mutate, as its JSON form. */
export const base = (i: number) =>
  structuredClone(jsonForm(records[i]?.record)) as Record<string, Record<string, unknown>>;
export const invalidRecordSpecs: Array<{ name: string; input: unknown; error: string; path: string }> = [
  {
    name: "unsupported version",
    input: { ...base(1), v: 2 },
    error: "SCHEMA_UNSUPPORTED_VERSION",
    path: "$.v",
  },
  {
    name: "unknown kind",
    input: { ...base(1), kind: "dataset" },
    error: "SCHEMA_UNKNOWN_KIND",
    path: "$.kind",
  },
  {
    name: "unknown envelope field",
    input: { ...base(1), note: "x" },
    error: "SCHEMA_UNKNOWN_FIELD",
    path: "$.note",
  },
  {
    name: "genesis with a prev",
    input: { ...base(0), prev: base(1).prev },
    error: "SCHEMA_INVALID_FIELD",
    path: "$.prev",
  },
  { name: "genesis with seq 1", input: { ...base(0), seq: 1 }, error: "SCHEMA_INVALID_FIELD", path: "$.seq" },
  { name: "label at seq 0", input: { ...base(1), seq: 0 }, error: "SCHEMA_INVALID_FIELD", path: "$.seq" },
  {
    name: "missing prev",
    input: Object.fromEntries(Object.entries(base(1)).filter(([k]) => k !== "prev")),
    error: "SCHEMA_MISSING_FIELD",
    path: "$.prev",
  },
  {
    name: "prev is a dag-json CID",
    input: {
      ...base(1),
      prev: { "/": core.CID.createV1(0x0129, records[0]?.cid.multihash as BlockCid["multihash"]).toString() },
    },
    error: "SCHEMA_INVALID_FIELD",
    path: "$.prev",
  },
  {
    name: "timestamp without milliseconds",
    input: { ...base(1), ts: "2025-01-31T12:00:01Z" },
    error: "SCHEMA_INVALID_FIELD",
    path: "$.ts",
  },
  {
    name: "timestamp on 30 February",
    input: { ...base(1), ts: "2025-02-30T12:00:00.000Z" },
    error: "SCHEMA_INVALID_FIELD",
    path: "$.ts",
  },
  {
    name: "label id without L",
    input: { ...base(2), body: { id: "002", name: "decline" } },
    error: "SCHEMA_INVALID_FIELD",
    path: "$.body.id",
  },
  {
    name: "config without changeReason",
    input: { ...base(3), body: { ...base(3).body, changeReason: undefined } },
    error: "SCHEMA_MISSING_FIELD",
    path: "$.body.changeReason",
  },
  {
    name: "decision commitment with a keyId on plain",
    input: {
      ...base(4),
      body: { ...base(4).body, output: { ...(base(4).body?.output as object), keyId: "k" } },
    },
    error: "SCHEMA_UNKNOWN_FIELD",
    path: "$.body.output.keyId",
  },
  {
    name: "decision model hash in upper case",
    input: { ...base(4), body: { ...base(4).body, model: { ...MODEL, hash: `sha256:${"9F".repeat(32)}` } } },
    error: "SCHEMA_INVALID_FIELD",
    path: "$.body.model.hash",
  },
];

/** Turns a vector input (JSON form) back into a value: links and bytes, as a DAG-JSON decoder would. */
export function fromJsonForm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonForm);
  if (typeof value !== "object" || value === null) return value;
  const slash = (value as Record<string, unknown>)["/"];
  if (typeof slash === "string") return core.CID.parse(slash);
  if (typeof slash === "object" && slash !== null) {
    return new Uint8Array(Buffer.from(String((slash as { bytes: unknown }).bytes), "base64"));
  }
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, fromJsonForm(v)]),
  );
}

export const invalidRecords = invalidRecordSpecs.map((spec) => {
  const input = JSON.parse(JSON.stringify(spec.input)); // drops the undefined used to delete a field
  return agreed(
    { ...spec, input },
    outcome(() => core.encodeRecord(fromJsonForm(input) as AncoraRecord)),
  );
});

export const invalidValueSpecs: Array<{ name: string; json: string; error: string; path: string }> = [
  {
    name: "lone surrogate in a string",
    json: '{"name":"\\ud800"}',
    error: "ENCODING_LONE_SURROGATE",
    path: "$.name",
  },
  {
    name: "keys equal after NFC normalisation",
    json: '{"caf\\u00e9":1,"cafe\\u0301":2}',
    error: "ENCODING_KEY_COLLISION",
    path: '$["café"]',
  },
  {
    name: "key order differs between UTF-16 and UTF-8",
    json: '{"\\ud800\\udc00":1,"\\ue000":2}',
    error: "ENCODING_AMBIGUOUS_KEY_ORDER",
    path: '$["\ue000"]',
  },
  {
    name: "reserved key __proto__",
    json: '{"__proto__":1}',
    error: "ENCODING_RESERVED_KEY",
    path: "$.__proto__",
  },
  { name: "negative zero", json: '{"x":-0}', error: "ENCODING_NEGATIVE_ZERO", path: "$.x" },
  {
    name: "integer beyond 2^53 as a number",
    json: '{"n":9007199254740993}',
    error: "ENCODING_UNSAFE_INTEGER",
    path: "$.n",
  },
];
export const invalidValues = invalidValueSpecs.map((spec) =>
  agreed(
    spec,
    outcome(() => core.encodeCanonical(JSON.parse(spec.json))),
  ),
);

export const recordsDocument = {
  version: 1,
  description:
    "Ancora record vectors, format v1. `records`: input (the record in DAG-JSON's data model written as JSON — " +
    'links {"/": cid}, bytes {"/": {"bytes": unpadded base64}} — keys in arbitrary order) → canonical (the exact ' +
    "bytes, as UTF-8 text) → cid (CIDv1, raw codec, sha2-256 of those bytes). The records form one hash chain in " +
    "order. `commitments`: value → digest (hex) per scheme. `invalidBytes`: byte strings (hex) that must not decode " +
    "as a record. `invalidRecords`: inputs that are valid DAG-JSON but break record schema v1. `invalidValues`: JSON " +
    "texts whose parsed value must not encode. `error`/`path` are Ancora's error code and field path. Generated by " +
    "scripts/generate-record-vectors.ts.",
  records: records.map((r) => ({
    name: r.name,
    description: r.description,
    input: jsonForm(r.record),
    canonical: text(r.bytes),
    cid: r.cid.toString(),
  })),
  commitments,
  invalidBytes,
  invalidRecords,
  invalidValues,
};
