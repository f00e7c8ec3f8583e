import {
  expectBlockCid,
  expectInteger,
  expectKeys,
  expectObject,
  expectString,
  expectTimestamp,
  hasKey,
} from "../../internal/schema-fields.js";
import type { AccessGrantBody, OwnershipBody, RetentionBody } from "../types.js";
import { expectStringList, expectWindow, optionalCid, optionalString } from "./fields.js";
import { ACTOR, IDENT, KIND_NAME, NAME, TEXT } from "./rules.js";

const OWNERSHIP_REQUIRED = ["target", "owner", "steward", "approver"];
const OWNERSHIP_OPTIONAL = ["previous", "reason"];
const RETENTION_KEYS = ["kind", "payloadDays", "basis", "actor"];
const GRANT_REQUIRED = ["grantee", "scope", "validFrom", "actor"];
const GRANT_OPTIONAL = ["validUntil"];

/** Longest payload retention a policy can state: 100 years. */
export const MAX_RETENTION_DAYS = 36_525;

/** Validates the body of an `ownership` record (see {@link OwnershipBody}). */
export function validateOwnershipBody(value: unknown, path: string): OwnershipBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, OWNERSHIP_REQUIRED, OWNERSHIP_OPTIONAL);
  expectBlockCid(body, "target", path);
  expectString(body, "owner", path, ACTOR);
  expectString(body, "steward", path, ACTOR);
  expectString(body, "approver", path, ACTOR);
  optionalCid(keys, body, "previous", path);
  optionalString(keys, body, "reason", path, TEXT);
  return body as unknown as OwnershipBody;
}

/** Validates the body of a `retention` record (see {@link RetentionBody}). */
export function validateRetentionBody(value: unknown, path: string): RetentionBody {
  const body = expectObject(value, path);
  expectKeys(body, path, RETENTION_KEYS);
  expectString(body, "kind", path, KIND_NAME);
  expectInteger(body, "payloadDays", path, 0, MAX_RETENTION_DAYS);
  expectString(body, "basis", path, NAME);
  expectString(body, "actor", path, ACTOR);
  return body as unknown as RetentionBody;
}

/** Validates the body of an `access-grant` record (see {@link AccessGrantBody}). */
export function validateAccessGrantBody(value: unknown, path: string): AccessGrantBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, GRANT_REQUIRED, GRANT_OPTIONAL);
  expectString(body, "grantee", path, ACTOR);
  expectStringList(body, "scope", path, 1, IDENT);
  expectTimestamp(body, "validFrom", path);
  if (hasKey(keys, "validUntil")) {
    expectTimestamp(body, "validUntil", path);
    expectWindow(body, path);
  }
  expectString(body, "actor", path, ACTOR);
  return body as unknown as AccessGrantBody;
}
