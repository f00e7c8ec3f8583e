/**
 * Writes packages/core/test-vectors/records.json, receipts.json (receipt format v1, frozen) and
 * receipts-v2.json: Ancora's published vectors for records, commitments and receipts (format in
 * packages/core/test-vectors/README.md).
 *
 *   node scripts/generate-record-vectors.ts           # (re)write both files
 *   node scripts/generate-record-vectors.ts --check   # exit 1 when a file differs from what it would write
 *
 * It builds @ancora/core (tsc -b, incremental) and uses it to lay out the vectors. That is not circular:
 * the vectors test in core checks every accepted vector against independent implementations as well —
 * @ipld/dag-json for the canonical bytes, node:crypto and a hand-built CID for the CIDs and digests,
 * node:crypto's HMAC for commitments — and the expected rejections below are written here by hand (the
 * script refuses to write a vector whose outcome core does not agree with). Deterministic: fixed salts,
 * keys and timestamps, so every run writes the same bytes.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = fileURLToPath(new URL("../packages/core/test-vectors/", import.meta.url));
const BIOME = fileURLToPath(new URL("../node_modules/@biomejs/biome/bin/biome", import.meta.url));
const TSC = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));

const build = spawnSync(process.execPath, [TSC, "-b", "packages/core"], { cwd: ROOT, encoding: "utf8" });
if (build.status !== 0) {
  console.error(`building @ancora/core failed:\n${build.stdout}${build.stderr}`);
  process.exit(1);
}
const core = await import("../packages/core/dist/index.js");
type AncoraRecord = import("../packages/core/dist/index.js").AncoraRecord;
type BlockCid = import("../packages/core/dist/index.js").BlockCid;
type Receipt = import("../packages/core/dist/index.js").Receipt;
type ReceiptV1 = import("../packages/core/dist/index.js").ReceiptV1;
type AnyReceipt = import("../packages/core/dist/index.js").AnyReceipt;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytesOf = (n: number, f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i));

/**
 * The JSON form of a data-model value used for vector inputs: links as {"/": "<cid>"}, bytes as
 * {"/": {"bytes": "<unpadded base64>"}} — DAG-JSON's own forms — but keys kept in the order the
 * value was written, so an implementation must sort them itself.
 */
