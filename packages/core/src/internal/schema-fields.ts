/**
 * Small validators shared by every versioned schema in core (records, commitments, checkpoints,
 * receipts). Each reads one field of a plain object and throws a {@link SchemaError} naming its path;
 * none coerces. Values reaching them have usually passed the canonical encoder already, so they only
 * check shape and meaning, not encodability.
 */
import { CID } from "multiformats/cid";
import { childPath, type PathSegment } from "../canonical/path.js";
import { type BlockCid, isBlockCid, parseBlockCid } from "../cid.js";
import { invariant, SchemaError } from "../errors.js";
import { fromHex } from "./binary-text.js";

/** A plain object read as a record of fields. */
export type Fields = Readonly<Record<string, unknown>>;

/** A plain object: `Object.prototype` or no prototype, not an array. */
export function isPlainObject(value: unknown): value is Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Requires `value` to be a plain object. */
export function expectObject(value: unknown, path: string): Fields {
  if (!isPlainObject(value)) throw new SchemaError("SCHEMA_INVALID_FIELD", path, "Expected an object");
  return value;
}

/**
 * Requires every key of `required` and allows those of `optional`; any other key is
 * `SCHEMA_UNKNOWN_FIELD`. Unknown fields are errors, not ignored, so a record cannot carry data that
 * this version's readers would silently skip. Returns the object's own enumerable keys
 * (`Object.keys`), so callers can test for optional fields with {@link hasKey} instead of asking the
 * object again.
 */
export function expectKeys(
  fields: Fields,
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
): readonly string[] {
  return expectKeysOf(Object.keys(fields), fields, path, required, optional);
}

/** {@link expectKeys} for an object whose `Object.keys` the caller already has. */
export function expectKeysOf(
  keys: readonly string[],
  fields: Fields,
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
): readonly string[] {
  // Hot path: every key is allowed and all required ones are there (keys are distinct, so counting the
  // required ones found is enough). Anything else goes the slow way, which finds the error to report.
  let found = 0;
  let allowed = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (required.includes(key)) found++;
    else if (!optional.includes(key)) {
      allowed = false;
      break;
    }
  }
  if (allowed && found === required.length) return keys;
  for (const key of required) {
    if (!has(fields, key)) {
      throw new SchemaError("SCHEMA_MISSING_FIELD", childPath(path, key), "Required field is missing");
    }
  }
  const unknown = keys.find((key) => !required.includes(key) && !optional.includes(key)) ?? "";
  throw new SchemaError("SCHEMA_UNKNOWN_FIELD", childPath(path, unknown), "Field is not part of this schema");
}

/**
 * True when `key` is an own enumerable property of `fields` (whatever its value): exactly the keys
 * the encoder writes, so validation and encoding always see the same fields.
 */
export function has(fields: Fields, key: PathSegment): boolean {
  return Object.prototype.propertyIsEnumerable.call(fields, key);
}

/** {@link has} for an object whose `Object.keys` are at hand (as {@link expectKeys} returns them). */
export function hasKey(keys: readonly string[], key: string): boolean {
  return keys.includes(key);
}

function invalid(path: string, message: string): SchemaError {
  return new SchemaError("SCHEMA_INVALID_FIELD", path, message);
}

/** Options for {@link expectString}. */
export interface StringRule {
  /** Minimum length in UTF-16 units (default 1: required text is never empty). */
  min?: number;
  /** Maximum length in UTF-16 units. */
  max: number;
  /** Pattern the whole string must match, and a description of it for the message. */
  pattern?: RegExp;
  describe?: string;
  /**
   * An optional hand-written test for the common form: when it returns true the pattern is known to
   * match and is not run. It must never return true for a string the pattern refuses (tests check).
   */
  matchesFast?: (value: string) => boolean;
}

/** Requires a string field within the rule's length and pattern. */
export function expectString(fields: Fields, key: PathSegment, path: string, rule: StringRule): string {
  const value = fields[key];
  if (typeof value !== "string") throw invalid(childPath(path, key), "Expected a string");
  const min = rule.min ?? 1;
  if (value.length < min || value.length > rule.max) {
    throw invalid(childPath(path, key), `Expected a string of ${min} to ${rule.max} characters`);
  }
  if (rule.pattern !== undefined && !rule.matchesFast?.(value) && !rule.pattern.test(value)) {
    throw invalid(childPath(path, key), `Expected ${rule.describe ?? `a string matching ${rule.pattern}`}`);
  }
  return value;
}

