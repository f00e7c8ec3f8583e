/**
 * Records as bytes: validate, encode to canonical DAG-JSON, compute the CID, decode strictly.
 *
 * Every path through here validates: an invalid record is never encoded, and bytes that do not decode
 * to a valid record are never returned as one.
 */
import { decodeCanonical } from "../canonical/decode.js";
import { encodeCanonical } from "../canonical/encode.js";
import { type BlockCid, computeCid } from "../cid.js";
import { SchemaError } from "../errors.js";
import type { Sha256 } from "../hash.js";
import {
  expectBlockCid,
  expectInteger,
  expectKeysOf,
  expectObject,
  expectString,
  expectTimestamp,
  expectVersion,
  hasKey,
} from "../internal/schema-fields.js";
import { readDecisionRecord } from "./decision-reader.js";
import { writeDecisionRecord } from "./decision-writer.js";
import { STREAM_ID } from "./kinds/rules.js";
import { isRecordKind, RECORD_KINDS } from "./registry.js";
import { type AncoraRecord, RECORD_VERSION } from "./types.js";

/**
 * Largest encoded record: 256 KiB, the default UnixFS chunk size of Kubo, Helia and Pinata. A file of
 * at most one chunk is stored as a single raw block, which is what makes the CID a pinning service
 * reports equal {@link computeCid} of the bytes. A larger record would be chunked and get another CID.
 */
export const MAX_RECORD_BYTES = 262_144;

const ENVELOPE_REQUIRED = ["v", "kind", "stream", "seq", "ts", "body"] as const;
const ENVELOPE_OPTIONAL = ["prev"] as const;

/**
 * Checks that `value` is a valid record of format version 1 and returns it typed. Throws
 * {@link SchemaError}: `SCHEMA_UNSUPPORTED_VERSION` for another `v`, `SCHEMA_UNKNOWN_KIND` for a kind
 * this version does not define, and `SCHEMA_MISSING_FIELD` / `SCHEMA_UNKNOWN_FIELD` /
 * `SCHEMA_INVALID_FIELD` with the field's path otherwise. It checks one record; rules across records
 * (prev is the previous record's CID, the config is the current one) are the verifier's.
 *
 * @example
 * ```ts
 * validateRecord({ v: 1, kind: "genesis", stream: "credit", seq: 0, ts: "2025-01-31T12:00:00.000Z",
 *   body: { createdBy: "ops@example.org" } }); // ok
 * ```
 */
export function validateRecord(value: unknown): AncoraRecord {
  const record = expectObject(value, "$");
  const keys = Object.keys(record);
  // expectVersion throws the exact error; the common case needs no second look at the object.
  if (!hasKey(keys, "v") || record.v !== RECORD_VERSION) expectVersion(record, "$", RECORD_VERSION, "record");
  if (!hasKey(keys, "kind"))
    throw new SchemaError("SCHEMA_MISSING_FIELD", "$.kind", "Required field is missing");
  const kind = record.kind;
  if (!isRecordKind(kind)) {
    if (typeof kind !== "string")
      throw new SchemaError("SCHEMA_INVALID_FIELD", "$.kind", "Expected a string");
    throw new SchemaError("SCHEMA_UNKNOWN_KIND", "$.kind", "Unknown record kind", {
      evidence: { known: Object.keys(RECORD_KINDS) },
    });
  }
  expectKeysOf(keys, record, "$", ENVELOPE_REQUIRED, ENVELOPE_OPTIONAL);
  expectString(record, "stream", "$", STREAM_ID);
  const seq = expectInteger(record, "seq", "$", 0);
  expectTimestamp(record, "ts", "$");
  // seq 0 ⇔ genesis ⇔ no prev: the chain has exactly one start and every other record links back.
  if (kind === "genesis" && seq !== 0) {
    throw new SchemaError("SCHEMA_INVALID_FIELD", "$.seq", "A genesis record has seq 0");
  }
  if (kind !== "genesis" && seq === 0) {
    throw new SchemaError("SCHEMA_INVALID_FIELD", "$.seq", "Only a genesis record has seq 0");
  }
  if (seq === 0 && hasKey(keys, "prev")) {
    throw new SchemaError("SCHEMA_INVALID_FIELD", "$.prev", "A genesis record has no prev");
  }
  if (seq > 0) {
    if (!hasKey(keys, "prev"))
      throw new SchemaError("SCHEMA_MISSING_FIELD", "$.prev", "Required field is missing");
    expectBlockCid(record, "prev", "$");
  }
  RECORD_KINDS[kind](record.body, "$.body");
  return record as unknown as AncoraRecord;
}

