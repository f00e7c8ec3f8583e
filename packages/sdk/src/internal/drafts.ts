/**
 * Decision and config records as drafts for the stream writer: the input checks that need no lock
 * (`prepareDecision`, `checkConfigInput`) and the drafts built from the locked head (`decisionDraft`,
 * `configDrafts`). Shared by the logger (one stream per call) and `appendBatch` (several streams in
 * one transaction), so both write exactly the same records for the same input.
 */
import {
  type ConfigBody,
  computeCid,
  type DecisionBody,
  EncodingError,
  encodeCanonical,
  isSha256Digest,
  type ModelRef,
  resolveLabel,
  validateRecord,
} from "@ancora/core";
import { ConfigMissingError, InputError, LabelUnknownError } from "../errors.js";
import type { Draft, StreamState, Written } from "./append-plan.js";
import { type CommitmentConfig, commitBytes } from "./commitments.js";

/** One policy check attached to a decision. */
export type DecisionCheck = NonNullable<DecisionBody["checks"]>[number];

/** A decision's input fields (the logger's `DecisionEntry` without the consent gate). */
export interface DecisionInput {
  features: Record<string, unknown>;
  output: unknown;
  score: number;
  model?: ModelRef;
  checks?: readonly DecisionCheck[];
}

/** A config change (the logger's `ConfigInput`). */
export interface ConfigChange {
  threshold: number;
  aboveLabel: string;
  belowLabel: string;
  changedBy: string;
  changeReason: string;
}

/** How decisions are committed to. */
export interface DecisionSettings {
  commitment: CommitmentConfig;
  anonymise: ((features: Record<string, unknown>) => unknown) | undefined;
  maxInputBytes: number;
  /** The model of decisions that name none. */
  model: ModelRef;
}

/** Everything about a decision that does not depend on the chain. */
export interface PreparedDecision {
  input: DecisionBody["input"];
  output: DecisionBody["output"];
  score: number;
  model: ModelRef;
  salts: { input?: Uint8Array; output?: Uint8Array };
  checks: readonly DecisionCheck[] | undefined;
}

/** Largest canonical encoding of a decision's (anonymised) input or its output, unless configured. */
export const DEFAULT_MAX_INPUT_BYTES = 1024 * 1024;

export const LABEL_ID = /^L[0-9]{3,15}$/;
/** Stream names: the registry's rule (`[a-z0-9._-]`, 1 to 64, starting with a letter or digit). */
export const STREAM_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A non-empty string, or INVALID_OPTION naming the field. */
export function requireText(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new InputError("INVALID_OPTION", `${field} must be a non-empty string`, {
      hint: "A config change is an accountable act: say who made it and why.",
      evidence: { field },
    });
  }
  return value;
}

/** The next free label id of a stream (L001, L002, ...). */
export function nextLabelId(labels: Iterable<string>): string {
  let max = 0;
  for (const id of labels) max = Math.max(max, Number(id.slice(1)));
  return `L${String(max + 1).padStart(3, "0")}`;
}

const PROBE_CID = computeCid(new Uint8Array(0));
const PROBE_COMMITMENT = { scheme: "plain", digest: new Uint8Array(32) } as const;

function badModel(cause: unknown, path: unknown): InputError {
  return new InputError("INVALID_OPTION", "model must be { id, version, hash } with hash a sha256 digest", {
    cause,
    hint: 'Use the digest of the model artefact: "sha256:" + 64 lowercase hex digits.',
    evidence: { path },
  });
}

/**
 * Validates a model reference as a decision record will carry it (core's schema), and holds its hash
 * to `sha256:` + 64 lowercase hex. The record format reads any OCI digest (docs/formats.md), but the
 * writers take only the one algorithm every other digest of the log uses: a digest such as `md5:x`
 * names no artefact anyone can check.
 */
export function checkModel(model: unknown): ModelRef {
  try {
    validateRecord({
      v: 1,
      kind: "decision",
      stream: "model-check",
      seq: 1,
      prev: PROBE_CID,
      ts: "2025-01-01T00:00:00.000Z",
      body: {
        model,
        input: PROBE_COMMITMENT,
        output: PROBE_COMMITMENT,
        label: "L001",
        config: PROBE_CID,
      },
    });
  } catch (error) {
    throw badModel(error, (error as { path?: unknown }).path ?? "$.body.model");
  }
  const { id, version, hash } = model as ModelRef;
  if (!isSha256Digest(hash)) throw badModel(undefined, "$.body.model.hash");
  return { id, version, hash };
}

/** Encodes one value for a commitment, enforcing encodability and the size limit. */
function encode(value: unknown, field: "features" | "output", maxBytes: number): Uint8Array {
  try {
    return encodeCanonical(value, { maxBytes });
  } catch (error) {
    if (error instanceof EncodingError && error.code === "ENCODING_TOO_LARGE") {
      throw new InputError("INPUT_TOO_LARGE", `The ${field} encode to more than ${maxBytes} bytes`, {
        cause: error,
        hint: "Log a smaller feature set, or raise maxInputBytes.",
        evidence: { field, maxBytes },
      });
    }
    if (error instanceof EncodingError) {
      throw new InputError("INPUT_NOT_ENCODABLE", `The ${field} cannot be encoded exactly (${error.code})`, {
        cause: error,
        hint: "Remove NaN/Infinity, undefined, cycles and non-plain objects, or map them in `anonymise`.",
        evidence: { field, path: error.path, reason: error.code },
      });
    }
    throw error;
  }
}

