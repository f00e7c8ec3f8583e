/**
 * Retention enforcement: payloads kept off the log past their kind's retention period are purged —
 * decision salts (`retention` kind `decision`), capsules (`capsule`) and reproducibility documents
 * (`reproducibility`) — while every record, hash and proof stays. The period of a kind is the latest
 * retention record for it in any stream of the store.
 *
 * Each purge leaves a trace on the log: an `erasure` record per kind that lost payloads, naming the
 * kind, the cut-off (`before`: every such payload from before it is gone) and the retention record
 * applied (`policy`), written in the same transaction as the deletions. One record per run and kind
 * rather than one per purged payload: a daily job over a busy stream would otherwise write a list of
 * CIDs as long as the day's decisions.
 */
import { decodeRecord, parseBlockCid } from "@ancora/core";
import { InputError } from "../errors.js";
import { forgetDecisionSaltsBefore } from "../internal/salts.js";
import { clockOf, connectionOf } from "../internal/store-handle.js";
import { appendKinds, type KindDraft } from "../lineage/append.js";
import { asInput } from "../lineage/kinds.js";
import type { StreamLedger } from "../stream-ledger.js";

/** A written erasure record of a purge. */
export interface PurgeRecord {
  stream: string;
  seq: number;
  cid: string;
  ts: string;
  /** The record kind whose payloads it purged. */
  kind: string;
  /** Every payload of `kind` from before this time is gone. */
  before: string;
}

/** What {@link enforceRetention} purged, and the erasure records that say so. */
export interface RetentionResult {
  /** Retention period in days per kind, as found on the log. */
  policies: Record<string, number>;
  salts: number;
  capsules: number;
  documents: number;
  /** One erasure record per kind that lost payloads in this run (none when nothing was due). */
  records: PurgeRecord[];
}

/** Options of {@link enforceRetention}. */
export interface RetentionOptions {
  /** Who runs the purge (the erasure records' `actor`): a job or a person. */
  actor: string;
  /** The time to judge periods against (default: now, by the logger's clock). */
  now?: Date;
}

const DAY_MS = 86_400_000;

/** What a purge of each kind erases, in the erasure record's terms. */
const ERASED = {
  decision: ["salts"],
  capsule: ["capsules", "keys"],
  reproducibility: ["payloads"],
} as const;
type PurgedKind = keyof typeof ERASED;

interface Policy {
  days: number;
  cid: string;
  basis: string;
}

/**
 * Purges what is past retention at `now` and writes an erasure record per kind purged into the
 * logger's stream, all in one transaction: either the payloads are gone and the log says so, or
 * nothing changed.
 *
 * @example
 * ```ts
 * setRetention(logger, { kind: "capsule", payloadDays: 183, basis: "EU AI Act Art. 19", actor: "dpo" });
 * enforceRetention(logger, { actor: "retention-job" }); // { policies: { capsule: 183 }, capsules: 12, records: [...] }
 * ```
 * @throws {InputError} `INVALID_OPTION` for a missing actor or an invalid `now`.
 */
export function enforceRetention(logger: StreamLedger, options: RetentionOptions): RetentionResult {
  if (typeof options?.actor !== "string") {
    throw new InputError("INVALID_OPTION", "enforceRetention needs the actor who runs it", {
      evidence: { field: "actor" },
      hint: 'Pass { actor: "retention-job" } (a job or person name, written on the erasure records).',
    });
  }
  const now = options.now ?? clockOf(logger.store)();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new InputError("INVALID_OPTION", "now must be a valid Date", {
      evidence: { field: "now" },
      hint: "Leave now out to judge retention periods against the current time.",
    });
  }
  const result: RetentionResult = { policies: {}, salts: 0, capsules: 0, documents: 0, records: [] };
  const purged: { kind: PurgedKind; before: string }[] = [];
  return asInput(() =>
    appendKinds(
      logger,
      ({ ts }) => {
        // Runs inside the write transaction: the deletions below roll back if a record cannot be written.
        const db = connectionOf(logger.store);
        const policies = new Map<string, Policy>();
        const rows = db
          .prepare<[], { cid: string; bytes: Buffer }>(
            "SELECT cid, bytes FROM records WHERE kind <> 'decision' AND kind = 'retention' ORDER BY ts, stream_id, seq",
          )
          .all();
        for (const row of rows) {
          const record = decodeRecord(row.bytes);
          if (record.kind !== "retention") continue;
          policies.set(record.body.kind, {
            days: record.body.payloadDays,
            cid: row.cid,
            basis: record.body.basis,
          });
          result.policies[record.body.kind] = record.body.payloadDays;
        }
        const drafts: KindDraft[] = [];
        for (const kind of Object.keys(ERASED) as PurgedKind[]) {
          const policy = policies.get(kind);
          if (policy === undefined) continue;
          const before = new Date(now.getTime() - policy.days * DAY_MS).toISOString();
          const count = purge(db, kind, before, ts);
          if (count === 0) continue;
          if (kind === "decision") result.salts = count;
          else if (kind === "capsule") result.capsules = count;
          else result.documents = count;
          purged.push({ kind, before });
          drafts.push({
            kind: "erasure",
            body: {
              kind,
              before,
              policy: parseBlockCid(policy.cid),
              erased: [...ERASED[kind]],
              basis: policy.basis,
              actor: options.actor,
            },
          });
        }
        return drafts;
      },
      ({ stream, written }) => {
        result.records = written.map((w, i) => ({
          stream,
          seq: w.seq,
          cid: w.cid.toString(),
          ts: w.record.ts,
          ...(purged[i] as { kind: PurgedKind; before: string }),
        }));
        return result;
      },
    ),
  );
}

/** Deletes the payloads of `kind` from before `before`; returns how many went (salts count singly). */
function purge(db: ReturnType<typeof connectionOf>, kind: PurgedKind, before: string, ts: string): number {
  if (kind === "decision") {
    return forgetDecisionSaltsBefore(db, before);
  }
  const blobKind = kind === "capsule" ? "capsule" : "document";
  const cids = db
    .prepare<[string, string], string>(
      "SELECT cid FROM blobs WHERE kind = ? AND bytes IS NOT NULL AND created_at < ?",
    )
    .pluck()
    .all(blobKind, before);
  const dropKey = db.prepare("DELETE FROM capsule_keys WHERE cid = ?");
  const mark = db.prepare(
    "UPDATE blobs SET bytes = NULL, purged_at = ?, purge_reason = 'retention' WHERE cid = ?",
  );
  for (const cid of cids) {
    dropKey.run(cid);
    mark.run(ts, cid);
  }
  return cids.length;
}
