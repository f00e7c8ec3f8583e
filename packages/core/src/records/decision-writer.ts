/**
 * The fast path of record encoding for the one kind written at inference rate: a `decision` record is
 * checked and written in a single pass by code that knows its schema, instead of by the general
 * canonical encoder (a walk that looks up each map's key order and checks every value against all
 * that DAG-JSON can hold) followed by the schema validator (a second walk).
 *
 * It decides only how fast a record is encoded, never whether or into which bytes. It accepts a
 * decision of the plain, valid form (plain objects, printable ASCII text, 32-byte digests, block CIDs)
 * and returns `undefined` for anything else: another kind, a missing or unknown field, a value the
 * schema refuses, text that needs escapes or is not ASCII, a getter that re-enters the encoder. The
 * caller then takes the general path, which writes the same bytes or throws the exact error with its
 * path. `decision-writer.test.ts` holds both paths to the same bytes for arbitrary decisions, and to
 * the same outcome for arbitrary edits of them.
 *
 * How it writes: straight into one reused buffer, the constant parts (keys, punctuation) as pre-encoded
 * byte strings with `TypedArray.set`, text character by character while checking it, digests and
 * links from their bytes; then one copy out. (Building the text as a string and encoding it with
 * `encodeInto` was about a fifth slower: flattening a string concatenated from 30 parts costs more
 * than writing it.)
 *
 * Key order (UTF-16 code units, which for these ASCII keys is byte order): record {body, kind, prev,
 * seq, stream, ts, v}; body {checks, config, input, label, model, output, score}; model {hash, id,
 * version}; commitment {digest, keyId, scheme}; check {blocking, category, name, result}.
 */
import { CID } from "multiformats/cid";
import { isBlockCid } from "../cid.js";
import { COMMITMENT_DIGEST_BYTES } from "../commitment.js";
import { writeMultibaseBase32 } from "../internal/base32.js";
import { writeBase64Unpadded } from "../internal/binary-text.js";
import { isPlainObject as isPlainFields, isTimestamp } from "../internal/schema-fields.js";
import { utf8Encoder } from "../internal/web-globals.js";
import { IDENT, LABEL_ID, MODEL_HASH, NAME, STREAM_ID } from "./kinds/rules.js";
import { allowsCode, type TextRule } from "./text-codes.js";

/**
 * Most policy checks the fast path writes; a longer list takes the general path (still valid up to
 * the schema's limit). With the field limits this bounds a fast-path record at about 8 KB.
 */
export const MAX_FAST_CHECKS = 16;

/**
 * The writer's buffer, twice the largest record the fast path accepts (a test builds that record).
 * Writes past the end of a typed array are dropped silently, so the end position is compared with the
 * length before anything is returned: an overrun would fall back to the general path, never truncate.
 */
export const SCRATCH_BYTES = 16 * 1024;

const out = new Uint8Array(SCRATCH_BYTES);
let pos = 0;
/** True while a record is being written: a getter that encodes another record gets the general path. */
let busy = false;

const segment = (text: string): Uint8Array => utf8Encoder.encode(text);
const BODY = segment('{"body":{');
const CHECKS = segment('"checks":[');
const CHECK_TRUE = segment('{"blocking":true,"category":"');
const CHECK_FALSE = segment('{"blocking":false,"category":"');
const CHECK_NAME = segment('","name":"');
const CHECK_RESULT = {
  pass: segment('","result":"pass"}'),
  fail: segment('","result":"fail"}'),
  warn: segment('","result":"warn"}'),
} as const;
const CHECKS_END = segment("],");
const CONFIG = segment('"config":{"/":"');
const INPUT = segment('"},"input":{"digest":{"/":{"bytes":"');
const KEY_ID = segment('"}},"keyId":"');
const HMAC_AFTER_KEY_ID = segment('","scheme":"hmac"}');
const SCHEME = {
  plain: segment('"}},"scheme":"plain"}'),
  salted: segment('"}},"scheme":"salted"}'),
  hmac: segment('"}},"scheme":"hmac"}'),
} as const;
const LABEL = segment(',"label":"');
const MODEL = segment('","model":{"hash":"');
const MODEL_ID = segment('","id":"');
const MODEL_VERSION = segment('","version":"');
const OUTPUT = segment('"},"output":{"digest":{"/":{"bytes":"');
const SCORE = segment(',"score":');
const KIND_PREV = segment('},"kind":"decision","prev":{"/":"');
const SEQ = segment('"},"seq":');
const STREAM = segment(',"stream":"');
const TS = segment('","ts":"');
const END = segment('","v":1}');

