/**
 * References of lineage and governance records (references.ts): checked within a stream by its pass,
 * across streams by resolveReferences, and left to the serial path by the range stitching.
 */
import { hash } from "node:crypto";
import {
  type AncoraRecord,
  type BlockCid,
  CID,
  commitPlain,
  encodeRecordBlock,
  type Sha256,
} from "@ancora/core";
import { describe, expect, it } from "vitest";
import { indexColumns } from "./columns.js";
import { stitchRanges } from "./range-verifier.js";
import type { RecordSource, StoredRecord } from "./source.js";
import { StreamVerifier } from "./stream-verifier.js";
import { verifyStream, verifyStreams } from "./verify-streams.js";

const nodeSha256: Sha256 = (data) => hash("sha256", data, "buffer");

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
