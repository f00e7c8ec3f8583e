/**
 * References between records (docs/formats.md, "Lineage and governance kinds"): which CIDs a record
 * names, which kinds each may point to, and the rules a target must meet beyond its kind (a revocation
 * names a revocable policy of the same subject, a handoff names an ownership record of the same
 * target). Used by the stream verifier's per-record path and by the cross-stream pass.
 */
import type { AncoraRecord } from "@ancora/core";
import type { FailureCode } from "./result.js";

/** What the verifier remembers of a record that others may reference (every kind but decisions). */
export interface ReferenceTarget {
  readonly stream: string;
  readonly seq: number;
  readonly kind: string;
  readonly ts: string;
  /** `consent`: the subject and whether it is revocable. */
  readonly subject?: string;
  readonly revocable?: boolean;
  /** `ownership`: the CID string of what it owns. */
  readonly target?: string;
  /** `retention`: the record kind the policy is for. */
  readonly retains?: string;
}

/** An extra rule on the target of a reference, beyond its kind. */
export type ReferenceRule =
  | { readonly rule: "revocable-policy-of"; readonly subject: string }
  | { readonly rule: "policy-of"; readonly subject: string }
  | { readonly rule: "ownership-of"; readonly target: string }
  | { readonly rule: "retention-of"; readonly kind: string };

/** One CID a record names. */
export interface Reference {
  /** Path of the field in the record: `$.body.datasets[1]`. */
  readonly field: string;
  /** CID string of the target. */
  readonly cid: string;
  /** Kinds the target may have; `undefined`: any kind. */
  readonly kinds: readonly string[] | undefined;
  readonly check?: ReferenceRule;
}

const OWNED = ["model", "dataset-split", "training", "decision"] as const;

function list(
  field: string,
  cids: readonly { toString(): string }[],
  kinds: readonly string[] | undefined,
): Reference[] {
  return cids.map((cid, i) => ({ field: `${field}[${i}]`, cid: cid.toString(), kinds }));
}

/**
 * The references a record makes, or an empty list for kinds that make none (and for decisions, whose
 * `config` reference the verifier checks on its own). Each reference must resolve to an earlier
 * record of an allowed kind.
 *
 * @example
 * ```ts
 * referencesOf(decodeRecord(bytes)); // [{ field: "$.body.modelAfter", cid: "bafkrei…", kinds: ["model"] }, …]
 * ```
 */
export function referencesOf(record: AncoraRecord): Reference[] {
  switch (record.kind) {
    case "model":
      return list("$.body.datasets", record.body.datasets, ["dataset-split"]);
    case "training": {
      const { datasets, modelBefore, modelAfter } = record.body;
      const refs = list("$.body.datasets", datasets, ["dataset-split"]);
      if (modelBefore !== undefined)
        refs.push({ field: "$.body.modelBefore", cid: modelBefore.toString(), kinds: ["model"] });
      refs.push({ field: "$.body.modelAfter", cid: modelAfter.toString(), kinds: ["model"] });
      return refs;
    }
    case "reproducibility":
      return [{ field: "$.body.target", cid: record.body.target.toString(), kinds: ["model", "training"] }];
    case "consent-revocation":
      return [
        {
          field: "$.body.policy",
          cid: record.body.policy.toString(),
          kinds: ["consent"],
          check: { rule: "revocable-policy-of", subject: record.body.subject },
        },
      ];
    case "consent-denied": {
      const { policy, subject } = record.body;
      if (policy === undefined) return [];
      return [
        {
          field: "$.body.policy",
          cid: policy.toString(),
          kinds: ["consent"],
          check: { rule: "policy-of", subject },
        },
      ];
    }
    case "ownership": {
      const target = record.body.target.toString();
      const refs: Reference[] = [{ field: "$.body.target", cid: target, kinds: OWNED }];
      if (record.body.previous !== undefined) {
        refs.push({
          field: "$.body.previous",
          cid: record.body.previous.toString(),
          kinds: ["ownership"],
          check: { rule: "ownership-of", target },
        });
      }
      return refs;
    }
    case "erasure": {
      const { records = [], capsules = [], policy, kind } = record.body;
      return [
        ...list("$.body.records", records, undefined),
        ...list("$.body.capsules", capsules, ["capsule"]),
        // A purge by retention names the policy it applied: a retention record for the same kind.
        ...(policy === undefined || kind === undefined
          ? []
          : [
              {
                field: "$.body.policy",
                cid: policy.toString(),
                kinds: ["retention"],
                check: { rule: "retention-of", kind } as const,
              },
            ]),
      ];
    }
    case "capsule":
      return record.body.target === undefined
        ? []
        : [{ field: "$.body.target", cid: record.body.target.toString(), kinds: undefined }];
    default:
      return [];
  }
}

/** What a record is remembered as, for the references of later records. */
export function targetOf(record: AncoraRecord, stream: string, seq: number): ReferenceTarget {
  const base = { stream, seq, kind: record.kind, ts: record.ts };
  if (record.kind === "consent")
    return { ...base, subject: record.body.subject, revocable: record.body.revocable };
  if (record.kind === "ownership") return { ...base, target: record.body.target.toString() };
  if (record.kind === "retention") return { ...base, retains: record.body.kind };
  return base;
}

/** A failed reference check: the code and what was expected against what was found. */
export interface ReferenceProblem {
  readonly code: FailureCode;
  readonly expected: string;
  readonly found: string;
}

/**
 * Checks an earlier target against a reference: its kind, then the reference's rule. `undefined`
 * when it passes.
 */
export function checkTarget(reference: Reference, target: ReferenceTarget): ReferenceProblem | undefined {
  if (reference.kinds !== undefined && !reference.kinds.includes(target.kind)) {
    return {
      code: "REFERENCE_KIND",
      expected: `${reference.field} -> a ${reference.kinds.join(" or ")} record`,
      found: `${reference.cid} is a ${target.kind} record (${target.stream} seq ${target.seq})`,
    };
  }
  const check = reference.check;
  if (check === undefined) return undefined;
  const at = `${reference.cid} (${target.stream} seq ${target.seq})`;
  switch (check.rule) {
    case "revocable-policy-of":
    case "policy-of":
      // Subject ids are pseudonyms, never personal data, so they may appear in a failure.
      if (target.subject !== check.subject) {
        return {
          code: "REFERENCE_MISMATCH",
          expected: `${reference.field} -> a consent policy of subject ${check.subject}`,
          found: `${at} is the policy of subject ${target.subject ?? "?"}`,
        };
      }
      if (check.rule === "revocable-policy-of" && target.revocable !== true) {
        return {
          code: "REFERENCE_MISMATCH",
          expected: `${reference.field} -> a revocable consent policy`,
          found: `${at} is not revocable`,
        };
      }
      return undefined;
    case "ownership-of":
      if (target.target !== check.target) {
        return {
          code: "REFERENCE_MISMATCH",
          expected: `${reference.field} -> an ownership record of ${check.target}`,
          found: `${at} owns ${target.target ?? "?"}`,
        };
      }
      return undefined;
    case "retention-of":
      if (target.retains !== check.kind) {
        return {
          code: "REFERENCE_MISMATCH",
          expected: `${reference.field} -> a retention policy for ${check.kind} records`,
          found: `${at} is the policy for ${target.retains ?? "?"} records`,
        };
      }
      return undefined;
    default:
      return undefined;
  }
}
