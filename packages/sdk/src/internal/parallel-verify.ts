/**
 * verify() of a long stream on several threads. The stream is split into seq ranges; worker threads
 * (each with its own read-only connection to the file) and the calling thread each run
 * @ancora/verifier's per-record checks over one range (`StreamVerifier.range`: CIDs, strict
 * decoding, per-record rules, leaf hashes) and return small facts: the first record's prev, the last
 * CID, the range's label and config records, the leaf hashes. The calling thread then stitches them
 * (`stitchRanges`: links across ranges, the hinted label/config state, every Merkle node, checkpoint
 * roots, the head). When that adds up to a success, it is exactly the serial result; anything else
 * (a failure anywhere, a worker that could not run) returns undefined and the caller verifies the
 * stream serially, which reports failures exactly as before. Decoding (the bulk of the work, core's)
 * runs in the ranges, so it scales with the threads and gets faster with core.
 *
 * Snapshots: the calling thread reads its range, the control records and the head in its read
 * transaction; the workers read earlier, closed seq ranges in their own. Records and Merkle nodes
 * are append-only, so a concurrent writer changes nothing the workers read.
 */
import { availableParallelism } from "node:os";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import {
  type ControlEvent,
  RANGE_BLOCK,
  type RangeFacts,
  type RangeStart,
  rangeStarts,
  type StoredCheckpoint,
  StreamVerifier,
  stitchRanges,
  type VerificationResult,
  type VerifyOptions,
} from "@ancora/verifier";
import type Database from "better-sqlite3";
import { nodeSha256 } from "./crypto.js";
import { sqliteSource } from "./sqlite-source.js";

/** Tunables (tests lower minRecords to run the parallel path on small streams). */
export const parallelVerify = {
  /** Streams shorter than this are verified serially (starting a worker costs ~100 ms). */
  minRecords: 50_000,
  /** Threads used by default, the calling one included. */
  defaultThreads: Math.min(availableParallelism(), 4),
};

/** What a worker is given. */
export interface RangeJob {
  path: string;
  streamId: number;
  stream: string;
  start: RangeStart;
  to: number;
  cidTextsAt: number[];
}

/** Checks one range of a stream over `db` (the caller holds a read transaction). */
export function checkRange(
  db: Database.Database,
  streamId: number,
  stream: string,
  start: RangeStart,
  to: number | undefined,
  cidTextsAt: readonly number[],
): RangeFacts {
  const source = sqliteSource(db, new Map([[stream, streamId]]), {
    from: start.seq,
    ...(to === undefined ? {} : { to }),
  });
  const verifier = StreamVerifier.range(stream, start, {
    sha256: nodeSha256,
    maxFailures: 0,
    cidTextsAt,
    nodes: (level, index) => source.node?.(stream, level, index),
  });
  for (const record of source.records(stream)) verifier.add(record);
  return verifier.facts();
}

const fromSource = import.meta.url.endsWith(".ts");
const WORKER_URL = new URL(fromSource ? "./verify-worker.ts" : "./verify-worker.js", import.meta.url);
/** Running from the TypeScript sources (tests), the worker loads them the way the test children do. */
const WORKER_EXEC_ARGV = fromSource
  ? [
      "--conditions=@ancora/source",
      "--import",
      new URL("../testing/register-source.mjs", import.meta.url).href,
    ]
  : [];

interface Running {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  records: number;
}

/**
 * Verifies a stream on `threads` threads, inside the caller's read transaction on `db`. Returns
 * undefined when the stream is short, the store is in memory, or the result is not a plain success
 * (the caller then runs the serial path).
 */
