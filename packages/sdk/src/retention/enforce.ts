/**
 * Retention enforcement: payloads kept off the log past their kind's retention period are purged —
 * decision salts (`retention` kind `decision`), capsules (`capsule`) and reproducibility documents
 * (`reproducibility`) — while every record, hash and proof stays. The period of a kind is the latest
 * retention record for it in any stream of the store.
 */
import { decodeRecord } from "@ancora/core";
import { type AncoraStore, connectionOf } from "../store.js";

/** What {@link enforceRetention} purged. */
export interface RetentionResult {
  /** Retention period in days per kind, as found on the log. */
  policies: Record<string, number>;
  salts: number;
  capsules: number;
  documents: number;
}

const DAY_MS = 86_400_000;

/**
 * Purges what is past retention at `now` (default: the current time), in one transaction.
 *
 * @example
 * ```ts
 * setRetention(logger, { kind: "capsule", payloadDays: 183, basis: "EU AI Act Art. 19", actor: "dpo" });
 * enforceRetention(logger.store); // { policies: { capsule: 183 }, capsules: 12, ... }
 * ```
 */
export function enforceRetention(store: AncoraStore, now: Date = new Date()): RetentionResult {
  const db = connectionOf(store);
  return db
    .transaction((): RetentionResult => {
      const policies: Record<string, number> = {};
      const rows = db
        .prepare<[], Buffer>(
          "SELECT bytes FROM records WHERE kind <> 'decision' AND kind = 'retention' ORDER BY ts, stream_id, seq",
        )
        .pluck()
        .all();
      for (const bytes of rows) {
        const record = decodeRecord(bytes);
        if (record.kind === "retention") policies[record.body.kind] = record.body.payloadDays;
      }
      const cutoff = (kind: string): string | undefined => {
        const days = policies[kind];
        return days === undefined ? undefined : new Date(now.getTime() - days * DAY_MS).toISOString();
      };
      const result: RetentionResult = { policies, salts: 0, capsules: 0, documents: 0 };
      const decisions = cutoff("decision");
      if (decisions !== undefined) {
        result.salts = db
          .prepare(
            `DELETE FROM salts WHERE (stream_id, seq) IN
               (SELECT stream_id, seq FROM records WHERE kind = 'decision' AND ts < ?)`,
          )
          .run(decisions).changes;
      }
      const purge = (kind: "capsule" | "document", before: string | undefined): number => {
        if (before === undefined) return 0;
        const cids = db
          .prepare<[string, string], string>(
            "SELECT cid FROM blobs WHERE kind = ? AND bytes IS NOT NULL AND created_at < ?",
          )
          .pluck()
          .all(kind, before);
        for (const cid of cids) {
          db.prepare("DELETE FROM capsule_keys WHERE cid = ?").run(cid);
          db.prepare(
            "UPDATE blobs SET bytes = NULL, purged_at = ?, purge_reason = 'retention' WHERE cid = ?",
          ).run(now.toISOString(), cid);
        }
        return cids.length;
      };
      result.capsules = purge("capsule", cutoff("capsule"));
      result.documents = purge("document", cutoff("reproducibility"));
      return result;
    })
    .immediate();
}
