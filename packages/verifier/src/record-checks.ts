/**
 * The checks each record gets, in both modes of the stream verifier: seq continuity, the CID
 * recomputed from the bytes against the stored CID, strict decoding and schema validation, the
 * record's own seq and stream fields, the `prev` link to the previous record's CID, the index columns,
 * the label and config rules, and the stored leaf and Merkle nodes. Pure: no I/O; what carries from one
 * record to the next is a {@link RecordState}, and failures go to a {@link Fail}.
 */
import {
  AncoraError,
  type AncoraRecord,
  type BlockCid,
  bytesEqual,
  type ConfigBody,
  computeCid,
  decodeRecord,
  sha256 as defaultSha256,
  isBlockCidTextOf,
  RAW_CODEC,
  resolveLabel,
  type ScannedDecision,
  SHA2_256_CODE,
  type Sha256,
  scanDecisionText,
} from "@ancora/core";
import { indexColumns } from "./columns.js";
import type { Fail } from "./failures.js";
import { toHex0x } from "./internal/hex.js";
import type { StoredRecord } from "./source.js";
import type { NodeLookup, TextSha256 } from "./verify-options.js";

/** The config record current at a point of the stream. */
export interface CurrentConfig {
  readonly cid: BlockCid;
  readonly body: ConfigBody;
}

/** What the per-record checks carry from one record of a stream to the next. */
export interface RecordState {
  /** The seq the next record must have. */
  expectedSeq: number;
  /** The CID (its string) of the previous record's bytes. */
  prev: string | undefined;
  /** Label ids defined so far. */
  readonly labels: Set<string>;
  config: CurrentConfig | undefined;
}

/**
 * What {@link checkRecord} found: the CID of the bytes (binary and string), and the record when they
 * decode ({@link checkPlainDecision} checks a decision without decoding it: no record then either).
 * `cidBytes` may be a buffer the next check reuses: use it before then.
 */
export interface CheckedRecord {
  readonly cidBytes: Uint8Array;
  readonly cidText: string;
  readonly record: AncoraRecord | undefined;
}

const INDEX_CHECKS = [
  ["kind", "kind", "KIND_COLUMN_MISMATCH"],
  ["label", "label", "LABEL_COLUMN_MISMATCH"],
  ["modelId", "modelId", "MODEL_COLUMN_MISMATCH"],
  ["modelVersion", "modelVersion", "MODEL_COLUMN_MISMATCH"],
  ["ts", "ts", "TS_COLUMN_MISMATCH"],
] as const;

/** What a record failed to decode with, for a RECORD_INVALID failure: the code and the path, or the error's name. */
function decodeFailure(error: unknown): string {
  if (error instanceof AncoraError) {
    const path = (error as { path?: unknown }).path;
    return typeof path === "string" ? `${error.code} at ${path}` : error.code;
  }
  return error instanceof Error ? error.name : "unknown error";
}

/** `null` and `undefined` spelt out, for failures. */
export function show(value: string | null | undefined): string {
  return value === null || value === undefined ? "null" : value;
}

/** A reused buffer for the bytes of record text whose characters are all ASCII (one byte each). */
let asciiScratch = new Uint8Array(4096);
const asciiEncoder = new TextEncoder();

/** SHA-256 of all-ASCII `text`'s bytes, with `sha256Text` when given. */
function textDigest(
  text: string,
  sha256: Sha256 | undefined,
  sha256Text: TextSha256 | undefined,
): Uint8Array {
  if (sha256Text !== undefined) return sha256Text(text);
  if (asciiScratch.length < text.length) asciiScratch = new Uint8Array(2 * text.length);
  asciiEncoder.encodeInto(text, asciiScratch);
  return (sha256 ?? defaultSha256)(asciiScratch.subarray(0, text.length));
}

/** The binary CID of the record {@link checkPlainDecision} checked last: its prefix, then the digest. */
const plainCidBytes = new Uint8Array(36);
plainCidBytes.set([0x01, RAW_CODEC, SHA2_256_CODE, 0x20]);

