import { expectKeys, expectObject, expectString, has } from "../../internal/schema-fields.js";
import type { LabelBody } from "../types.js";
import { ACTOR, LABEL_ID, NAME, TEXT } from "./rules.js";

/** Validates the body of a `label` record (see {@link LabelBody}). */
export function validateLabelBody(value: unknown, path: string): LabelBody {
  const body = expectObject(value, path);
  expectKeys(body, path, ["id", "name"], ["changedBy", "changeReason"]);
  expectString(body, "id", path, LABEL_ID);
  expectString(body, "name", path, NAME);
  if (has(body, "changedBy")) expectString(body, "changedBy", path, ACTOR);
  if (has(body, "changeReason")) expectString(body, "changeReason", path, TEXT);
  return body as unknown as LabelBody;
}
