import { expectBlockCid, expectKeys, expectObject, expectString } from "../../internal/schema-fields.js";
import type { TrainingBody } from "../types.js";
import { expectCidList, optionalCid } from "./fields.js";
import { ACTOR, NAME, SHA256_DIGEST } from "./rules.js";

const TRAINING_REQUIRED = ["datasets", "modelAfter", "parameters", "backend", "actor"];
const TRAINING_OPTIONAL = ["modelBefore"];

/** Validates the body of a `training` record (see {@link TrainingBody}). */
export function validateTrainingBody(value: unknown, path: string): TrainingBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, TRAINING_REQUIRED, TRAINING_OPTIONAL);
  expectCidList(body, "datasets", path, 1);
  optionalCid(keys, body, "modelBefore", path);
  expectBlockCid(body, "modelAfter", path);
  expectString(body, "parameters", path, SHA256_DIGEST);
  expectString(body, "backend", path, NAME);
  expectString(body, "actor", path, ACTOR);
  return body as unknown as TrainingBody;
}
