/**
 * The one verification code path for a stream: the SDK's `verify()` and an auditor's CLI both run it.
 * Everything is re-derived from the record bytes; what a store says about them (CIDs, index columns,
 * leaf nodes, heads, checkpoints) is only compared against the re-derivation.
 */
import {
  AncoraError,
  type BlockCid,
  CompactRange,
  type ConfigBody,
  computeCid,
  decodeRecord,
  hashChildren,
  resolveLabel,
  type Sha256,
} from "@ancora/core";
import { indexColumns } from "./columns.js";
import { sameBytes, toHex0x } from "./internal/hex.js";
import {
  addTarget,
  type ReferenceTarget,
  ReferenceTracker,
  resolveReferences,
  type StreamReferences,
  scanTargets,
  unresolvedCids,
} from "./references.js";
import type {
  FailureCode,
  SourceVerificationResult,
  VerificationFailure,
  VerificationResult,
} from "./result.js";
import type {
  AsyncRecordSource,
  RecordSource,
  StoredCheckpoint,
  StoredHead,
  StoredRecord,
} from "./source.js";

/** Failures kept per stream unless told otherwise; the count of all failures is kept regardless. */
export const DEFAULT_MAX_FAILURES = 100;

/** Options of every verify function. */
export interface VerifyOptions {
  /** SHA-256 implementation (inject node:crypto's in Node: several times faster, identical bytes). */
  sha256?: Sha256;
  /** Keep at most this many failures per stream (default {@link DEFAULT_MAX_FAILURES}). */
  maxFailures?: number;
}

/**
 * Where a range of a stream starts, for verifying a stream in parts (see {@link RangeFacts}): the
 * first seq of the range and the stream's state before it, as the caller believes it to be (a hint
 * that {@link stitchRanges} checks against what the ranges actually contain).
 */
export interface RangeStart {
  /** First seq (and position) of the range. */
  readonly seq: number;
  /** The bytes of the config record current before the range, if any. */
  readonly config?: Uint8Array;
  /** Label ids defined before the range. */
  readonly labels: readonly string[];
}

/** Level of the Merkle nodes a range returns; ranges start at multiples of {@link RANGE_BLOCK}. */
export const RANGE_BLOCK_LEVEL = 4;
/** Leaves per block: range starts must be multiples of it. */
export const RANGE_BLOCK = 2 ** RANGE_BLOCK_LEVEL;

/** A label or config record, as {@link stitchRanges} compares them with the hints. */
export interface ControlEvent {
  readonly seq: number;
  readonly kind: "label" | "config";
  /** CID string of the record. */
  readonly cid: string;
}

/**
 * What checking one range of a stream found: everything {@link stitchRanges} needs to finish the
 * cross-record checks (the chain across range boundaries, the Merkle tree, checkpoints, head). Plain
 * data, so that it can cross a worker thread boundary.
 */
export interface RangeFacts {
  readonly from: number;
  readonly count: number;
  readonly failureCount: number;
  /** `prev` of the first record, as bytes; `null` when it has none (or there is no record). */
  readonly firstPrev: Uint8Array | null;
  /** CID bytes of the last record; `null` when the range is empty. */
  readonly lastCid: Uint8Array | null;
  /**
   * Roots of the range's complete blocks of {@link RANGE_BLOCK} leaves (Merkle nodes at level
   * {@link RANGE_BLOCK_LEVEL}), 32 bytes each, in order. The range checked every node below them.
   */
  readonly blockHashes: Uint8Array;
  /**
   * For the tree sizes asked for (and the range's end): the perfect subtrees of that size's binary
   * decomposition smaller than a block, largest first (what the root needs besides the blocks).
   */
  readonly lowPeaks: ReadonlyMap<number, readonly Uint8Array[]>;
  /** CID strings of the records at positions `size - 1` for the sizes asked for, and of the last one. */
  readonly cidTexts: ReadonlyMap<number, string>;
  /** The range's label and config records, in order. */
  readonly controls: readonly ControlEvent[];
  /**
   * References the range could not resolve inside itself (to earlier ranges, other streams or
   * decisions): {@link stitchRanges} leaves such a stream to the serial path, which resolves them.
   */
  readonly pendingReferences: number;
}