function jsonForm(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return { "/": { bytes: Buffer.from(value).toString("base64").replace(/=+$/, "") } };
  const cid = core.CID.asCID(value);
  if (cid !== null) return { "/": cid.toString() };
  if (Array.isArray(value)) return value.map(jsonForm);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonForm(v)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// A real chain: genesis, two labels, a config, decisions, a rename. Each record's prev is the CID of
// the one before, so the vectors double as a hash-chain vector.

const STREAM = "credit-scoring";
const ORG_KEY = bytesOf(32, (i) => 0xa0 + i);
const SALT = bytesOf(32, (i) => i);
const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"9f".repeat(32)}` };
const ts = (seconds: number) => new Date(Date.UTC(2025, 0, 31, 12, 0, seconds, 250)).toISOString();

interface Step {
  name: string;
  description: string;
  kind: AncoraRecord["kind"];
  body: (ctx: { configCid: BlockCid | undefined }) => unknown;
}

const applicant = { age: 42, income: 51_000, postcode: "NW1 6XE" };
const steps: Step[] = [
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

const records: Array<{
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

const commitments = [
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

function outcome(fn: () => unknown): { error: string; path?: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code?: string; path?: string };
    return { error: String(e.code), ...(e.path === undefined ? {} : { path: e.path }) };
  }
  return { error: "none" };
}

function agreed<T extends { error: string; path?: string }>(
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

const labelText = text(records[1]?.bytes ?? new Uint8Array());
const invalidBytesSpecs: Array<{ name: string; bytes: Uint8Array; error: string; path?: string }> = [
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

const invalidBytes = invalidBytesSpecs.map((spec) => {
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
const base = (i: number) =>
  structuredClone(jsonForm(records[i]?.record)) as Record<string, Record<string, unknown>>;
const invalidRecordSpecs: Array<{ name: string; input: unknown; error: string; path: string }> = [
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
function fromJsonForm(value: unknown): unknown {
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

const invalidRecords = invalidRecordSpecs.map((spec) => {
  const input = JSON.parse(JSON.stringify(spec.input)); // drops the undefined used to delete a field
  return agreed(
    { ...spec, input },
    outcome(() => core.encodeRecord(fromJsonForm(input) as AncoraRecord)),
  );
});

const invalidValueSpecs: Array<{ name: string; json: string; error: string; path: string }> = [
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
const invalidValues = invalidValueSpecs.map((spec) =>
  agreed(
    spec,
    outcome(() => core.encodeCanonical(JSON.parse(spec.json))),
  ),
);

const recordsDocument = {
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

// ---------------------------------------------------------------------------------------------------
// Receipts: the chain above in a Merkle tree, a checkpoint over all of it, receipts for three records
// and tampered copies with the failure each must produce.

const tree = new core.CompactRange();
const store = new core.MemoryNodeStore();
for (const r of records) store.putAll(tree.appendLeaf(r.cid.bytes).nodes);
const last = records[records.length - 1];
if (last === undefined) throw new Error("no records");
const checkpoint = {
  v: 1 as const,
  stream: STREAM,
  size: records.length,
  root: tree.root(),
  head: last.cid,
  ts: ts(60),
};
const anchor = {
  chainId: 31337,
  registry: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
  txHash: `0x${hex(bytesOf(32, (i) => 0xd0 + (i % 16)))}`,
  blockNumber: 12,
};
const receiptFor = (index: number): ReceiptV1 => {
  const r = records[index];
  if (r === undefined) throw new Error(`no record ${index}`);
  return {
    v: 1,
    record: r.bytes,
    cid: r.cid,
    index,
    proof: core.inclusionProof(store, index, records.length),
    checkpoint,
    anchor,
  };
};

const flipped = (b: Uint8Array, at: number) => {
  const copy = b.slice();
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
};

type Expect = { ok: true } | { ok: false; code: string; check?: string };
const receiptSpecs: Array<{ name: string; receipt: ReceiptV1; expect: Expect }> = [
  { name: "genesis", receipt: receiptFor(0), expect: { ok: true } },
  { name: "decision", receipt: receiptFor(4), expect: { ok: true } },
  {
    name: "last record (the checkpoint's head)",
    receipt: receiptFor(records.length - 1),
    expect: { ok: true },
  },
  {
    name: "record byte changed",
    receipt: { ...receiptFor(4), record: flipped(receiptFor(4).record, 40) },
    expect: { ok: false, code: "CID_MISMATCH" },
  },
  {
    name: "proof hash changed",
    receipt: { ...receiptFor(4), proof: receiptFor(4).proof.map((h, i) => (i === 0 ? flipped(h, 0) : h)) },
    expect: { ok: false, code: "INCLUSION_PROOF_INVALID" },
  },
  {
    name: "root changed",
    receipt: { ...receiptFor(4), checkpoint: { ...checkpoint, root: flipped(checkpoint.root, 31) } },
    expect: { ok: false, code: "INCLUSION_PROOF_INVALID" },
  },
  {
    name: "proof of another leaf",
    receipt: { ...receiptFor(4), proof: receiptFor(5).proof },
    expect: { ok: false, code: "INCLUSION_PROOF_INVALID" },
  },
  {
    name: "index is not the record's seq",
    receipt: { ...receiptFor(4), index: 5, proof: receiptFor(5).proof },
    expect: { ok: false, code: "RECEIPT_INVALID", check: "index" },
  },
  {
    name: "checkpoint of another stream",
    receipt: { ...receiptFor(4), checkpoint: { ...checkpoint, stream: "other-stream" } },
    expect: { ok: false, code: "RECEIPT_INVALID", check: "stream" },
  },
  {
    name: "last leaf is not the head",
    receipt: {
      ...receiptFor(records.length - 1),
      checkpoint: { ...checkpoint, head: records[0]?.cid as BlockCid },
    },
    expect: { ok: false, code: "RECEIPT_INVALID", check: "head" },
  },
];

const receiptVector = (spec: { name: string; receipt: AnyReceipt; expect: Expect }) => {
  const result = core.verifyReceiptOffline(spec.receipt);
  const actual: Expect = result.ok
    ? { ok: true }
    : {
        ok: false,
        code: result.error.code,
        ...(typeof result.error.evidence?.check === "string" ? { check: result.error.evidence.check } : {}),
      };
  if (JSON.stringify(actual) !== JSON.stringify(spec.expect)) {
    throw new Error(`receipt vector "${spec.name}" disagrees with @ancora/core: ${JSON.stringify(actual)}`);
  }
  return {
    name: spec.name,
    receipt: core.receiptToJSON(spec.receipt),
    canonical: text(core.encodeReceipt(spec.receipt)),
    expect: spec.expect,
  };
};
const receipts = receiptSpecs.map(receiptVector);

const receiptsDocument = {
  version: 1,
  description:
    "Ancora receipt vectors, format v1. The records of records.json in a Merkle tree (RFC 9162, leaf input = the " +
    "record's CID bytes), one checkpoint over all of them, and receipts in their JSON form (record as padded " +
    "base64, hashes as 0x-hex) and canonical DAG-JSON text, each with the offline verification result " +
    "(`expect.code` is Ancora's error code, `expect.check` the failed check). Generated by " +
    "scripts/generate-record-vectors.ts.",
  checkpoint: { json: core.checkpointToJSON(checkpoint), canonical: text(core.encodeCheckpoint(checkpoint)) },
  receipts,
};

// ---------------------------------------------------------------------------------------------------
// Receipt format v2 (2026-12): the same tree and anchor; the checkpoint is what the anchor commits
// (stream, size, root), so every field is bound. The v1 vectors above stay exactly as published.

const anchored = { stream: STREAM, size: checkpoint.size, root: checkpoint.root };
const receiptV2For = (index: number): Receipt => {
  const { record, cid, proof } = receiptFor(index);
  return { v: 2, record, cid, index, proof, checkpoint: anchored, anchor };
};
const receiptV2Specs: Array<{ name: string; receipt: Receipt; expect: Expect }> = [
  { name: "genesis", receipt: receiptV2For(0), expect: { ok: true } },
  { name: "decision", receipt: receiptV2For(4), expect: { ok: true } },
  { name: "last record", receipt: receiptV2For(records.length - 1), expect: { ok: true } },
  {
    name: "record byte changed",
    receipt: { ...receiptV2For(4), record: flipped(receiptV2For(4).record, 40) },
    expect: { ok: false, code: "CID_MISMATCH" },
  },
  {
    name: "proof hash changed",
    receipt: {
      ...receiptV2For(4),
      proof: receiptV2For(4).proof.map((h, i) => (i === 0 ? flipped(h, 0) : h)),
    },
    expect: { ok: false, code: "INCLUSION_PROOF_INVALID" },
  },
  {
    name: "root changed",
    receipt: { ...receiptV2For(4), checkpoint: { ...anchored, root: flipped(anchored.root, 31) } },
    expect: { ok: false, code: "INCLUSION_PROOF_INVALID" },
  },
  {
    name: "size changed to 9",
    receipt: { ...receiptV2For(4), checkpoint: { ...anchored, size: anchored.size + 1 } },
    expect: { ok: false, code: "INCLUSION_PROOF_INVALID" },
  },
  // Leaf 4's path in a tree of 8 is also a valid path in a tree of 7 to the same root: an RFC 9162
  // path fixes the size only up to its bit pattern. Offline checks pass; the anchor's event (tree size)
  // is what binds the size, so this receipt fails on chain.
  {
    name: "size changed to 7: passes offline, only the anchor binds the size",
    receipt: { ...receiptV2For(4), checkpoint: { ...anchored, size: anchored.size - 1 } },
    expect: { ok: true },
  },
  {
    name: "proof of another leaf",
    receipt: { ...receiptV2For(4), proof: receiptV2For(5).proof },
    expect: { ok: false, code: "INCLUSION_PROOF_INVALID" },
  },
  {
    name: "index is not the record's seq",
    receipt: { ...receiptV2For(4), index: 5, proof: receiptV2For(5).proof },
    expect: { ok: false, code: "RECEIPT_INVALID", check: "index" },
  },
  {
    name: "checkpoint of another stream",
    receipt: { ...receiptV2For(4), checkpoint: { ...anchored, stream: "other-stream" } },
    expect: { ok: false, code: "RECEIPT_INVALID", check: "stream" },
  },
];

const receiptsV2Document = {
  version: 2,
  description:
    "Ancora receipt vectors, format v2. The records of records.json in a Merkle tree (RFC 9162, leaf input = the " +
    "record's CID bytes) and receipts in their JSON form (record as padded base64, hashes as 0x-hex) and " +
    "canonical DAG-JSON text, each with the offline verification result (`expect.code` is Ancora's error " +
    "code, `expect.check` the failed check). The checkpoint is what the anchor commits: stream, size, root. " +
    "Generated by scripts/generate-record-vectors.ts.",
  receipts: receiptV2Specs.map(receiptVector),
};

// ---------------------------------------------------------------------------------------------------
// Lineage and governance kinds: their own chain (stream "lineage") in lineage.json, so records.json and
// receipts.json stay exactly as published. Each record references earlier ones by CID.

const LINEAGE_STREAM = "lineage";
const lineageTs = (seconds: number) => new Date(Date.UTC(2025, 1, 1, 9, 0, seconds, 0)).toISOString();
const digestOf = (label: string) => core.documentDigest(utf8(label));
const sampleHashes = Array.from({ length: 5 }, (_, i) => core.sha256(utf8(`sample-${i}`)));
const datasetRootBytes = core.datasetRoot(sampleHashes);
const manifest = {
  v: 1 as const,
  pipeline: {
    name: "credit-train",
    version: "3.1.0",
    image: `registry.example/credit-train@sha256:${"ab".repeat(32)}`,
    commit: "0123456789abcdef0123456789abcdef01234567",
    parameters: { epochs: 20, lr: 0.001 },
    dependencies: { numpy: "2.1.0", torch: "2.4.1" },
  },
  model: { architecture: "gbdt", output: "score" },
};
const capsuleBytes = bytesOf(96, (i) => (i * 29 + 7) & 0xff);

interface LineageStep {
  name: string;
  description: string;
  kind: AncoraRecord["kind"];
  body: (cids: BlockCid[]) => unknown;
}

const lineageSteps: LineageStep[] = [
  {
    name: "dataset-split",
    description: "A dataset split: root = datasetRoot over the five sample hashes of `datasetRoot` below.",
    kind: "dataset-split",
    body: () => ({
      id: "loans-2024",
      split: "train",
      samples: sampleHashes.length,
      root: datasetRootBytes,
      schema: digestOf("schema"),
      privacy: "personal",
      assignment: digestOf("assignment"),
    }),
  },
  {
    name: "model",
    description: "A model authorised to train on the dataset split (seq 1).",
    kind: "model",
    body: (c) => ({
      name: "credit-risk",
      version: "2.4.0",
      weights: digestOf("weights"),
      architecture: digestOf("architecture"),
      hyperparameters: digestOf("hyperparameters"),
      environment: digestOf("environment"),
      commit: "0123456789abcdef0123456789abcdef01234567",
      datasets: [c[1]],
    }),
  },
  {
    name: "training",
    description: "A training run over the dataset split that produced the model.",
    kind: "training",
    body: (c) => ({
      datasets: [c[1]],
      modelAfter: c[2],
      parameters: digestOf("parameters"),
      backend: "cpu",
      actor: "ml-ops",
    }),
  },
  {
    name: "reproducibility",
    description: "Commits to the reproducibility manifest below (its canonical bytes' SHA-256).",
    kind: "reproducibility",
    body: (c) => ({ target: c[3], manifest: core.reproducibilityManifestDigest(manifest) }),
  },
  {
    name: "consent",
    description: "A revocable consent policy of a pseudonymous subject.",
    kind: "consent",
    body: () => ({
      subject: "subj-7f3a",
      purposes: ["credit-scoring"],
      roles: ["underwriter"],
      validFrom: lineageTs(0),
      validUntil: "2026-02-01T09:00:00.000Z",
      revocable: true,
    }),
  },
  {
    name: "consent-denied",
    description: "A request refused: the purpose is not in the policy.",
    kind: "consent-denied",
    body: (c) => ({
      subject: "subj-7f3a",
      purpose: "marketing",
      role: "sales",
      policy: c[5],
      reason: "purpose-not-allowed",
    }),
  },
  {
    name: "consent-revocation",
    description: "The subject revokes the policy.",
    kind: "consent-revocation",
    body: (c) => ({ policy: c[5], subject: "subj-7f3a", actor: "subj-7f3a" }),
  },
  {
    name: "ownership",
    description: "Owner, steward and approver of the model.",
    kind: "ownership",
    body: (c) => ({ target: c[2], owner: "risk-team", steward: "data-office", approver: "cro" }),
  },
  {
    name: "ownership-handoff",
    description: "A handoff: a new ownership record naming the previous one.",
    kind: "ownership",
    body: (c) => ({
      target: c[2],
      owner: "credit-team",
      steward: "data-office",
      approver: "cro",
      previous: c[8],
      reason: "reorganisation",
    }),
  },
  {
    name: "retention",
    description: "Capsules are kept 180 days; hashes forever.",
    kind: "retention",
    body: () => ({ kind: "capsule", payloadDays: 180, basis: "EU AI Act Art. 19", actor: "dpo" }),
  },
  {
    name: "access-grant",
    description: "An auditor may read the stream for a month.",
    kind: "access-grant",
    body: () => ({
      grantee: "auditor-1",
      scope: ["stream:lineage:read"],
      validFrom: lineageTs(0),
      validUntil: "2025-03-01T09:00:00.000Z",
      actor: "dpo",
    }),
  },
  {
    name: "capsule",
    description: "Commits to the 96-byte capsule below by its SHA-256 digest and size.",
    kind: "capsule",
    body: (c) => ({
      target: c[1],
      digest: core.documentDigest(capsuleBytes),
      size: capsuleBytes.length,
      cipher: "aes-256-gcm",
      keyId: "capsule-key-2025",
      subject: "subj-7f3a",
      contentType: "application/json",
    }),
  },
  {
    name: "erasure",
    description: "The subject's capsule erased under GDPR Art. 17; the record names no personal data.",
    kind: "erasure",
    body: (c) => ({
      subject: "subj-7f3a",
      capsules: [c[12]],
      erased: ["capsules", "keys"],
      basis: "GDPR Art. 17(1)(b)",
      actor: "dpo",
    }),
  },
  {
    name: "erasure-by-retention",
    description:
      "Capsules older than the retention policy's 180 days purged; the record names the policy applied and the cut-off, not each capsule.",
    kind: "erasure",
    body: (c) => ({
      kind: "capsule",
      before: new Date(Date.UTC(2025, 1, 1, 9, 0, 14) - 180 * 86_400_000).toISOString(),
      policy: c[10],
      erased: ["capsules", "keys"],
      basis: "EU AI Act Art. 19",
      actor: "retention-job",
    }),
  },
];

const lineageCids: BlockCid[] = [];
const lineageRecords: Array<{
  name: string;
  description: string;
  input: unknown;
  canonical: string;
  cid: string;
}> = [];
{
  const genesis: AncoraRecord = {
    v: 1,
    kind: "genesis",
    stream: LINEAGE_STREAM,
    seq: 0,
    ts: lineageTs(0),
    body: { createdBy: "ml-ops", description: "Datasets, models and governance" },
  };
  const all: Array<{ name: string; description: string; record: AncoraRecord }> = [
    { name: "lineage-genesis", description: "First record of the lineage stream.", record: genesis },
  ];
  for (const step of lineageSteps) {
    const block = core.encodeRecordBlock((all[all.length - 1] as { record: AncoraRecord }).record);
    lineageCids.push(block.cid);
    const seq = all.length;
    all.push({
      name: step.name,
      description: step.description,
      record: {
        v: 1,
        kind: step.kind,
        stream: LINEAGE_STREAM,
        seq,
        prev: block.cid,
        ts: lineageTs(seq),
        // lineageCids[i] is the CID of record seq i, for every record before this one.
        body: step.body([...lineageCids]),
      } as AncoraRecord,
    });
  }
  for (const { name, description, record } of all) {
    const { bytes, cid } = core.encodeRecordBlock(record);
    lineageRecords.push({
      name,
      description,
      input: jsonForm(record),
      canonical: text(bytes),
      cid: cid.toString(),
    });
  }
}

const proof = core.sampleProof(sampleHashes, 3);
const lineageDocument = {
  version: 1,
  description:
    "Ancora lineage and governance record vectors, format v1: a chain (stream `lineage`) with one record of " +
    "each lineage kind, each referencing earlier ones by CID (`cid` is CIDv1 raw sha2-256 of `canonical`); " +
    "the dataset root and one sample's inclusion proof (RFC 9162, leaf input = the 32-byte sample hash); the " +
    "reproducibility manifest and the capsule the records commit to. Generated by scripts/generate-record-vectors.ts.",
  records: lineageRecords,
  datasetRoot: {
    samples: sampleHashes.map(hex),
    root: hex(datasetRootBytes),
    proof: {
      index: proof.index,
      size: proof.size,
      sample: hex(sampleHashes[3] as Uint8Array),
      path: proof.proof.map(hex),
    },
  },
  reproducibilityManifest: {
    canonical: text(core.encodeReproducibilityManifest(manifest)),
    digest: core.reproducibilityManifestDigest(manifest),
  },
  capsule: { hex: hex(capsuleBytes), digest: core.documentDigest(capsuleBytes) },
};

/** The JSON laid out as the repository's formatter lays it out, so `biome check` and `--check` agree. */
function formatted(path: string, json: string): string {
  const result = spawnSync(process.execPath, [BIOME, "format", `--stdin-file-path=${path}`], {
    input: json,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

let stale = false;
for (const [name, document] of [
  ["records.json", recordsDocument],
  ["receipts.json", receiptsDocument],
  ["receipts-v2.json", receiptsV2Document],
  ["lineage.json", lineageDocument],
] as const) {
  const path = `${OUT_DIR}${name}`;
  const output = formatted(path, JSON.stringify(document, null, 2));
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = "";
    }
    if (current !== output) {
      console.error(`${path} is out of date: run node scripts/generate-record-vectors.ts`);
      stale = true;
    } else {
      console.log(`${path} is up to date`);
    }
  } else {
    writeFileSync(path, output);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);
