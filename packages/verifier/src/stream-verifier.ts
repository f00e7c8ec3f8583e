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
  resolveLabel,
  type Sha256,
} from "@ancora/core";
import { indexColumns } from "./columns.js";
import { sameBytes, toHex0x } from "./internal/hex.js";
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

  /**
   * @param checkpoints the stream's stored checkpoints, in any order.
   * @param options `sha256` to inject, `maxFailures` to keep, and `nodes` to compare the stored
   *   Merkle nodes with the recomputed tree.
   */
  constructor(
    stream: string,
    checkpoints: Iterable<StoredCheckpoint> = [],
    options: VerifyOptions & { nodes?: NodeLookup } = {},
  ) {
    this.stream = stream;
    this.#nodes = options.nodes;
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
    return this.#tree.size;
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
    const position = this.#tree.size;
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
  return verifier.finish(source.head?.(stream));
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
  return verifier.finish(await source.head?.(stream));
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
  return combineResults([...streams].map((stream) => verifyStream(source, stream, options)));
}
