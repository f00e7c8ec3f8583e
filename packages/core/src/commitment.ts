/**
 * Commitments to a decision's input and output: a record carries a 32-byte digest of the value, never
 * the value, so the chain proves what was decided on without publishing personal data.
 *
 * Three schemes, all over the value's canonical DAG-JSON bytes (see {@link encodeCanonical}):
 * - `plain`:  SHA-256(bytes). Anyone holding the value can check it, and anyone can *guess* it: a
 *   low-entropy value (an age, an income band, a yes/no) is recovered from the digest by trying every
 *   candidate. Use it only for values that are public or high-entropy.
 * - `salted`: SHA-256(salt ‖ bytes) with a fresh random 32-byte salt that is returned to the caller and
 *   kept off-record. Unguessable while the salt is secret; openable to a data subject or auditor by
 *   handing over value and salt; made permanently unopenable by deleting the salt (the chain still
 *   verifies, the digest just stops meaning anything). The default for personal data.
 * - `hmac`:   HMAC-SHA256(key, bytes) with an organisation key (RFC 2104). Unguessable without the key,
 *   no per-record secret to store, and equal values give equal digests (so records can be linked by
 *   input, which is a feature or a leak depending on the use). Deleting one record's opening is not
 *   possible; rotating or destroying the key affects all records made with it.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { encodeCanonical } from "./canonical/encode.js";
import { ArgumentError, VerificationError } from "./errors.js";
import { sha256 as defaultSha256, type Sha256 } from "./hash.js";
import { equalBytesConstantTime, toHex } from "./internal/binary-text.js";
import {
  expectBytes,
  expectKeys,
  expectObject,
  expectOneOf,
  expectString,
  hasKey,
  IDENTIFIER,
} from "./internal/schema-fields.js";

/** The commitment schemes of format version 1. */
export type CommitmentScheme = "plain" | "salted" | "hmac";

/** Every scheme, in the order documented in docs/formats.md. */
export const COMMITMENT_SCHEMES: readonly CommitmentScheme[] = ["plain", "salted", "hmac"];

/** Length of a commitment digest (SHA-256 / HMAC-SHA256 output). */
export const COMMITMENT_DIGEST_BYTES = 32;
/** Length of the random salt of a `salted` commitment. */
export const SALT_BYTES = 32;
/** Shortest HMAC key accepted: a key shorter than the hash output weakens HMAC (RFC 2104 §3). */
export const MIN_HMAC_KEY_BYTES = 32;

/**
 * A commitment as it appears in a record: `{ scheme, digest }`, plus `keyId` for `hmac` naming which
 * organisation key made it (so keys can rotate). The digest is bytes (DAG-JSON `{"/": {"bytes": ...}}`).
 */
export interface Commitment {
  scheme: CommitmentScheme;
  digest: Uint8Array;
  keyId?: string;
}

/** A `salted` commitment and the salt that opens it. Store the salt apart from the record. */
export interface SaltedCommitment {
  commitment: Commitment;
  salt: Uint8Array;
}

/** What it takes to open a commitment: the value, and the salt or key its scheme needs. */
export interface CommitmentOpening<T = unknown> {
  value: T;
  /** Required for `salted`. */
  salt?: Uint8Array;
  /** Required for `hmac`. */
  key?: Uint8Array;
}

/** Options for {@link commit}: the scheme and its secret. */
export type CommitOptions =
  | { scheme: "plain"; sha256?: Sha256 }
  | { scheme: "salted"; salt?: Uint8Array; sha256?: Sha256 }
  | { scheme: "hmac"; key: Uint8Array; keyId?: string };

/** Result of {@link commit}: `salt` is present exactly when the scheme is `salted`. */
export interface CommitResult {
  commitment: Commitment;
  salt?: Uint8Array;
}

const KEY_ID_RULE = { max: 64, pattern: IDENTIFIER, describe: "a key identifier ([A-Za-z0-9._:-])" };

function validKeyId(keyId: string): boolean {
  return typeof keyId === "string" && keyId.length <= KEY_ID_RULE.max && IDENTIFIER.test(keyId);
}

