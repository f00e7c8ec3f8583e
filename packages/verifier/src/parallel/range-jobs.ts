/**
 * The work a range worker does (./range-worker.ts), as plain data that crosses a thread boundary, and
 * the function that does it. The same function runs on the calling thread in tests ("inline"), so the
 * workers run exactly the code that is tested.
 */

import type { RangeFacts, RangeStart } from "../range-checker.js";
import type { StoredRecord } from "../source.js";
import { nodeSha256, nodeSha256Text } from "../sources/node-sha256.js";
import { openLocalRangeLog } from "../sources/sqlite.js";
import { StreamVerifier } from "../stream-verifier.js";

/** A seq range `[start.seq, to)` of a stream of a local SQLite log, read by the worker itself. */
export interface LocalRangeJob {
  readonly kind: "local";
  readonly path: string;
  readonly stream: string;
  readonly start: RangeStart;
  readonly to: number;
  readonly cidTextsAt: readonly number[];
  readonly busyTimeoutMs?: number;
}

/**
 * Records already in memory, packed: record `i` is `bytes[offsets[i] .. offsets[i + 1])`. `bytes` is
 * its own buffer, moved to the worker rather than copied.
 */
export interface PackedRangeJob {
  readonly kind: "packed";
  readonly stream: string;
  readonly start: RangeStart;
  readonly cids: readonly string[];
  readonly offsets: Uint32Array;
  readonly bytes: Uint8Array;
  readonly cidTextsAt: readonly number[];
}

export type RangeJob = LocalRangeJob | PackedRangeJob;

/** Records checked between two progress reports of a worker. */
export const PROGRESS_EVERY = 4_096;

/** Records of a job (for its time limit and progress). */
export function jobRecords(job: RangeJob): number {
  return job.kind === "local" ? job.to - job.start.seq : job.cids.length;
}

/** Packs records for a {@link PackedRangeJob}: one copy of the bytes, into one transferable buffer. */
export function packRecords(records: readonly StoredRecord[]): {
  cids: string[];
  offsets: Uint32Array;
  bytes: Uint8Array;
} {
  const offsets = new Uint32Array(records.length + 1);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    total += (records[i] as StoredRecord).bytes.length;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < records.length; i++) bytes.set((records[i] as StoredRecord).bytes, offsets[i]);
  return { cids: records.map((r) => r.cid), offsets, bytes };
}

function* unpack(job: PackedRangeJob): Generator<StoredRecord> {
  for (let i = 0; i < job.cids.length; i++) {
    yield {
      seq: job.start.seq + i,
      cid: job.cids[i] as string,
      bytes: job.bytes.subarray(job.offsets[i], job.offsets[i + 1]),
    };
  }
}

/**
 * Runs `StreamVerifier.range` over a job's records and returns the facts. A local job opens its own
 * read-only connection with the verifier's reader and reads the range in one snapshot; records and
 * Merkle nodes below the calling thread's head are append-only, so it reads what the caller would.
 *
 * @example
 * ```ts
 * const facts = runRangeJob({ kind: "local", path: "ancora.db", stream: "credit", start: { seq: 0, labels: [] }, to: 4096, cidTextsAt: [] });
 * ```
 */
export function runRangeJob(job: RangeJob, onProgress?: (records: number) => void): RangeFacts {
  if (job.kind === "packed") return check(job, unpack(job), undefined, onProgress);
  const log = openLocalRangeLog(
    job.path,
    job.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: job.busyTimeoutMs },
  );
  try {
    const node = log.source.node?.bind(log.source);
    return check(job, log.rangeRecords(job.stream, job.start.seq, job.to), node, onProgress);
  } finally {
    log.close();
  }
}

function check(
  job: RangeJob,
  records: Iterable<StoredRecord>,
  node: ((stream: string, level: number, index: number) => Uint8Array | null | undefined) | undefined,
  onProgress: ((records: number) => void) | undefined,
): RangeFacts {
  const verifier = StreamVerifier.range(job.stream, job.start, {
    sha256: nodeSha256,
    sha256Text: nodeSha256Text,
    // Only the count matters here: any failure sends the stream to the serial path, which reports it.
    maxFailures: 0,
    cidTextsAt: job.cidTextsAt,
    ...(node === undefined
      ? {}
      : { nodes: (level: number, index: number) => node(job.stream, level, index) }),
  });
  let n = 0;
  for (const record of records) {
    verifier.add(record);
    if (++n % PROGRESS_EVERY === 0) onProgress?.(PROGRESS_EVERY);
  }
  onProgress?.(n % PROGRESS_EVERY);
  return verifier.facts();
}
