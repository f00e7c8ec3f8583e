import { hash } from "node:crypto";
import {
  type AncoraRecord,
  type BlockCid,
  CID,
  CompactRange,
  commitPlain,
  encodeRecordBlock,
  MemoryNodeStore,
  resolveLabel,
  type Sha256,
} from "@ancora/core";
import { describe, expect, it } from "vitest";
import { indexColumns } from "./columns.js";
import { rangeStarts, stitchRanges } from "./range-verifier.js";
import type { RecordSource, StoredCheckpoint, StoredHead, StoredRecord } from "./source.js";
import { StreamVerifier } from "./stream-verifier.js";
import { verifyStream, verifyStreamAsync, verifyStreams } from "./verify-streams.js";

const nodeSha256: Sha256 = (data) => hash("sha256", data, "buffer");
const TS = "2025-01-31T12:00:00.000Z";
const MODEL = { id: "credit-risk", version: "1.0.0", hash: `sha256:${"ab".repeat(32)}` };

type Body<K extends AncoraRecord["kind"]> = Extract<AncoraRecord, { kind: K }>["body"];
type Draft =
  | { kind: "label"; body: Body<"label"> }
  | { kind: "config"; body: Body<"config"> }
  | { kind: "decision"; score: number; label?: string; config?: BlockCid };

interface Built {
  rows: StoredRecord[];
  records: AncoraRecord[];
  checkpoints: StoredCheckpoint[];
  head: StoredHead;
}

/** A well-formed stream, written the way a writer would (the verifier's tests must not need the SDK). */
function buildStream(stream: string, drafts: Draft[], checkpointAt: number[] = []): Built {
  const tree = new CompactRange(nodeSha256);
  const rows: StoredRecord[] = [];
  const records: AncoraRecord[] = [];
  const checkpoints: StoredCheckpoint[] = [];
  let prev: BlockCid | undefined;
  let config: { cid: BlockCid; body: Body<"config"> } | undefined;
  const push = (record: AncoraRecord) => {
    const { bytes, cid } = encodeRecordBlock(record, nodeSha256);
    const leaf = tree.appendLeaf(cid.bytes).nodes[0];
    rows.push({
      seq: record.seq,
      bytes,
      cid: cid.toString(),
      ...indexColumns(record),
      leafHash: leaf?.hash ?? null,
    });
    records.push(record);
    prev = cid;
    if (record.kind === "config") config = { cid, body: record.body };
    if (checkpointAt.includes(tree.size))
      checkpoints.push({ size: tree.size, root: tree.root(), head: cid.toString() });
  };
  push({ v: 1, kind: "genesis", stream, seq: 0, ts: TS, body: { createdBy: "ops" } });
  for (const draft of drafts) {
    const seq = records.length;
    const envelope = { v: 1 as const, stream, seq, prev: prev as BlockCid, ts: TS };
    if (draft.kind === "decision") {
      const current = config;
      if (current === undefined) throw new Error("test stream needs a config first");
      push({
        ...envelope,
        kind: "decision",
        body: {
          model: MODEL,
          input: commitPlain({ i: seq }),
          output: commitPlain({ o: seq }),
          score: draft.score,
          label: draft.label ?? resolveLabel(current.body, draft.score),
          config: draft.config ?? current.cid,
        },
      });
    } else {
      push({ ...envelope, ...draft } as AncoraRecord);
    }
  }
  return { rows, records, checkpoints, head: { size: rows.length, head: prev?.toString() ?? null } };
}

const LABELS: Draft[] = [
  { kind: "label", body: { id: "L001", name: "refer" } },
  { kind: "label", body: { id: "L002", name: "approve" } },
];
const CONFIG: Draft = {
  kind: "config",
  body: { threshold: 0.5, aboveLabel: "L002", belowLabel: "L001", changedBy: "ops", changeReason: "launch" },
};

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
  });
});

