/**
 * A local SQLite log verified on several threads. The calling thread opens the log (one snapshot) and
 * reads, per long stream, the head, the row count, the checkpoints and the non-decision records; it
 * splits the stream into seq ranges (./range-plan.ts) and queues them, every stream's ranges in one
 * queue, on a pool of workers (./worker-pool.ts) that each read their range with their own read-only
 * connection. Short streams are verified on the calling thread meanwhile. Each long stream is then
 * stitched; anything but a plain success (a failure in a range, facts that do not add up, a worker
 * that could not start, crashed or hung) and the stream is verified again serially, in the calling
 * thread's snapshot, so failures are reported exactly as {@link verifyStreams} reports them.
 */

import { RANGE_BLOCK, type RangeFacts } from "../range-checker.js";
import type { SourceVerificationResult } from "../result.js";
import { nodeSha256 } from "../sources/node-sha256.js";
import { type LocalRangeLog, openLocalRangeLog } from "../sources/sqlite.js";
import type { VerifyOptions } from "../verify-options.js";
import { resolveAcrossStreams, type StreamPass, streamPass } from "../verify-streams.js";
import {
  countOption,
  type LocalStreamSnapshot,
  planRanges,
  type RangePlan,
  stitchedPass,
  stitchLocal,
} from "./range-plan.js";
import { startVerifyPool, type VerifyPool, validThreads } from "./worker-pool.js";

/** Streams shorter than this are verified on the calling thread (workers take a few hundred ms to start and warm up). */
export const DEFAULT_PARALLEL_MIN_RECORDS = 16_384;
/** Ranges hold at most this many records (about 3 s of work), so that threads share long streams evenly. */
export const DEFAULT_RANGE_RECORDS = 65_536;

/**
 * The defaults in use, mutable for tests that run the CLI (or any caller that does not pass them) on
 * small logs; not exported from the package.
 */
export const localParallelDefaults = {
  minRecords: DEFAULT_PARALLEL_MIN_RECORDS,
  rangeRecords: DEFAULT_RANGE_RECORDS,
};

/** Progress of {@link verifyLocalLog}: records verified so far over every stream and thread. */
export interface LocalProgress {
  readonly records: number;
  readonly total: number;
}

/** Options of {@link verifyLocalLog}. */
export interface VerifyLocalLogOptions extends VerifyOptions {
  /**
   * Threads (default {@link DEFAULT_VERIFY_THREADS}: the available cores, at most 8); an integer
   * from 1 to 64. `1` is the serial path. Ignored when `pool` is given.
   */
  threads?: number;
  /** A pool to use (and leave open) instead of starting and closing one. */
  pool?: VerifyPool;
  /** Streams to verify; default every stream of the log. */
  streams?: readonly string[];
  /** See {@link OpenLocalLogOptions.busyTimeoutMs}. */
  busyTimeoutMs?: number;
  /** Streams shorter than this are verified serially (default {@link DEFAULT_PARALLEL_MIN_RECORDS}). */
  minRecords?: number;
  /** Most records per range, a multiple of 16 (default {@link DEFAULT_RANGE_RECORDS}). */
  rangeRecords?: number;
  onProgress?: (progress: LocalProgress) => void;
}

/** Why a stream planned for ranges was verified serially instead. */
export interface SerialFallback {
  readonly stream: string;
  readonly reason: string;
}

/** The result of {@link verifyLocalLog}: {@link verifyStreams}'s, and how it was reached. */
export interface LocalVerificationResult extends SourceVerificationResult {
  /** Threads used (1: the serial path). */
  readonly threads: number;
  /** Streams whose result was stitched from ranges verified on workers. */
  readonly parallelStreams: readonly string[];
  /** Streams planned for ranges but verified serially, and why (a failure found, a worker lost...). */
  readonly fallbacks: readonly SerialFallback[];
}

interface Planned {
  readonly index: number;
  readonly snapshot: LocalStreamSnapshot;
  readonly plan: RangePlan;
  readonly facts: Promise<PromiseSettledResult<RangeFacts>[]>;
  /** Records the stream's ranges reported as progress (taken back if it is verified again). */
  readonly reported: { records: number };
}

/**
 * Verifies a local SQLite log, its long streams in seq ranges on worker threads. The result is always
 * the one {@link verifyStreams} gives over {@link openLocalLog}'s source (same `ok`, `checked`, root,
 * failures with their codes, seqs and evidence), plus how it was reached.
 *
 * @throws {SourceError} as {@link openLocalLog} (the file cannot be read, is not a store, an unknown
 *   stream); {@link ParallelOptionError} `PARALLEL_BAD_OPTION` for bad `threads`, `minRecords` or
 *   `rangeRecords`.
 * @example
 * ```ts
 * const result = await verifyLocalLog("ancora.db", { threads: 4, onProgress: (p) => console.log(p.records) });
 * result.ok; // false
 * result.failures[0]; // { code: "CID_MISMATCH", stream: "credit", seq: 17, expected: "bafkrei…", found: "bafkrei…" }
 * ```
 */
