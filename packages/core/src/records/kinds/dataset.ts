import {
  expectBytes,
  expectInteger,
  expectKeys,
  expectObject,
  expectOneOf,
  expectString,
} from "../../internal/schema-fields.js";
import type { DatasetBody, PrivacyClass } from "../types.js";
import { optionalString } from "./fields.js";
import { IDENT, SHA256_DIGEST } from "./rules.js";

const DATASET_REQUIRED = ["id", "split", "samples", "root", "schema", "privacy"];
const DATASET_OPTIONAL = ["assignment"];

/** Privacy classes of a dataset, least to most sensitive. */
export const PRIVACY_CLASSES: readonly PrivacyClass[] = [
  "public",
  "internal",
  "confidential",
  "personal",
  "special",
];

/** Validates the body of a `dataset-split` record (see {@link DatasetBody}). */
export function validateDatasetBody(value: unknown, path: string): DatasetBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, DATASET_REQUIRED, DATASET_OPTIONAL);
  expectString(body, "id", path, IDENT);
  expectString(body, "split", path, IDENT);
  expectInteger(body, "samples", path, 1);
  expectBytes(body, "root", path, 32);
  expectString(body, "schema", path, SHA256_DIGEST);
  expectOneOf(body, "privacy", path, PRIVACY_CLASSES);
  optionalString(keys, body, "assignment", path, SHA256_DIGEST);
  return body as unknown as DatasetBody;
}