/** Requires a string field equal to one of `values`. */
export function expectOneOf<T extends string>(
  fields: Fields,
  key: PathSegment,
  path: string,
  values: readonly T[],
): T {
  const value = fields[key];
  if (typeof value !== "string" || !(values as readonly string[]).includes(value)) {
    throw invalid(childPath(path, key), `Expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);
  }
  return value as T;
}

/** Requires a safe integer field in `[min, max]`. */
export function expectInteger(
  fields: Fields,
  key: PathSegment,
  path: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = fields[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(childPath(path, key), `Expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** Requires a finite number field. */
export function expectFiniteNumber(fields: Fields, key: PathSegment, path: string): number {
  const value = fields[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalid(childPath(path, key), "Expected a finite number");
  }
  return value;
}

/** Requires a `Uint8Array` field, of exactly `length` bytes when given. */
export function expectBytes(fields: Fields, key: PathSegment, path: string, length?: number): Uint8Array {
  const value = fields[key];
  if (!(value instanceof Uint8Array)) throw invalid(childPath(path, key), "Expected bytes");
  if (length !== undefined && value.length !== length) {
    throw invalid(childPath(path, key), `Expected ${length} bytes, found ${value.length}`);
  }
  return value;
}

/** Requires a CID field of the block form (v1, raw, sha2-256): the only CIDs Ancora records link to. */
export function expectBlockCid(fields: Fields, key: PathSegment, path: string): BlockCid {
  const cid = CID.asCID(fields[key]);
  if (cid === null || !isBlockCid(cid)) {
    throw invalid(childPath(path, key), "Expected a CIDv1 with raw codec and sha2-256 (bafkrei...)");
  }
  return cid;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The number written by the two characters at `i`, or -1 unless both are digits. */
function twoDigits(s: string, i: number): number {
  if (!isDigitAt(s, i) || !isDigitAt(s, i + 1)) return -1;
  return (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
}

/** True for `YYYY-MM-DDTHH:mm:ss.sssZ` naming a real instant (checked by hand: this is on the hot path). */
export function isTimestamp(s: string): boolean {
  if (s.length !== 24) return false;
  // Separators: - - T : : . Z at 4 7 10 13 16 19 23.
  if (
    s.charCodeAt(4) !== 0x2d ||
    s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(10) !== 0x54 ||
    s.charCodeAt(13) !== 0x3a ||
    s.charCodeAt(16) !== 0x3a ||
    s.charCodeAt(19) !== 0x2e ||
    s.charCodeAt(23) !== 0x5a
  ) {
    return false;
  }
  const century = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if ((century | yy | month | day | hour | minute | second) < 0) return false;
  if (!isDigitAt(s, 20) || !isDigitAt(s, 21) || !isDigitAt(s, 22)) return false;
  const year = century * 100 + yy;
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

/**
 * Requires an RFC 3339 UTC timestamp with exactly millisecond precision, `YYYY-MM-DDTHH:mm:ss.sssZ`
 * (what Date.prototype.toISOString writes for years 0000-9999), naming a real instant: month 01-12, a
 * day that exists in that month (proleptic Gregorian), hour 00-23, minute and second 00-59. Leap
 * seconds (:60) are refused, as toISOString never writes them. One spelling per instant.
 */
export function expectTimestamp(fields: Fields, key: PathSegment, path: string): string {
  const value = fields[key];
  if (typeof value !== "string" || !isTimestamp(value)) {
    throw invalid(
      childPath(path, key),
      "Expected an RFC 3339 UTC timestamp with milliseconds naming a real instant, like 2025-01-31T12:00:00.000Z",
    );
  }
  return value;
}

/** Identifier: letters, digits and `._:-`, starting with a letter or digit. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** An EVM address in lowercase hex: one spelling per address (checksums are derived data). */
export const EVM_ADDRESS = /^0x[0-9a-f]{40}$/;

/** A 32-byte hash in lowercase 0x-hex, as an EVM transaction hash. */
export const HEX32 = /^0x[0-9a-f]{64}$/;

/**
 * Requires `fields.v === version`. A missing `v` is `SCHEMA_MISSING_FIELD`; any other value is
 * `SCHEMA_UNSUPPORTED_VERSION`. Checked before anything else, because a later version may have fields
 * this one does not know.
 */
export function expectVersion(fields: Fields, path: string, version: number, what: string): void {
  if (!has(fields, "v"))
    throw new SchemaError("SCHEMA_MISSING_FIELD", childPath(path, "v"), "Required field is missing");
  if (fields.v !== version) {
    throw new SchemaError(
      "SCHEMA_UNSUPPORTED_VERSION",
      childPath(path, "v"),
      `Unsupported ${what} format version`,
      {
        evidence: { supported: [version] },
        hint: `Upgrade @ancora/core to read ${what}s of this version.`,
      },
    );
  }
}

/** Requires a 32-byte hash written as lowercase 0x-hex (the JSON forms' spelling of hashes). */
export function expectHex32(fields: Fields, key: PathSegment, path: string): Uint8Array {
  const text = expectString(fields, key, path, {
    max: 66,
    pattern: HEX32,
    describe: "a 32-byte hash as 0x + 64 lowercase hex",
  });
  const bytes = fromHex(text.slice(2));
  invariant(bytes !== undefined, "HEX32 admits only valid hex");
  return bytes;
}

/** Requires a block CID in its canonical string form (`bafkrei...`). */
export function expectBlockCidString(fields: Fields, key: PathSegment, path: string): BlockCid {
  const value = fields[key];
  const cid = typeof value === "string" ? parseBlockCid(value) : undefined;
  if (cid === undefined) {
    throw invalid(childPath(path, key), "Expected a CIDv1 raw sha2-256 in base32 (bafkrei...)");
  }
  return cid;
}
