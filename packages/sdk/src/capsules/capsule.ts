/**
 * Encrypted capsules: a sensitive payload sealed with AES-256-GCM under a key derived for that capsule
 * alone, with its metadata in clear. The capsule's bytes are canonical DAG-JSON, so its CID (CIDv1 raw
 * sha2-256, like a record) is what a capsule record puts on the log. Format: docs/lineage.md, "Capsules".
 *
 * The per-capsule key is derived from an organisation key (HKDF-SHA256, RFC 5869) or from a secret
 * (scrypt, RFC 7914), always with a random 32-byte *key salt* that is kept apart from the capsule (the
 * store's `capsule_keys` table). Deleting the key salt makes the capsule unopenable even to the holder
 * of the organisation key: that is erasure by key destruction, and the capsule's CID, the record that
 * names it and every proof stay valid.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  scryptSync,
  timingSafeEqual,
} from "node:crypto";
import { type BlockCid, computeCid, decodeCanonical, EncodingError, encodeCanonical } from "@ancora/core";
import { CapsuleError } from "../errors.js";
import { nodeSha256, plain, randomBytes } from "../internal/crypto.js";

/** Capsule format version. */
export const CAPSULE_VERSION = 1;
/** Largest payload a capsule seals (the capsule's encoding is about 4/3 of it: base64). */
export const MAX_CAPSULE_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** Largest capsule encoding accepted on open. */
export const MAX_CAPSULE_BYTES = Math.ceil((MAX_CAPSULE_PAYLOAD_BYTES * 4) / 3) + 64 * 1024;
/** Bytes of the per-capsule key salt (kept apart from the capsule). */
export const CAPSULE_KEY_SALT_BYTES = 32;
/** Shortest organisation key accepted for HKDF (256 bits of key material). */
export const MIN_CAPSULE_ORG_KEY_BYTES = 32;
/** scrypt defaults: N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds). */
export const DEFAULT_SCRYPT = Object.freeze({ n: 32_768, r: 8, p: 1 });

const NONCE_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit IVs
const TAG_BYTES = 16;
const KEY_CHECK_BYTES = 16;
const HKDF_INFO = "ancora/capsule/v1";
const KEY_CHECK_LABEL = "ancora/capsule/v1/key-check";
const META_MAX_BYTES = 16 * 1024;
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** scrypt cost parameters (RFC 7914): N a power of two. */
export interface ScryptParams {
  n: number;
  r: number;
  p: number;
}

/** What a capsule key is derived from: an organisation key (HKDF) or a secret (scrypt). */
export type CapsuleKeySource =
  | { orgKey: Uint8Array; keyId?: string }
  | { secret: string | Uint8Array; scrypt?: ScryptParams; keyId?: string };

/** Clear metadata: a flat map of short strings, numbers and booleans. Never personal data. */
export type CapsuleMeta = Readonly<Record<string, string | number | boolean>>;

