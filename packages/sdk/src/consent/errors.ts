/**
 * The consent gate's error: one class, one stable code per reason a decision was refused. The
 * evidence names the subject reference (a digest, never the subject id), the purpose, the role and the
 * CID of the consent-denied record written for the refusal.
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/** Why consent was refused (docs/lineage.md, "Consent"). */
export type ConsentDeniedCode =
  /** No consent was ever granted for this subject. */
  | "CONSENT_MISSING"
  /** Consent exists for this subject, but for other purposes. */
  | "CONSENT_PURPOSE_MISMATCH"
  /** Consent for the purpose exists, but not for this role (controller, processor, ...). */
  | "CONSENT_ROLE_MISMATCH"
  /** Consent for the purpose starts after this decision. */
  | "CONSENT_NOT_YET_VALID"
  /** Consent for the purpose expired before this decision. */
  | "CONSENT_EXPIRED"
  /** Consent for the purpose was revoked (a consent-revocation record exists). */
  | "CONSENT_REVOKED";

/**
 * A decision that required consent was refused: no decision was logged, a consent-denied record was
 * (its seq and CID are in `evidence`), and a wrapped model function was not called.
 */
export class ConsentDeniedError extends AncoraError<ConsentDeniedCode> {
  override name = "ConsentDeniedError";
  constructor(code: ConsentDeniedCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, {
      hint: "Do not make this decision for this subject, or record a grant with grantConsent first.",
      ...options,
    });
  }
}

/** Codes of {@link ConsentInputError}. */
export type ConsentInputCode =
  /** A malformed argument: subject, purpose, role, actor or dates. */
  | "CONSENT_INVALID"
  /** revokeConsent named a policy that the store does not hold for this subject. */
  | "CONSENT_POLICY_UNKNOWN"
  /** revokeConsent named a policy recorded as not revocable. */
  | "CONSENT_NOT_REVOCABLE";

/** Bad arguments to a consent call. Nothing was written. */
export class ConsentInputError extends AncoraError<ConsentInputCode> {
  override name = "ConsentInputError";
  constructor(
    shortMessage: string,
    options: AncoraErrorOptions = {},
    code: ConsentInputCode = "CONSENT_INVALID",
  ) {
    super(code, shortMessage, options);
  }
}
