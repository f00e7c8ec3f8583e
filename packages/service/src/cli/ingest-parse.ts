/**
 * Parsing and validating `ancora ingest` input: JSON lines, each a decision or a config change.
 * Pure (no I/O): every check that does not need the database happens here, with the line number in
 * the error, so a bad line is found before anything is written.
 *
 * Validation reuses core's record validators (a probe record around the line's fields) and core's
 * canonical encoder with the SDK's input limit: a line accepted here is a line the SDK accepts.
 */

import { STREAM_NAME_PATTERN } from "@ancora/contracts";
import {
  computeCid,
  EncodingError,
  encodeCanonical,
  type ModelRef,
  parseJson,
  SchemaError,
  validateRecord,
} from "@ancora/core";
import { DEFAULT_MAX_INPUT_BYTES } from "@ancora/sdk";
import { IngestError, type IngestErrorCode } from "../errors.js";

/** A decision line. `input` is committed to (never stored), as the SDK's `features`. */
export interface DecisionLine {
  line: number;
  kind: "decision";
  stream: string;
  model: ModelRef;
  input: Record<string, unknown>;
  output: unknown;
  score: number;
}

/** A config-change line: the SDK's `setConfig` input. Labels are ids (`L001`) or names. */
export interface ConfigLine {
  line: number;
  kind: "config";
  stream: string;
  threshold: number;
  aboveLabel: string;
  belowLabel: string;
  changedBy: string;
  changeReason: string;
}

export type IngestLine = DecisionLine | ConfigLine;

const DECISION_FIELDS = ["kind", "stream", "model", "input", "output", "score"] as const;
const CONFIG_FIELDS = [
  "kind",
  "stream",
  "threshold",
  "aboveLabel",
  "belowLabel",
  "changedBy",
  "changeReason",
] as const;
/** Label ids, as core's LABEL_ID rule: anything else in aboveLabel/belowLabel is a label name. */
export const LABEL_ID_PATTERN = /^L[0-9]{3,15}$/;

// A probe envelope: the line's fields are checked inside a record exactly as the SDK will write them.
const PROBE_CID = computeCid(new Uint8Array(0));
const PROBE_COMMITMENT = { scheme: "plain", digest: new Uint8Array(32) } as const;
const PROBE_ENVELOPE = { v: 1, stream: "probe", seq: 1, prev: PROBE_CID, ts: "2025-01-01T00:00:00.000Z" };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `$.body.model.hash` → `model.hash` (the line's own field names). */
function fieldOf(path: string, prefix = "$.body."): string {
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/** Runs core's validator on a probe record; a SchemaError becomes `code` naming the line's field. */
function probe(
  line: number,
  code: IngestErrorCode,
  kind: string,
  body: unknown,
  rename?: (field: string) => string,
): void {
  try {
    validateRecord({ ...PROBE_ENVELOPE, kind, body });
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    const field = (rename ?? ((f: string) => f))(fieldOf(error.path));
    throw new IngestError(code, line, `${field} is invalid (${error.code})`, {
      cause: error,
      evidence: { field, reason: error.code },
      ...(code === "INGEST_BAD_MODEL"
        ? {
            hint: 'A model is { "id", "version", "hash" } with hash an OCI digest: "sha256:" + 64 lowercase hex digits.',
          }
        : {}),
    });
  }
}

function checkFields(line: number, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new IngestError(
        "INGEST_UNKNOWN_FIELD",
        line,
        `unknown field ${JSON.stringify(key.slice(0, 64))}`,
        {
          evidence: { field: key.slice(0, 64), allowed: [...allowed] },
        },
      );
    }
  }
  for (const key of allowed) {
    if (!Object.hasOwn(value, key)) {
      throw new IngestError("INGEST_MISSING_FIELD", line, `missing field "${key}"`, {
        evidence: { field: key },
      });
    }
  }
}

/** Encodes a value as the SDK will before committing to it: same encoder, same size limit. */
function checkEncodable(line: number, value: unknown, field: "input" | "output"): void {
  try {
    encodeCanonical(value, { maxBytes: DEFAULT_MAX_INPUT_BYTES });
  } catch (error) {
    if (!(error instanceof EncodingError)) throw error;
    const path = `${field}${error.path.slice(1)}`;
    throw new IngestError("INGEST_NOT_ENCODABLE", line, `${path} cannot be logged exactly (${error.code})`, {
      cause: error,
      evidence: { field: path, reason: error.code },
      hint:
        error.code === "ENCODING_TOO_LARGE"
          ? `Keep ${field} under ${DEFAULT_MAX_INPUT_BYTES} bytes once encoded; nothing from this input was written.`
          : 'Remove what JSON cannot carry exactly (integers beyond 2^53, -0, keys named "/" or "__proto__"); nothing from this input was written.',
    });
  }
}

