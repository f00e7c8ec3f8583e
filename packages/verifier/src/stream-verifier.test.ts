import { type AncoraRecord, CID, CompactRange, encodeRecordBlock, MemoryNodeStore } from "@ancora/core";
import { describe, expect, it } from "vitest";
import { StreamVerifierError, type StreamVerifierErrorCode } from "./errors.js";
import { rangeStarts, stitchRanges } from "./range-verifier.js";
import type { RecordSource, StoredCheckpoint, StoredRecord } from "./source.js";
import { StreamVerifier } from "./stream-verifier.js";
import { type Built, buildStream, CONFIG, type Draft, LABELS, nodeSha256 } from "./testing/stream-builder.js";
import { verifyStream, verifyStreamAsync, verifyStreams } from "./verify-streams.js";

function standard(): Built {
  const decisions: Draft[] = Array.from({ length: 20 }, (_, i) => ({
    kind: "decision",
    score: (i % 10) / 10,
  }));
  return buildStream("credit", [...LABELS, CONFIG, ...decisions], [10, 24]);
}

function sourceOf(built: Built): RecordSource {
  return { records: () => built.rows, checkpoints: () => built.checkpoints, head: () => built.head };
}

function run(built: Built) {
  return verifyStream(sourceOf(built), "credit", { sha256: nodeSha256 });
}

function edit(built: Built, seq: number, change: Partial<StoredRecord>): Built {
  return { ...built, rows: built.rows.map((r) => (r.seq === seq ? { ...r, ...change } : r)) };
}

