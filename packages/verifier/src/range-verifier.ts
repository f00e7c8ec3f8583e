/**
 * Verifying a stream in ranges (worker threads, public verification): the range mode of the stream
 * verifier ({@link RangeRecorder} gathers a range's {@link RangeFacts} while its records are checked),
 * the ranges' starting hints ({@link rangeStarts}), and the stitching of the ranges' facts into the
 * stream's result ({@link stitchRanges}). The data exchanged with the threads is in range-checker.ts.
 */
import {
  type AncoraRecord,
  type BlockCid,
  bytesEqual,
  CompactRange,
  computeCid,
  decodeRecord,
  fromHex,
  hashChildren,
  type MerkleNode,
  parseBlockCid,
  type Sha256,
} from "@ancora/core";
import { StreamVerifierError } from "./errors.js";
import type { Fail } from "./failures.js";
import { toHex0x } from "./internal/hex.js";
import {
  type ControlEvent,
  RANGE_BLOCK,
  RANGE_BLOCK_LEVEL,
  type RangeFacts,
  type RangeStart,
} from "./range-checker.js";
import { checkStoredNode, type RecordState } from "./record-checks.js";
import type { VerificationResult } from "./result.js";
import type { StoredCheckpoint, StoredHead, StoredRecord } from "./source.js";
import type { NodeLookup, VerifyOptions } from "./verify-options.js";

/** Bytes of a compact range's state hash (lowercase hex that core wrote, so always valid). */
function hashOfState(hex: string): Uint8Array {
  return fromHex(hex) as Uint8Array;
}

/** The binary form of a CID string the verifier computed itself (so always a block CID's). */
function cidBytesOf(text: string): Uint8Array {
  return new Uint8Array((parseBlockCid(text) as BlockCid).bytes);
}

