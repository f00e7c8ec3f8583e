import { validateCommitment } from "../../commitment.js";
import {
  expectBlockCid,
  expectFiniteNumber,
  expectKeys,
  expectObject,
  expectString,
  has,
} from "../../internal/schema-fields.js";
import type { DecisionBody } from "../types.js";
import { LABEL_ID, MODEL_HASH, NAME } from "./rules.js";

/** Validates the body of a `decision` record (see {@link DecisionBody}). */
export function validateDecisionBody(value: unknown, path: string): DecisionBody {
  const body = expectObject(value, path);
  expectKeys(body, path, ["model", "input", "output", "label", "config"], ["score"]);
  // Paths are built by hand here (all keys are identifiers): this validator is on the hot path.
  const modelPath = `${path}.model`;
  const model = expectObject(body.model, modelPath);
  expectKeys(model, modelPath, ["id", "version", "hash"]);
  expectString(model, "id", modelPath, NAME);
  expectString(model, "version", modelPath, NAME);
  expectString(model, "hash", modelPath, MODEL_HASH);
  validateCommitment(body.input, `${path}.input`);
  validateCommitment(body.output, `${path}.output`);
  if (has(body, "score")) expectFiniteNumber(body, "score", path);
  expectString(body, "label", path, LABEL_ID);
  expectBlockCid(body, "config", path);
  return body as unknown as DecisionBody;
}
