import { expectKeys, expectObject, expectString } from "../../internal/schema-fields.js";
import type { ModelBody } from "../types.js";
import { expectCidList } from "./fields.js";
import { GIT_COMMIT, NAME, SHA256_DIGEST } from "./rules.js";

const MODEL_KEYS = [
  "name",
  "version",
  "weights",
  "architecture",
  "hyperparameters",
  "environment",
  "commit",
  "datasets",
];

/** Validates the body of a `model` record (see {@link ModelBody}). */
export function validateModelBody(value: unknown, path: string): ModelBody {
  const body = expectObject(value, path);
  expectKeys(body, path, MODEL_KEYS);
  expectString(body, "name", path, NAME);
  expectString(body, "version", path, NAME);
  expectString(body, "weights", path, SHA256_DIGEST);
  expectString(body, "architecture", path, SHA256_DIGEST);
  expectString(body, "hyperparameters", path, SHA256_DIGEST);
  expectString(body, "environment", path, SHA256_DIGEST);
  expectString(body, "commit", path, GIT_COMMIT);
  expectCidList(body, "datasets", path, 0);
  return body as unknown as ModelBody;
}
