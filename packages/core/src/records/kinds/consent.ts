import {
  expectBlockCid,
  expectKeys,
  expectObject,
  expectOneOf,
  expectString,
  expectTimestamp,
  hasKey,
} from "../../internal/schema-fields.js";
import type { ConsentBody, ConsentDenialReason, ConsentDeniedBody, ConsentRevocationBody } from "../types.js";
import { expectBoolean, expectStringList, expectWindow, optionalCid } from "./fields.js";
import { ACTOR, IDENT, SUBJECT_ID } from "./rules.js";

const CONSENT_REQUIRED = ["subject", "purposes", "roles", "validFrom", "revocable"];
const CONSENT_OPTIONAL = ["validUntil"];
const REVOCATION_KEYS = ["policy", "subject", "actor"];
const DENIED_REQUIRED = ["subject", "purpose", "role", "reason"];
const DENIED_OPTIONAL = ["policy"];

/** Reasons a `consent-denied` record may give. */
export const CONSENT_DENIAL_REASONS: readonly ConsentDenialReason[] = [
  "no-policy",
  "purpose-not-allowed",
  "role-not-allowed",
  "not-yet-valid",
  "expired",
  "revoked",
];

/** Validates the body of a `consent` record (see {@link ConsentBody}). */
export function validateConsentBody(value: unknown, path: string): ConsentBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, CONSENT_REQUIRED, CONSENT_OPTIONAL);
  expectString(body, "subject", path, SUBJECT_ID);
  expectStringList(body, "purposes", path, 1, IDENT);
  expectStringList(body, "roles", path, 1, IDENT);
  expectTimestamp(body, "validFrom", path);
  if (hasKey(keys, "validUntil")) {
    expectTimestamp(body, "validUntil", path);
    expectWindow(body, path);
  }
  expectBoolean(body, "revocable", path);
  return body as unknown as ConsentBody;
}

/** Validates the body of a `consent-revocation` record (see {@link ConsentRevocationBody}). */
export function validateConsentRevocationBody(value: unknown, path: string): ConsentRevocationBody {
  const body = expectObject(value, path);
  expectKeys(body, path, REVOCATION_KEYS);
  expectBlockCid(body, "policy", path);
  expectString(body, "subject", path, SUBJECT_ID);
  expectString(body, "actor", path, ACTOR);
  return body as unknown as ConsentRevocationBody;
}

/**
 * Validates the body of a `consent-denied` record (see {@link ConsentDeniedBody}): `policy` is absent
 * exactly when the reason is `no-policy`.
 */
export function validateConsentDeniedBody(value: unknown, path: string): ConsentDeniedBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, DENIED_REQUIRED, DENIED_OPTIONAL);
  expectString(body, "subject", path, SUBJECT_ID);
  expectString(body, "purpose", path, IDENT);
  expectString(body, "role", path, IDENT);
  const reason = expectOneOf(body, "reason", path, CONSENT_DENIAL_REASONS);
  optionalCid(keys, body, "policy", path);
  if (reason === "no-policy" && hasKey(keys, "policy")) {
    expectKeys(body, path, DENIED_REQUIRED);
  }
  if (reason !== "no-policy" && !hasKey(keys, "policy")) {
    expectKeys(body, path, [...DENIED_REQUIRED, "policy"]);
  }
  return body as unknown as ConsentDeniedBody;
}
