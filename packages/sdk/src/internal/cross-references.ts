/**
 * verify()'s pass across streams: references from one stream's lineage, consent, capsule or erasure
 * record to a record of another stream (a training run in "training" names a dataset split in
 * "datasets"). Each stream pass (serial: the verifier's `streamPass`; or parallel and stitched) yields what @ancora/verifier calls
 * its `StreamReferences`: the records others may reference, and the references it could not resolve
 * among its own earlier records. `resolveReferences` then checks those against every pass and, for
 * CIDs no pass remembers (decisions, or records of streams not being verified), against the rows of
 * the whole store found by CID: a reference found nowhere in the file is REFERENCE_UNRESOLVED, one to
 * a later record REFERENCE_FORWARD, one to a wrong kind REFERENCE_KIND.
 */
import { computeCid, decodeRecord } from "@ancora/core";
import {
  type ReferenceTarget,
  resolveReferences,
  type StreamPass,
  targetOf,
  type VerificationResult,
  type VerifyOptions,
  withFailures,
} from "@ancora/verifier";
import type Database from "better-sqlite3";
import { nodeSha256 } from "./crypto.js";

/**
 * The references of a stream that the parallel path verified. Its success implies that every range
 * resolved every reference it made inside itself (`stitchRanges` refuses ranges with pending ones), so
 * nothing is pending; the records others may reference are its non-decision records (read through the
 * `records_control` index), remembered by the CID of their bytes as the serial pass does.
 */
export function parallelPass(
  db: Database.Database,
  streamId: number,
  result: VerificationResult,
): StreamPass {
  const targets = new Map<string, ReferenceTarget>();
  const rows = db
    .prepare<[number], { seq: number; bytes: Buffer }>(
      "SELECT seq, bytes FROM records WHERE stream_id = ? AND kind <> 'decision' ORDER BY seq",
    )
    .iterate(streamId);
  for (const { seq, bytes } of rows) {
    targets.set(computeCid(bytes, nodeSha256).toString(), targetOf(decodeRecord(bytes), result.stream, seq));
  }
  return { result, references: { stream: result.stream, targets, pending: [] } };
}

/**
 * Resolves every pass's pending references across streams and returns the results with the failures
 * added to the referring records' streams.
 */
export function crossCheck(
  db: Database.Database,
  passes: readonly StreamPass[],
  options: VerifyOptions,
): VerificationResult[] {
  const all = passes.map((p) => p.references);
  const wanted = new Set<string>();
  for (const { pending } of all) {
    for (const { reference } of pending) {
      if (!all.some((s) => s.targets.has(reference.cid))) wanted.add(reference.cid);
    }
  }
  // The store holds every stream, so a reference resolves against the whole file: complete.
  const failures = resolveReferences(all, wanted.size === 0 ? new Map() : findByCid(db, wanted), true);
  if (failures.length === 0) return passes.map((p) => p.result);
  return passes.map(({ result }) =>
    withFailures(
      result,
      failures.filter((f) => f.stream === result.stream),
      options,
    ),
  );
}

/**
 * The records of any stream of the store whose CIDs are `wanted`, when their bytes really have that
 * CID and decode. One scan of the records table (there is no CID index), run only when references
 * name records that no verified stream remembers (decisions, or streams outside the verified set).
 */
function findByCid(db: Database.Database, wanted: ReadonlySet<string>): Map<string, ReferenceTarget> {
  const found = new Map<string, ReferenceTarget>();
  const rows = db
    .prepare<[string], { name: string; seq: number; cid: string; bytes: Buffer }>(
      `SELECT s.name, r.seq, r.cid, r.bytes FROM records r JOIN streams s ON s.id = r.stream_id
       WHERE r.cid IN (SELECT value FROM json_each(?))`,
    )
    .iterate(JSON.stringify([...wanted]));
  for (const { name, seq, cid, bytes } of rows) {
    if (computeCid(bytes, nodeSha256).toString() !== cid) continue; // a tampered row satisfies nothing
    try {
      found.set(cid, targetOf(decodeRecord(bytes), name, seq));
    } catch {
      // Bytes that do not decode satisfy nothing (their own stream's pass reports them).
    }
  }
  return found;
}