/** Whether stored search columns, where the store keeps them, hold what the scanned decision says. */
function columnsMatch(
  stored: {
    readonly kind?: string | undefined;
    readonly label?: string | null | undefined;
    readonly modelId?: string | null | undefined;
    readonly modelVersion?: string | null | undefined;
    readonly ts?: string | undefined;
  },
  found: ScannedDecision,
): boolean {
  return (
    (stored.kind === undefined || stored.kind === "decision") &&
    (stored.label === undefined || stored.label === found.label) &&
    (stored.modelId === undefined || stored.modelId === found.modelId) &&
    (stored.modelVersion === undefined || stored.modelVersion === found.modelVersion) &&
    (stored.ts === undefined || stored.ts === found.ts)
  );
}

/**
 * The fast path of {@link checkRecord} for the records an untampered log is made of: a decision whose
 * stored text (`stored.text`) is its canonical plain form, naming the expected `prev`, config and
 * stream, with the expected seq, a label defined earlier (the one its config resolves its score to),
 * the stored columns and search row it implies, and a CID equal to the stored one. Then every check of
 * {@link checkRecord} passes, and this advances `state` and returns the CID without decoding the
 * record. Anything else, or any doubt, returns `undefined` with `state` untouched: the caller runs
 * {@link checkRecord}, which reports what is wrong. `record-checks.test.ts` holds the two paths to the
 * same verdicts for arbitrary edits of text, columns and state.
 */
export function checkPlainDecision(
  stored: StoredRecord,
  stream: string,
  state: RecordState,
  sha256: Sha256 | undefined,
  sha256Text: TextSha256 | undefined,
): CheckedRecord | undefined {
  const text = stored.text;
  const prev = state.prev;
  const config = state.config;
  if (text === undefined || prev === undefined || config === undefined || stored.seq !== state.expectedSeq)
    return undefined;
  const found = scanDecisionText(text, { prev, config: config.cid.toString(), stream });
  if (found === undefined || found.seq !== stored.seq || !state.labels.has(found.label)) return undefined;
  if (found.score !== undefined && resolveLabel(config.body, found.score) !== found.label) return undefined;
  const indexed = stored.indexed;
  if (
    !columnsMatch(stored, found) ||
    indexed === null ||
    (indexed !== undefined && !columnsMatch(indexed, found))
  )
    return undefined;
  // Every character is ASCII (the scan admits nothing else), so the text's bytes are the record's.
  const digest = textDigest(text, sha256, sha256Text);
  const cidText = stored.cid;
  if (!isBlockCidTextOf(digest, cidText)) return undefined;
  state.expectedSeq = found.seq + 1;
  state.prev = cidText;
  plainCidBytes.set(digest, 4);
  return { cidBytes: plainCidBytes, cidText, record: undefined };
}

/**
 * Checks the next record of `stream`, stored at `position` (0 for the genesis): seq continuity, the
 * CID, and the record's own rules (decoding, seq and stream fields, `prev`, columns, config and
 * labels). Advances `state` past it.
 */
export function checkRecord(
  stored: StoredRecord,
  stream: string,
  position: number,
  state: RecordState,
  sha256: Sha256 | undefined,
  fail: Fail,
): CheckedRecord {
  const seq = stored.seq;
  if (seq !== state.expectedSeq) {
    fail(
      seq > state.expectedSeq ? "SEQ_GAP" : "SEQ_MISMATCH",
      Math.min(seq, state.expectedSeq),
      String(state.expectedSeq),
      String(seq),
    );
  }
  state.expectedSeq = seq + 1;
  const cid = computeCid(stored.bytes, sha256);
  const cidText = cid.toString();
  if (cidText !== stored.cid) fail("CID_MISMATCH", seq, cidText, stored.cid);
  const prev = state.prev;
  state.prev = cidText;
  const record = checkRules(stored, stream, position, prev, cid, state, fail);
  return { cidBytes: cid.bytes, cidText, record };
}

