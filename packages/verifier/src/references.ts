/**
 * References between records (docs/formats.md, "Lineage and governance kinds"): which CIDs a record
 * names, which kinds each may point to, and the rules a target must meet beyond its kind (a revocation
 * names a revocable policy of the same subject, a handoff names an ownership record of the same
 * target). Then their resolution: a stream's pass checks each reference against the stream's earlier
 * records ({@link ReferenceTracker}) and leaves the rest pending; {@link resolveReferences} checks those
 * across streams and against decisions found by a rescan ({@link scanTargets}).
 */
import { type AncoraRecord, computeCid, decodeRecord, type Sha256 } from "@ancora/core";
import type { FailureCode, VerificationFailure } from "./result.js";
import type { RecordSource, StoredRecord } from "./source.js";

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

/** A reference that the record's own stream pass could not resolve (see {@link StreamReferences}). */
export interface PendingReference {
  readonly stream: string;
  /** Seq and ts of the referring record. */
  readonly seq: number;
  readonly ts: string;
  readonly reference: Reference;
}

/**
 * What a stream pass learned about references, for the cross-stream pass ({@link resolveReferences}):
 * every record that may be referenced (all kinds but decisions) by CID, and the references it could
 * not resolve among the stream's earlier records.
 */
export interface StreamReferences {
  readonly stream: string;
  readonly targets: ReadonlyMap<string, ReferenceTarget>;
  readonly pending: readonly PendingReference[];
}

/**
 * One stream pass's references: each record's references checked against the stream's earlier
 * records, and the record remembered for later ones. Records later records may reference are kept by
 * CID string: every kind except decisions, so it grows with lineage, governance, label and config
 * records only (about 200 bytes each), never with decisions. References to decisions (ownership of an
 * output, erasure, capsules) are resolved afterwards by a rescan of the stream ({@link scanTargets}).
 */
export class ReferenceTracker {
  readonly #stream: string;
  readonly #targets = new Map<string, ReferenceTarget>();
  readonly #pending: PendingReference[] = [];

  constructor(stream: string) {
    this.#stream = stream;
  }

  /**
   * Checks the references of `record` (any kind but a decision) at `seq` and remembers it by `cid`.
   * A reference not found among the earlier records may be a decision of this stream, a record of
   * another stream, or nothing: it waits for {@link resolveReferences}. A target found that breaks the
   * reference's rules is handed to `onProblem`.
   */
  add(record: AncoraRecord, seq: number, cid: string, onProblem: (problem: ReferenceProblem) => void): void {
    for (const reference of referencesOf(record)) {
      const target = this.#targets.get(reference.cid);
      if (target === undefined) {
        this.#pending.push({ stream: this.#stream, seq, ts: record.ts, reference });
        continue;
      }
      const problem = checkTarget(reference, target);
      if (problem !== undefined) onProblem(problem);
    }
    this.#targets.set(cid, targetOf(record, this.#stream, seq));
  }

  /** How many references are pending so far. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** What the pass learned: the input of {@link resolveReferences}. */
  references(): StreamReferences {
    return { stream: this.#stream, targets: this.#targets, pending: this.#pending };
  }
}

/** CIDs of pending references that no stream's remembered records satisfy. */
export function unresolvedCids(streams: readonly StreamReferences[]): Set<string> {
  const wanted = new Set<string>();
  for (const { pending } of streams) {
    for (const { reference } of pending) {
      if (!streams.some((s) => s.targets.has(reference.cid))) wanted.add(reference.cid);
    }
  }
  return wanted;
}

/** Remembers `stored` when its CID is wanted and its bytes really have that CID and decode. */
export function addTarget(
  into: Map<string, ReferenceTarget>,
  stream: string,
  stored: StoredRecord,
  wanted: ReadonlySet<string>,
  sha256: Sha256 | undefined,
): void {
  if (!wanted.has(stored.cid) || computeCid(stored.bytes, sha256).toString() !== stored.cid) return;
  try {
    into.set(stored.cid, targetOf(decodeRecord(stored.bytes), stream, stored.seq));
  } catch {
    // Bytes that do not decode were reported as RECORD_INVALID by the first pass; they satisfy nothing.
  }
}

/**
 * Reads the streams again and returns the records whose CIDs are `wanted` (decisions, which the first
 * pass does not remember). Only the stored CID column is compared for the rest, so the rescan costs one
 * read of the rows, no hashing or decoding except for the matches.
 */
export function scanTargets(
  source: RecordSource,
  streams: readonly string[],
  wanted: ReadonlySet<string>,
  sha256: Sha256 | undefined,
): Map<string, ReferenceTarget> {
  const found = new Map<string, ReferenceTarget>();
  for (const stream of streams) {
    for (const stored of source.records(stream)) addTarget(found, stream, stored, wanted, sha256);
  }
  return found;
}

/**
 * Resolves the references that the stream passes left pending, against every stream's remembered
 * records and `extra` (decisions found by a rescan): forward references, wrong kinds and rule
 * violations are failures of the referring record. With `complete`, a reference found nowhere is
 * `REFERENCE_UNRESOLVED`; without it (one stream of several), it is left alone, as it may name a record
 * of a stream that was not verified.
 *
 * A reference to another stream is "forward" when the target's `ts` is later than the referring
 * record's: streams share no sequence, and timestamps are the writers' only common order.
 *
 * @example
 * ```ts
 * const failures = resolveReferences([models.references(), training.references()], new Map(), true);
 * ```
 */
export function resolveReferences(
  streams: readonly StreamReferences[],
  extra: ReadonlyMap<string, ReferenceTarget>,
  complete: boolean,
): VerificationFailure[] {
  const failures: VerificationFailure[] = [];
  for (const { pending } of streams) {
    for (const { stream, seq, ts, reference } of pending) {
      let target = extra.get(reference.cid);
      for (const other of streams) {
        if (target !== undefined) break;
        target = other.targets.get(reference.cid);
      }
      if (target === undefined) {
        if (complete) {
          failures.push({
            code: "REFERENCE_UNRESOLVED",
            stream,
            seq,
            expected: `${reference.field} -> an earlier record of the verified streams`,
            found: `${reference.cid} is no record of them`,
          });
        }
        continue;
      }
      const forward = target.stream === stream ? target.seq >= seq : target.ts > ts;
      if (forward) {
        failures.push({
          code: "REFERENCE_FORWARD",
          stream,
          seq,
          expected: `${reference.field} -> a record written before ${stream} seq ${seq} (${ts})`,
          found: `${reference.cid} is ${target.stream} seq ${target.seq} (${target.ts})`,
        });
        continue;
      }
      const problem = checkTarget(reference, target);
      if (problem !== undefined) failures.push({ ...problem, stream, seq });
    }
  }
  return failures;
}
