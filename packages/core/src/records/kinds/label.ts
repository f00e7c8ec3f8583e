import { expectKeys, expectObject, expectString, hasKey } from "../../internal/schema-fields.js";
import type { LabelBody } from "../types.js";
import { ACTOR, LABEL_ID, NAME, TEXT } from "./rules.js";

const LABEL_REQUIRED = ["id", "name"];
const LABEL_OPTIONAL = ["changedBy", "changeReason"];

/** Validates the body of a `label` record (see {@link LabelBody}). */
export function validateLabelBody(value: unknown, path: string): LabelBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, LABEL_REQUIRED, LABEL_OPTIONAL);
  expectString(body, "id", path, LABEL_ID);
  expectString(body, "name", path, NAME);
  if (hasKey(keys, "changedBy")) expectString(body, "changedBy", path, ACTOR);
  if (hasKey(keys, "changeReason")) expectString(body, "changeReason", path, TEXT);
  return body as unknown as LabelBody;
}