export async function verifyLocalLog(
  path: string,
  options: VerifyLocalLogOptions = {},
): Promise<LocalVerificationResult> {
  const threads = options.pool?.threads ?? validThreads(options.threads);
  const minRecords = countOption("minRecords", options.minRecords, localParallelDefaults.minRecords, 1);
  const rangeRecords = countOption(
    "rangeRecords",
    options.rangeRecords,
    localParallelDefaults.rangeRecords,
    RANGE_BLOCK,
    RANGE_BLOCK,
  );
  const verifyOptions: VerifyOptions = {
    sha256: options.sha256 ?? nodeSha256,
    ...(options.maxFailures === undefined ? {} : { maxFailures: options.maxFailures }),
  };
  const log = openLocalRangeLog(
    path,
    options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs },
  );
  try {
    const source = log.source;
    const names = options.streams === undefined ? log.streams() : [...new Set(options.streams)];
    const sizes = names.map((name) => source.head?.(name)?.size ?? 0);
    const progress = { records: 0, total: sizes.reduce((sum, s) => sum + s, 0) };
    const report = (records: number): void => {
      progress.records += records;
      options.onProgress?.({ ...progress });
    };

    const snapshots = names.map((name, i) =>
      threads > 1 && (sizes[i] as number) >= minRecords ? snapshotOf(log, path, name) : undefined,
    );
    const plans = snapshots.map((s) =>
      s === undefined ? undefined : planRanges(s, threads, rangeRecords, verifyOptions.sha256),
    );
    const fallbacks: SerialFallback[] = [];
    plans.forEach((plan, i) => {
      if (snapshots[i] !== undefined && plan === undefined) {
        fallbacks.push({ stream: names[i] as string, reason: "a label or config record does not decode" });
      }
    });
    const owned = options.pool === undefined && plans.some((p) => p !== undefined);
    const pool = options.pool ?? (owned ? startVerifyPool({ threads }) : undefined);
    const passes: StreamPass[] = new Array(names.length);
    const parallelStreams: string[] = [];
    try {
      // Every long stream's ranges go into the pool's one queue before anything else runs.
      const planned: Planned[] = [];
      plans.forEach((plan, index) => {
        const snapshot = snapshots[index];
        if (plan === undefined || snapshot === undefined || pool === undefined) return;
        const reported = { records: 0 };
        const onProgress = (records: number) => {
          reported.records += records;
          report(records);
        };
        const jobs = plan.ranges.map((range) =>
          pool.checkLocal(
            {
              path,
              stream: snapshot.stream,
              start: range.start,
              to: range.to,
              cidTextsAt: plan.cidTextsAt,
              ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
            },
            onProgress,
          ),
        );
        planned.push({ index, snapshot, plan, reported, facts: Promise.allSettled(jobs) });
      });
      // The short streams, on this thread, yielding between streams so the pool keeps dispatching.
      for (let i = 0; i < names.length; i++) {
        if (planned.some((p) => p.index === i)) continue;
        passes[i] = streamPass(source, names[i] as string, verifyOptions, report);
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const entry of planned) {
        const settled = await entry.facts;
        const outcome = finishStream(entry, settled, verifyOptions);
        if (typeof outcome !== "string") {
          passes[entry.index] = outcome;
          parallelStreams.push(entry.snapshot.stream);
          continue;
        }
        fallbacks.push({ stream: entry.snapshot.stream, reason: outcome });
        report(-entry.reported.records);
        passes[entry.index] = streamPass(source, entry.snapshot.stream, verifyOptions, report);
      }
    } finally {
      if (owned) await pool?.close();
    }
    const result = resolveAcrossStreams(source, names, passes, verifyOptions);
    return { ...result, threads, parallelStreams, fallbacks };
  } finally {
    log.close();
  }
}

/** What the calling thread reads of a stream to plan and stitch its ranges. */
function snapshotOf(log: LocalRangeLog, path: string, stream: string): LocalStreamSnapshot {
  const source = log.source;
  const head = source.head?.(stream);
  const node = source.node?.bind(source);
  return {
    path,
    stream,
    size: head?.size ?? 0,
    rowCount: log.recordCount(stream),
    controls: log.controlRecords(stream),
    checkpoints: [...source.checkpoints(stream)],
    head,
    nodes: (level, index) => node?.(stream, level, index),
  };
}

/** The stream's pass from its ranges, or why it must be verified serially. */
function finishStream(
  entry: Planned,
  settled: readonly PromiseSettledResult<RangeFacts>[],
  options: VerifyOptions,
): StreamPass | string {
  const facts: RangeFacts[] = [];
  for (const s of settled) {
    if (s.status === "rejected") {
      return `a range could not be checked on a worker: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`;
    }
    facts.push(s.value);
  }
  const result = stitchLocal(entry.snapshot, entry.plan, facts, options);
  if (typeof result === "string") return result;
  return stitchedPass(entry.snapshot, result, options.sha256) ?? "a non-decision record does not decode";
}