/** The rules of one record given the state before it; the decoded record, `undefined` if it does not decode. */
function checkRules(
  stored: StoredRecord,
  stream: string,
  position: number,
  prev: string | undefined,
  cid: BlockCid,
  state: RecordState,
  fail: Fail,
): AncoraRecord | undefined {
  const seq = stored.seq;
  let record: AncoraRecord;
  try {
    record = decodeRecord(stored.bytes);
  } catch (error) {
    fail("RECORD_INVALID", seq, "a canonical v1 record", decodeFailure(error));
    return undefined;
  }
  if (record.seq !== seq) fail("SEQ_MISMATCH", seq, String(seq), String(record.seq));
  if (record.stream !== stream) fail("STREAM_MISMATCH", seq, stream, record.stream);
  if (position === 0) {
    if (record.kind !== "genesis") fail("GENESIS_MISSING", 0, "genesis", record.kind);
  } else if (prev !== undefined && (record.prev === undefined || record.prev.toString() !== prev)) {
    fail("PREV_MISMATCH", seq, prev, show(record.prev?.toString()));
  }

  const columns = indexColumns(record);
  for (const [field, column, code] of INDEX_CHECKS) {
    const found = stored[field];
    if (found !== undefined && found !== columns[column]) {
      fail(code, seq, `${column}=${show(columns[column])}`, `${column}=${show(found)}`);
    }
  }
  const indexed = stored.indexed;
  if (indexed === null) {
    fail("SEARCH_INDEX_MISMATCH", seq, "a search index row", "missing");
  } else if (indexed !== undefined) {
    for (const [field, column] of INDEX_CHECKS) {
      if (indexed[field] !== columns[column]) {
        fail(
          "SEARCH_INDEX_MISMATCH",
          seq,
          `${column}=${show(columns[column])}`,
          `${column}=${show(indexed[field])}`,
        );
        break;
      }
    }
  }

  switch (record.kind) {
    case "label":
      state.labels.add(record.body.id);
      break;
    case "config": {
      const { aboveLabel, belowLabel } = record.body;
      for (const id of aboveLabel === belowLabel ? [aboveLabel] : [aboveLabel, belowLabel]) {
        if (!state.labels.has(id))
          fail("LABEL_UNDEFINED", seq, "a label id defined earlier in the stream", id);
      }
      state.config = { cid, body: record.body };
      break;
    }
    case "decision": {
      const body = record.body;
      const config = state.config;
      if (!state.labels.has(body.label)) {
        fail("LABEL_UNDEFINED", seq, "a label id defined earlier in the stream", body.label);
      }
      if (config === undefined) {
        fail("CONFIG_MISSING", seq, "a config record before the decision", body.config.toString());
        break;
      }
      if (!bytesEqual(body.config.bytes, config.cid.bytes)) {
        fail("CONFIG_MISMATCH", seq, config.cid.toString(), body.config.toString());
      }
      // docs/formats.md, "Rules across records": with a score, the label is the config's resolution.
      if (body.score !== undefined) {
        const expected = resolveLabel(config.body, body.score);
        if (body.label !== expected) fail("LABEL_MISMATCH", seq, expected, body.label);
      }
      break;
    }
    default:
      break;
  }
  return record;
}

/** Checks the leaf hash a source joined in (when it did) against the recomputed `leaf`. */
export function checkStoredLeaf(stored: StoredRecord, leaf: Uint8Array, fail: Fail): void {
  if (stored.leafHash === undefined) return;
  if (stored.leafHash === null || !bytesEqual(stored.leafHash, leaf)) {
    fail(
      "MERKLE_LEAF_MISMATCH",
      stored.seq,
      toHex0x(leaf),
      stored.leafHash === null ? "missing" : toHex0x(stored.leafHash),
    );
  }
}

/**
 * Checks the stored Merkle node (`level`, `index`) against the recomputed `hash`. Reported at `seq`,
 * the record that completes the node: the earliest point where the stored tree provably differs (the
 * node's first leaf may well be intact).
 */
export function checkStoredNode(
  lookup: NodeLookup,
  level: number,
  index: number,
  hash: Uint8Array,
  seq: number,
  fail: Fail,
): void {
  const found = lookup(level, index);
  if (found === null) return; // the store keeps no node there
  if (found === undefined || !bytesEqual(found, hash)) {
    fail(
      "MERKLE_NODE_MISMATCH",
      seq,
      `node (${level}, ${index}) = ${toHex0x(hash)}`,
      found === undefined ? "missing" : toHex0x(found),
    );
  }
}
