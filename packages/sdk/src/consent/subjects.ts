/**
 * Subject references: what records carry instead of a data subject's id. HMAC-SHA256 under the
 * store's own random `subject-pepper` (store_keys), so the same id always gives the same reference in
 * one store (the consent gate and erasure find a subject's records), while nobody without the store can
 * test a guessed id against the log — a plain hash of a customer number could be reversed by trying
 * every number.
 */
import { createHmac, randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { ConsentInputError } from "../errors.js";

const PEPPER = "subject-pepper";
const PEPPER_BYTES = 32;

function pepper(db: Database.Database): Buffer {
  const select = db.prepare<[string], Buffer>("SELECT value FROM store_keys WHERE name = ?").pluck();
  const found = select.get(PEPPER);
  if (found !== undefined) return found;
  // Created once, under the write lock; a concurrent creator's value wins and is read back.
  return db
    .transaction(() => {
      db.prepare("INSERT OR IGNORE INTO store_keys (name, value) VALUES (?, ?)").run(
        PEPPER,
        randomBytes(PEPPER_BYTES),
      );
      return select.get(PEPPER) as Buffer;
    })
    .immediate();
}

/**
 * The reference of `subject` in this store: `subj:` + 64 hex digits. Throws CONSENT_INVALID for an
 * empty or over-long id (never echoing it).
 *
 * @example
 * ```ts
 * subjectRef(db, "customer-4711"); // "subj:3f1c…"
 * ```
 */
export function subjectRef(db: Database.Database, subject: string): string {
  if (typeof subject !== "string" || subject.length === 0 || subject.length > 1024) {
    throw new ConsentInputError("subject must be a non-empty string of at most 1024 characters", {
      hint: "Pass the subject's identifier in your system; records only ever hold its keyed reference.",
      evidence: { field: "subject" },
    });
  }
  const mac = createHmac("sha256", pepper(db))
    .update("ancora/subject/v1\0")
    .update(subject, "utf8")
    .digest("hex");
  return `subj:${mac}`;
}

/** Records a (subject reference → record) row; part of the record's transaction. */
export function indexSubject(
  db: Database.Database,
  ref: string,
  streamId: number,
  seq: number,
  kind: string,
): void {
  db.prepare("INSERT OR IGNORE INTO subjects (subject, stream_id, seq, kind) VALUES (?, ?, ?, ?)").run(
    ref,
    streamId,
    seq,
    kind,
  );
}

/** A subject's indexed records of the given kinds, in the store's (stream, seq) order. */
export function subjectRecords(
  db: Database.Database,
  ref: string,
  kinds: readonly string[],
): { streamId: number; seq: number; kind: string; bytes: Buffer; cid: string }[] {
  const marks = kinds.map(() => "?").join(", ");
  return db
    .prepare<unknown[], { streamId: number; seq: number; kind: string; bytes: Buffer; cid: string }>(
      `SELECT s.stream_id AS streamId, s.seq AS seq, s.kind AS kind, r.bytes AS bytes, r.cid AS cid
         FROM subjects s JOIN records r ON r.stream_id = s.stream_id AND r.seq = s.seq
        WHERE s.subject = ? AND s.kind IN (${marks}) ORDER BY s.stream_id, s.seq`,
    )
    .all(ref, ...kinds);
}
