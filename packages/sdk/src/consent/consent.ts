/**
 * Consent on the log: policies (consent records), revocations (consent-revocation records) and
 * refusals (consent-denied records), all carrying the subject's keyed reference, never the subject id.
 * The gate the logger applies before a decision reads the subject's policies and revocations from the
 * store (a few indexed rows, across every stream of the file) and judges them with the pure
 * {@link evaluateConsent}.
 */
import { type BlockCid, decodeRecord, parseBlockCid } from "@ancora/core";
import type Database from "better-sqlite3";
import { type ConsentDeniedCode, ConsentDeniedError, ConsentInputError } from "../errors.js";
import { clockOf, connectionOf } from "../internal/store-handle.js";
import { appendKinds, only } from "../lineage/append.js";
import type { StreamLedger } from "../stream-ledger.js";
import { type ConsentPolicyState, type ConsentVerdict, evaluateConsent } from "./evaluate.js";
import { indexSubject, subjectRecords, subjectRef } from "./subjects.js";

/** What a decision needs consent for: whose data, to what end, acting in which role. */
export interface ConsentRequirement {
  /** The subject's id in your system (never written: records hold its keyed reference). */
  subject: string;
  /** The purpose of processing, an identifier: `credit-scoring`. */
  purpose: string;
  /** The role acting on the consent, an identifier: `underwriter`. */
  role: string;
}

/** Options of {@link grantConsent}. */
export interface ConsentGrant {
  subject: string;
  /** Purposes consented to (identifiers, at least one). */
  purposes: readonly string[];
  /** Roles that may process for them (identifiers, at least one). */
  roles: readonly string[];
  /** When the consent starts to hold (default: now). */
  validFrom?: Date | string;
  /** When it ends (exclusive; default: until revoked). */
  validUntil?: Date | string;
  /** Whether the subject may revoke it (default true). */
  revocable?: boolean;
}

/** A written consent, revocation or refusal. */
export interface RecordedConsent {
  stream: string;
  seq: number;
  cid: string;
  ts: string;
  /** The subject's reference as the record carries it. */
  subjectRef: string;
}

const IDENT = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function ident(value: unknown, field: string): string {
  if (typeof value !== "string" || !IDENT.test(value)) {
    throw new ConsentInputError(`${field} must be an identifier ([A-Za-z0-9._:-], at most 128)`, {
      evidence: { field },
    });
  }
  return value;
}

function idents(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 256) {
    throw new ConsentInputError(`${field} must list 1 to 256 identifiers`, { evidence: { field } });
  }
  return [...new Set(value.map((v, i) => ident(v, `${field}[${i}]`)))];
}

function actor(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 256) {
    throw new ConsentInputError(`${field} must be 1 to 256 characters`, { evidence: { field } });
  }
  return value;
}

function instant(value: Date | string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new ConsentInputError(`${field} must be a date or an RFC 3339 instant`, { evidence: { field } });
  }
  return date.toISOString();
}

function link(cid: string): BlockCid {
  const parsed = parseBlockCid(cid);
  if (parsed === undefined)
    throw new ConsentInputError("not a record CID", { evidence: { field: "policy" } });
  return parsed;
}

function connection(logger: StreamLedger): Database.Database {
  return connectionOf(logger.store);
}

/**
 * Records a subject's consent policy: purposes, the roles that may act on them, and its validity.
 *
 * @example
 * ```ts
 * grantConsent(logger, { subject: "customer-4711", purposes: ["credit-scoring"], roles: ["underwriter"],
 *   validUntil: "2026-01-01T00:00:00.000Z" });
 * ```
 */