export function verifyStreamParallel(
  db: Database.Database,
  streamId: number,
  stream: string,
  threads: number,
  options: VerifyOptions,
  /** `inline` runs the workers' ranges in this thread, one after another (tests). */
  mode: "workers" | "inline" = "workers",
): VerificationResult | undefined {
  if (threads < 2 || db.memory) return undefined;
  const size = db.prepare<[number], number>("SELECT size FROM streams WHERE id = ?").pluck().get(streamId);
  if (size === undefined || size < Math.max(parallelVerify.minRecords, threads)) return undefined;
  const sha256 = options.sha256 ?? nodeSha256;
  const controls = db
    .prepare<[number], { seq: number; bytes: Buffer }>(
      "SELECT seq, bytes FROM records WHERE stream_id = ? AND kind <> 'decision' ORDER BY seq",
    )
    .all(streamId); // few rows: genesis, labels, configs
  // Ranges start at multiples of RANGE_BLOCK (their Merkle nodes up to that level are their own).
  const bounds = Array.from(
    { length: threads },
    (_, i) => Math.round((i * size) / threads / RANGE_BLOCK) * RANGE_BLOCK,
  );
  const hints = rangeStarts(controls, bounds, sha256);
  if (hints === undefined) return undefined;
  const checkpoints = db
    .prepare<[number], { size: number; root: Buffer; head_cid: string }>(
      "SELECT size, root, head_cid FROM checkpoints WHERE stream_id = ? ORDER BY size",
    )
    .all(streamId)
    .map((c) => ({ size: c.size, root: c.root, head: c.head_cid }));
  const sizes = checkpoints.map((c) => c.size);

  const running: Running[] = [];
  if (mode === "inline") {
    const facts = hints.starts.map((start, i) =>
      checkRange(db, streamId, stream, start, bounds[i + 1], sizes),
    );
    return stitch(db, streamId, stream, facts, hints.events, checkpoints, { ...options, sha256 });
  }
  try {
    for (let i = 0; i < threads - 1; i++) {
      const { port1, port2 } = new MessageChannel();
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const job: RangeJob = {
        path: db.name,
        streamId,
        stream,
        start: hints.starts[i] as RangeStart,
        to: bounds[i + 1] as number,
        cidTextsAt: sizes,
      };
      const worker = new Worker(WORKER_URL, {
        workerData: { job, port: port2, flag },
        transferList: [port2],
        execArgv: WORKER_EXEC_ARGV,
      });
      worker.unref();
      running.push({ worker, port: port1, flag, records: job.to - job.start.seq });
    }
    // The calling thread takes the last, open-ended range: whatever its snapshot holds beyond the head.
    const last = checkRange(db, streamId, stream, hints.starts[threads - 1] as RangeStart, undefined, sizes);
    const facts: RangeFacts[] = [];
    for (const r of running) {
      const result = await_(r);
      if (result === undefined) return undefined;
      facts.push(result);
    }
    facts.push(last);
    return stitch(db, streamId, stream, facts, hints.events, checkpoints, { ...options, sha256 });
  } finally {
    for (const r of running) {
      r.port.close();
      void r.worker.terminate();
    }
  }
}

function stitch(
  db: Database.Database,
  streamId: number,
  stream: string,
  facts: readonly RangeFacts[],
  events: readonly ControlEvent[],
  checkpoints: readonly StoredCheckpoint[],
  options: VerifyOptions,
): VerificationResult | undefined {
  const source = sqliteSource(db, new Map([[stream, streamId]]));
  return stitchRanges(stream, facts, events, checkpoints, source.head?.(stream), {
    ...options,
    nodes: (level, index) => source.node?.(stream, level, index),
  });
}

/** Waits (blocking: verify() is synchronous) for a worker's facts; undefined if it failed or hung. */
function await_(r: Running): RangeFacts | undefined {
  // Generous: a worker checks thousands of records per second even on a loaded machine.
  const deadline = Date.now() + 60_000 + r.records * 2;
  while (Atomics.load(r.flag, 0) === 0) {
    if (Date.now() > deadline) return undefined;
    Atomics.wait(r.flag, 0, 0, 1000);
  }
  const message = receiveMessageOnPort(r.port)?.message as { facts?: RangeFacts } | undefined;
  return message?.facts;
}