function parseDecision(line: number, value: Record<string, unknown>, stream: string): DecisionLine {
  checkFields(line, value, DECISION_FIELDS);
  if (!isPlainObject(value.model)) {
    throw new IngestError("INGEST_BAD_MODEL", line, "model must be an object { id, version, hash }", {
      evidence: { field: "model" },
    });
  }
  if (!isPlainObject(value.input)) {
    throw new IngestError("INGEST_BAD_FIELD", line, "input must be an object of features", {
      evidence: { field: "input" },
    });
  }
  if (typeof value.score !== "number" || !Number.isFinite(value.score)) {
    throw new IngestError("INGEST_BAD_FIELD", line, "score must be a finite number", {
      evidence: { field: "score" },
    });
  }
  probe(line, "INGEST_BAD_MODEL", "decision", {
    model: value.model,
    input: PROBE_COMMITMENT,
    output: PROBE_COMMITMENT,
    score: value.score,
    label: "L001",
    config: PROBE_CID,
  });
  checkEncodable(line, value.input, "input");
  checkEncodable(line, value.output, "output");
  const { id, version, hash } = value.model as unknown as ModelRef;
  return {
    line,
    kind: "decision",
    stream,
    model: { id, version, hash },
    input: value.input,
    output: value.output,
    score: value.score,
  };
}

function parseConfig(line: number, value: Record<string, unknown>, stream: string): ConfigLine {
  checkFields(line, value, CONFIG_FIELDS);
  for (const field of ["aboveLabel", "belowLabel", "changedBy", "changeReason"] as const) {
    if (typeof value[field] !== "string" || (value[field] as string).length === 0) {
      throw new IngestError("INGEST_BAD_FIELD", line, `${field} must be a non-empty string`, {
        evidence: { field },
        ...(field === "changedBy" || field === "changeReason"
          ? {
              hint: "A config change is an accountable act: say who made it and why. Nothing from this input was written.",
            }
          : {}),
      });
    }
  }
  const body = {
    threshold: value.threshold,
    aboveLabel: value.aboveLabel as string,
    belowLabel: value.belowLabel as string,
    changedBy: value.changedBy as string,
    changeReason: value.changeReason as string,
  };
  // Label names become label records; ids are checked as ids (and against the store later).
  const labelIds = { ...body };
  for (const field of ["aboveLabel", "belowLabel"] as const) {
    if (!LABEL_ID_PATTERN.test(body[field])) {
      probe(line, "INGEST_BAD_FIELD", "label", { id: "L001", name: body[field] }, () => field);
      labelIds[field] = "L001";
    }
  }
  probe(line, "INGEST_BAD_FIELD", "config", labelIds);
  return { line, kind: "config", stream, ...(body as Omit<ConfigLine, "line" | "kind" | "stream">) };
}

/** Parses one non-blank line. Throws {@link IngestError}. */
export function parseLine(text: string, line: number): IngestLine {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    // V8's message quotes the input; only the position is kept (the line may hold personal data).
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new IngestError("INGEST_BAD_JSON", line, "not valid JSON", {
      evidence: position === undefined ? {} : { column: Number(position) + 1 },
    });
  }
  if (!isPlainObject(value)) {
    throw new IngestError("INGEST_NOT_OBJECT", line, "each line must be a JSON object", {});
  }
  const kind = value.kind;
  if (kind !== "decision" && kind !== "config") {
    throw new IngestError(
      "INGEST_UNKNOWN_KIND",
      line,
      kind === undefined ? 'missing field "kind"' : 'kind must be "decision" or "config"',
      { evidence: { field: "kind" } },
    );
  }
  const stream = value.stream;
  if (typeof stream !== "string" || !STREAM_NAME_PATTERN.test(stream)) {
    throw new IngestError(
      "INGEST_BAD_STREAM",
      line,
      stream === undefined ? 'missing field "stream"' : "stream must be 1-64 characters of [a-z0-9._-]",
      {
        evidence: { field: "stream" },
        hint: 'Use a lower-case name such as "loans" (the registry\'s rule); nothing from this input was written.',
      },
    );
  }
  return kind === "decision" ? parseDecision(line, value, stream) : parseConfig(line, value, stream);
}

/**
 * Parses a whole JSONL input (blank lines are skipped but counted, so numbers match an editor's).
 * Throws the first line's {@link IngestError}; an input with no entry is INGEST_EMPTY.
 *
 * @example
 * ```ts
 * const lines = parseIngestInput('{"kind":"config","stream":"loans",...}\n{"kind":"decision",...}\n');
 * ```
 */
export function parseIngestInput(text: string): IngestLine[] {
  const out: IngestLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, "");
    if (raw.trim().length === 0) continue;
    out.push(parseLine(raw, i + 1));
  }
  if (out.length === 0) {
    throw new IngestError("INGEST_EMPTY", undefined, "the input holds no decision or config line", {
      hint: "Pass a JSONL file (or pipe it to stdin) with one decision or config per line.",
    });
  }
  return out;
}