function put(bytes: Uint8Array): void {
  out.set(bytes, pos);
  pos += bytes.length;
}

/** A plain object (as the schema requires) without symbol keys (which the encoder refuses). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isPlainFields(value) && Object.getOwnPropertySymbols(value).length === 0;
}

/**
 * Writes text of 1..max characters of `rule`. For `verbatim` that is text JSON writes as it is;
 * anything else may need escapes or UTF-8, which the general path writes.
 */
function writeText(value: unknown, max: number, rule: TextRule): boolean {
  if (typeof value !== "string" || value.length < 1 || value.length > max) return false;
  const buf = out;
  let p = pos;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!allowsCode(rule, c, i === 0)) return false;
    buf[p++] = c;
  }
  pos = p;
  return true;
}

/** Writes a label id: `L` and 3 to 15 digits. */
function writeLabelId(value: unknown): boolean {
  if (typeof value !== "string" || value.length < 4 || value.length > LABEL_ID.max) return false;
  if (value.charCodeAt(0) !== 0x4c) return false;
  const buf = out;
  let p = pos;
  buf[p++] = 0x4c;
  for (let i = 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
    buf[p++] = c;
  }
  pos = p;
  return true;
}

const SHA256_PREFIX = segment("sha256:");

/**
 * Writes a model hash: the common `sha256:<64 lowercase hex>` checked while it is copied, other OCI
 * digests by the schema's (ASCII-only) pattern.
 */
function writeModelHash(value: unknown): boolean {
  if (typeof value !== "string") return false;
  if (value.length === 71 && value.startsWith("sha256:")) {
    put(SHA256_PREFIX);
    const buf = out;
    let p = pos;
    for (let i = 7; i < 71; i++) {
      const c = value.charCodeAt(i);
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
      buf[p++] = c;
    }
    pos = p;
    return true;
  }
  // Anything else the pattern allows, including a sha256: prefix on something else, is checked by it.
  return MODEL_HASH.pattern?.test(value) === true && writeText(value, MODEL_HASH.max, "verbatim");
}

/** Writes a number as the encoder does (`String(n)`), refusing what it refuses: NaN, ±Infinity, unsafe integers, -0. */
function writeNumber(value: unknown): boolean {
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (Number.isInteger(value) && (!Number.isSafeInteger(value) || Object.is(value, -0))) return false;
  const text = String(value);
  const buf = out;
  let p = pos;
  for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i);
  pos = p;
  return true;
}

/**
 * Writes a block CID's text from its bytes, as the encoder does. Only a CID instance: the encoder
 * writes a plain object that merely looks like a CID as a map.
 */
function writeLink(value: unknown): boolean {
  if (!(value instanceof CID) || !isBlockCid(value) || value.bytes.length !== 4 + 32) return false;
  pos = writeMultibaseBase32(value.bytes, out, pos);
  return true;
}

/** Writes a commitment `{digest, keyId?, scheme}` from its digest's text on; a key id only with `hmac`. */
function writeCommitment(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  let hasKeyId = false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === "keyId") hasKeyId = true;
    else if (key !== "scheme" && key !== "digest") return false;
  }
  if (keys.length !== (hasKeyId ? 3 : 2)) return false;
  const digest = value.digest;
  if (!(digest instanceof Uint8Array) || digest.length !== COMMITMENT_DIGEST_BYTES) return false;
  const scheme = value.scheme;
  if (scheme !== "plain" && scheme !== "salted" && scheme !== "hmac") return false;
  pos = writeBase64Unpadded(digest, out, pos);
  if (!hasKeyId) {
    put(SCHEME[scheme]);
    return true;
  }
  if (scheme !== "hmac") return false;
  put(KEY_ID);
  if (!writeText(value.keyId, 64, "identifier")) return false;
  put(HMAC_AFTER_KEY_ID);
  return true;
}