/** The record of `bytes`, or `undefined` when they do not decode. */
function decodeOrUndefined(bytes: Uint8Array): AncoraRecord | undefined {
  try {
    return decodeRecord(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The record state a range starts from: the seq it starts at, and the labels and config its start
 * hints (which {@link stitchRanges} later checks against the records).
 *
 * @throws {StreamVerifierError} `RANGE_START_INVALID` when the start is not a multiple of
 *   {@link RANGE_BLOCK}, `RANGE_CONFIG_INVALID` when the hinted config is not a config record.
 */
export function rangeStartState(start: RangeStart, sha256: Sha256 | undefined): RecordState {
  if (!Number.isSafeInteger(start.seq) || start.seq < 0 || start.seq % RANGE_BLOCK !== 0) {
    throw new StreamVerifierError(
      "RANGE_START_INVALID",
      `A range must start at a multiple of ${RANGE_BLOCK}; this one starts at seq ${start.seq}`,
      {
        hint: `Start ranges at seq 0, ${RANGE_BLOCK}, ${2 * RANGE_BLOCK}, …: rangeStarts gives the hints for such starts.`,
        evidence: { seq: start.seq },
      },
    );
  }
  const state: RecordState = {
    expectedSeq: start.seq,
    prev: undefined,
    labels: new Set(start.labels),
    config: undefined,
  };
  if (start.config !== undefined) {
    const record = decodeRecord(start.config);
    if (record.kind !== "config") {
      throw new StreamVerifierError(
        "RANGE_CONFIG_INVALID",
        `RangeStart.config is not a config record but a ${record.kind} record`,
        {
          hint: "Pass the bytes of the config record current before the range (rangeStarts derives them), or no config when none precedes it.",
          evidence: { seq: start.seq, kind: record.kind },
        },
      );
    }
    state.config = { cid: computeCid(start.config, sha256), body: record.body };
  }
  return state;
}

/**
 * What a range-mode stream verifier (`StreamVerifier.range`) gathers besides the per-record checks:
 * the first record's link across the range boundary, the label and config records, the roots of the
 * range's blocks, and the root parts and head CID at the tree sizes the stitching asks for. The range
 * starts at a multiple of {@link RANGE_BLOCK}, so the nodes of its own tree up to that level are the
 * stream tree's nodes (index shifted by the start): they are checked against the stored ones here.
 */
export class RangeRecorder {
  readonly start: RangeStart;
  readonly #wantedTexts: ReadonlySet<number>;
  #firstPrev: Uint8Array | null = null;
  #blockHashes: Uint8Array = new Uint8Array(0);
  #blocks = 0;
  readonly #lowPeaks = new Map<number, Uint8Array[]>();
  readonly #cidTexts = new Map<number, string>();
  readonly #controls: ControlEvent[] = [];

  /** `cidTextsAt`: the tree sizes whose head CID string and root parts the stitching needs. */
  constructor(start: RangeStart, cidTextsAt: Iterable<number> = []) {
    this.start = start;
    this.#wantedTexts = new Set(cidTextsAt);
  }

  /** Notes a record that decoded, stored at `seq` and `position`: its `prev` if it is the first, and label or config. */
  noteRecord(record: AncoraRecord, seq: number, position: number, cidText: string): void {
    // The first record's link crosses the range boundary: stitchRanges checks it.
    if (position === this.start.seq && position > 0) {
      this.#firstPrev = record.prev === undefined ? null : new Uint8Array(record.prev.bytes);
    }
    if (record.kind === "label" || record.kind === "config") {
      this.#controls.push({ seq, kind: record.kind, cid: cidText });
    }
  }

  /**
   * After the record at `position` joined the range's `tree`: checks the stored nodes it completed up
   * to block level (`nodes` from the append; from the first when the source did not join the leaf in),
   * keeps the block roots it completed, and the root parts when its size is asked for.
   */
  appended(
    tree: CompactRange,
    nodes: readonly MerkleNode[],
    stored: StoredRecord,
    cidText: string,
    lookup: NodeLookup | undefined,
    fail: Fail,
  ): void {
    const position = this.start.seq + tree.size - 1;
    for (let i = stored.leafHash === undefined ? 0 : 1; i < nodes.length; i++) {
      const node = nodes[i] as MerkleNode;
      if (node.level > RANGE_BLOCK_LEVEL) break;
      const index = this.start.seq / 2 ** node.level + node.index;
      if (lookup !== undefined) checkStoredNode(lookup, node.level, index, node.hash, stored.seq, fail);
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
    if (this.#wantedTexts.has(position + 1)) {
      this.#cidTexts.set(position + 1, cidText);
      this.#lowPeaks.set(position + 1, lowPeaks(tree));
    }
  }

  /** The range's facts, once its last record (CID `last`) was checked. */
  facts(
    tree: CompactRange,
    last: string | undefined,
    failureCount: number,
    pendingReferences: number,
  ): RangeFacts {
    const count = tree.size;
    const cidTexts = new Map(this.#cidTexts);
    const peaks = new Map(this.#lowPeaks);
    if (last !== undefined) {
      cidTexts.set(this.start.seq + count, last);
      peaks.set(this.start.seq + count, lowPeaks(tree));
    }
    return {
      from: this.start.seq,
      count,
      failureCount,
      firstPrev: this.#firstPrev,
      lastCid: last === undefined ? null : cidBytesOf(last),
      blockHashes: this.#blockHashes.slice(0, this.#blocks * 32),
      lowPeaks: peaks,
      cidTexts,
      controls: this.#controls,
      pendingReferences,
    };
  }
}

/** The range tree's perfect subtrees below block size, largest first. */
function lowPeaks(tree: CompactRange): Uint8Array[] {
  const state = tree.state();
  const low = tree.size % RANGE_BLOCK;
  // state.hashes follow the binary decomposition of the size, largest first: the low ones are last.
  let count = 0;
  for (let bits = low; bits > 0; bits &= bits - 1) count++;
  return state.hashes.slice(state.hashes.length - count).map(hashOfState);
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
    const peaks = [...blocks.state().hashes.map(hashOfState), ...low];
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
      (range.firstPrev === null || lastCid === null || !bytesEqual(range.firstPrev, lastCid))
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
          if (
            lookup !== undefined &&
            found !== null &&
            (found === undefined || !bytesEqual(found, node.hash))
          )
            return undefined;
        }
      }
      if (checkpoint === undefined || checkpoint.size > end) break;
      const root = rootAt(checkpoint.size, range.lowPeaks.get(checkpoint.size));
      if (root === undefined || !bytesEqual(checkpoint.root, root)) return undefined;
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
    if (head.root !== undefined && !bytesEqual(root, head.root)) return undefined;
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
      const record = decodeOrUndefined(bytes);
      if (record === undefined) return undefined;
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
    const record = decodeOrUndefined(bytes);
    if (record === undefined) return undefined;
    if (record.kind === "label" || record.kind === "config") {
      events.push({ seq, kind: record.kind, cid: computeCid(bytes, sha256).toString() });
    }
  }
  return { starts: result, events };
}
