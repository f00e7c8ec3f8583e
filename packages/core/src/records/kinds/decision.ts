import { validateCommitment } from "../../commitment.js";
import {
  expectBlockCid,
  expectFiniteNumber,
  expectKeys,
  expectObject,
  expectString,
  hasKey,
} from "../../internal/schema-fields.js";
import type { DecisionBody } from "../types.js";
import { LABEL_ID, MODEL_HASH, NAME } from "./rules.js";

const DECISION_REQUIRED = ["model", "input", "output", "label", "config"];
const DECISION_OPTIONAL = ["score"];
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
  return body as unknown as DecisionBody;
}