/** Reads a stored Merkle node above the leaves; see {@link RecordSource.node}. */
export type NodeLookup = (level: number, index: number) => Uint8Array | undefined;

interface CurrentConfig {
  readonly cid: BlockCid;
  readonly body: ConfigBody;
}

const INDEX_CHECKS = [
  ["kind", "kind", "KIND_COLUMN_MISMATCH"],
  ["label", "label", "LABEL_COLUMN_MISMATCH"],
  ["modelId", "modelId", "MODEL_COLUMN_MISMATCH"],
  ["modelVersion", "modelVersion", "MODEL_COLUMN_MISMATCH"],
  ["ts", "ts", "TS_COLUMN_MISMATCH"],
] as const;

function describeError(error: unknown): string {
  if (error instanceof AncoraError) {
    const path = (error as { path?: unknown }).path;
    return typeof path === "string" ? `${error.code} at ${path}` : error.code;
  }
  return error instanceof Error ? error.name : "unknown error";
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function show(value: string | null | undefined): string {
  return value === null || value === undefined ? "null" : value;
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
  readonly #maxFailures: number;
  readonly #tree: CompactRange;
  readonly #checkpoints: StoredCheckpoint[];
  #nextCheckpoint = 0;
  #checkpointsChecked = 0;
  #expectedSeq = 0;
  #prev: BlockCid | undefined;
  #config: CurrentConfig | undefined;
  readonly #labels = new Set<string>();
  readonly #failures: VerificationFailure[] = [];
  #failureCount = 0;
  #finished = false;
  readonly #nodes: NodeLookup | undefined;
  /** Range mode (see {@link StreamVerifier.range}). */
  readonly #range: RangeStart | undefined;
  #count = 0;
  #firstPrev: Uint8Array | null = null;
  #blockHashes: Uint8Array = new Uint8Array(0);
  #blocks = 0;
  readonly #lowPeaks = new Map<number, Uint8Array[]>();
  readonly #wantedTexts: ReadonlySet<number>;
  readonly #cidTexts = new Map<number, string>();
  readonly #controls: ControlEvent[] = [];
  readonly #references: ReferenceTracker;

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
    this.#range = options.range;
    this.#wantedTexts = new Set(options.cidTextsAt ?? []);
    if (this.#range !== undefined) {
      const start = this.#range;
      if (!Number.isSafeInteger(start.seq) || start.seq < 0 || start.seq % RANGE_BLOCK !== 0) {
        throw new Error(`A range must start at a multiple of ${RANGE_BLOCK}`);
      }
      this.#expectedSeq = start.seq;
      for (const id of start.labels) this.#labels.add(id);
      if (start.config !== undefined) {
        const record = decodeRecord(start.config);
        if (record.kind !== "config") throw new Error("RangeStart.config is not a config record");
        this.#config = { cid: computeCid(start.config, options.sha256), body: record.body };
      }
    }
    this.#sha256 = options.sha256;
    this.#maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
    this.#tree = new CompactRange(options.sha256);
    this.#checkpoints = [];
    for (const checkpoint of checkpoints) {
      if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 1 || checkpoint.root.length !== 32) {
        this.#fail("CHECKPOINT_INVALID", 0, "size >= 1 and a 32-byte root", `size ${checkpoint.size}`);
        continue;
      }
      this.#checkpoints.push(checkpoint);
    }
    this.#checkpoints.sort((a, b) => a.size - b.size);
  }

  /** Number of records added so far. */
  get checked(): number {
    return this.#range === undefined ? this.#tree.size : this.#count;
  }

  #fail(code: FailureCode, seq: number, expected: string, found: string): void {
    this.#failureCount++;
    if (this.#failures.length < this.#maxFailures) {
      this.#failures.push({ code, stream: this.stream, seq, expected, found });
    }
  }

  /** Checks one record (the next one in stored order). */
  add(stored: StoredRecord): void {
    if (this.#finished) throw new Error("StreamVerifier.add after finish");
    if (this.#range !== undefined) {
      this.#addInRange(stored, this.#range);
      return;
    }
    const seq = stored.seq;
    const { cid, cidText } = this.#checkSequenceAndRecord(stored, this.#tree.size);

    const nodes = this.#tree.appendLeaf(cid.bytes).nodes;
    const leaf = nodes[0];
    if (stored.leafHash !== undefined && leaf !== undefined) {
      if (stored.leafHash === null || !sameBytes(stored.leafHash, leaf.hash)) {
        this.#fail(
          "MERKLE_LEAF_MISMATCH",
          seq,
          toHex0x(leaf.hash),
          stored.leafHash === null ? "missing" : toHex0x(stored.leafHash),
        );
      }
    }
    const lookup = this.#nodes;
    if (lookup !== undefined) {
      // The leaf is checked above when the source joins it in; otherwise through the lookup too.
      for (let i = stored.leafHash === undefined ? 0 : 1; i < nodes.length; i++) {
        const node = nodes[i] as (typeof nodes)[number];
        const found = lookup(node.level, node.index);
        if (found === undefined || !sameBytes(found, node.hash)) {
          // Reported at the record that completes the node: the earliest point where the stored
          // tree provably differs (the node's first leaf may well be intact).
          this.#fail(
            "MERKLE_NODE_MISMATCH",
            seq,
            `node (${node.level}, ${node.index}) = ${toHex0x(node.hash)}`,
            found === undefined ? "missing" : toHex0x(found),
          );
        }
      }
    }
    this.#checkCheckpoints(cidText);
  }

  /**
   * The checks every record gets in both modes: seq continuity, the CID recomputed from the bytes, and
   * the record's own rules (decoding, stream, `prev`, columns, config and labels). Returns the CID.
   */
  #checkSequenceAndRecord(stored: StoredRecord, position: number): { cid: BlockCid; cidText: string } {
    const seq = stored.seq;
    if (seq !== this.#expectedSeq) {
      this.#fail(
        seq > this.#expectedSeq ? "SEQ_GAP" : "SEQ_MISMATCH",
        Math.min(seq, this.#expectedSeq),
        String(this.#expectedSeq),
        String(seq),
      );
    }
    this.#expectedSeq = seq + 1;
    const cid = computeCid(stored.bytes, this.#sha256);
    const cidText = cid.toString();
    if (cidText !== stored.cid) this.#fail("CID_MISMATCH", seq, cidText, stored.cid);
    const prev = this.#prev;
    this.#prev = cid;
    this.#checkRecord(stored, position, prev, cid);
    return { cid, cidText };
  }

  /** {@link StreamVerifier.add} in range mode: the per-record checks, no tree. */
  #addInRange(stored: StoredRecord, start: RangeStart): void {
    const position = start.seq + this.#count;
    const seq = stored.seq;
    const { cid, cidText } = this.#checkSequenceAndRecord(stored, position);
    // The range's own tree: it starts at a multiple of RANGE_BLOCK, so its nodes up to that level are
    // the stream tree's nodes (index shifted by the start), checked here like add() does.
    const nodes = this.#tree.appendLeaf(cid.bytes).nodes;
    const leaf = (nodes[0] as (typeof nodes)[number]).hash;
    if (stored.leafHash !== undefined) {
      if (stored.leafHash === null || !sameBytes(stored.leafHash, leaf)) {
        this.#fail(
          "MERKLE_LEAF_MISMATCH",
          seq,
          toHex0x(leaf),
          stored.leafHash === null ? "missing" : toHex0x(stored.leafHash),
        );
      }
    }
    const lookup = this.#nodes;
    for (let i = stored.leafHash === undefined ? 0 : 1; i < nodes.length; i++) {
      const node = nodes[i] as (typeof nodes)[number];
      if (node.level > RANGE_BLOCK_LEVEL) break;
      const index = start.seq / 2 ** node.level + node.index;
      if (lookup !== undefined) {
        const found = lookup(node.level, index);
        if (found === undefined || !sameBytes(found, node.hash)) {
          this.#fail(
            "MERKLE_NODE_MISMATCH",
            seq,
            `node (${node.level}, ${index}) = ${toHex0x(node.hash)}`,
            found === undefined ? "missing" : toHex0x(found),
          );
        }
      }
      if (node.level === RANGE_BLOCK_LEVEL) {
        if (this.#blockHashes.length < (this.#blocks + 1) * 32) {
          const grown = new Uint8Array(Math.max(1024, this.#blockHashes.length * 2));
          grown.set(this.#blockHashes);
          this.#blockHashes = grown;
        }
        this.#blockHashes.set(node.hash, this.#blocks * 32);
        this.#blocks++;
      }
    }
    this.#count++;
    if (this.#wantedTexts.has(position + 1)) {
      this.#cidTexts.set(position + 1, cidText);
      this.#lowPeaks.set(position + 1, this.#currentLowPeaks());
    }
  }

  /** The range tree's perfect subtrees below block size, largest first. */
  #currentLowPeaks(): Uint8Array[] {
    const state = this.#tree.state();
    const low = this.#tree.size % RANGE_BLOCK;
    // state.hashes follow the binary decomposition of the size, largest first: the low ones are last.
    let count = 0;
    for (let bits = low; bits > 0; bits &= bits - 1) count++;
    return state.hashes.slice(state.hashes.length - count).map(fromHex);
  }

  /** Ends a range-mode verifier (see {@link StreamVerifier.range}) and returns what it found. */
  facts(): RangeFacts {
    const start = this.#range;
    if (start === undefined) throw new Error("StreamVerifier.facts needs a range verifier");
    if (this.#finished) throw new Error("StreamVerifier.facts called twice");
    this.#finished = true;
    const last = this.#prev;
    const cidTexts = new Map(this.#cidTexts);
    const lowPeaks = new Map(this.#lowPeaks);
    if (last !== undefined) {
      cidTexts.set(start.seq + this.#count, last.toString());
      lowPeaks.set(start.seq + this.#count, this.#currentLowPeaks());
    }
    return {
      from: start.seq,
      count: this.#count,
      failureCount: this.#failureCount,
      firstPrev: this.#firstPrev,
      lastCid: last === undefined ? null : new Uint8Array(last.bytes),
      blockHashes: this.#blockHashes.slice(0, this.#blocks * 32),
      lowPeaks,
      cidTexts,
      controls: this.#controls,
      pendingReferences: this.#references.pendingCount,
    };
  }

  #checkRecord(stored: StoredRecord, position: number, prev: BlockCid | undefined, cid: BlockCid): void {
    const seq = stored.seq;
    let record: ReturnType<typeof decodeRecord>;
    try {
      record = decodeRecord(stored.bytes);
    } catch (error) {
      this.#fail("RECORD_INVALID", seq, "a canonical v1 record", describeError(error));
      return;
    }
    if (record.seq !== seq) this.#fail("SEQ_MISMATCH", seq, String(seq), String(record.seq));
    if (record.stream !== this.stream) this.#fail("STREAM_MISMATCH", seq, this.stream, record.stream);
    if (this.#range !== undefined) {
      // The first record's link crosses the range boundary: stitchRanges checks it.
      if (position === this.#range.seq && position > 0) {
        this.#firstPrev = record.prev === undefined ? null : new Uint8Array(record.prev.bytes);
      }
      if (record.kind === "label" || record.kind === "config") {
        this.#controls.push({ seq, kind: record.kind, cid: cid.toString() });
      }
    }
    if (position === 0) {
      if (record.kind !== "genesis") this.#fail("GENESIS_MISSING", 0, "genesis", record.kind);
    } else if (
      prev !== undefined &&
      (record.prev === undefined || !sameBytes(record.prev.bytes, prev.bytes))
    ) {
      this.#fail("PREV_MISMATCH", seq, prev.toString(), show(record.prev?.toString()));
    }

    const columns = indexColumns(record);
    for (const [field, column, code] of INDEX_CHECKS) {
      const found = stored[field];
      if (found !== undefined && found !== columns[column]) {
        this.#fail(code, seq, `${column}=${show(columns[column])}`, `${column}=${show(found)}`);
      }
    }

    switch (record.kind) {
      case "label":
        this.#labels.add(record.body.id);
        break;
      case "config": {
        const { aboveLabel, belowLabel } = record.body;
        for (const id of aboveLabel === belowLabel ? [aboveLabel] : [aboveLabel, belowLabel]) {
          if (!this.#labels.has(id))
            this.#fail("LABEL_UNDEFINED", seq, "a label id defined earlier in the stream", id);
        }
        this.#config = { cid, body: record.body };
        break;
      }
      case "decision": {
        const body = record.body;
        const config = this.#config;
        if (!this.#labels.has(body.label)) {
          this.#fail("LABEL_UNDEFINED", seq, "a label id defined earlier in the stream", body.label);
        }
        if (config === undefined) {
          this.#fail("CONFIG_MISSING", seq, "a config record before the decision", body.config.toString());
          break;
        }
        if (!sameBytes(body.config.bytes, config.cid.bytes)) {
          this.#fail("CONFIG_MISMATCH", seq, config.cid.toString(), body.config.toString());
        }
        // docs/formats.md, "Rules across records": with a score, the label is the config's resolution.
        if (body.score !== undefined) {
          const expected = resolveLabel(config.body, body.score);
          if (body.label !== expected) this.#fail("LABEL_MISMATCH", seq, expected, body.label);
        }
        break;
      }
      default:
        break;
    }
    // Decisions (the hot path) are neither referencing nor remembered; everything else is.
    if (record.kind !== "decision") {
      this.#references.add(record, seq, cid.toString(), (problem) =>
        this.#fail(problem.code, seq, problem.expected, problem.found),
      );
    }
  }

  /**
   * What this pass learned about references (after {@link StreamVerifier.finish}): the input of
   * {@link resolveReferences}, which checks what the pass could not.
   */
  references(): StreamReferences {
    return this.#references.references();
  }

  #checkCheckpoints(headCid: string): void {
    const size = this.#tree.size;
    let checkpoint = this.#checkpoints[this.#nextCheckpoint];
    if (checkpoint === undefined || checkpoint.size !== size) return;
    const root = this.#tree.root();
    while (checkpoint !== undefined && checkpoint.size === size) {
      this.#checkpointsChecked++;
      if (!sameBytes(checkpoint.root, root)) {
        this.#fail("CHECKPOINT_ROOT_MISMATCH", size - 1, toHex0x(root), toHex0x(checkpoint.root));
      }
      if (checkpoint.head !== headCid)
        this.#fail("CHECKPOINT_HEAD_MISMATCH", size - 1, headCid, checkpoint.head);
      checkpoint = this.#checkpoints[++this.#nextCheckpoint];
    }
  }

  /**
   * Ends the stream: checkpoints beyond the records (truncation), the store's claimed head, and the
   * result with failures sorted by seq.
   */
  finish(head?: StoredHead): VerificationResult {
    if (this.#finished) throw new Error("StreamVerifier.finish called twice");
    this.#finished = true;
    const size = this.#tree.size;
    if (size === 0) this.#fail("GENESIS_MISSING", 0, "genesis", "no records");
    for (let i = this.#nextCheckpoint; i < this.#checkpoints.length; i++) {
      const checkpoint = this.#checkpoints[i] as StoredCheckpoint;
      this.#checkpointsChecked++;
      this.#fail("CHECKPOINT_BEYOND_LOG", size, `at least ${checkpoint.size} records`, `${size} records`);
    }
    const headCid = this.#prev?.toString() ?? null;
    if (head !== undefined) {
      if (head.size !== size) {
        this.#fail("HEAD_MISMATCH", Math.min(head.size, size), `size ${size}`, `size ${head.size}`);
      } else if (head.head !== headCid) {
        this.#fail("HEAD_MISMATCH", Math.max(0, size - 1), show(headCid), show(head.head));
      } else if (head.root !== undefined && size > 0) {
        const root = this.#tree.root();
        if (!sameBytes(root, head.root)) {
          this.#fail("HEAD_MISMATCH", size - 1, `root ${toHex0x(root)}`, `root ${toHex0x(head.root)}`);
        }
      }
    }
    // Stable: failures of one seq keep the order they were found in.
    const failures = [...this.#failures].sort((a, b) => a.seq - b.seq);
    const first = failures[0];
    return {
      ok: this.#failureCount === 0,
      stream: this.stream,
      checked: size,
      checkpoints: this.#checkpointsChecked,
      failures,
      failureCount: this.#failureCount,
      ...(first === undefined ? {} : { firstBadSeq: first.seq }),
      ...(size === 0 ? {} : { root: toHex0x(this.#tree.root()) }),
    };
  }
}

/**
 * Verifies one stream of a synchronous source.
 *
 * @example
 * ```ts
 * const result = verifyStream(source, "credit", { sha256: nodeSha256 });
 * result.ok; // false
 * result.failures[0]; // { code: "CID_MISMATCH", stream: "credit", seq: 17, expected: "bafkrei…", found: "bafkrei…" }
 * ```
 */
export function verifyStream(
  source: RecordSource,
  stream: string,
  options: VerifyOptions = {},
): VerificationResult {
  const node = source.node?.bind(source);
  const verifier = new StreamVerifier(stream, source.checkpoints(stream), {
    ...options,
    ...(node === undefined ? {} : { nodes: (level: number, index: number) => node(stream, level, index) }),
  });
  for (const record of source.records(stream)) verifier.add(record);
  const result = verifier.finish(source.head?.(stream));
  const references = verifier.references();
  // References that stay in the stream: forward ones, and those to its decisions (found by a rescan
  // that runs only when such references exist). References that leave it are verifyStreams' job.
  const wanted = unresolvedCids([references]);
  const decisions = wanted.size === 0 ? new Map() : scanTargets(source, [stream], wanted, options.sha256);
  return withFailures(result, resolveReferences([references], decisions, false), options);
}

/**
 * Verifies one stream of a source that may be asynchronous (same checks as {@link verifyStream}).
 *
 * @example
 * ```ts
 * const result = await verifyStreamAsync(ipfsSource, "credit");
 * ```
 */
export async function verifyStreamAsync(
  source: AsyncRecordSource,
  stream: string,
  options: VerifyOptions = {},
): Promise<VerificationResult> {
  // Node lookups are synchronous by nature (a local node store); an async source checks leaves only.
  const verifier = new StreamVerifier(stream, await source.checkpoints(stream), options);
  for await (const record of source.records(stream)) verifier.add(record);
  const result = verifier.finish(await source.head?.(stream));
  const references = verifier.references();
  const wanted = unresolvedCids([references]);
  const decisions = new Map<string, ReferenceTarget>();
  if (wanted.size > 0) {
    for await (const stored of source.records(stream))
      addTarget(decisions, stream, stored, wanted, options.sha256);
  }
  return withFailures(result, resolveReferences([references], decisions, false), options);
}

/** Combines per-stream results into one. */
export function combineResults(results: readonly VerificationResult[]): SourceVerificationResult {
  return {
    ok: results.every((r) => r.ok),
    checked: results.reduce((sum, r) => sum + r.checked, 0),
    failures: results.flatMap((r) => r.failures),
    streams: results,
  };
}

/**
 * Verifies several streams of one source.
 *
 * @example
 * ```ts
 * const { ok, failures } = verifyStreams(source, ["credit", "fraud"]);
 * ```
 */
export function verifyStreams(
  source: RecordSource,
  streams: Iterable<string>,
  options: VerifyOptions = {},
): SourceVerificationResult {
  const names = [...new Set(streams)];
  return resolveAcrossStreams(
    source,
    names,
    names.map((stream) => streamPass(source, stream, options)),
    options,
  );
}

/** One stream's own pass: its result, and what it learned about references for the pass across streams. */
export interface StreamPass {
  readonly result: VerificationResult;
  readonly references: StreamReferences;
}

/** Records between two progress reports of {@link streamPass}. */
const PASS_PROGRESS_EVERY = 65_536;

/**
 * The first pass of {@link verifyStreams} over one stream (every per-record, Merkle, checkpoint and
 * head check); `onProgress` is told how many more records were checked, every 65,536 and at the end.
 */
export function streamPass(
  source: RecordSource,
  stream: string,
  options: VerifyOptions = {},
  onProgress?: (records: number) => void,
): StreamPass {
  const node = source.node?.bind(source);
  const verifier = new StreamVerifier(stream, source.checkpoints(stream), {
    ...options,
    ...(node === undefined ? {} : { nodes: (level: number, index: number) => node(stream, level, index) }),
  });
  let n = 0;
  for (const record of source.records(stream)) {
    verifier.add(record);
    if (++n % PASS_PROGRESS_EVERY === 0) onProgress?.(PASS_PROGRESS_EVERY);
  }
  onProgress?.(n % PASS_PROGRESS_EVERY);
  return { result: verifier.finish(source.head?.(stream)), references: verifier.references() };
}

/**
 * The second pass of {@link verifyStreams}, across streams: a training run in "training" names models
 * in "models". A reference that none of the passes' remembered records satisfies may name a decision
 * (or a record of a stream whose pass remembered none): the streams are rescanned for those CIDs only.
 */
export function resolveAcrossStreams(
  source: RecordSource,
  names: readonly string[],
  passes: readonly StreamPass[],
  options: VerifyOptions = {},
): SourceVerificationResult {
  const all = passes.map((p) => p.references);
  const wanted = unresolvedCids(all);
  const decisions = wanted.size === 0 ? new Map() : scanTargets(source, names, wanted, options.sha256);
  const failures = resolveReferences(all, decisions, true);
  return combineResults(
    passes.map(({ result }) =>
      withFailures(
        result,
        failures.filter((f) => f.stream === result.stream),
        options,
      ),
    ),
  );
}

/**
 * `result` with `extra` failures added (kept within `maxFailures`, counted in full, sorted by seq): how
 * checks made after a stream's own pass (cross-stream references) join its result.
 */
export function withFailures(
  result: VerificationResult,
  extra: readonly VerificationFailure[],
  options: VerifyOptions,
): VerificationResult {
  if (extra.length === 0) return result;
  const max = options.maxFailures ?? DEFAULT_MAX_FAILURES;
  const failures = [...result.failures, ...extra].sort((a, b) => a.seq - b.seq).slice(0, max);
  const first = failures[0];
  return {
    ...result,
    ok: false,
    failures,
    failureCount: result.failureCount + extra.length,
    ...(first === undefined ? {} : { firstBadSeq: first.seq }),
  };
}

/**
 * Finishes a stream verified in parts (see {@link StreamVerifier.range}): the ranges' facts in seq
 * order, `expectedControls` the label and config records the caller derived the ranges' starting
 * hints from, in order. Returns the result {@link verifyStream} gives for the whole stream when that
 * result is a success, or `undefined` when anything failed or does not add up (a failure in a range, a
 * range that does not start where the previous one ended, a broken link across ranges, hints that do
 * not match the records, a Merkle node, checkpoint or head that differs): the caller then verifies
 * the stream serially, which reports failures exactly. A success here is therefore the serial success
 * and a failure is always reported by the serial path.
 */
export function stitchRanges(
  stream: string,
  ranges: readonly RangeFacts[],
  expectedControls: readonly ControlEvent[],
  checkpoints: Iterable<StoredCheckpoint>,
  head: StoredHead | undefined,
  options: VerifyOptions & { nodes?: NodeLookup } = {},
): VerificationResult | undefined {
  const sorted = [...checkpoints].sort((a, b) => a.size - b.size);
  for (const c of sorted) {
    if (!Number.isSafeInteger(c.size) || c.size < 1 || c.root.length !== 32) return undefined;
  }
  const controls = ranges.flatMap((r) => r.controls);
  if (controls.length !== expectedControls.length) return undefined;
  for (let i = 0; i < controls.length; i++) {
    const found = controls[i] as ControlEvent;
    const expected = expectedControls[i] as ControlEvent;
    if (found.seq !== expected.seq || found.kind !== expected.kind || found.cid !== expected.cid) {
      return undefined;
    }
  }
  // The tree above the blocks: a compact range whose "leaves" are the ranges' block roots, so that its
  // node (level l, index i) is the stream tree's node (RANGE_BLOCK_LEVEL + l, i).
  const blocks = new CompactRange(options.sha256);
  const lookup = options.nodes;
  const rootAt = (size: number, low: readonly Uint8Array[] | undefined): Uint8Array | undefined => {
    if (low === undefined || blocks.size !== Math.floor(size / RANGE_BLOCK)) return undefined;
    const peaks = [...blocks.state().hashes.map(fromHex), ...low];
    let root = peaks[peaks.length - 1] as Uint8Array;
    for (let i = peaks.length - 2; i >= 0; i--)
      root = hashChildren(peaks[i] as Uint8Array, root, options.sha256);
    return root;
  };
  let lastCid: Uint8Array | null = null;
  let last: RangeFacts | undefined;
  let size = 0;
  let nextCheckpoint = 0;
  for (const range of ranges) {
    if (range.failureCount > 0 || range.pendingReferences > 0 || range.from !== size) return undefined;
    if (range.count === 0) continue;
    if (
      range.from > 0 &&
      (range.firstPrev === null || lastCid === null || !sameBytes(range.firstPrev, lastCid))
    ) {
      return undefined;
    }
    lastCid = range.lastCid;
    last = range;
    const end = range.from + range.count;
    // Blocks, and the checkpoints inside this range in size order.
    const blockCount = range.blockHashes.length / 32;
    let k = 0;
    for (;;) {
      const checkpoint = sorted[nextCheckpoint];
      const until = checkpoint !== undefined && checkpoint.size <= end ? checkpoint.size : end;
      while (k < blockCount && (range.from / RANGE_BLOCK + k + 1) * RANGE_BLOCK <= until) {
        const nodes = blocks.append(range.blockHashes.slice(k * 32, k * 32 + 32)).nodes;
        k++;
        for (let i = 1; i < nodes.length; i++) {
          const node = nodes[i] as (typeof nodes)[number];
          const found = lookup?.(RANGE_BLOCK_LEVEL + node.level, node.index);
          if (lookup !== undefined && (found === undefined || !sameBytes(found, node.hash))) return undefined;
        }
      }
      if (checkpoint === undefined || checkpoint.size > end) break;
      const root = rootAt(checkpoint.size, range.lowPeaks.get(checkpoint.size));
      if (root === undefined || !sameBytes(checkpoint.root, root)) return undefined;
      if (checkpoint.head !== range.cidTexts.get(checkpoint.size)) return undefined;
      nextCheckpoint++;
    }
    if (k !== blockCount) return undefined;
    size = end;
  }
  if (size === 0 || last === undefined || nextCheckpoint !== sorted.length) return undefined;
  const root = rootAt(size, last.lowPeaks.get(size));
  if (root === undefined) return undefined;
  if (head !== undefined) {
    if (head.size !== size || head.head !== last.cidTexts.get(size)) return undefined;
    if (head.root !== undefined && !sameBytes(root, head.root)) return undefined;
  }
  return {
    ok: true,
    stream,
    checked: size,
    checkpoints: sorted.length,
    failures: [],
    failureCount: 0,
    root: toHex0x(root),
  };
}

/**
 * The starting hints of ranges beginning at `starts` (ascending seqs), from a stream's label and config
 * records (`controls`: seq and bytes, ascending seq; other kinds are skipped), and the
 * {@link ControlEvent}s they were derived from, for {@link stitchRanges}. Returns `undefined` when a
 * record does not decode: the caller then verifies serially.
 */
export function rangeStarts(
  controls: Iterable<{ seq: number; bytes: Uint8Array }>,
  starts: readonly number[],
  sha256?: Sha256,
): { starts: RangeStart[]; events: ControlEvent[] } | undefined {
  const events: ControlEvent[] = [];
  const result: RangeStart[] = [];
  const labels = new Set<string>();
  let config: Uint8Array | undefined;
  const iterator = controls[Symbol.iterator]();
  let next = iterator.next();
  for (const start of starts) {
    while (!next.done && next.value.seq < start) {
      const { seq, bytes } = next.value;
      let record: ReturnType<typeof decodeRecord>;
      try {
        record = decodeRecord(bytes);
      } catch {
        return undefined;
      }
      if (record.kind === "label" || record.kind === "config") {
        events.push({ seq, kind: record.kind, cid: computeCid(bytes, sha256).toString() });
        if (record.kind === "label") labels.add(record.body.id);
        else config = bytes;
      }
      next = iterator.next();
    }
    result.push({ seq: start, labels: [...labels], ...(config === undefined ? {} : { config }) });
  }
  // Control records of the last range count too: the ranges must report exactly these.
  for (; !next.done; next = iterator.next()) {
    const { seq, bytes } = next.value;
    let record: ReturnType<typeof decodeRecord>;
    try {
      record = decodeRecord(bytes);
    } catch {
      return undefined;
    }
    if (record.kind === "label" || record.kind === "config") {
      events.push({ seq, kind: record.kind, cid: computeCid(bytes, sha256).toString() });
    }
  }
  return { starts: result, events };
}