/** Checks a decision's input and commits to it; throws InputError, writes nothing. */
export function prepareDecision(entry: DecisionInput, settings: DecisionSettings): PreparedDecision {
  const raw: unknown = (entry as { features?: unknown } | null)?.features;
  if (!isPlainObject(raw)) {
    throw new InputError("INPUT_NOT_OBJECT", "features must be a plain object", {
      hint: "Pass the model's input as { name: value, ... }.",
      evidence: { found: raw === null ? "null" : Array.isArray(raw) ? "array" : typeof raw },
    });
  }
  const score = entry.score;
  if (typeof score !== "number" || !Number.isFinite(score)) {
    throw new InputError("SCORE_INVALID", "score must be a finite number", {
      evidence: { found: typeof score === "number" ? String(score) : typeof score },
    });
  }
  let anonymised: unknown = raw;
  if (settings.anonymise !== undefined) {
    try {
      anonymised = settings.anonymise(raw);
    } catch (error) {
      throw new InputError("INPUT_NOT_ENCODABLE", "anonymise() threw", {
        cause: error,
        evidence: { field: "features" },
      });
    }
  }
  const input = commitBytes(encode(anonymised, "features", settings.maxInputBytes), settings.commitment);
  const output = commitBytes(encode(entry.output, "output", settings.maxInputBytes), settings.commitment);
  const salts: PreparedDecision["salts"] = {};
  if (input.salt !== undefined) salts.input = input.salt;
  if (output.salt !== undefined) salts.output = output.salt;
  const checks = entry.checks;
  if (checks !== undefined && !Array.isArray(checks)) {
    throw new InputError("INVALID_OPTION", "checks must be a list", { evidence: { field: "checks" } });
  }
  return {
    checks,
    input: input.commitment,
    output: output.commitment,
    score,
    model: entry.model === undefined ? settings.model : checkModel(entry.model),
    salts,
  };
}

/**
 * A decision's draft from the locked head: its label is resolved by the config current for *this*
 * stream under the write lock, never another stream's. Throws ConfigMissingError.
 */
export function decisionDraft(prepared: PreparedDecision, state: Readonly<StreamState>): Draft {
  const config = state.config;
  if (config === undefined) throw new ConfigMissingError(state.name);
  const body: DecisionBody = {
    model: prepared.model,
    input: prepared.input,
    output: prepared.output,
    score: prepared.score,
    label: resolveLabel(config.body, prepared.score),
    config: config.cid,
    ...(prepared.checks === undefined ? {} : { checks: [...prepared.checks] }),
  };
  return { kind: "decision", body, salts: prepared.salts };
}

/** Checks a config change's fields; throws InputError, writes nothing. */
export function checkConfigInput(input: ConfigChange): ConfigChange {
  const fields: Partial<Record<keyof ConfigChange, unknown>> = input ?? {};
  const threshold = fields.threshold;
  if (typeof threshold !== "number" || !Number.isFinite(threshold)) {
    throw new InputError("INVALID_OPTION", "threshold must be a finite number", {
      evidence: { field: "threshold" },
    });
  }
  const changedBy = requireText(fields.changedBy, "changedBy");
  const changeReason = requireText(fields.changeReason, "changeReason");
  const aboveLabel = requireText(fields.aboveLabel, "aboveLabel");
  const belowLabel = requireText(fields.belowLabel, "belowLabel");
  return { threshold, aboveLabel, belowLabel, changedBy, changeReason };
}

/**
 * A config change's drafts from the locked head: a label record for each new label name, then the
 * config. Labels are ids (which must exist: LabelUnknownError) or names (an existing label's current
 * name, or a new label).
 */
export function configDrafts(input: ConfigChange, state: Readonly<StreamState>): Draft[] {
  const { changedBy, changeReason } = input;
  const labels = new Map(state.labels);
  const drafts: Draft[] = [];
  const resolve = (label: string): string => {
    if (LABEL_ID.test(label)) {
      if (!labels.has(label)) throw new LabelUnknownError(state.name, label);
      return label;
    }
    for (const [id, name] of labels) if (name === label) return id;
    const id = nextLabelId(labels.keys());
    labels.set(id, label);
    drafts.push({ kind: "label", body: { id, name: label, changedBy, changeReason } });
    return id;
  };
  const body: ConfigBody = {
    threshold: input.threshold,
    aboveLabel: resolve(input.aboveLabel),
    belowLabel: resolve(input.belowLabel),
    changedBy,
    changeReason,
  };
  drafts.push({ kind: "config", body });
  return drafts;
}

/** What a written decision is reported as. */
export function decisionResult(stream: string, w: Written) {
  const body = w.record.body as DecisionBody;
  return {
    stream,
    seq: w.seq,
    cid: w.cid.toString(),
    ts: w.record.ts,
    label: body.label,
    config: body.config.toString(),
  };
}

/** What a written config change (its label records, then the config) is reported as. */
export function configResult(stream: string, written: readonly Written[]) {
  const config = written[written.length - 1] as Written;
  return {
    stream,
    seq: config.seq,
    cid: config.cid.toString(),
    ts: config.record.ts,
    config: config.record.body as ConfigBody,
    definedLabels: written.slice(0, -1).map((w) => {
      const body = w.record.body as { id: string; name: string };
      return { id: body.id, name: body.name, seq: w.seq };
    }),
  };
}
