/**
 * Splitting a local stream into seq ranges and putting their facts back together: what the
 * asynchronous pool (./verify-local.ts) and the blocking path (./blocking.ts) share.
 */
import { computeCid, decodeRecord, type Sha256 } from "@ancora/core";
import { ParallelOptionError } from "../errors.js";
import { type ControlEvent, RANGE_BLOCK, type RangeFacts, type RangeStart } from "../range-checker.js";
import { rangeStarts, stitchRanges } from "../range-verifier.js";
import { type ReferenceTarget, targetOf } from "../references.js";
import type { VerificationResult } from "../result.js";
import type { StoredCheckpoint, StoredHead } from "../source.js";
import type { NodeLookup, VerifyOptions } from "../verify-options.js";
import type { StreamPass } from "../verify-streams.js";

/** What the calling thread read of a stream, in its one snapshot, to verify it in ranges. */
export interface LocalStreamSnapshot {
  readonly path: string;
  readonly stream: string;
  /** The head's size (a claim: the stitching checks it). */
  readonly size: number;
  /** How many rows the stream has, whatever their seq column says. */
  readonly rowCount: number;
  /** Seq and bytes of the rows whose kind column is not `decision` (a claim too). */
  readonly controls: readonly { seq: number; bytes: Uint8Array }[];
  readonly checkpoints: readonly StoredCheckpoint[];
  readonly head: StoredHead | undefined;
  /** Stored Merkle nodes above the leaves. */
  readonly nodes: NodeLookup;
}

/** A planned range: `[start.seq, to)`. */
export interface PlannedRange {
  readonly start: RangeStart;
  readonly to: number;
}

/** A stream split into ranges, with the label and config records the hints were derived from. */
export interface RangePlan {
  readonly ranges: readonly PlannedRange[];
  readonly events: readonly ControlEvent[];
  readonly cidTextsAt: readonly number[];
}

/**
 * Range starts for a stream of `size` records in about `parts` ranges of at most `maxRange` records,
 * each starting at a multiple of {@link RANGE_BLOCK} (a range's Merkle nodes up to that level are its own).
 */
export function rangeBounds(size: number, parts: number, maxRange: number): number[] {
  const even = Math.ceil(size / Math.max(1, parts) / RANGE_BLOCK) * RANGE_BLOCK;
  const step = Math.max(RANGE_BLOCK, Math.min(maxRange, even));
  const starts: number[] = [];
  for (let seq = 0; seq < size; seq += step) starts.push(seq);
  return starts;
}

/**
 * The ranges of a stream and their starting hints; undefined when a label or config record does not
 * decode (the stream is then verified serially, which reports it).
 */
export function planRanges(
  snapshot: LocalStreamSnapshot,
  parts: number,
  maxRange: number,
  sha256?: Sha256,
): RangePlan | undefined {
  const starts = rangeBounds(snapshot.size, parts, maxRange);
  const hints = rangeStarts(snapshot.controls, starts, sha256);
  if (hints === undefined) return undefined;
  return {
    ranges: hints.starts.map((start, i) => ({ start, to: starts[i + 1] ?? snapshot.size })),
    events: hints.events,
    cidTextsAt: snapshot.checkpoints.map((c) => c.size),
  };
}

/**
 * The stream's result from its ranges' facts, when that is a plain success; otherwise why not (the
 * caller then verifies the stream serially). Besides {@link stitchRanges}, the ranges must hold every
 * row of the snapshot: a row whose seq lies outside `[0, size)` (or is not an integer) is read by the
 * serial path, never by a range.
 */
export function stitchLocal(
  snapshot: LocalStreamSnapshot,
  plan: RangePlan,
  facts: readonly RangeFacts[],
  options: VerifyOptions,
): VerificationResult | string {
  const count = facts.reduce((sum, f) => sum + f.count, 0);
  if (count !== snapshot.rowCount)
    return `the ranges hold ${count} of the stream's ${snapshot.rowCount} rows`;
  const result = stitchRanges(snapshot.stream, facts, plan.events, snapshot.checkpoints, snapshot.head, {
    ...options,
    nodes: snapshot.nodes,
  });
  if (result !== undefined) return result;
  const failures = facts.reduce((sum, f) => sum + f.failureCount, 0);
  return failures > 0
    ? `the ranges found ${failures} failure(s)`
    : "the ranges do not add up to the stream (links, hints, Merkle nodes, checkpoints or head)";
}

/**
 * The pass of a stream the ranges verified, for the cross-stream references: nothing is pending (the
 * stitching refuses ranges with pending references) and the records others may reference are the
 * non-decision ones, whose kind column the ranges checked. Undefined if one does not decode.
 */
export function stitchedPass(
  snapshot: LocalStreamSnapshot,
  result: VerificationResult,
  sha256?: Sha256,
): StreamPass | undefined {
  const targets = new Map<string, ReferenceTarget>();
  try {
    for (const { seq, bytes } of snapshot.controls) {
      targets.set(computeCid(bytes, sha256).toString(), targetOf(decodeRecord(bytes), snapshot.stream, seq));
    }
  } catch {
    return undefined;
  }
  return { result, references: { stream: snapshot.stream, targets, pending: [] } };
}

/**
 * Checks a count option: an integer of at least `min` (and a multiple of `multipleOf` when given).
 *
 * @throws {ParallelOptionError} `PARALLEL_BAD_OPTION` otherwise.
 */
export function countOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  multipleOf = 1,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v % multipleOf !== 0) {
    throw new ParallelOptionError(
      "PARALLEL_BAD_OPTION",
      `${name} must be an integer of at least ${min}${multipleOf > 1 ? ` and a multiple of ${multipleOf}` : ""}`,
      {
        hint: `Pass a valid ${name}, or leave it out (default ${fallback}).`,
        evidence: { [name]: String(v) },
      },
    );
  }
  return v;
}
