/**
 * Erasure that keeps the chain (GDPR Art. 17 beside the AI Act's retention; docs/lineage.md): a
 * subject's salts (the openings of their decisions' commitments) and capsule keys and bytes are
 * deleted, and an erasure record says what was erased and when. Records are never touched, so every
 * CID, checkpoint, anchor and proof still verifies; only the openings are gone.
 */
import { parseBlockCid } from "@ancora/core";
import { subjectRef } from "../consent/subjects.js";
import { forgetSalts } from "../internal/salts.js";
import { connectionOf } from "../internal/store-handle.js";
import { appendKinds } from "../lineage/append.js";
import type { StreamLedger } from "../stream-ledger.js";

/** What {@link eraseSubject} erased. */
export interface ErasureResult {
  /** The erasure records written (one per 256 records named, at least one). */
  records: { stream: string; seq: number; cid: string; ts: string }[];
  subjectRef: string;
  /** Salts deleted (two per salted decision). */
  salts: number;
  /** Capsules destroyed (key salt and bytes). */
  capsules: number;
}

const LIST = 256; // core's MAX_LIST for an erasure record's lists

/**
 * Erases a subject's openings: the salts of every decision logged for them under a consent gate and
 * every capsule logged for them (key salt and bytes), then writes erasure records naming those
 * records, all in one transaction.
 *
 * @example
 * ```ts
 * eraseSubject(logger, { subject: "customer-4711", basis: "GDPR Art. 17(1)(b)", actor: "privacy-desk" });
 * ```
 */
export function eraseSubject(
  logger: StreamLedger,
  request: { subject: string; basis: string; actor: string },
): ErasureResult {
  let ref = "";
  let decisions: { streamId: number; seq: number; cid: string }[] = [];
  let capsules: { streamId: number; seq: number; cid: string }[] = [];
  return appendKinds(
    logger,
    () => {
      const db = connectionOf(logger.store);
      ref = subjectRef(db, request.subject);
      const rows = db
        .prepare<[string], { streamId: number; seq: number; kind: string; cid: string }>(
          `SELECT s.stream_id AS streamId, s.seq AS seq, s.kind AS kind, r.cid AS cid FROM subjects s
             JOIN records r ON r.stream_id = s.stream_id AND r.seq = s.seq
            WHERE s.subject = ? AND s.kind IN ('decision', 'capsule') ORDER BY s.stream_id, s.seq`,
        )
        .all(ref);
      decisions = rows.filter((r) => r.kind === "decision");
      capsules = rows.filter((r) => r.kind === "capsule");
      const drafts = [];
      const erased = ["salts", ...(capsules.length > 0 ? ["capsules", "keys"] : [])];
      for (let i = 0; i < Math.max(decisions.length, capsules.length, 1); i += LIST) {
        const recs = decisions.slice(i, i + LIST).map((d) => parseBlockCid(d.cid));
        const caps = capsules.slice(i, i + LIST).map((c) => parseBlockCid(c.cid));
        drafts.push({
          kind: "erasure",
          body: {
            subject: ref,
            ...(recs.length > 0 ? { records: recs } : {}),
            ...(caps.length > 0 ? { capsules: caps } : {}),
            erased,
            basis: request.basis,
            actor: request.actor,
          },
        });
      }
      return drafts;
    },
    ({ db, stream, written, ts }) => {
      let salts = 0;
      for (const d of decisions) salts += forgetSalts(db, d.streamId, d.seq);
      const blobs = db
        .prepare<[string], string>(
          "SELECT cid FROM blobs WHERE subject = ? AND kind = 'capsule' AND bytes IS NOT NULL",
        )
        .pluck()
        .all(ref);
      for (const cid of blobs) {
        db.prepare("DELETE FROM capsule_keys WHERE cid = ?").run(cid);
        db.prepare(
          "UPDATE blobs SET bytes = NULL, purged_at = ?, purge_reason = 'erasure' WHERE cid = ?",
        ).run(ts, cid);
      }
      return {
        records: written.map((w) => ({ stream, seq: w.seq, cid: w.cid.toString(), ts: w.record.ts })),
        subjectRef: ref,
        salts,
        capsules: blobs.length,
      };
    },
  );
}
