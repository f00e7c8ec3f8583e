import { expectBlockCid, expectKeys, expectObject, expectString } from "../../internal/schema-fields.js";
import type { ReproducibilityBody } from "../types.js";
import { SHA256_DIGEST } from "./rules.js";

const REPRODUCIBILITY_KEYS = ["target", "manifest"];

/** Validates the body of a `reproducibility` record (see {@link ReproducibilityBody}). */
export function validateReproducibilityBody(value: unknown, path: string): ReproducibilityBody {
  const body = expectObject(value, path);
  expectKeys(body, path, REPRODUCIBILITY_KEYS);
  expectBlockCid(body, "target", path);
  expectString(body, "manifest", path, SHA256_DIGEST);
  return body as unknown as ReproducibilityBody;
}