function valueBytes(value: unknown): Uint8Array {
  // No size limit: the value is hashed, not stored, so it need not fit a block.
  return encodeCanonical(value);
}

function saltedDigest(salt: Uint8Array, bytes: Uint8Array, sha256: Sha256): Uint8Array {
  const input = new Uint8Array(salt.length + bytes.length);
  input.set(salt, 0);
  input.set(bytes, salt.length);
  return sha256(input);
}

function checkSalt(salt: Uint8Array): void {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES) {
    throw new ArgumentError(`A salt must be ${SALT_BYTES} bytes`);
  }
}

function checkHmacKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length < MIN_HMAC_KEY_BYTES) {
    throw new ArgumentError(`An HMAC key must be at least ${MIN_HMAC_KEY_BYTES} bytes`, {
      hint: "Generate one with crypto.getRandomValues(new Uint8Array(32)) and keep it in a secret store.",
    });
  }
}

/**
 * `plain` commitment: SHA-256 of the value's canonical bytes. Only for public or high-entropy values;
 * see the module comment.
 *
 * @example
 * ```ts
 * const c = commitPlain({ modelOutput: "approve" });
 * c.scheme; // "plain"
 * ```
 */
export function commitPlain(value: unknown, options: { sha256?: Sha256 } = {}): Commitment {
  return { scheme: "plain", digest: (options.sha256 ?? defaultSha256)(valueBytes(value)) };
}

/**
 * `salted` commitment with a fresh random 32-byte salt (`crypto.getRandomValues`). Returns the salt:
 * keep it off-record (the SDK keeps it in its own table); delete it to make the commitment unopenable.
 * Pass `salt` only to reproduce a known commitment (tests, vectors).
 *
 * @example
 * ```ts
 * const { commitment, salt } = commitSalted({ age: 42, income: 51000 });
 * verifyOpening(commitment, { value: { age: 42, income: 51000 }, salt }); // true
 * ```
 */
export function commitSalted(
  value: unknown,
  options: { salt?: Uint8Array; sha256?: Sha256 } = {},
): SaltedCommitment {
  const bytes = valueBytes(value);
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  checkSalt(salt);
  return {
    commitment: { scheme: "salted", digest: saltedDigest(salt, bytes, options.sha256 ?? defaultSha256) },
    salt,
  };
}

/**
 * `hmac` commitment: HMAC-SHA256 with an organisation key of at least 32 bytes. `keyId` names the key
 * in the record so it can be rotated; it must not be the key itself.
 *
 * @example
 * ```ts
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const c = commitHmac({ age: 42 }, key, { keyId: "org-key-2025" });
 * verifyOpening(c, { value: { age: 42 }, key }); // true
 * ```
 */
export function commitHmac(value: unknown, key: Uint8Array, options: { keyId?: string } = {}): Commitment {
  checkHmacKey(key);
  const commitment: Commitment = { scheme: "hmac", digest: hmac(nobleSha256, key, valueBytes(value)) };
  if (options.keyId !== undefined) {
    if (!validKeyId(options.keyId))
      throw new ArgumentError("keyId must be an identifier of 1 to 64 characters");
    commitment.keyId = options.keyId;
  }
  return commitment;
}

/**
 * Commits with the scheme named in `options` (one entry point for configurable callers such as the
 * SDK's logger).
 *
 * @example
 * ```ts
 * const { commitment, salt } = commit(features, { scheme: "salted" });
 * ```
 */
export function commit(value: unknown, options: CommitOptions): CommitResult {
  switch (options.scheme) {
    case "plain":
      return { commitment: commitPlain(value, options.sha256 ? { sha256: options.sha256 } : {}) };
    case "salted":
      return commitSalted(value, options);
    case "hmac":
      return {
        commitment: commitHmac(
          value,
          options.key,
          options.keyId === undefined ? {} : { keyId: options.keyId },
        ),
      };
    default:
      throw new ArgumentError(
        `Unknown commitment scheme ${JSON.stringify((options as { scheme: unknown }).scheme)}`,
      );
  }
}

