/**
 * The one verification code path for a stream: the SDK's `verify()` and an auditor's CLI both run it.
 * Everything is re-derived from the record bytes; what a store says about them (CIDs, index columns,
 * leaf nodes, heads, checkpoints) is only compared against the re-derivation. This class runs the
 * checks in order; the checks themselves are in record-checks.ts (each record), references.ts (what
 * records name), checkpoint-checks.ts (checkpoints and head) and range-verifier.ts (range mode).
 */
import { CompactRange, type Sha256 } from "@ancora/core";
import { CheckpointChecks, checkHead } from "./checkpoint-checks.js";
import { StreamVerifierError } from "./errors.js";
import { FailureLog } from "./failures.js";
import { toHex0x } from "./internal/hex.js";
import type { RangeFacts, RangeStart } from "./range-checker.js";
import { RangeRecorder, rangeStartState } from "./range-verifier.js";
import {
  checkPlainDecision,
  checkRecord,
  checkStoredLeaf,
  checkStoredNode,
  type RecordState,
} from "./record-checks.js";
import { ReferenceTracker, type StreamReferences } from "./references.js";
import type { VerificationResult } from "./result.js";
import type { StoredCheckpoint, StoredHead, StoredRecord } from "./source.js";
import type { NodeLookup, TextSha256, VerifyOptions } from "./verify-options.js";

/** The error of a verifier used after `finish` or `facts` ended it. */
function finished(message: string): StreamVerifierError {
  return new StreamVerifierError("VERIFIER_FINISHED", message, {
    hint: "A StreamVerifier checks one pass over a stream: make a new one for another pass, and end each once (finish(), or facts() in range mode).",
  });
}

/**
 * Incremental verifier of one stream: feed it the stream's records in stored order with
 * {@link StreamVerifier.add}, then call {@link StreamVerifier.finish}. Memory stays O(log n + labels)
 * however long the stream is. The driver functions ({@link verifyStream}, {@link verifyStreamAsync})
 * are thin loops around it; use it directly to verify records as they arrive.
 *
 * Per record it checks: the CID recomputed from the bytes against the stored CID; strict decoding and
 * schema validation; seq continuity and the record's own seq; the stream field; the `prev` link to the
 * CID of the previous record's bytes; the index columns; label and config references (a decision
 * points to the latest config before it in the same stream, uses label ids defined earlier in the
 * stream, and carries the label its config resolves its score to); the stored leaf node and every stored node the record completes. Per stored
 * checkpoint: the root recomputed from the CIDs, the head CID, and that its records are all present.
 *
 * @example
 * ```ts
 * const verifier = new StreamVerifier("credit", checkpoints);
 * for (const record of rows) verifier.add(record);
 * const result = verifier.finish(head);
 * if (!result.ok) console.log(result.failures[0]); // { code, stream, seq, expected, found }
 * ```
 */
export class StreamVerifier {
  readonly stream: string;
  readonly #sha256: Sha256 | undefined;
  readonly #sha256Text: TextSha256 | undefined;
  readonly #failures: FailureLog;
  readonly #state: RecordState;
  readonly #tree: CompactRange;
  readonly #checkpoints: CheckpointChecks;
  readonly #references: ReferenceTracker;
  readonly #nodes: NodeLookup | undefined;
  /** Range mode (see {@link StreamVerifier.range}). */
  readonly #range: RangeRecorder | undefined;
  #finished = false;

  /**
   * A verifier of one range of a stream, for verifying a long stream in parts (worker threads): it runs
   * every per-record check of {@link StreamVerifier.add} from `start` (seq continuity, CID, decoding,
   * seq and stream fields, `prev` within the range, index columns, label and config rules against the
   * hinted state, the stored leaf hash) and leaves the cross-record rest (the first record's `prev`,
   * the hint itself, the Merkle nodes, checkpoints and head) to {@link stitchRanges}. Call
   * {@link StreamVerifier.facts} at the end. `cidTextsAt` are the tree sizes whose head CID string
   * the stitching needs (the stored checkpoints' sizes).
   */
  static range(
    stream: string,
    start: RangeStart,
    options: VerifyOptions & { cidTextsAt?: Iterable<number>; nodes?: NodeLookup } = {},
  ): StreamVerifier {
    return new StreamVerifier(stream, [], { ...options, range: start });
  }

