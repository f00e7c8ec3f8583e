/**
 * A verifier's look at a stored decision's text, for the fast path of verification: whether the text
 * is exactly the canonical encoding of a decision of the plain form with the expected links and stream,
 * and if so the few fields the verifier compares with stored columns and rules. Nothing is decoded or
 * built. It answers only for texts that `readDecisionRecord` (decision-reader.ts) reads into a
 * decision with those fields; anything else, valid or not, is `undefined`, and the caller then decodes
 * the bytes the general way and runs every check. `decision-scan.test.ts` holds it to the reader for
 * arbitrary decisions and arbitrary edits of their text.
 *
 * One regular expression reads the whole text ({@link PLAIN_DECISION}). Comparing the text between
 * the variable fields with the previous decision's instead was measured slower here (2026-12-07), and
 * the decoding reader's single pass builds what a verifier does not need (CIDs, digests, objects).
 */
import { isTimestamp } from "../internal/schema-fields.js";
import { canonicalNumber } from "./decision-reader.js";
import { IDENT, LABEL_ID, MAX_LIST, NAME, STREAM_ID } from "./kinds/rules.js";

/**
 * What {@link scanDecisionText} expects of a decision: the texts of its links (canonical block CID
 * strings, as `cid.toString()` writes them), and its stream.
 */
export interface DecisionExpectation {
  /** Canonical text of the CID its `prev` must name (the previous record's CID). */
  readonly prev: string;
  /** Canonical text of the CID its `body.config` must name (the stream's current config). */
  readonly config: string;
  /** The stream it must name. */
  readonly stream: string;
}

/** The fields of a scanned decision that a verifier compares with stored columns and rules. */
export interface ScannedDecision {
  readonly seq: number;
  readonly label: string;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly ts: string;
  readonly score: number | undefined;
}

/** 43 characters of the standard alphabet spell 32 bytes; the last one's two trailing bits are zero. */
const DIGEST = "[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]";

/**
 * The plain form of a decision, a subset of what the reader's single pass accepts (only `sha256:`
 * model hashes; seq spelt as digits): the same literals, and for each field the character rule and
 * length bound of `text-codes.ts` and `kinds/rules.ts`. Every quantified class excludes the `"` or `,`
 * that follows it, so matching is linear in the text. Groups: 1 checks, 2 config, 3 label, 4 model id,
 * 5 model version, 6 score, 7 prev, 8 seq, 9 stream, 10 ts.
 */
const PLAIN_DECISION = (() => {
  const verbatim = (max: number) => `([\\x20\\x21\\x23-\\x5b\\x5d-\\x7f]{1,${max}})`;
  const identifier = (max: number) => `[A-Za-z0-9][A-Za-z0-9._:-]{0,${max - 1}}`;
  const link = '\\{"/":"(b[a-z2-7]{58})"\\}';
  const commitment =
    `\\{"digest":\\{"/":\\{"bytes":"${DIGEST}"\\}\\},` +
    `"(?:keyId":"${identifier(64)}","scheme":"hmac"|scheme":"(?:plain|salted|hmac)")\\}`;
  const check =
    `\\{"blocking":(?:true|false),"category":"${identifier(IDENT.max)}","name":"${identifier(IDENT.max)}",` +
    '"result":"(?:pass|fail|warn)"\\}';
  return new RegExp(
    `^\\{"body":\\{(?:"checks":\\[(${check}(?:,${check})*)\\],)?"config":${link},"input":${commitment},` +
      `"label":"(L[0-9]{3,${LABEL_ID.max - 1}})","model":\\{"hash":"sha256:[0-9a-f]{64}","id":"${verbatim(NAME.max)}",` +
      `"version":"${verbatim(NAME.max)}"\\},"output":${commitment}(?:,"score":([-+.e0-9]+))?\\},"kind":"decision",` +
      `"prev":${link},"seq":([1-9][0-9]{0,15}),"stream":"([a-z0-9][a-z0-9._-]{0,${STREAM_ID.max - 1}})",` +
      `"ts":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z)","v":1\\}$`,
  );
})();

/** The number of policy checks in a matched checks list (each begins with the same key). */
function checkCount(list: string): number {
  let count = 0;
  for (let i = list.indexOf('{"blocking":'); i >= 0; i = list.indexOf('{"blocking":', i + 1)) count++;
  return count;
}

/**
 * A verifier's look at stored record text (the record's bytes read as text, one character per byte):
 * its fields when the text is exactly the canonical encoding of a decision of the plain form whose
 * links and stream are `expected`, else `undefined` (the caller then decodes the bytes and runs every
 * check). Whenever it answers, `decodeRecord` of the same bytes (every character is ASCII, so the
 * bytes are the character codes) gives a decision with these fields, `prev` and `config`. Never throws.
 *
 * @example
 * ```ts
 * const found = scanDecisionText(text, { prev: "bafkrei…", config: "bafkrei…", stream: "credit" });
 * if (found === undefined) decodeRecord(bytes); // and every check
 * ```
 */
export function scanDecisionText(text: string, expected: DecisionExpectation): ScannedDecision | undefined {
  if (text.length < 64 || text.length > 64 * 1024) return undefined;
  const match = PLAIN_DECISION.exec(text);
  if (match === null) return undefined;
  const [, checks, config, label, modelId, modelVersion, scoreText, prev, seqText, stream, ts] =
    match as unknown as (string | undefined)[];
  if (config !== expected.config || prev !== expected.prev || stream !== expected.stream) return undefined;
  if (checks !== undefined && checkCount(checks) > MAX_LIST) return undefined;
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq) || !isTimestamp(ts as string)) return undefined;
  const score = scoreText === undefined ? undefined : canonicalNumber(scoreText);
  if (scoreText !== undefined && score === undefined) return undefined;
  return {
    seq,
    label: label as string,
    modelId: modelId as string,
    modelVersion: modelVersion as string,
    ts: ts as string,
    score,
  };
}
