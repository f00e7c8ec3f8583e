import { validateCommitment } from "../../commitment.js";
import { SchemaError } from "../../errors.js";
import {
  expectBlockCid,
  expectFiniteNumber,
  expectKeys,
  expectObject,
  expectOneOf,
  expectString,
  hasKey,
} from "../../internal/schema-fields.js";
import type { DecisionBody, PolicyCheckResult } from "../types.js";
import { expectBoolean } from "./fields.js";
import { IDENT, LABEL_ID, MAX_LIST, MODEL_HASH, NAME } from "./rules.js";

const DECISION_REQUIRED = ["model", "input", "output", "label", "config"];
const DECISION_OPTIONAL = ["score", "checks"];
const CHECK_KEYS = ["name", "category", "result", "blocking"];

/** Results a policy check may have. */
export const POLICY_CHECK_RESULTS: readonly PolicyCheckResult[] = ["pass", "fail", "warn"];

/** Validates `checks`, the optional list of policy checks on a decision (at most {@link MAX_LIST}). */
function validateChecks(value: unknown, path: string): void {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_LIST) {
    throw new SchemaError("SCHEMA_INVALID_FIELD", path, `Expected a list of 1 to ${MAX_LIST} checks`);
  }
  for (let i = 0; i < value.length; i++) {
    const at = `${path}[${i}]`;
    const check = expectObject(value[i], at);
    expectKeys(check, at, CHECK_KEYS);
    expectString(check, "name", at, IDENT);
    expectString(check, "category", at, IDENT);
    expectOneOf(check, "result", at, POLICY_CHECK_RESULTS);
    expectBoolean(check, "blocking", at);
  }
}
const MODEL_KEYS = ["id", "version", "hash"];

/** Validates the body of a `decision` record (see {@link DecisionBody}). */
export function validateDecisionBody(value: unknown, path: string): DecisionBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, DECISION_REQUIRED, DECISION_OPTIONAL);
  // Paths are built by hand here (all keys are identifiers): this validator is on the hot path.
  const modelPath = `${path}.model`;
  const model = expectObject(body.model, modelPath);
  expectKeys(model, modelPath, MODEL_KEYS);
  expectString(model, "id", modelPath, NAME);
  expectString(model, "version", modelPath, NAME);
  expectString(model, "hash", modelPath, MODEL_HASH);
  validateCommitment(body.input, `${path}.input`);
  validateCommitment(body.output, `${path}.output`);
  if (hasKey(keys, "score")) expectFiniteNumber(body, "score", path);
  expectString(body, "label", path, LABEL_ID);
  expectBlockCid(body, "config", path);
  if (keys.length > 5 && hasKey(keys, "checks")) validateChecks(body.checks, `${path}.checks`);
  return body as unknown as DecisionBody;
}