function recompute(
  commitment: Commitment,
  opening: CommitmentOpening,
  sha256: Sha256,
): Uint8Array | undefined {
  const bytes = valueBytes(opening.value);
  switch (commitment.scheme) {
    case "plain":
      return sha256(bytes);
    case "salted":
      if (opening.salt === undefined) throw new ArgumentError("Opening a salted commitment needs its salt");
      // A salt of the wrong length cannot have made this commitment: a mismatch, not a caller error.
      return opening.salt.length === SALT_BYTES ? saltedDigest(opening.salt, bytes, sha256) : undefined;
    case "hmac":
      if (opening.key === undefined)
        throw new ArgumentError("Opening an hmac commitment needs the organisation key");
      return hmac(nobleSha256, opening.key, bytes);
    default:
      return undefined;
  }
}

/**
 * True when `opening` opens `commitment`: the value (with its salt or key) gives the same digest. The
 * comparison takes constant time. Throws {@link ArgumentError} when the scheme's salt or key is
 * missing, and {@link EncodingError} when the value cannot be encoded at all.
 *
 * @example
 * ```ts
 * const { commitment, salt } = commitSalted({ age: 42 });
 * verifyOpening(commitment, { value: { age: 42 }, salt }); // true
 * verifyOpening(commitment, { value: { age: 43 }, salt }); // false
 * ```
 */
export function verifyOpening(
  commitment: Commitment,
  opening: CommitmentOpening,
  options: { sha256?: Sha256 } = {},
): boolean {
  const digest = recompute(commitment, opening, options.sha256 ?? defaultSha256);
  return digest !== undefined && equalBytesConstantTime(digest, commitment.digest);
}

/**
 * Opens `commitment`: returns the committed value if `opening` matches it, and otherwise throws a
 * {@link VerificationError} `COMMITMENT_MISMATCH` whose evidence holds the scheme and both digests
 * (never the value). Use it where a mismatch must stop the caller, e.g. before showing a data subject
 * "this is the input your decision was made on".
 *
 * @example
 * ```ts
 * const input = openCommitment(record.body.input, { value: claimedInput, salt });
 * ```
 */
export function openCommitment<T>(
  commitment: Commitment,
  opening: CommitmentOpening<T>,
  options: { sha256?: Sha256 } = {},
): T {
  const digest = recompute(commitment, opening, options.sha256 ?? defaultSha256);
  if (digest === undefined || !equalBytesConstantTime(digest, commitment.digest)) {
    throw new VerificationError("COMMITMENT_MISMATCH", "The opening does not match the commitment", {
      evidence: {
        scheme: commitment.scheme,
        expected: toHex(commitment.digest),
        ...(digest === undefined ? {} : { found: toHex(digest) }),
      },
    });
  }
  return opening.value;
}

const COMMITMENT_REQUIRED = ["scheme", "digest"];
const COMMITMENT_OPTIONAL = ["keyId"];

/**
 * Checks that `value` is a well-formed v1 commitment and returns it typed. Throws {@link SchemaError}
 * naming the field (`path` is where the commitment sits, `$` by default).
 *
 * @example
 * ```ts
 * validateCommitment({ scheme: "plain", digest: new Uint8Array(32) }); // ok
 * validateCommitment({ scheme: "rot13", digest: new Uint8Array(32) }, "$.body.input"); // throws at $.body.input.scheme
 * ```
 */
export function validateCommitment(value: unknown, path = "$"): Commitment {
  const fields = expectObject(value, path);
  const keys = expectKeys(fields, path, COMMITMENT_REQUIRED, COMMITMENT_OPTIONAL);
  const scheme = expectOneOf(fields, "scheme", path, COMMITMENT_SCHEMES);
  expectBytes(fields, "digest", path, COMMITMENT_DIGEST_BYTES);
  if (hasKey(keys, "keyId")) {
    // Only an hmac commitment has a key to name.
    if (scheme !== "hmac") expectKeys(fields, path, COMMITMENT_REQUIRED);
    expectString(fields, "keyId", path, KEY_ID_RULE);
  }
  return fields as unknown as Commitment;
}
