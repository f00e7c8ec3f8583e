import { SchemaError } from "../../errors.js";
import { expectKeys, expectObject, expectString, hasKey } from "../../internal/schema-fields.js";
import type { ErasedMaterial, ErasureBody } from "../types.js";
import { expectCidList, expectStringList, optionalString } from "./fields.js";
import { ACTOR, NAME, SUBJECT_ID } from "./rules.js";

const ERASURE_REQUIRED = ["erased", "basis", "actor"];
const ERASURE_OPTIONAL = ["subject", "records", "capsules"];

/** What an erasure may say it erased. */
export const ERASED_MATERIALS: readonly ErasedMaterial[] = ["salts", "capsules", "payloads", "keys"];

/**
 * Validates the body of an `erasure` record (see {@link ErasureBody}): it names a subject, records or
 * capsules (at least one of them).
 */
export function validateErasureBody(value: unknown, path: string): ErasureBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, ERASURE_REQUIRED, ERASURE_OPTIONAL);
  optionalString(keys, body, "subject", path, SUBJECT_ID);
  if (hasKey(keys, "records")) expectCidList(body, "records", path, 1);
  if (hasKey(keys, "capsules")) expectCidList(body, "capsules", path, 1);
  if (!hasKey(keys, "subject") && !hasKey(keys, "records") && !hasKey(keys, "capsules")) {
    throw new SchemaError(
      "SCHEMA_MISSING_FIELD",
      `${path}.subject`,
      "An erasure names a subject, records or capsules",
      {
        hint: "Set subject (a pseudonymous id), records or capsules.",
      },
    );
  }
  expectStringList(body, "erased", path, 1, { max: 16 }, ERASED_MATERIALS);
  expectString(body, "basis", path, NAME);
  expectString(body, "actor", path, ACTOR);
  return body as unknown as ErasureBody;
}
