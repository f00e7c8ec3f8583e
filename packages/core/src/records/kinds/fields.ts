/**
 * Field readers for the lineage and governance kinds: lists of CIDs or strings and optional fields,
 * built on the shared schema-field validators so every error names its path (`$.body.datasets[2]`).
 */
import { childPath } from "../../canonical/path.js";
import type { BlockCid } from "../../cid.js";
import { SchemaError } from "../../errors.js";
import {
  expectBlockCid,
  expectString,
  type Fields,
  hasKey,
  type StringRule,
} from "../../internal/schema-fields.js";
import { MAX_LIST } from "./rules.js";

function expectList(fields: Fields, key: string, path: string, min: number, max: number): unknown[] {
  const value = fields[key];
  const at = childPath(path, key);
  if (!Array.isArray(value)) throw new SchemaError("SCHEMA_INVALID_FIELD", at, "Expected a list");
  if (value.length < min || value.length > max) {
    throw new SchemaError("SCHEMA_INVALID_FIELD", at, `Expected a list of ${min} to ${max} entries`);
  }
  return value;
}

/** Requires a list of block CIDs with `min` to {@link MAX_LIST} entries, no CID twice. */
export function expectCidList(fields: Fields, key: string, path: string, min: number): BlockCid[] {
  const list = expectList(fields, key, path, min, MAX_LIST);
  const at = childPath(path, key);
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const text = expectBlockCid(list as unknown as Fields, i, at).toString();
    if (seen.has(text)) throw new SchemaError("SCHEMA_INVALID_FIELD", childPath(at, i), "Duplicate entry");
    seen.add(text);
  }
  return list as BlockCid[];
}

/**
 * Requires a list of strings under `rule` with `min` to {@link MAX_LIST} entries, no string twice.
 * With `values`, each entry must be one of them.
 */
export function expectStringList(
  fields: Fields,
  key: string,
  path: string,
  min: number,
  rule: StringRule,
  values?: readonly string[],
): string[] {
  const list = expectList(fields, key, path, min, MAX_LIST);
  const at = childPath(path, key);
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const text = expectString(list as unknown as Fields, i, at, rule);
    if (values !== undefined && !values.includes(text)) {
      throw new SchemaError(
        "SCHEMA_INVALID_FIELD",
        childPath(at, i),
        `Expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}`,
      );
    }
    if (seen.has(text)) throw new SchemaError("SCHEMA_INVALID_FIELD", childPath(at, i), "Duplicate entry");
    seen.add(text);
  }
  return list as string[];
}

/** Requires a boolean field. */
export function expectBoolean(fields: Fields, key: string, path: string): boolean {
  const value = fields[key];
  if (typeof value !== "boolean") {
    throw new SchemaError("SCHEMA_INVALID_FIELD", childPath(path, key), "Expected true or false");
  }
  return value;
}

/** Requires an optional CID field to be a block CID when present. */
export function optionalCid(keys: readonly string[], fields: Fields, key: string, path: string): void {
  if (hasKey(keys, key)) expectBlockCid(fields, key, path);
}

/** Requires an optional string field to follow `rule` when present. */
export function optionalString(
  keys: readonly string[],
  fields: Fields,
  key: string,
  path: string,
  rule: StringRule,
): void {
  if (hasKey(keys, key)) expectString(fields, key, path, rule);
}

/** Requires `validUntil`, when present, to be later than `validFrom` (both validated timestamps). */
export function expectWindow(fields: Fields, path: string): void {
  const from = fields.validFrom as string;
  const until = fields.validUntil;
  // Timestamps have one fixed-width spelling, so string order is time order.
  if (typeof until === "string" && until <= from) {
    throw new SchemaError(
      "SCHEMA_INVALID_FIELD",
      childPath(path, "validUntil"),
      "Expected a time after validFrom",
    );
  }
}