export function grantConsent(logger: StreamLedger, grant: ConsentGrant): RecordedConsent {
  if (typeof grant !== "object" || grant === null) {
    throw new ConsentInputError("grantConsent needs { subject, purposes, roles }", {
      evidence: { field: "grant" },
    });
  }
  const purposes = idents(grant.purposes, "purposes");
  const roles = idents(grant.roles, "roles");
  const validUntil = instant(grant.validUntil, "validUntil");
  const revocable = grant.revocable ?? true;
  if (typeof revocable !== "boolean") throw new ConsentInputError("revocable must be a boolean");
  let ref = "";
  return appendKinds(
    logger,
    ({ ts }) => {
      ref = subjectRef(connection(logger), grant.subject);
      const validFrom = instant(grant.validFrom, "validFrom") ?? ts;
      if (validUntil !== undefined && validUntil <= validFrom) {
        throw new ConsentInputError("validUntil must be after validFrom", {
          evidence: { field: "validUntil" },
        });
      }
      const body = {
        subject: ref,
        purposes,
        roles,
        validFrom,
        revocable,
        ...(validUntil ? { validUntil } : {}),
      };
      return [{ kind: "consent", body }];
    },
    ({ db, streamId, stream, written }) => {
      const w = only(written);
      indexSubject(db, ref, streamId, w.seq, "consent");
      return { stream, ...w, subjectRef: ref };
    },
  );
}

/**
 * Revokes a subject's consent: the policy named by `policy`, or else every live revocable policy of
 * the subject (only those covering `purpose`, when given) — one consent-revocation record each. Once it
 * returns (durably), no later decision for that subject passes the consent gate on those policies.
 * Throws CONSENT_POLICY_UNKNOWN / CONSENT_NOT_REVOCABLE for a named policy that is not the subject's or
 * not revocable.
 *
 * @example
 * ```ts
 * revokeConsent(logger, { subject: "customer-4711", purpose: "credit-scoring", actor: "privacy-desk" });
 * ```
 */
export function revokeConsent(
  logger: StreamLedger,
  revocation: { subject: string; actor: string; purpose?: string; policy?: string },
): RecordedConsent[] {
  if (typeof revocation !== "object" || revocation === null) {
    throw new ConsentInputError("revokeConsent needs { subject, actor }", {
      evidence: { field: "revocation" },
    });
  }
  const who = actor(revocation.actor, "actor");
  const purpose = revocation.purpose === undefined ? undefined : ident(revocation.purpose, "purpose");
  let ref = "";
  return appendKinds(
    logger,
    () => {
      const db = connection(logger);
      ref = subjectRef(db, revocation.subject);
      // Read under the write lock: a policy another writer committed a moment ago is revoked too.
      const policies = policiesOf(db, ref);
      let targets: ConsentPolicyState[];
      if (revocation.policy !== undefined) {
        const named = policies.find((p) => p.cid === revocation.policy);
        if (named === undefined) {
          throw new ConsentInputError(
            "The subject has no such consent policy",
            { evidence: { field: "policy" } },
            "CONSENT_POLICY_UNKNOWN",
          );
        }
        if (!named.revocable) {
          throw new ConsentInputError(
            "The consent policy was recorded as not revocable",
            {
              evidence: { policy: named.cid },
              hint: "A non-revocable policy ends at its validUntil.",
            },
            "CONSENT_NOT_REVOCABLE",
          );
        }
        targets = named.revokedBy === undefined ? [named] : [];
      } else {
        targets = policies.filter(
          (p) =>
            p.revocable &&
            p.revokedBy === undefined &&
            (purpose === undefined || p.purposes.includes(purpose)),
        );
      }
      return targets.map((p) => ({
        kind: "consent-revocation",
        body: { policy: link(p.cid), subject: ref, actor: who },
      }));
    },
    ({ db, streamId, stream, written }) =>
      written.map((w) => {
        indexSubject(db, ref, streamId, w.seq, "consent-revocation");
        return { stream, seq: w.seq, cid: w.cid.toString(), ts: w.record.ts, subjectRef: ref };
      }),
  );
}

interface ConsentView {
  purposes: string[];
  roles: string[];
  validFrom: string;
  validUntil?: string;
  revocable: boolean;
  policy?: BlockCid;
}

