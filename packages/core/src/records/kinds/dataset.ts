import { childPath } from "../../canonical/path.js";
import { SchemaError } from "../../errors.js";
import {
  expectBytes,
  expectInteger,
  expectKeys,
  expectObject,
  expectOneOf,
  expectString,
  hasKey,
  type StringRule,
} from "../../internal/schema-fields.js";
import type { DatasetBody, PrivacyClass } from "../types.js";
import { optionalString } from "./fields.js";
import { IDENT, SHA256_DIGEST } from "./rules.js";

const DATASET_REQUIRED = ["id", "split", "samples", "root", "schema", "privacy"];
const DATASET_OPTIONAL = ["assignment", "sources"];
const SOURCE_REQUIRED = ["name", "digest"];
const SOURCE_OPTIONAL = ["uri", "license"];

/** Sources per dataset split. */
export const MAX_DATASET_SOURCES = 64;

/** A source URI: printable, no whitespace, no userinfo (`user:password@`), at most 512 characters. */
const SOURCE_URI: StringRule = {
  max: 512,
  pattern: /^[a-z][a-z0-9+.-]*:(?!\/\/[^/@]*@)[!-~]+$/,
  describe: "a URI with a scheme and no credentials",
};
const LICENSE: StringRule = {
  max: 128,
  pattern: /^[!-~]+( [!-~]+)*$/,
  describe: "a licence id or reference",
};

function validateSources(value: unknown, path: string): void {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_DATASET_SOURCES) {
    throw new SchemaError(
      "SCHEMA_INVALID_FIELD",
      path,
      `Expected a list of 1 to ${MAX_DATASET_SOURCES} sources`,
    );
  }
  const names = new Set<string>();
  value.forEach((entry, i) => {
    const at = childPath(path, i);
    const source = expectObject(entry, at);
    const keys = expectKeys(source, at, SOURCE_REQUIRED, SOURCE_OPTIONAL);
    const name = expectString(source, "name", at, IDENT);
    if (names.has(name))
      throw new SchemaError("SCHEMA_INVALID_FIELD", childPath(at, "name"), "Duplicate source");
    names.add(name);
    expectString(source, "digest", at, SHA256_DIGEST);
    optionalString(keys, source, "uri", at, SOURCE_URI);
    optionalString(keys, source, "license", at, LICENSE);
  });
}

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
  if (hasKey(keys, "sources")) validateSources(body.sources, childPath(path, "sources"));
  return body as unknown as DatasetBody;
}