  /**
   * @param checkpoints the stream's stored checkpoints, in any order.
   * @param options `sha256` to inject, `maxFailures` to keep, and `nodes` to compare the stored
   *   Merkle nodes with the recomputed tree.
   */
  constructor(
    stream: string,
    checkpoints: Iterable<StoredCheckpoint> = [],
    options: VerifyOptions & { nodes?: NodeLookup; range?: RangeStart; cidTextsAt?: Iterable<number> } = {},
  ) {
    this.stream = stream;
    this.#references = new ReferenceTracker(stream);
    this.#nodes = options.nodes;
    const start = options.range;
    if (start === undefined) {
      this.#state = { expectedSeq: 0, prev: undefined, labels: new Set(), config: undefined };
    } else {
      this.#state = rangeStartState(start, options.sha256);
      this.#range = new RangeRecorder(start, options.cidTextsAt);
    }
    this.#sha256 = options.sha256;
    this.#sha256Text = options.sha256Text;
    this.#failures = new FailureLog(stream, options.maxFailures);
    this.#tree = new CompactRange(options.sha256);
    this.#checkpoints = new CheckpointChecks(checkpoints, this.#failures.fail);
  }

  /** Number of records added so far. */
  get checked(): number {
    return this.#tree.size;
  }

  /** Checks one record (the next one in stored order). */
  add(stored: StoredRecord): void {
    if (this.#finished) throw finished("StreamVerifier.add after finish");
    const fail = this.#failures.fail;
    const range = this.#range;
    const seq = stored.seq;
    const position = (range?.start.seq ?? 0) + this.#tree.size;
    const { cidBytes, cidText, record } =
      checkPlainDecision(stored, this.stream, this.#state, this.#sha256, this.#sha256Text) ??
      checkRecord(stored, this.stream, position, this.#state, this.#sha256, fail);
    if (record !== undefined) {
      range?.noteRecord(record, seq, position, cidText);
      // Decisions (the hot path) are neither referencing nor remembered; everything else is.
      if (record.kind !== "decision") {
        this.#references.add(record, seq, cidText, (problem) =>
          fail(problem.code, seq, problem.expected, problem.found),
        );
      }
    }
    const nodes = this.#tree.appendLeaf(cidBytes).nodes;
    checkStoredLeaf(stored, (nodes[0] as (typeof nodes)[number]).hash, fail);
    if (range !== undefined) {
      range.appended(this.#tree, nodes, stored, cidText, this.#nodes, fail);
      return;
    }
    const lookup = this.#nodes;
    if (lookup !== undefined) {
      // The leaf is checked above when the source joins it in; otherwise through the lookup too.
      for (let i = stored.leafHash === undefined ? 0 : 1; i < nodes.length; i++) {
        const node = nodes[i] as (typeof nodes)[number];
        checkStoredNode(lookup, node.level, node.index, node.hash, seq, fail);
      }
    }
    this.#checkpoints.reached(this.#tree, cidText, fail);
  }

  /** Ends a range-mode verifier (see {@link StreamVerifier.range}) and returns what it found. */
  facts(): RangeFacts {
    const range = this.#range;
    if (range === undefined) {
      throw new StreamVerifierError("VERIFIER_NOT_RANGE", "StreamVerifier.facts needs a range verifier", {
        hint: "Make the verifier with StreamVerifier.range(stream, start) to get a range's facts; a verifier of a whole stream ends with finish().",
      });
    }
    if (this.#finished) throw finished("StreamVerifier.facts called twice");
    this.#finished = true;
    return range.facts(this.#tree, this.#state.prev, this.#failures.count, this.#references.pendingCount);
  }

  /**
   * What this pass learned about references (after {@link StreamVerifier.finish}): the input of
   * {@link resolveReferences}, which checks what the pass could not.
   */
  references(): StreamReferences {
    return this.#references.references();
  }

  /**
   * Ends the stream: checkpoints beyond the records (truncation), the store's claimed head, and the
   * result with failures sorted by seq.
   */
  finish(head?: StoredHead): VerificationResult {
    if (this.#finished) throw finished("StreamVerifier.finish called twice");
    this.#finished = true;
    const fail = this.#failures.fail;
    const size = this.#tree.size;
    if (size === 0) fail("GENESIS_MISSING", 0, "genesis", "no records");
    this.#checkpoints.beyond(size, fail);
    if (head !== undefined) checkHead(head, this.#tree, this.#state.prev ?? null, fail);
    const failures = this.#failures.sorted();
    const first = failures[0];
    return {
      ok: this.#failures.count === 0,
      stream: this.stream,
      checked: size,
      checkpoints: this.#checkpoints.checked,
      failures,
      failureCount: this.#failures.count,
      ...(first === undefined ? {} : { firstBadSeq: first.seq }),
      ...(size === 0 ? {} : { root: toHex0x(this.#tree.root()) }),
    };
  }
}