describe("StreamVerifier", () => {
  it("accepts a well-formed stream and its checkpoints", () => {
    const result = run(standard());
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ ok: true, checked: 24, checkpoints: 2, failureCount: 0 });
    expect(result.root).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("gives the same result with the default (noble) SHA-256", () => {
    const built = standard();
    expect(verifyStream(sourceOf(built), "credit")).toEqual(run(built));
  });

  it("reports edited bytes as CID_MISMATCH at that seq", () => {
    const built = standard();
    const row = built.rows[12] as StoredRecord;
    const text = new TextDecoder().decode(row.bytes).replace(/"score":[0-9.]+/, '"score":0.05');
    const result = run(edit(built, 12, { bytes: new TextEncoder().encode(text) }));
    expect(result.ok).toBe(false);
    expect(result.failures[0]).toMatchObject({ code: "CID_MISMATCH", seq: 12 });
    expect(result.firstBadSeq).toBe(12);
    // The next record's prev still names the original bytes, and the checkpoint root no longer matches.
    expect(result.failures.map((f) => f.code)).toContain("PREV_MISMATCH");
    expect(result.failures.map((f) => f.code)).toContain("CHECKPOINT_ROOT_MISMATCH");
  });

  it("reports bytes that are not a record as RECORD_INVALID", () => {
    const built = standard();
    const bytes = new TextEncoder().encode('{"v":1}');
    const cid = encodeRecordBlock(built.records[3] as AncoraRecord).cid; // any CID: both must fail
    const result = run(edit(built, 5, { bytes, cid: cid.toString() }));
    expect(result.failures.map((f) => [f.code, f.seq])).toContainEqual(["RECORD_INVALID", 5]);
    expect(result.firstBadSeq).toBe(5);
  });

  it("reports a deleted record as SEQ_GAP at the missing seq", () => {
    const built = standard();
    const result = run({ ...built, rows: built.rows.filter((r) => r.seq !== 7) });
    expect(result.failures[0]).toMatchObject({ code: "SEQ_GAP", seq: 7, expected: "7", found: "8" });
  });

  it("reports two swapped records as SEQ_MISMATCH at the first", () => {
    const built = standard();
    const rows = [...built.rows];
    const a = rows[6] as StoredRecord;
    const b = rows[9] as StoredRecord;
    rows[6] = { ...b, seq: 6 };
    rows[9] = { ...a, seq: 9 };
    const result = run({ ...built, rows });
    expect(result.failures[0]).toMatchObject({ code: "SEQ_MISMATCH", seq: 6, expected: "6", found: "9" });
  });

  it("reports an edited label column", () => {
    const result = run(
      edit(standard(), 8, { label: "L001" === standard().rows[8]?.label ? "L002" : "L001" }),
    );
    expect(result.failures).toEqual([
      expect.objectContaining({ code: "LABEL_COLUMN_MISMATCH", seq: 8, stream: "credit" }),
    ]);
  });

  it("reports edited kind, model and ts columns", () => {
    const built = standard();
    const result = run(
      edit(edit(edit(built, 5, { kind: "config" }), 6, { modelVersion: "9.9.9" }), 7, {
        ts: "2030-01-01T00:00:00.000Z",
      }),
    );
    expect(result.failures.map((f) => [f.code, f.seq])).toEqual([
      ["KIND_COLUMN_MISMATCH", 5],
      ["MODEL_COLUMN_MISMATCH", 6],
      ["TS_COLUMN_MISMATCH", 7],
    ]);
  });

  it("reports a truncated tail after a checkpoint as CHECKPOINT_BEYOND_LOG at the first missing seq", () => {
    const built = standard();
    const truncated = {
      ...built,
      rows: built.rows.slice(0, 20),
      head: { size: 20, head: built.rows[19]?.cid ?? null },
    };
    const result = run(truncated);
    expect(result.failures).toEqual([expect.objectContaining({ code: "CHECKPOINT_BEYOND_LOG", seq: 20 })]);
  });

  it("reports a head that does not match the records", () => {
    const built = standard();
    expect(run({ ...built, head: { size: 30, head: null } }).failures).toEqual([
      expect.objectContaining({ code: "HEAD_MISMATCH", seq: 24 }),
    ]);
    expect(run({ ...built, head: { size: 24, head: built.rows[3]?.cid ?? null } }).failures).toEqual([
      expect.objectContaining({ code: "HEAD_MISMATCH", seq: 23 }),
    ]);
  });

  it("catches a recomputed chain through the checkpoint root and the stored leaf nodes", () => {
    // Rewrite decision 10 onwards with another score and recompute every CID and prev link.
    const decisions: Draft[] = Array.from({ length: 20 }, (_, i) => ({
      kind: "decision",
      score: i === 6 ? 0.99 : (i % 10) / 10,
    }));
    const forged = buildStream("credit", [...LABELS, CONFIG, ...decisions]);
    const honest = standard();
    const rows = forged.rows.map((r, i) => ({ ...r, leafHash: honest.rows[i]?.leafHash ?? null }));
    const result = run({ rows, records: forged.records, checkpoints: honest.checkpoints, head: forged.head });
    expect(result.failures[0]).toMatchObject({ code: "MERKLE_LEAF_MISMATCH", seq: 10 });
    expect(result.failures.map((f) => f.code)).toContain("CHECKPOINT_ROOT_MISMATCH");
    // Without leaf nodes the checkpoint still catches it.
    const bare = run({
      rows: forged.rows.map(({ leafHash: _, ...r }) => r),
      records: forged.records,
      checkpoints: honest.checkpoints,
      head: forged.head,
    });
    expect(bare.failures.map((f) => f.code)).toEqual([
      "CHECKPOINT_ROOT_MISMATCH",
      "CHECKPOINT_HEAD_MISMATCH",
    ]);
    expect(bare.firstBadSeq).toBe(23);
  });

  it("compares every stored Merkle node through a node lookup", () => {
    const built = standard();
    const store = new MemoryNodeStore();
    const tree = new CompactRange(nodeSha256);
    for (const row of built.rows) store.putAll(tree.appendLeaf(CID.parse(row.cid).bytes).nodes);
    const rows = built.rows.map(({ leafHash: _, ...r }) => r);
    const source = (node: (level: number, index: number) => Uint8Array | undefined): RecordSource => ({
      records: () => rows,
      checkpoints: () => built.checkpoints,
      node: (_stream, level, index) => node(level, index),
    });
    expect(
      verifyStream(
        source((l, i) => store.node(l, i)),
        "credit",
      ).ok,
    ).toBe(true);
    const forged = (l: number, i: number) => (l === 2 && i === 3 ? new Uint8Array(32) : store.node(l, i));
    expect(verifyStream(source(forged), "credit").failures).toEqual([
      expect.objectContaining({ code: "MERKLE_NODE_MISMATCH", seq: 15 }), // node (2, 3) covers 12..15
    ]);
    const missing = (l: number, i: number) => (l === 0 && i === 5 ? undefined : store.node(l, i));
    expect(verifyStream(source(missing), "credit").failures).toEqual([
      expect.objectContaining({ code: "MERKLE_NODE_MISMATCH", seq: 5, found: "missing" }),
    ]);
  });

  it("checks config references: missing, stale, and another stream's config", () => {
    const other = buildStream("fraud", [...LABELS, CONFIG]);
    const otherConfig = other.records[3] as AncoraRecord;
    const foreign = encodeRecordBlock(otherConfig).cid;
    const stale = buildStream("credit", [
      ...LABELS,
      CONFIG,
      { kind: "decision", score: 0.7 },
      { ...CONFIG, body: { ...(CONFIG.kind === "config" ? CONFIG.body : ({} as never)), threshold: 0.8 } },
      { kind: "decision", score: 0.7 },
    ]);
    const firstConfig = encodeRecordBlock(stale.records[3] as AncoraRecord).cid;
    const staleDecision = buildStream("credit", [
      ...LABELS,
      CONFIG,
      { kind: "decision", score: 0.7 },
      { ...CONFIG, body: { ...(CONFIG.kind === "config" ? CONFIG.body : ({} as never)), threshold: 0.8 } },
      { kind: "decision", score: 0.7, config: firstConfig, label: "L002" },
      { kind: "decision", score: 0.7, config: foreign, label: "L001" },
    ]);
    expect(run(stale).ok).toBe(true);
    const result = run(staleDecision);
    expect(result.failures.map((f) => [f.code, f.seq])).toEqual([
      ["CONFIG_MISMATCH", 6],
      ["LABEL_MISMATCH", 6],
      ["CONFIG_MISMATCH", 7],
    ]);
    const noConfig = buildStream("credit", [...LABELS, CONFIG, { kind: "decision", score: 0.1 }]);
    const rows = noConfig.rows.filter((r) => r.seq !== 3);
    // Deleting the config breaks the chain too; the decision's reference is reported on its own.
    const verifier = new StreamVerifier("credit", [], { sha256: nodeSha256 });
    for (const row of rows) verifier.add(row);
    const codes = verifier.finish().failures.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(["SEQ_GAP", "PREV_MISMATCH", "CONFIG_MISSING"]));
  });

  it("checks label references and label resolution", () => {
    const undefinedLabel = buildStream("credit", [
      { kind: "label", body: { id: "L001", name: "refer" } },
      {
        kind: "config",
        body: { threshold: 0.5, aboveLabel: "L002", belowLabel: "L001", changedBy: "o", changeReason: "r" },
      },
      { kind: "decision", score: 0.2 },
      { kind: "decision", score: 0.9 },
      { kind: "decision", score: 0.2, label: "L003" },
    ]);
    expect(run(undefinedLabel).failures.map((f) => [f.code, f.seq, f.found])).toEqual([
      ["LABEL_UNDEFINED", 2, "L002"],
      ["LABEL_UNDEFINED", 4, "L002"],
      ["LABEL_UNDEFINED", 5, "L003"],
      ["LABEL_MISMATCH", 5, "L003"],
    ]);
    const wrong = buildStream("credit", [...LABELS, CONFIG, { kind: "decision", score: 0.5, label: "L001" }]);
    expect(run(wrong).failures).toEqual([
      expect.objectContaining({ code: "LABEL_MISMATCH", seq: 4, expected: "L002", found: "L001" }),
    ]);
  });

  it("reports a record of another stream and a missing genesis", () => {
    const built = standard();
    const other = buildStream("fraud", []);
    const result = run({ ...built, rows: [{ ...(other.rows[0] as StoredRecord) }, ...built.rows.slice(1)] });
    const codes = result.failures.map((f) => [f.code, f.seq]);
    expect(codes).toContainEqual(["STREAM_MISMATCH", 0]);
    expect(codes).toContainEqual(["PREV_MISMATCH", 1]);
    const empty = verifyStream({ records: () => [], checkpoints: () => [] }, "credit");
    expect(empty.failures).toEqual([expect.objectContaining({ code: "GENESIS_MISSING", seq: 0 })]);
    const headless = run({ ...built, rows: built.rows.slice(1) });
    expect(headless.failures[0]).toMatchObject({ code: "SEQ_GAP", seq: 0 });
  });

  it("keeps at most maxFailures but counts them all", () => {
    const built = standard();
    const rows = built.rows.map((r) => ({ ...r, ts: "2030-01-01T00:00:00.000Z" }));
    const result = verifyStream({ records: () => rows, checkpoints: () => [] }, "credit", {
      maxFailures: 3,
      sha256: nodeSha256,
    });
    expect(result.failures).toHaveLength(3);
    expect(result.failureCount).toBe(24);
  });

  it("verifies from an async source and several streams", async () => {
    const built = standard();
    async function* records() {
      for (const row of built.rows) yield row;
    }
    const result = await verifyStreamAsync(
      { records, checkpoints: async () => built.checkpoints, head: async () => built.head },
      "credit",
    );
    expect(result).toEqual(run(built));
    const fraud = buildStream("fraud", [...LABELS, CONFIG, { kind: "decision", score: 0.3 }]);
    const both = verifyStreams(
      {
        records: (s) => (s === "credit" ? built.rows : fraud.rows),
        checkpoints: (s) => (s === "credit" ? built.checkpoints : []),
      },
      ["credit", "fraud"],
    );
    expect(both).toMatchObject({ ok: true, checked: 29 });
    expect(both.streams).toHaveLength(2);
  });
});