describe("references of lineage and governance records", () => {
  const D = (c: string) => `sha256:${c.repeat(64)}`;
  const COMMIT = "0123456789abcdef0123456789abcdef01234567";
  const at = (second: number) => `2025-02-01T09:00:${String(second).padStart(2, "0")}.000Z`;
  const unknownCid = CID.parse("bafkreihzool4cgnadqtlsf2wdl53pnuswqercx55oe5kvu6oys72xnmsvm") as BlockCid;

  type Step = { kind: string; body: unknown; ts?: string };
  type Streams = Record<string, { rows: StoredRecord[]; cids: BlockCid[] }>;

  /** Writes `steps` after a genesis, each step seeing the CIDs of the records before it (`cids[seq]`). */
  function lineageStream(
    stream: string,
    steps: Array<(cids: BlockCid[], other: Streams) => Step>,
    other: Streams = {},
  ) {
    const rows: StoredRecord[] = [];
    const cids: BlockCid[] = [];
    // A stream built on others is written after them.
    const base = Object.keys(other).length * 20;
    const push = (record: AncoraRecord) => {
      const { bytes, cid } = encodeRecordBlock(record, nodeSha256);
      rows.push({ seq: record.seq, bytes, cid: cid.toString(), ...indexColumns(record) });
      cids.push(cid);
    };
    push({ v: 1, kind: "genesis", stream, seq: 0, ts: at(0), body: { createdBy: "ops" } });
    for (const step of steps) {
      const { kind, body, ts } = step(cids, other);
      const seq = cids.length;
      push({
        v: 1,
        kind,
        stream,
        seq,
        prev: cids[seq - 1],
        ts: ts ?? at(base + seq),
        body,
      } as unknown as AncoraRecord);
    }
    return { rows, cids };
  }

  const dataset = (): Step => ({
    kind: "dataset-split",
    body: {
      id: "loans-2024",
      split: "train",
      samples: 3,
      root: new Uint8Array(32),
      schema: D("1"),
      privacy: "personal",
    },
  });
  const model = (datasets: BlockCid[]): Step => ({
    kind: "model",
    body: {
      name: "credit-risk",
      version: "2.4.0",
      weights: D("2"),
      architecture: D("3"),
      hyperparameters: D("4"),
      environment: D("5"),
      commit: COMMIT,
      datasets,
    },
  });
  const training = (datasets: BlockCid[], modelAfter: BlockCid, ts?: string): Step => ({
    kind: "training",
    body: { datasets, modelAfter, parameters: D("6"), backend: "cpu", actor: "ml-ops" },
    ...(ts === undefined ? {} : { ts }),
  });
  const consent = (subject: string, revocable: boolean): Step => ({
    kind: "consent",
    body: { subject, purposes: ["credit-scoring"], roles: ["underwriter"], validFrom: at(0), revocable },
  });
  const revocation = (policy: BlockCid, subject = "subj-1"): Step => ({
    kind: "consent-revocation",
    body: { policy, subject, actor: subject },
  });
  const label = (): Step => ({ kind: "label", body: { id: "L001", name: "refer" } });
  const config = (): Step => ({
    kind: "config",
    body: {
      threshold: 0.5,
      aboveLabel: "L001",
      belowLabel: "L001",
      changedBy: "ops",
      changeReason: "launch",
    },
  });
  const decision = (configCid: BlockCid): Step => ({
    kind: "decision",
    body: {
      model: { id: "credit-risk", version: "2.4.0", hash: D("2") },
      input: commitPlain({ i: 1 }),
      output: commitPlain({ o: 1 }),
      score: 0.7,
      label: "L001",
      config: configCid,
    },
  });

  /** models: 1 dataset, 2 model. */
  const models = () => lineageStream("models", [() => dataset(), (c) => model([c[1] as BlockCid])]);

  function source(streams: Streams): RecordSource {
    return { records: (s) => streams[s]?.rows ?? [], checkpoints: () => [] };
  }
  const verifyAll = (streams: Streams) =>
    verifyStreams(source(streams), Object.keys(streams), { sha256: nodeSha256 });
  const failuresOf = (streams: Streams) =>
    verifyAll(streams).failures.map(({ code, stream, seq }) => ({ code, stream, seq }));

  it("accepts valid lineage and governance streams, within and across streams", () => {
    const m = models();
    const t = lineageStream(
      "training",
      [
        (_, o) => training([o.models?.cids[1] as BlockCid], o.models?.cids[2] as BlockCid),
        (c) => ({ kind: "reproducibility", body: { target: c[1], manifest: D("7") } }),
        () => consent("subj-1", true),
        (c) => revocation(c[3] as BlockCid),
        (c) => ({
          kind: "consent-denied",
          body: {
            subject: "subj-1",
            purpose: "credit-scoring",
            role: "underwriter",
            policy: c[3],
            reason: "revoked",
          },
        }),
        () => label(),
        () => config(),
        (c) => decision(c[7] as BlockCid),
        (c) => ({
          kind: "capsule",
          body: { target: c[8], digest: D("8"), size: 64, cipher: "aes-256-gcm", keyId: "k1" },
        }),
        (c) => ({ kind: "ownership", body: { target: c[8], owner: "a", steward: "b", approver: "c" } }),
        (c) => ({
          kind: "ownership",
          body: { target: c[8], owner: "d", steward: "b", approver: "c", previous: c[10] },
        }),
        (c, o) => ({
          kind: "erasure",
          body: {
            subject: "subj-1",
            records: [c[8], o.models?.cids[1]],
            capsules: [c[9]],
            erased: ["capsules"],
            basis: "GDPR Art. 17",
            actor: "dpo",
          },
        }),
      ],
      { models: m },
    );
    const streams = { models: m, training: t };
    expect(verifyAll(streams)).toMatchObject({ ok: true, checked: 3 + 13, failures: [] });
    // Alone, each stream verifies too: references that leave a stream are verifyStreams' to resolve.
    expect(verifyStream(source(streams), "training", { sha256: nodeSha256 })).toMatchObject({ ok: true });
    expect(verifyStream(source(streams), "models", { sha256: nodeSha256 })).toMatchObject({ ok: true });
  });

  it("reports a reference to nothing as REFERENCE_UNRESOLVED at the referring seq", () => {
    const m = models();
    const t = lineageStream("training", [(_, o) => training([unknownCid], o.models?.cids[2] as BlockCid)], {
      models: m,
    });
    expect(failuresOf({ models: m, training: t })).toEqual([
      { code: "REFERENCE_UNRESOLVED", stream: "training", seq: 1 },
    ]);
    const erasure = lineageStream("gov", [
      () => ({
        kind: "erasure",
        body: { records: [unknownCid], erased: ["salts"], basis: "GDPR Art. 17", actor: "dpo" },
      }),
    ]);
    expect(failuresOf({ gov: erasure })).toEqual([{ code: "REFERENCE_UNRESOLVED", stream: "gov", seq: 1 }]);
  });

  it("reports a revocation of an unknown policy, of another subject's, and of a non-revocable one", () => {
    const unknown = lineageStream("consent", [() => revocation(unknownCid)]);
    expect(failuresOf({ consent: unknown })).toEqual([
      { code: "REFERENCE_UNRESOLVED", stream: "consent", seq: 1 },
    ]);
    const other = lineageStream("consent", [
      () => consent("subj-1", true),
      () => consent("subj-2", false),
      (c) => revocation(c[1] as BlockCid, "subj-2"),
      (c) => revocation(c[2] as BlockCid, "subj-2"),
      (c) => revocation(c[1] as BlockCid, "subj-1"),
    ]);
    expect(failuresOf({ consent: other })).toEqual([
      { code: "REFERENCE_MISMATCH", stream: "consent", seq: 3 },
      { code: "REFERENCE_MISMATCH", stream: "consent", seq: 4 },
    ]);
  });

  it("reports a reference to a later record of another stream as REFERENCE_FORWARD", () => {
    const m = models();
    // Written (by its ts) before the model it claims to have produced.
    const t = lineageStream(
      "training",
      [
        (_, o) =>
          training(
            [o.models?.cids[1] as BlockCid],
            o.models?.cids[2] as BlockCid,
            "2025-02-01T08:00:00.000Z",
          ),
      ],
      { models: m },
    );
    const forward = { code: "REFERENCE_FORWARD", stream: "training", seq: 1 };
    // Both its dataset and its model were written after it.
    expect(failuresOf({ models: m, training: t })).toEqual([forward, forward]);
  });

  it("reports references to the wrong kind, in the stream and across streams, decisions included", () => {
    const m = models();
    const t = lineageStream(
      "training",
      [
        () => label(),
        () => config(),
        (c) => decision(c[2] as BlockCid),
        // datasets -> a decision of this stream; modelAfter -> a dataset of another stream.
        (c, o) => training([c[3] as BlockCid], o.models?.cids[1] as BlockCid),
        // model.datasets -> a model (the stream's own pass catches it).
        (_, o) => model([o.models?.cids[2] as BlockCid]),
        (c) => model([c[5] as BlockCid]),
      ],
      { models: m },
    );
    expect(failuresOf({ models: m, training: t })).toEqual([
      { code: "REFERENCE_KIND", stream: "training", seq: 4 },
      { code: "REFERENCE_KIND", stream: "training", seq: 4 },
      { code: "REFERENCE_KIND", stream: "training", seq: 5 },
      { code: "REFERENCE_KIND", stream: "training", seq: 6 },
    ]);
    // The stream alone still catches what lands in it (the decision, its own model record).
    const alone = verifyStream(source({ models: m, training: t }), "training", { sha256: nodeSha256 });
    expect(alone.failures.map((f) => [f.code, f.seq])).toEqual([
      ["REFERENCE_KIND", 4],
      ["REFERENCE_KIND", 6],
    ]);
  });

  it("reports an ownership handoff from a record of another target as REFERENCE_MISMATCH", () => {
    const m = models();
    const g = lineageStream(
      "gov",
      [
        (_, o) => ({
          kind: "ownership",
          body: { target: o.models?.cids[2], owner: "a", steward: "b", approver: "c" },
        }),
        (c, o) => ({
          kind: "ownership",
          body: { target: o.models?.cids[1], owner: "d", steward: "b", approver: "c", previous: c[1] },
        }),
      ],
      { models: m },
    );
    expect(failuresOf({ models: m, gov: g })).toEqual([
      { code: "REFERENCE_MISMATCH", stream: "gov", seq: 2 },
    ]);
  });

  it("checks that a purge by retention names a retention policy for the same kind", () => {
    const retention = (kind: string) => ({
      kind: "retention",
      body: { kind, payloadDays: 30, basis: "EU AI Act Art. 19", actor: "dpo" },
    });
    const purge = (policy: BlockCid | undefined, kind: string) => ({
      kind: "erasure",
      body: {
        kind,
        before: "2025-01-01T00:00:00.000Z",
        policy,
        erased: ["salts"],
        basis: "EU AI Act Art. 19",
        actor: "retention-job",
      },
    });
    const g = lineageStream("gov", [
      () => retention("decision"),
      (c) => purge(c[1], "decision"), // the policy for decisions: fine
      (c) => purge(c[1], "capsule"), // a decision policy cited for capsules
      (c) => purge(c[2], "decision"), // an erasure cited as the policy
    ]);
    expect(failuresOf({ gov: g })).toEqual([
      { code: "REFERENCE_MISMATCH", stream: "gov", seq: 3 },
      { code: "REFERENCE_KIND", stream: "gov", seq: 4 },
    ]);
  });

  it("leaves a stream whose references cross ranges to the serial path", () => {
    const steps = Array.from(
      { length: 40 },
      (_, i) => (c: BlockCid[]) => (i === 0 ? dataset() : model([c[1] as BlockCid])),
    );
    const built = lineageStream("models", steps);
    const src = source({ models: built });
    const serial = verifyStream(src, "models", { sha256: nodeSha256 });
    expect(serial.ok).toBe(true);
    const facts = [0, 16, 32].map((from) => {
      const verifier = StreamVerifier.range("models", { seq: from, labels: [] }, { sha256: nodeSha256 });
      for (const row of built.rows.slice(from, from + 16)) verifier.add(row);
      return verifier.facts();
    });
    expect(facts[0]?.pendingReferences).toBe(0);
    expect(facts[1]?.pendingReferences).toBe(16);
    expect(stitchRanges("models", facts, [], [], undefined, { sha256: nodeSha256 })).toBeUndefined();
    expect(
      stitchRanges("models", facts.slice(0, 1), [], [], undefined, { sha256: nodeSha256 }),
    ).toMatchObject({
      ok: true,
    });
  });
});
