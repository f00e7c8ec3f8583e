/**
 * Forgetting salts (erasure and retention). A record's salts live in its row (schema v5); setting them
 * to NULL makes its `salted` commitments unopenable while the record's bytes, its CID and every proof
 * stay as they are. Each function returns how many salts it forgot (a record holds up to two).
 */
import type Database from "better-sqlite3";

const HELD = "(salt_input IS NOT NULL) + (salt_output IS NOT NULL)";

/** Forgets the salts of record `seq` of stream `streamId`. */
export function forgetSalts(db: Database.Database, streamId: number, seq: number): number {
  const held = db
    .prepare<[number, number], number>(`SELECT ${HELD} FROM records WHERE stream_id = ? AND seq = ?`)
    .pluck()
    .get(streamId, seq);
  if (held === undefined || held === 0) return 0;
  db.prepare("UPDATE records SET salt_input = NULL, salt_output = NULL WHERE stream_id = ? AND seq = ?").run(
    streamId,
    seq,
  );
  return held;
}

/** Forgets the salts of every decision (of any stream) whose timestamp is before `before`. */
export function forgetDecisionSaltsBefore(db: Database.Database, before: string): number {
  const where = "kind = 'decision' AND ts < ? AND (salt_input IS NOT NULL OR salt_output IS NOT NULL)";
  const held = db
    .prepare<[string], number | null>(`SELECT sum(${HELD}) FROM records WHERE ${where}`)
    .pluck()
    .get(before);
  if (held == null || held === 0) return 0;
  db.prepare(`UPDATE records SET salt_input = NULL, salt_output = NULL WHERE ${where}`).run(before);
  return held;
}
