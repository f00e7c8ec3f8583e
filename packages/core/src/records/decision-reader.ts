/**
 * The fast path of {@link decodeRecord} for decisions, the counterpart of `decision-writer.ts`: the
 * canonical bytes of a decision of the plain form are parsed and checked in one pass by code that
 * knows its layout, instead of by the general canonical decoder followed by the schema validator.
 *
 * It decides only how fast bytes are decoded, never whether or into which value. It accepts exactly
 * the bytes the writer produces for a decision of the plain form (printable ASCII text without
 * escapes, 32-byte digests, block CIDs, canonical numbers) and returns `undefined` for anything else,
 * valid or not; the caller then takes the general path, which decodes it or throws the exact error.
 * The value it returns is built like the general decoder's (plain objects, keys in canonical order, the
 * same CID and byte array types). `decision-reader.test.ts` holds both paths to the same value or the
 * same error, for arbitrary decisions and for arbitrary edits of their bytes.
 */
import { type BlockCid, parseBlockCidAt } from "../cid.js";
import type { Commitment, CommitmentScheme } from "../commitment.js";
import { base64Range } from "../internal/binary-text.js";
import { isTimestamp } from "../internal/schema-fields.js";
import { lenientUtf8Decoder } from "../internal/web-globals.js";
import { IDENT, isSha256Digest, LABEL_ID, MAX_LIST, MODEL_HASH, NAME, STREAM_ID } from "./kinds/rules.js";
import { allowsCode, type TextRule } from "./text-codes.js";
import type { DecisionRecord, PolicyCheck } from "./types.js";

/** Length of a block CID's text (`b` + 58 base32 characters) and of a 32-byte digest's base64. */
const LINK_TEXT = 59;
const DIGEST_TEXT = 43;

/** The text being read and the position in it. Module state: the reader never calls out while reading. */
let text = "";
let at = 0;

function expect(segment: string): boolean {
  if (!text.startsWith(segment, at)) return false;
  at += segment.length;
  return true;
}

/** Reads text of `rule` up to the next `"` (which it consumes): 1..max characters, or undefined. */
function quoted(max: number, rule: TextRule): string | undefined {
  const start = at;
  const limit = Math.min(text.length, start + max + 1);
  for (let i = start; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      if (i === start) return undefined;
      at = i + 1;
      return text.slice(start, i);
    }
    if (!allowsCode(rule, c, i === start)) return undefined;
  }
  return undefined;
}

/** A label id (`L` and 3 to 15 digits) up to the next `"`. */
function labelId(): string | undefined {
  const start = at;
  if (text.charCodeAt(start) !== 0x4c) return undefined;
  const limit = Math.min(text.length, start + LABEL_ID.max + 1);
  for (let i = start + 1; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      if (i - start < 4) return undefined;
      at = i + 1;
      return text.slice(start, i);
    }
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return undefined;
}

/** A model hash up to the next `"`: `sha256:<64 lowercase hex>`, or another digest the schema's pattern allows. */
function modelHash(): string | undefined {
  const value = quoted(MODEL_HASH.max, "verbatim");
  if (value === undefined) return undefined;
  return isSha256Digest(value) || MODEL_HASH.pattern?.test(value) === true ? value : undefined;
}

/** A block CID link `{"/":"bafkrei…"}`. */
function link(): BlockCid | undefined {
  if (!expect('{"/":"')) return undefined;
  const cid = parseBlockCidAt(text, at);
  if (cid === undefined) return undefined;
  at += LINK_TEXT;
  return expect('"}') ? cid : undefined;
}

/** A commitment `{"digest":…,"keyId"?:…,"scheme":…}`. */
function commitment(): Commitment | undefined {
  if (!expect('{"digest":{"/":{"bytes":"')) return undefined;
  // Strict unpadded base64 (zero trailing bits), so one spelling per digest.
  const digest = base64Range(text, at, at + DIGEST_TEXT);
  if (digest === undefined || digest.length !== 32) return undefined;
  at += DIGEST_TEXT;
  if (!expect('"}},"')) return undefined;
  if (expect('keyId":"')) {
    const keyId = quoted(64, "identifier");
    if (keyId === undefined || !expect(',"scheme":"hmac"}')) return undefined;
    return { digest, keyId, scheme: "hmac" };
  }
  if (!expect('scheme":"')) return undefined;
  let scheme: CommitmentScheme;
  if (expect('plain"}')) scheme = "plain";
  else if (expect('salted"}')) scheme = "salted";
  else if (expect('hmac"}')) scheme = "hmac";
  else return undefined;
  return { digest, scheme };
}

