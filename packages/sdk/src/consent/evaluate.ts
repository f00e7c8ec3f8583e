/**
 * Consent evaluation: a pure function from the consent policies known for one subject to an answer
 * for one request (purpose, role, time). No I/O, so the gate the logger applies and an auditor re-running
 * it over the log's consent records get the same answer.
 */
import type { ConsentDenialReason } from "@ancora/core";
import type { ConsentDeniedCode } from "../errors.js";

/** The `reason` of a consent-denied record: core's type, re-exported for the SDK's callers. */
export type { ConsentDenialReason };

/** One consent policy (a consent record) with its revocation applied. */
export interface ConsentPolicyState {
  /** CID of the consent record. */
  cid: string;
  purposes: readonly string[];
  roles: readonly string[];
  /** RFC 3339 instant from which the policy holds (inclusive). */
  validFrom: string;
  /** RFC 3339 instant the policy ends (exclusive); absent: until revoked. */
  validUntil?: string;
  revocable: boolean;
  /** CID of the consent-revocation record that ended it, if any. */
  revokedBy?: string;
}

/** A request to act for a subject. */
export interface ConsentRequest {
  purpose: string;
  role: string;
  /** RFC 3339 instant of the decision. */
  at: string;
}

/** The answer: allowed with the policy relied on, or denied with a reason and the policy consulted. */
export type ConsentVerdict =
  | { allowed: true; policy: ConsentPolicyState }
  | { allowed: false; code: ConsentDeniedCode; reason: ConsentDenialReason; policy?: string };

/** The consent-denied record's reason for each error code. */
export const DENIAL_REASONS: Readonly<Record<ConsentDeniedCode, ConsentDenialReason>> = {
  CONSENT_MISSING: "no-policy",
  CONSENT_PURPOSE_MISMATCH: "purpose-not-allowed",
  CONSENT_ROLE_MISMATCH: "role-not-allowed",
  CONSENT_NOT_YET_VALID: "not-yet-valid",
  CONSENT_EXPIRED: "expired",
  CONSENT_REVOKED: "revoked",
};

/**
 * Judges a request against a subject's policies (in log order). The most specific failure wins, in the
 * order a person would check: any policy → one covering the purpose → not revoked → in force (not yet
 * valid / expired) → covering the role. The denial names the latest policy that got furthest.
 * Timestamps compare as text: RFC 3339 UTC with milliseconds sorts chronologically.
 *
 * @example
 * ```ts
 * evaluateConsent([{ cid, purposes: ["credit"], roles: ["underwriter"], validFrom: "2025-01-01T00:00:00.000Z", revocable: true }],
 *   { purpose: "credit", role: "underwriter", at: "2025-06-01T00:00:00.000Z" }); // { allowed: true, policy }
 * ```
 */
export function evaluateConsent(
  policies: readonly ConsentPolicyState[],
  request: ConsentRequest,
): ConsentVerdict {
  const deny = (code: ConsentDeniedCode, among: readonly ConsentPolicyState[]): ConsentVerdict => {
    const last = among[among.length - 1];
    return {
      allowed: false,
      code,
      reason: DENIAL_REASONS[code],
      ...(last === undefined ? {} : { policy: last.cid }),
    };
  };
  if (policies.length === 0) return deny("CONSENT_MISSING", policies);
  const forPurpose = policies.filter((p) => p.purposes.includes(request.purpose));
  if (forPurpose.length === 0) return deny("CONSENT_PURPOSE_MISMATCH", policies);
  const live = forPurpose.filter((p) => p.revokedBy === undefined);
  if (live.length === 0) return deny("CONSENT_REVOKED", forPurpose);
  const started = live.filter((p) => p.validFrom <= request.at);
  if (started.length === 0) return deny("CONSENT_NOT_YET_VALID", live);
  const current = started.filter((p) => p.validUntil === undefined || request.at < p.validUntil);
  if (current.length === 0) return deny("CONSENT_EXPIRED", started);
  const policy = current.find((p) => p.roles.includes(request.role));
  if (policy === undefined) return deny("CONSENT_ROLE_MISMATCH", current);
  return { allowed: true, policy };
}