/** Writes a policy check `{blocking, category, name, result}`. */
function writeCheck(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const key = keys[i];
    if (key !== "name" && key !== "category" && key !== "result" && key !== "blocking") return false;
  }
  const blocking = value.blocking;
  if (typeof blocking !== "boolean") return false;
  put(blocking ? CHECK_TRUE : CHECK_FALSE);
  if (!writeText(value.category, IDENT.max, "identifier")) return false;
  put(CHECK_NAME);
  if (!writeText(value.name, IDENT.max, "identifier")) return false;
  const result = value.result;
  if (result !== "pass" && result !== "fail" && result !== "warn") return false;
  put(CHECK_RESULT[result]);
  return true;
}

/** Writes `"checks":[…],`. */
function writeChecks(value: unknown): boolean {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return false;
  if (value.length < 1 || value.length > MAX_FAST_CHECKS) return false;
  put(CHECKS);
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out[pos++] = 0x2c; // ,
    // A hole reads as undefined, which the general path reports.
    if (!(i in value) || !writeCheck(value[i])) return false;
  }
  put(CHECKS_END);
  return true;
}

/** Writes the model reference's fields, from its hash's text on. */
function writeModel(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const key = keys[i];
    if (key !== "id" && key !== "version" && key !== "hash") return false;
  }
  if (!writeModelHash(value.hash)) return false;
  put(MODEL_ID);
  if (!writeText(value.id, NAME.max, "verbatim")) return false;
  put(MODEL_VERSION);
  return writeText(value.version, NAME.max, "verbatim");
}

/** Writes a decision body, from after `{"body":{` to its closing brace (exclusive). */
function writeBody(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  let optional = 0;
  let hasScore = false;
  let hasChecks = false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === "score") {
      hasScore = true;
      optional++;
    } else if (key === "checks") {
      hasChecks = true;
      optional++;
    } else if (
      key !== "model" &&
      key !== "input" &&
      key !== "output" &&
      key !== "label" &&
      key !== "config"
    ) {
      return false;
    }
  }
  if (keys.length !== 5 + optional) return false;
  if (hasChecks && !writeChecks(value.checks)) return false;
  put(CONFIG);
  if (!writeLink(value.config)) return false;
  put(INPUT);
  if (!writeCommitment(value.input)) return false;
  put(LABEL);
  if (!writeLabelId(value.label)) return false;
  put(MODEL);
  if (!writeModel(value.model)) return false;
  put(OUTPUT);
  if (!writeCommitment(value.output)) return false;
  if (hasScore) {
    put(SCORE);
    if (!writeNumber(value.score)) return false;
  }
  return true;
}

/** Writes a whole decision record; false when it is not of the plain valid form this writer knows. */
function writeDecision(record: Record<string, unknown>): boolean {
  const keys = Object.keys(record);
  if (keys.length !== 7) return false;
  for (let i = 0; i < 7; i++) {
    const key = keys[i];
    if (
      key !== "v" &&
      key !== "kind" &&
      key !== "stream" &&
      key !== "seq" &&
      key !== "prev" &&
      key !== "ts" &&
      key !== "body"
    ) {
      return false;
    }
  }
  if (record.v !== 1) return false;
  // A decision is never seq 0 (that is the genesis record), so it always has a prev.
  const seq = record.seq;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return false;
  put(BODY);
  if (!writeBody(record.body)) return false;
  put(KIND_PREV);
  if (!writeLink(record.prev)) return false;
  put(SEQ);
  writeNumber(seq);
  put(STREAM);
  if (!writeText(record.stream, STREAM_ID.max, "stream")) return false;
  put(TS);
  const ts = record.ts;
  if (typeof ts !== "string" || !isTimestamp(ts)) return false;
  writeText(ts, 24, "verbatim");
  put(END);
  return true;
}

/**
 * The canonical bytes of `record` if it is a decision of the plain valid form, else `undefined` (the
 * caller encodes it the general way). `allocate(length)` gives the array the bytes are copied into, of
 * exactly that length. Never throws for a bad record; only a getter inside it can throw.
 */
export function writeDecisionRecord(
  record: unknown,
  allocate: (length: number) => Uint8Array,
): Uint8Array | undefined {
  if (busy || !isPlainObject(record) || record.kind !== "decision") return undefined;
  busy = true;
  pos = 0;
  try {
    if (!writeDecision(record) || pos > out.length) return undefined;
    const bytes = allocate(pos);
    bytes.set(out.subarray(0, pos));
    return bytes;
  } finally {
    busy = false;
  }
}