/** One policy check `{"blocking":…,"category":…,"name":…,"result":…}`. */
function check(): PolicyCheck | undefined {
  let blocking: boolean;
  if (expect('{"blocking":true,"category":"')) blocking = true;
  else if (expect('{"blocking":false,"category":"')) blocking = false;
  else return undefined;
  const category = quoted(IDENT.max, "identifier");
  if (category === undefined || !expect(',"name":"')) return undefined;
  const name = quoted(IDENT.max, "identifier");
  if (name === undefined || !expect(',"result":"')) return undefined;
  let result: PolicyCheck["result"];
  if (expect('pass"}')) result = "pass";
  else if (expect('fail"}')) result = "fail";
  else if (expect('warn"}')) result = "warn";
  else return undefined;
  return { blocking, category, name, result };
}

/**
 * The number up to the next `}` or `,`, if it is written exactly as the encoder writes it (`String(n)`
 * of a finite number, integers safe) and is at least `min`.
 */
function number(min: number): number | undefined {
  const start = at;
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7d || c === 0x2c) break;
    // Digits, `-`, `+`, `.` and `e`: anything else is not a number the encoder writes.
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65)) return undefined;
  }
  if (i === start) return undefined;
  const value = canonicalNumber(text.slice(start, i));
  if (value === undefined || value < min) return undefined;
  at = i;
  return value;
}

/** A number spelt exactly as the encoder writes it (`String(n)` of a finite number, integers safe). */
export function canonicalNumber(token: string): number | undefined {
  const value = Number(token);
  if (!Number.isFinite(value) || String(value) !== token) return undefined;
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return undefined;
  return value;
}

/** Reads a whole decision record; undefined at the first thing that is not of the plain form. */
function decision(): DecisionRecord | undefined {
  if (!expect('{"body":{')) return undefined;
  let checks: PolicyCheck[] | undefined;
  if (expect('"checks":[')) {
    checks = [];
    for (;;) {
      const item = check();
      if (item === undefined || checks.length === MAX_LIST) return undefined;
      checks.push(item);
      if (expect("],")) break;
      if (!expect(",")) return undefined;
    }
  }
  if (!expect('"config":')) return undefined;
  const config = link();
  if (config === undefined || !expect(',"input":')) return undefined;
  const input = commitment();
  if (input === undefined || !expect(',"label":"')) return undefined;
  const label = labelId();
  if (label === undefined || !expect(',"model":{"hash":"')) return undefined;
  const hash = modelHash();
  if (hash === undefined || !expect(',"id":"')) return undefined;
  const id = quoted(NAME.max, "verbatim");
  if (id === undefined || !expect(',"version":"')) return undefined;
  const version = quoted(NAME.max, "verbatim");
  if (version === undefined || !expect('},"output":')) return undefined;
  const output = commitment();
  if (output === undefined) return undefined;
  let score: number | undefined;
  if (expect(',"score":')) {
    score = number(Number.NEGATIVE_INFINITY);
    if (score === undefined) return undefined;
  }
  if (!expect('},"kind":"decision","prev":')) return undefined;
  const prev = link();
  if (prev === undefined || !expect(',"seq":')) return undefined;
  // A decision is never seq 0 (that is the genesis record).
  const seq = number(1);
  if (seq === undefined || !Number.isInteger(seq) || !expect(',"stream":"')) return undefined;
  const stream = quoted(STREAM_ID.max, "stream");
  if (stream === undefined || !expect(',"ts":"')) return undefined;
  const ts = text.slice(at, at + 24);
  at += 24;
  if (!isTimestamp(ts) || !expect('","v":1}') || at !== text.length) return undefined;
  // Built in canonical key order, as the general decoder builds its objects.
  const body = {
    ...(checks === undefined ? {} : { checks }),
    config,
    input,
    label,
    model: { hash, id, version },
    output,
    ...(score === undefined ? {} : { score }),
  };
  return { body, kind: "decision", prev, seq, stream, ts, v: 1 } as unknown as DecisionRecord;
}

/**
 * The decision in `bytes` if they are the canonical encoding of a decision of the plain form, else
 * `undefined` (the caller decodes them the general way). Never throws.
 */
export function readDecisionRecord(bytes: Uint8Array): DecisionRecord | undefined {
  // `{"body":{` then, for a decision, `"c` (checks or config): a cheap look before decoding the text.
  if (bytes.length < 64 || bytes.length > 64 * 1024 || bytes[0] !== 0x7b || bytes[2] !== 0x62)
    return undefined;
  text = lenientUtf8Decoder.decode(bytes);
  at = 0;
  try {
    // Every character is checked by the field it belongs to, so a whole match is ASCII: one byte each.
    // (Invalid UTF-8 decodes to U+FFFD, which no field admits: such bytes fall to the general path.)
    const record = decision();
    return record !== undefined && text.length === bytes.length ? record : undefined;
  } finally {
    text = "";
  }
}
