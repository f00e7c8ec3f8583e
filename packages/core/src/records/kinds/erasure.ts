import { SchemaError } from "../../errors.js";
import {
  expectBlockCid,
  expectKeys,
  expectObject,
  expectString,
  expectTimestamp,
  hasKey,
} from "../../internal/schema-fields.js";
import type { ErasedMaterial, ErasureBody } from "../types.js";
import { expectCidList, expectStringList, optionalString } from "./fields.js";
import { ACTOR, KIND_NAME, NAME, SUBJECT_ID } from "./rules.js";

const ERASURE_REQUIRED = ["erased", "basis", "actor"];
const ERASURE_OPTIONAL = ["subject", "records", "capsules", "kind", "before", "policy"];
/** A purge by retention names its scope with all three: the kind, the cut-off and the policy applied. */
const RETENTION_SCOPE = ["kind", "before", "policy"] as const;

/** What an erasure may say it erased. */
export const ERASED_MATERIALS: readonly ErasedMaterial[] = ["salts", "capsules", "payloads", "keys"];

/**
 * Validates the body of an `erasure` record (see {@link ErasureBody}): it names a subject, records or
 * capsules, or a retention scope (`kind`, `before` and `policy`, all three), at least one of them.
 */
export function validateErasureBody(value: unknown, path: string): ErasureBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, ERASURE_REQUIRED, ERASURE_OPTIONAL);
  optionalString(keys, body, "subject", path, SUBJECT_ID);
  if (hasKey(keys, "records")) expectCidList(body, "records", path, 1);
  if (hasKey(keys, "capsules")) expectCidList(body, "capsules", path, 1);
  const scoped = RETENTION_SCOPE.filter((key) => hasKey(keys, key));
  if (scoped.length > 0) {
    const missing = RETENTION_SCOPE.find((key) => !hasKey(keys, key));
    if (missing !== undefined) {
      throw new SchemaError(
        "SCHEMA_MISSING_FIELD",
        `${path}.${missing}`,
        "A purge by retention names the kind, the cut-off (before) and the policy",
        { hint: "Set kind, before and policy together, or none of them." },
      );
    }
    expectString(body, "kind", path, KIND_NAME);
    expectTimestamp(body, "before", path);
    expectBlockCid(body, "policy", path);
  }
  if (
    !hasKey(keys, "subject") &&
    !hasKey(keys, "records") &&
    !hasKey(keys, "capsules") &&
    scoped.length === 0
  ) {
    throw new SchemaError(
      "SCHEMA_MISSING_FIELD",
      `${path}.subject`,
      "An erasure names a subject, records, capsules or a retention scope",
      {
        hint: "Set subject (a pseudonymous id), records, capsules, or kind + before + policy.",
      },
    );
  }
  expectStringList(body, "erased", path, 1, { max: 16 }, ERASED_MATERIALS);
  expectString(body, "basis", path, NAME);
  expectString(body, "actor", path, ACTOR);
  return body as unknown as ErasureBody;
}
