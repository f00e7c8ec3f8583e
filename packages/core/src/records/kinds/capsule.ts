import {
  expectInteger,
  expectKeys,
  expectObject,
  expectOneOf,
  expectString,
} from "../../internal/schema-fields.js";
import type { CapsuleBody } from "../types.js";
import { optionalCid, optionalString } from "./fields.js";
import { IDENT, NAME, SHA256_DIGEST, SUBJECT_ID } from "./rules.js";

const CAPSULE_REQUIRED = ["digest", "size", "cipher", "keyId"];
const CAPSULE_OPTIONAL = ["target", "subject", "contentType"];

/** Ciphers a capsule may use. */
export const CAPSULE_CIPHERS: readonly CapsuleBody["cipher"][] = ["aes-256-gcm"];

/** Largest capsule a record may describe: 1 GiB (a capsule is stored off-log, its size is a claim to check). */
export const MAX_CAPSULE_BYTES = 2 ** 30;

/** Validates the body of a `capsule` record (see {@link CapsuleBody}). */
export function validateCapsuleBody(value: unknown, path: string): CapsuleBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, CAPSULE_REQUIRED, CAPSULE_OPTIONAL);
  optionalCid(keys, body, "target", path);
  expectString(body, "digest", path, SHA256_DIGEST);
  expectInteger(body, "size", path, 1, MAX_CAPSULE_BYTES);
  expectOneOf(body, "cipher", path, CAPSULE_CIPHERS);
  expectString(body, "keyId", path, IDENT);
  optionalString(keys, body, "subject", path, SUBJECT_ID);
  optionalString(keys, body, "contentType", path, NAME);
  return body as unknown as CapsuleBody;
}
