/**
 * Errors of encrypted capsules. Messages and evidence name fields, sizes and CIDs only: never a key,
 * a secret or a byte of the payload.
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/** Codes of {@link CapsuleError}. */
export type CapsuleErrorCode =
  /** The bytes are not a well-formed capsule v1 (format, sizes, unknown fields). */
  | "CAPSULE_INVALID"
  /** The key (or secret) and key salt do not derive this capsule's key: wrong key, wrong salt. */
  | "CAPSULE_KEY_MISMATCH"
  /** The key is right but AES-GCM authentication failed: ciphertext, nonce, tag or header changed. */
  | "CAPSULE_TAMPERED"
  /** The capsule's key salt was erased (or purged by retention): it can never be opened again. */
  | "CAPSULE_ERASED"
  /** The store holds no capsule with this CID. */
  | "CAPSULE_UNKNOWN"
  /** Bad sealing options: key too short, secret empty, metadata not encodable, scrypt parameters. */
  | "CAPSULE_BAD_OPTION";

/** A capsule could not be sealed or opened. */
export class CapsuleError extends AncoraError<CapsuleErrorCode> {
  override name = "CapsuleError";
  constructor(code: CapsuleErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}