/** A subject's consent policies (log order, every stream) with their revocations applied. */
export function policiesOf(db: Database.Database, ref: string): ConsentPolicyState[] {
  const rows = subjectRecords(db, ref, ["consent", "consent-revocation"]);
  const policies = new Map<string, ConsentPolicyState>();
  const revoked = new Map<string, string>();
  for (const row of rows) {
    const body = (decodeRecord(row.bytes) as unknown as { body: ConsentView }).body;
    if (row.kind === "consent") {
      const { purposes, roles, validFrom, validUntil, revocable } = body;
      policies.set(row.cid, {
        cid: row.cid,
        purposes,
        roles,
        validFrom,
        revocable,
        ...(validUntil ? { validUntil } : {}),
      });
    } else if (body.policy !== undefined) {
      revoked.set(body.policy.toString(), row.cid);
    }
  }
  for (const [cid, by] of revoked) {
    const policy = policies.get(cid);
    if (policy !== undefined) policy.revokedBy = by;
  }
  return [...policies.values()];
}

/**
 * Judges a requirement against the committed log, now by the logger's clock (or at `at`). Writes
 * nothing.
 *
 * @example
 * ```ts
 * checkConsent(logger, { subject: "customer-4711", purpose: "credit-scoring", role: "underwriter" }).allowed;
 * ```
 */
export function checkConsent(
  logger: StreamLedger,
  requirement: ConsentRequirement,
  at: Date = clockOf(logger.store)(),
): ConsentVerdict & { subjectRef: string } {
  if (typeof requirement !== "object" || requirement === null) {
    throw new ConsentInputError("consent must be { subject, purpose, role }", {
      evidence: { field: "consent" },
    });
  }
  const purpose = ident(requirement.purpose, "consent.purpose");
  const role = ident(requirement.role, "consent.role");
  const db = connection(logger);
  const ref = subjectRef(db, requirement.subject);
  return {
    ...evaluateConsent(policiesOf(db, ref), { purpose, role, at: at.toISOString() }),
    subjectRef: ref,
  };
}

const MESSAGES: Readonly<Record<ConsentDeniedCode, string>> = {
  CONSENT_MISSING: "No consent policy exists for this subject",
  CONSENT_PURPOSE_MISMATCH: "The subject's consent does not cover this purpose",
  CONSENT_ROLE_MISMATCH: "The subject's consent does not cover this role",
  CONSENT_NOT_YET_VALID: "The subject's consent for this purpose is not in force yet",
  CONSENT_EXPIRED: "The subject's consent for this purpose expired",
  CONSENT_REVOKED: "The subject revoked consent for this purpose",
};

/**
 * The consent gate: returns the subject reference when the requirement is met; otherwise writes a
 * consent-denied record (durably) and throws {@link ConsentDeniedError} whose evidence holds its seq
 * and CID.
 */
export function requireConsent(logger: StreamLedger, requirement: ConsentRequirement): string {
  const verdict = checkConsent(logger, requirement);
  if (verdict.allowed) return verdict.subjectRef;
  const ref = verdict.subjectRef;
  const denied = appendKinds(
    logger,
    () => [
      {
        kind: "consent-denied",
        body: {
          subject: ref,
          purpose: requirement.purpose,
          role: requirement.role,
          reason: verdict.reason,
          ...(verdict.policy === undefined ? {} : { policy: link(verdict.policy) }),
        },
      },
    ],
    ({ db, streamId, written }) => {
      const w = only(written);
      indexSubject(db, ref, streamId, w.seq, "consent-denied");
      return w;
    },
  );
  throw new ConsentDeniedError(verdict.code, MESSAGES[verdict.code], {
    evidence: {
      stream: logger.stream,
      subjectRef: ref,
      purpose: requirement.purpose,
      role: requirement.role,
      reason: verdict.reason,
      deniedSeq: denied.seq,
      deniedCid: denied.cid,
      ...(verdict.policy === undefined ? {} : { policy: verdict.policy }),
    },
  });
}