describe("verifying in ranges (StreamVerifier.range + stitchRanges)", () => {
  /** A longer stream: configs and labels scattered, checkpoints on and off range boundaries. */
  function long(): Built {
    const drafts: Draft[] = [...LABELS, CONFIG];
    for (let i = 0; i < 90; i++) {
      if (i === 30) drafts.push({ kind: "label", body: { id: "L003", name: "decline" } });
      if (i === 40 || i === 71)
        drafts.push({
          kind: "config",
          body: { ...(CONFIG as Extract<Draft, { kind: "config" }>).body, threshold: i / 100 },
        });
      drafts.push({ kind: "decision", score: (i % 10) / 10 });
    }
    return buildStream("credit", drafts, [1, 16, 17, 32, 50, 64, 80, 95]);
  }

  function inRanges(
    built: Built,
    starts: number[],
    nodes?: (l: number, i: number) => Uint8Array | undefined,
  ) {
    const hints = rangeStarts(
      built.rows.filter((r) => r.kind !== "decision"),
      starts,
      nodeSha256,
    );
    if (hints === undefined) return undefined;
    const sizes = built.checkpoints.map((c) => c.size);
    const facts = hints.starts.map((start, i) => {
      const to = starts[i + 1] ?? Number.POSITIVE_INFINITY;
      const verifier = StreamVerifier.range("credit", start, {
        sha256: nodeSha256,
        cidTextsAt: sizes,
        ...(nodes === undefined ? {} : { nodes }),
      });
      for (const row of built.rows) if (row.seq >= start.seq && row.seq < to) verifier.add(row);
      return verifier.facts();
    });
    return stitchRanges("credit", facts, hints.events, built.checkpoints, built.head, {
      sha256: nodeSha256,
      ...(nodes === undefined ? {} : { nodes }),
    });
  }

  const SPLITS = [[0], [0, 16], [0, 32, 48], [0, 16, 32, 48, 64, 80], [0, 80], [0, 48, 96]];

  it("gives the serial success for any split at block multiples, with and without a node lookup", () => {
    const built = long();
    const serial = run(built);
    expect(serial.ok).toBe(true);
    const store = new MemoryNodeStore();
    const tree = new CompactRange(nodeSha256);
    for (const row of built.rows) store.putAll(tree.appendLeaf(CID.parse(row.cid).bytes).nodes);
    const nodes = (l: number, i: number) => store.node(l, i);
    const withNodes = verifyStream({ ...sourceOf(built), node: (_s, l, i) => nodes(l, i) }, "credit", {
      sha256: nodeSha256,
    });
    for (const starts of SPLITS) {
      expect(inRanges(built, starts), String(starts)).toEqual(serial);
      expect(inRanges(built, starts, nodes), String(starts)).toEqual(withNodes);
      const forged = (l: number, i: number) => (l === 5 && i === 1 ? new Uint8Array(32) : store.node(l, i));
      expect(inRanges(built, starts, forged)).toBeUndefined();
    }
  });

  it("never succeeds where the serial path fails", () => {
    const built = long();
    const tampered: Built[] = [
      edit(built, 20, { cid: built.rows[21]?.cid as string }),
      edit(built, 33, { bytes: built.rows[34]?.bytes as Uint8Array }),
      edit(built, 17, { kind: "label" }),
      edit(built, 3, { kind: "decision" }),
      edit(built, built.rows.filter((r) => r.kind === "config")[1]?.seq as number, { kind: "decision" }),
      edit(built, built.rows.filter((r) => r.kind === "label")[2]?.seq as number, { kind: "decision" }),
      edit(built, 40, { label: "L009" }),
      edit(built, 16, { leafHash: new Uint8Array(32) }),
      { ...built, rows: built.rows.filter((r) => r.seq !== 32) },
      { ...built, rows: built.rows.filter((r) => r.seq < 60) },
      { ...built, head: { ...built.head, size: built.head.size - 1 } },
      {
        ...built,
        checkpoints: built.checkpoints.map((c, i) => (i === 3 ? { ...c, root: new Uint8Array(32) } : c)),
      },
      {
        ...built,
        checkpoints: built.checkpoints.map((c, i) => (i === 4 ? { ...c, head: "bafkreiaaaa" } : c)),
      },
      {
        ...built,
        checkpoints: [...built.checkpoints, { ...(built.checkpoints[0] as StoredCheckpoint), size: 500 }],
      },
    ];
    for (const [i, t] of tampered.entries()) {
      expect(run(t).ok, `case ${i}`).toBe(false);
      for (const starts of SPLITS) expect(inRanges(t, starts), `case ${i}, ${starts}`).toBeUndefined();
    }
  });

  it("refuses a range that does not start at a block multiple", () => {
    expect(() => StreamVerifier.range("credit", { seq: 5, labels: [] })).toThrow(/multiple/);
    for (const seq of [5, -16, 1.5]) {
      expect(thrown(() => StreamVerifier.range("credit", { seq, labels: [] }))).toMatchObject({
        name: "StreamVerifierError",
        code: "RANGE_START_INVALID",
      });
    }
    expect(thrown(() => StreamVerifier.range("credit", { seq: 5, labels: [] }))).toBeInstanceOf(
      StreamVerifierError,
    );
  });

  it("refuses a starting config that is not a config record", () => {
    const label = standard().rows[1] as StoredRecord;
    const error = thrown(() => StreamVerifier.range("credit", { seq: 16, labels: [], config: label.bytes }));
    expect(error).toBeInstanceOf(StreamVerifierError);
    expect(error).toMatchObject({ code: "RANGE_CONFIG_INVALID", evidence: { kind: "label" } });
  });
});