/**
 * Where encoded record bytes are put: returns a `Uint8Array` of exactly `length` bytes, which the
 * encoder fills. The default allocates a new array per record; a writer that encodes many records can
 * hand out views of larger buffers instead (one allocation per buffer, not per record), as long as
 * nothing else writes to them while the bytes are in use.
 */
export type RecordBytesAllocator = (length: number) => Uint8Array;

const newArray: RecordBytesAllocator = (length) => new Uint8Array(length);

function encodeRecordInto(record: AncoraRecord, allocate: RecordBytesAllocator): Uint8Array {
  // Decisions, the records written at inference rate, take a single-pass writer when they have the
  // plain form; it writes the same bytes and hands everything else to the general path below.
  const fast = writeDecisionRecord(record, allocate);
  if (fast !== undefined) return fast;
  const bytes = encodeCanonical(record, { maxBytes: MAX_RECORD_BYTES });
  validateRecord(record);
  if (allocate === newArray) return bytes;
  const into = allocate(bytes.length);
  into.set(bytes);
  return into;
}

/**
 * Encodes a record to its canonical bytes after validating it. Throws {@link EncodingError} (with the
 * path) for values that cannot be encoded exactly or an encoding over {@link MAX_RECORD_BYTES}, and
 * {@link SchemaError} for a record that breaks the schema.
 *
 * @example
 * ```ts
 * const bytes = encodeRecord(record);
 * ```
 */
export function encodeRecord(record: AncoraRecord): Uint8Array {
  return encodeRecordInto(record, newArray);
}

/** A record with its canonical bytes and CID: what the SDK stores and pins. */
export interface RecordBlock {
  bytes: Uint8Array;
  cid: BlockCid;
}

/**
 * Encodes a record and computes its CID in one call.
 *
 * @param sha256 SHA-256 implementation (inject node:crypto's in Node; identical result).
 * @param allocate Where the bytes go (see {@link RecordBytesAllocator}); default: a new array each.
 * @example
 * ```ts
 * const { bytes, cid } = encodeRecordBlock(record);
 * const next = { ...nextRecord, prev: cid };
 * ```
 */
export function encodeRecordBlock(
  record: AncoraRecord,
  sha256?: Sha256,
  allocate: RecordBytesAllocator = newArray,
): RecordBlock {
  const bytes = encodeRecordInto(record, allocate);
  return { bytes, cid: computeCid(bytes, sha256) };
}

/**
 * Decodes record bytes strictly and validates the result. Throws {@link EncodingError}
 * (`ENCODING_NOT_CANONICAL`, `ENCODING_MALFORMED_BYTES`, `ENCODING_TOO_LARGE`) or {@link SchemaError}.
 *
 * @example
 * ```ts
 * const record = decodeRecord(bytes);
 * if (record.kind === "decision") console.log(record.body.label);
 * ```
 */
export function decodeRecord(bytes: Uint8Array): AncoraRecord {
  // Decisions of the plain form take a single-pass reader; it returns the same value and hands
  // everything else, and every error, to the general path below.
  const fast = readDecisionRecord(bytes);
  if (fast !== undefined) return fast;
  return validateRecord(decodeCanonical(bytes, { maxBytes: MAX_RECORD_BYTES }));
}