/** A decoded capsule (nothing decrypted). */
export interface Capsule {
  v: 1;
  alg: "aes-256-gcm";
  kdf: { name: "hkdf-sha256" } | ({ name: "scrypt" } & ScryptParams);
  keyId?: string;
  keyCheck: Uint8Array;
  nonce: Uint8Array;
  meta: CapsuleMeta;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/** A sealed capsule: its canonical bytes, CID, and the key salt to keep apart from it. */
export interface SealedCapsule {
  bytes: Uint8Array;
  cid: BlockCid;
  /** Keep this apart from the capsule (the store's `capsule_keys`); deleting it erases the capsule. */
  keySalt: Uint8Array;
  capsule: Capsule;
}

function badOption(message: string, field: string): CapsuleError {
  return new CapsuleError("CAPSULE_BAD_OPTION", message, {
    evidence: { field },
    hint: "See docs/lineage.md, Capsules, for the options.",
  });
}

function checkScrypt(params: ScryptParams): ScryptParams {
  const { n, r, p } = params;
  const powerOfTwo = Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0;
  // N >= 2^14 is the floor RFC 7914 §2 suggests for interactive use; r * p bounded to keep memory sane.
  if (!powerOfTwo || n < 16_384 || n > 1_048_576) {
    throw badOption("scrypt.n must be a power of two from 2^14 to 2^20", "scrypt.n");
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > 32 || !Number.isSafeInteger(p) || p < 1 || p > 16) {
    throw badOption("scrypt.r must be 1..32 and scrypt.p 1..16", "scrypt.r");
  }
  return { n, r, p };
}

function kdfOf(source: CapsuleKeySource): Capsule["kdf"] {
  if (typeof source !== "object" || source === null) throw badOption("a key source is required", "key");
  if ("orgKey" in source) {
    if (!(source.orgKey instanceof Uint8Array) || source.orgKey.length < MIN_CAPSULE_ORG_KEY_BYTES) {
      throw badOption(`orgKey must be at least ${MIN_CAPSULE_ORG_KEY_BYTES} bytes`, "orgKey");
    }
    return { name: "hkdf-sha256" };
  }
  if ("secret" in source) {
    const { secret } = source;
    const length =
      typeof secret === "string" ? secret.length : secret instanceof Uint8Array ? secret.length : 0;
    if (length === 0) throw badOption("secret must be a non-empty string or byte array", "secret");
    return { name: "scrypt", ...checkScrypt(source.scrypt ?? DEFAULT_SCRYPT) };
  }
  throw badOption("the key source must have orgKey or secret", "key");
}

/** The 32-byte AES key of one capsule, from its key source, KDF parameters and key salt. */
function deriveKey(source: CapsuleKeySource, kdf: Capsule["kdf"], keySalt: Uint8Array): Buffer {
  if (kdf.name === "hkdf-sha256") {
    if (!("orgKey" in source)) throw keyMismatch("this capsule is opened with an organisation key");
    return Buffer.from(hkdfSync("sha256", source.orgKey, keySalt, HKDF_INFO, 32));
  }
  if (!("secret" in source)) throw keyMismatch("this capsule is opened with a secret");
  const { n, r, p } = kdf;
  return scryptSync(source.secret, keySalt, 32, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
}

function keyCheckOf(key: Buffer): Uint8Array {
  return plain(createHmac("sha256", key).update(KEY_CHECK_LABEL).digest()).slice(0, KEY_CHECK_BYTES);
}

function keyMismatch(detail: string): CapsuleError {
  return new CapsuleError("CAPSULE_KEY_MISMATCH", "The key does not open this capsule", {
    details: detail,
    hint: "Use the key (or secret) and key salt the capsule was sealed with; a capsule whose key salt was erased cannot be opened.",
  });
}

/** The authenticated header: every field but ciphertext and tag, canonically encoded (GCM's AAD). */
function headerBytes(capsule: Omit<Capsule, "ciphertext" | "tag">): Uint8Array {
  const { v, alg, kdf, keyCheck, nonce, meta } = capsule;
  return encodeCanonical({
    v,
    alg,
    kdf,
    keyCheck,
    nonce,
    meta,
    ...(capsule.keyId === undefined ? {} : { keyId: capsule.keyId }),
  });
}

function checkMeta(meta: unknown): CapsuleMeta {
  if (meta === undefined) return {};
  if (
    typeof meta !== "object" ||
    meta === null ||
    Array.isArray(meta) ||
    Object.getPrototypeOf(meta) !== Object.prototype
  ) {
    throw badOption("meta must be a plain object", "meta");
  }
  for (const [key, value] of Object.entries(meta)) {
    const type = typeof value;
    if (type !== "string" && type !== "number" && type !== "boolean") {
      throw badOption("meta values must be strings, numbers or booleans", `meta.${key}`);
    }
  }
  try {
    encodeCanonical(meta, { maxBytes: META_MAX_BYTES });
  } catch (error) {
    if (error instanceof EncodingError) {
      throw new CapsuleError("CAPSULE_BAD_OPTION", `meta cannot be encoded exactly (${error.code})`, {
        cause: error,
        evidence: { field: "meta", path: error.path },
      });
    }
    throw error;
  }
  return { ...(meta as CapsuleMeta) };
}

/**
 * Seals `payload` in a capsule under a key derived for it alone.
 *
 * @example
 * ```ts
 * const orgKey = crypto.getRandomValues(new Uint8Array(32));
 * const sealed = sealCapsule(new TextEncoder().encode("{…}"), { orgKey, keyId: "org-2025" }, { contentType: "application/json" });
 * // put sealed.cid on the log; keep sealed.keySalt apart; store or pin sealed.bytes
 * openCapsule(sealed.bytes, { orgKey }, sealed.keySalt).payload; // the payload
 * ```
 */
export function sealCapsule(
  payload: Uint8Array,
  source: CapsuleKeySource,
  meta?: CapsuleMeta,
): SealedCapsule {
  if (!(payload instanceof Uint8Array)) throw badOption("payload must be a Uint8Array", "payload");
  if (payload.length > MAX_CAPSULE_PAYLOAD_BYTES) {
    throw badOption(`payload must be at most ${MAX_CAPSULE_PAYLOAD_BYTES} bytes`, "payload");
  }
  const kdf = kdfOf(source);
  const keyId = source.keyId;
  if (keyId !== undefined && (typeof keyId !== "string" || !KEY_ID.test(keyId))) {
    throw badOption("keyId must be an identifier of 1 to 64 characters", "keyId");
  }
  const clearMeta = checkMeta(meta);
  const keySalt = randomBytes(CAPSULE_KEY_SALT_BYTES);
  const key = deriveKey(source, kdf, keySalt);
  try {
    // A fresh random 96-bit nonce per capsule; with a fresh key per capsule it is never reused.
    const nonce = randomBytes(NONCE_BYTES);
    const header = {
      v: 1,
      alg: "aes-256-gcm",
      kdf,
      keyCheck: keyCheckOf(key),
      nonce,
      meta: clearMeta,
    } as const;
    const full = keyId === undefined ? header : { ...header, keyId };
    const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(headerBytes(full));
    const ciphertext = plain(Buffer.concat([cipher.update(payload), cipher.final()]));
    const capsule: Capsule = { ...full, ciphertext, tag: plain(cipher.getAuthTag()) };
    const bytes = encodeCanonical(capsule);
    return { bytes, cid: computeCid(bytes, nodeSha256), keySalt, capsule };
  } finally {
    key.fill(0);
  }
}

function invalid(message: string, cause?: unknown): CapsuleError {
  return new CapsuleError("CAPSULE_INVALID", message, {
    ...(cause === undefined ? {} : { cause }),
    hint: "The bytes are not a capsule v1; check where they came from.",
  });
}

function bytesField(value: unknown, field: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw invalid(`capsule.${field} must be ${length === undefined ? "bytes" : `${length} bytes`}`);
  }
  return value;
}

/**
 * Decodes a capsule strictly (canonical bytes, known fields, sizes) without decrypting it: its clear
 * metadata can be read by anyone. Throws CapsuleError `CAPSULE_INVALID`.
 *
 * @example
 * ```ts
 * decodeCapsule(bytes).meta; // { contentType: "application/json" }
 * ```
 */
export function decodeCapsule(bytes: Uint8Array): Capsule {
  let value: unknown;
  try {
    value = decodeCanonical(bytes, { maxBytes: MAX_CAPSULE_BYTES });
  } catch (error) {
    throw invalid("capsule bytes are not canonical DAG-JSON", error);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid("a capsule is a map");
  const c = value as Record<string, unknown>;
  const allowed = new Set(["v", "alg", "kdf", "keyId", "keyCheck", "nonce", "meta", "ciphertext", "tag"]);
  for (const key of Object.keys(c))
    if (!allowed.has(key)) throw invalid(`unknown capsule field ${JSON.stringify(key)}`);
  if (c.v !== CAPSULE_VERSION) throw invalid("capsule.v must be 1");
  if (c.alg !== "aes-256-gcm") throw invalid('capsule.alg must be "aes-256-gcm"');
  const kdf = c.kdf as Record<string, unknown> | null;
  let parsedKdf: Capsule["kdf"];
  if (
    typeof kdf === "object" &&
    kdf !== null &&
    kdf.name === "hkdf-sha256" &&
    Object.keys(kdf).length === 1
  ) {
    parsedKdf = { name: "hkdf-sha256" };
  } else if (
    typeof kdf === "object" &&
    kdf !== null &&
    kdf.name === "scrypt" &&
    Object.keys(kdf).length === 4
  ) {
    try {
      parsedKdf = { name: "scrypt", ...checkScrypt(kdf as unknown as ScryptParams) };
    } catch (error) {
      throw invalid("capsule.kdf has bad scrypt parameters", error);
    }
  } else {
    throw invalid("capsule.kdf must be { name: hkdf-sha256 } or { name: scrypt, n, r, p }");
  }
  if (c.keyId !== undefined && (typeof c.keyId !== "string" || !KEY_ID.test(c.keyId))) {
    throw invalid("capsule.keyId must be an identifier");
  }
  let meta: CapsuleMeta;
  try {
    meta = checkMeta(c.meta);
  } catch (error) {
    throw invalid("capsule.meta must be a flat map of strings, numbers and booleans", error);
  }
  return {
    v: 1,
    alg: "aes-256-gcm",
    kdf: parsedKdf,
    ...(c.keyId === undefined ? {} : { keyId: c.keyId as string }),
    keyCheck: bytesField(c.keyCheck, "keyCheck", KEY_CHECK_BYTES),
    nonce: bytesField(c.nonce, "nonce", NONCE_BYTES),
    meta,
    ciphertext: bytesField(c.ciphertext, "ciphertext"),
    tag: bytesField(c.tag, "tag", TAG_BYTES),
  };
}

/**
 * Opens a capsule with its key source and key salt. Fails with `CAPSULE_KEY_MISMATCH` (wrong key,
 * secret or salt), `CAPSULE_TAMPERED` (ciphertext, nonce, tag or header changed: GCM authentication
 * failed) or `CAPSULE_INVALID` (not a capsule). Never returns unauthenticated plaintext.
 *
 * @example
 * ```ts
 * const { payload, meta } = openCapsule(bytes, { orgKey }, keySalt);
 * ```
 */
export function openCapsule(
  bytes: Uint8Array,
  source: CapsuleKeySource,
  keySalt: Uint8Array,
): { payload: Uint8Array; meta: CapsuleMeta; capsule: Capsule } {
  const capsule = decodeCapsule(bytes);
  if (!(keySalt instanceof Uint8Array) || keySalt.length !== CAPSULE_KEY_SALT_BYTES) {
    throw badOption(`keySalt must be ${CAPSULE_KEY_SALT_BYTES} bytes`, "keySalt");
  }
  kdfOf(source); // the same checks as sealing: a short key is the caller's error, not a mismatch
  const key = deriveKey(source, capsule.kdf, keySalt);
  try {
    if (!timingSafeEqual(keyCheckOf(key), capsule.keyCheck)) throw keyMismatch("the key check value differs");
    const decipher = createDecipheriv("aes-256-gcm", key, capsule.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(headerBytes(capsule));
    decipher.setAuthTag(capsule.tag);
    let payload: Uint8Array;
    try {
      payload = plain(Buffer.concat([decipher.update(capsule.ciphertext), decipher.final()]));
    } catch (error) {
      throw new CapsuleError("CAPSULE_TAMPERED", "The capsule failed authentication: it was changed", {
        cause: error,
        hint: "Do not trust this copy; fetch the capsule again by its CID and compare.",
        evidence: { cid: computeCid(bytes, nodeSha256).toString() },
      });
    }
    return { payload, meta: capsule.meta, capsule };
  } finally {
    key.fill(0);
  }
}