describe("StreamVerifier used wrongly", () => {
  const expectCode = (fn: () => unknown, code: StreamVerifierErrorCode) => {
    const error = thrown(fn);
    expect(error).toBeInstanceOf(StreamVerifierError);
    expect(error).toMatchObject({ code });
    expect((error as StreamVerifierError).hint).toBeTypeOf("string");
  };

  it("refuses records, a second finish and facts after finish", () => {
    const built = standard();
    const verifier = new StreamVerifier("credit", built.checkpoints, { sha256: nodeSha256 });
    for (const row of built.rows) verifier.add(row);
    expect(verifier.finish(built.head).ok).toBe(true);
    expectCode(() => verifier.add(built.rows[0] as StoredRecord), "VERIFIER_FINISHED");
    expectCode(() => verifier.finish(built.head), "VERIFIER_FINISHED");
  });

  it("refuses facts of a whole-stream verifier, and facts twice", () => {
    expectCode(() => new StreamVerifier("credit").facts(), "VERIFIER_NOT_RANGE");
    const range = StreamVerifier.range("credit", { seq: 0, labels: [] }, { sha256: nodeSha256 });
    for (const row of standard().rows.slice(0, 16)) range.add(row);
    expect(range.facts()).toMatchObject({ from: 0, count: 16, failureCount: 0 });
    expectCode(() => range.facts(), "VERIFIER_FINISHED");
    expectCode(() => range.add(standard().rows[16] as StoredRecord), "VERIFIER_FINISHED");
  });
});

/** What `fn` throws, or `undefined`. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
