import { createHash } from "node:crypto";
import { hashLeaf, parseBlockCid, verifyInclusion } from "@ancora/core";
import { verifySampleChain } from "@ancora/verifier";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logCapsule, openLoggedCapsule } from "../capsules/logged-capsule.js";
import { grantConsent } from "../consent/consent.js";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { enforceRetention } from "../retention/enforce.js";
import { eraseSubject } from "../retention/erasure.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import type { LineageGraph } from "./graph.js";
import {
  grantAccess,
  logDataset,
  logModel,
  logReproducibility,
  logTraining,
  type ModelInput,
  readReproducibility,
  recordOwnership,
  setRetention,
  sha256Digest,
} from "./kinds.js";
import { lineageGraph, proveSampleInTraining } from "./query.js";
import { renderLineage } from "./render.js";

const D = (s: string) => sha256Digest(new TextEncoder().encode(s));
const sample = (i: number) => new Uint8Array(createHash("sha256").update(`sample-${i}`).digest());
const ORG_KEY = new Uint8Array(32).fill(5);

let temp: ReturnType<typeof tempStore>;
let logger: ProvenanceLogger;
beforeEach(() => {
  temp = tempStore();
  logger = createLogger({ path: temp.path, stream: "credit", model: MODEL });
  logger.setConfig(CONFIG);
});
afterEach(async () => {
  await logger.close();
  temp.cleanup();
});

/** dataset (train, validation) → model → training → decisions. */
function pipeline() {
  const train = logDataset(logger, {
    id: "loans-2024",
    split: "train",
    sampleHashes: Array.from({ length: 13 }, (_, i) => sample(i)),
    schema: D("schema"),
    privacy: "personal",
    sources: [{ name: "core-banking-export", digest: D("export"), uri: "s3://exports/loans-2024.parquet" }],
  });
  const validation = logDataset(logger, {
    id: "loans-2024",
    split: "validation",
    sampleHashes: [sample(100), sample(101)],
    schema: D("schema"),
    privacy: "personal",
  });
  const model = logModel(logger, {
    name: MODEL.id,
    version: MODEL.version,
    weights: MODEL.hash,
    architecture: D("arch"),
    hyperparameters: D("hp"),
    environment: D("env"),
    commit: "a".repeat(40),
    datasets: [train.cid, validation.cid],
  });
  const training = logTraining(logger, {
    datasets: [train.cid],
    modelAfter: model.cid,
    parameters: D("params"),
    backend: "cpu",
    actor: "ml-platform",
  });
  return { train, validation, model, training };
}

function checkNodeProofs(graph: LineageGraph): void {
  for (const node of graph.nodes) {
    const proof = node.proof;
    if (proof === undefined) continue;
    const cid = parseBlockCid(node.id);
    expect(cid).toBeDefined();
    const bytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), "hex"));
    expect(
      verifyInclusion({
        leafHash: hashLeaf((cid as NonNullable<typeof cid>).bytes),
        index: proof.index,
        size: proof.size,
        proof: proof.proof.map(bytes),
        root: bytes(proof.root),
      }),
    ).toBe(true);
  }
}

describe("lineage kinds through the SDK", () => {
  it("every kind round-trips and verify() stays green", async () => {
    const { train, model, training } = pipeline();
    const rep = logReproducibility(logger, training.cid, { pipeline: "train.py", seed: 42 });
    expect(readReproducibility(logger.store, rep.cid)).toEqual({ pipeline: "train.py", seed: 42 });
    recordOwnership(logger, {
      target: model.cid,
      owner: "risk-team",
      steward: "ml-platform",
      approver: "cro",
    });
    setRetention(logger, { kind: "capsule", payloadDays: 183, basis: "EU AI Act Art. 19", actor: "dpo" });
    grantAccess(logger, { grantee: "auditor-1", scope: ["stream:credit:read"], actor: "dpo" });
    logCapsule(logger, new TextEncoder().encode("{}"), {
      key: { orgKey: ORG_KEY, keyId: "org-2025" },
      target: train.cid,
    });
    for (const cid of [train.cid, model.cid, training.cid, rep.cid]) {
      const seq = lineageGraph(logger.store, cid).nodes.find((n) => n.id === cid)?.seq as number;
      expect(logger.store.get("credit", seq)?.cid).toBe(cid);
    }
    expect(logger.verify()).toMatchObject({ ok: true, failures: [] });
  });

  it("a changed reproducibility document is caught on read", () => {
    const { training } = pipeline();
    const rep = logReproducibility(logger, training.cid, { seed: 1 });
    // Tamper the off-log document with plain SQL.
    const sqlite = new Database(temp.path);
    sqlite.prepare("UPDATE blobs SET bytes = ? WHERE kind = 'document'").run(Buffer.from('{"seed":2}'));
    sqlite.close();
    expect(() => readReproducibility(logger.store, rep.cid)).toThrow(
      expect.objectContaining({ code: "DOCUMENT_MISMATCH" }),
    );
  });

  it("the lineage of a decision reaches the right datasets with valid proofs", async () => {
    const { train, validation, model, training } = pipeline();
    const other = logDataset(logger, {
      id: "unrelated",
      split: "train",
      sampleHashes: [sample(7)],
      schema: D("s"),
      privacy: "public",
    });
    const decision = await logger.record({ features: { age: 42 }, output: 1, score: 0.9 });
    logger.checkpoint();
    const graph = lineageGraph(logger.store, decision.cid);
    const ids = new Set(graph.nodes.map((n) => n.id));
    const source = "source:core-banking-export";
    expect(ids).toEqual(new Set([decision.cid, model.cid, training.cid, train.cid, validation.cid, source]));
    expect(ids.has(other.cid)).toBe(false);
    // The chain ends at the train split's source, pinned by the digest its record commits to.
    expect(graph.nodes.find((n) => n.id === source)).toMatchObject({
      kind: "source",
      digest: D("export"),
      uri: "s3://exports/loans-2024.parquet",
    });
    // The decision is shown by its label's name (CONFIG's aboveLabel for a score over the threshold),
    // not by the id the record holds.
    const labelId = logger.labels().find((l) => l.name === CONFIG.aboveLabel)?.id;
    expect(labelId).toMatch(/^L\d{3}$/);
    expect(graph.nodes.find((n) => n.id === decision.cid)?.name).toBe(`decision ${CONFIG.aboveLabel}`);
    expect(graph.edges).toContainEqual({ from: source, to: train.cid, relation: "source-of" });
    expect(graph.edges).toContainEqual({ from: model.cid, to: decision.cid, relation: "made" });
    expect(graph.edges).toContainEqual({ from: training.cid, to: model.cid, relation: "produced" });
    expect(graph.edges).toContainEqual({ from: train.cid, to: training.cid, relation: "trained-on" });
    expect(graph.nodes.filter((n) => n.kind !== "source").every((n) => n.proof?.checkpointed)).toBe(true);
    checkNodeProofs(graph);
    // Descendants: from a dataset down to the decision.
    const down = lineageGraph(logger.store, train.cid);
    expect(down.nodes.map((n) => n.id)).toContain(decision.cid);
    checkNodeProofs(down);
  });

  it("refuses a model whose documents are not digests: at compile time by type, at run time by code", () => {
    // @ts-expect-error a name is not a digest: ModelInput's architecture is `sha256:…` (tsc -b checks it)
    const named: ModelInput["architecture"] = "transformer-v2";
    const digest: ModelInput["architecture"] = D("transformer-v2");
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // A caller without types still cannot write it: logModel checks every digest.
    expect(() =>
      logModel(logger, {
        name: MODEL.id,
        version: MODEL.version,
        weights: MODEL.hash,
        architecture: named,
        hyperparameters: D("hp"),
        environment: D("env"),
        commit: "a".repeat(40),
        datasets: [],
      }),
    ).toThrow(expect.objectContaining({ name: "InputError", code: "INVALID_OPTION" }));
  });

  it("refuses a maxDecisions that is not a count, with a typed error", async () => {
    const decision = await logger.record({ features: { age: 42 }, output: 1, score: 0.9 });
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => lineageGraph(logger.store, decision.cid, { maxDecisions: bad })).toThrow(
        expect.objectContaining({ code: "INVALID_OPTION" }),
      );
    }
    expect(lineageGraph(logger.store, decision.cid, { maxDecisions: 0 }).root).toBe(decision.cid);
  });

  it("renders svg, dot, mermaid and json", async () => {
    pipeline();
    const decision = await logger.record({ features: { age: 42 }, output: 1, score: 0.9 });
    const graph = lineageGraph(logger.store, decision.cid);
    const svg = await renderLineage(graph, "svg");
    expect(svg).toContain("<svg");
    expect(svg).toContain("loans&#45;2024 / train");
    expect(await renderLineage(graph, "dot")).toMatch(/^digraph lineage \{/);
    expect(await renderLineage(graph, "mermaid")).toMatch(/^flowchart LR/);
    expect(JSON.parse(await renderLineage(graph, "json"))).toEqual(graph);
    await expect(renderLineage(graph, "png" as never)).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  it("an unknown record is a typed error", () => {
    expect(() =>
      lineageGraph(logger.store, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"),
    ).toThrow(expect.objectContaining({ code: "LINEAGE_UNKNOWN" }));
  });
});

describe("proveSampleInTraining", () => {
  it("proves sample → dataset root → training → model → decision, checked by a pure function", async () => {
    pipeline();
    const decision = await logger.record({ features: { age: 42 }, output: 1, score: 0.9 });
    const chain = proveSampleInTraining(logger.store, sample(5), { decision: decision.cid });
    expect(chain.decision?.cid).toBe(decision.cid);
    expect(verifySampleChain(JSON.parse(JSON.stringify(chain)))).toEqual({ ok: true, failures: [] });
    // Tampering with any part is caught.
    const bad = structuredClone(chain);
    bad.sampleProof.index = 6;
    expect(verifySampleChain(bad).ok).toBe(false);
    const badDecision = {
      ...chain,
      decision: { ...(chain.decision as NonNullable<typeof chain.decision>), cid: chain.model.cid },
    };
    expect(verifySampleChain(badDecision).ok).toBe(false);
    expect(verifySampleChain(null as never).ok).toBe(false);
  });

  it("a sample not used in any training run gets no proof (SAMPLE_NOT_IN_TRAINING)", async () => {
    pipeline();
    await logger.record({ features: { age: 42 }, output: 1, score: 0.9 });
    // In the validation split, which no training run used.
    expect(() => proveSampleInTraining(logger.store, sample(100))).toThrow(
      expect.objectContaining({ code: "SAMPLE_NOT_IN_TRAINING" }),
    );
    expect(() => proveSampleInTraining(logger.store, sample(999))).toThrow(
      expect.objectContaining({ code: "SAMPLE_NOT_IN_TRAINING" }),
    );
  });
});

describe("capsules, erasure and retention in a store", () => {
  const SUBJECT = "customer-4711";

  it("erasure makes openings and capsules unopenable while verify() stays green", async () => {
    grantConsent(logger, { subject: SUBJECT, purposes: ["credit-scoring"], roles: ["underwriter"] });
    const consent = { subject: SUBJECT, purpose: "credit-scoring", role: "underwriter" };
    const d = await logger.record({ features: { age: 42 }, output: 1, score: 0.9, consent });
    const capsule = logCapsule(logger, new TextEncoder().encode('{"name":"Ada"}'), {
      key: { orgKey: ORG_KEY, keyId: "org-2025" },
      subject: SUBJECT,
      target: d.cid,
    });
    logger.checkpoint();
    expect(Object.keys(logger.store.salts("credit", d.seq))).toHaveLength(2);
    expect(openLoggedCapsule(logger.store, capsule.capsuleCid, { orgKey: ORG_KEY }).payload).toHaveLength(14);
    const result = eraseSubject(logger, {
      subject: SUBJECT,
      basis: "GDPR Art. 17(1)(b)",
      actor: "privacy-desk",
    });
    expect(result).toMatchObject({ salts: 2, capsules: 1 });
    expect(logger.store.salts("credit", d.seq)).toEqual({});
    expect(() => openLoggedCapsule(logger.store, capsule.capsuleCid, { orgKey: ORG_KEY })).toThrow(
      expect.objectContaining({ code: "CAPSULE_ERASED" }),
    );
    const erasure = logger.store.get("credit", result.records[0]?.seq as number)?.record;
    expect(erasure?.kind).toBe("erasure");
    expect(JSON.stringify(erasure)).not.toContain("4711");
    expect(logger.verify()).toMatchObject({ ok: true, failures: [] });
    // The decision's receipt-level proof still holds.
    const proof = logger.inclusionProof(d.seq);
    expect(verifyInclusion(proof)).toBe(true);
  });

  it("a capsule whose stored bytes were changed is CAPSULE_TAMPERED; a wrong key CAPSULE_KEY_MISMATCH", () => {
    const capsule = logCapsule(logger, new Uint8Array([1, 2, 3]), { key: { orgKey: ORG_KEY, keyId: "k" } });
    expect(() => openLoggedCapsule(logger.store, capsule.capsuleCid, { orgKey: new Uint8Array(32) })).toThrow(
      expect.objectContaining({ code: "CAPSULE_KEY_MISMATCH" }),
    );
    const sqlite = new Database(temp.path);
    const bytes = sqlite
      .prepare("SELECT bytes FROM blobs WHERE cid = ?")
      .pluck()
      .get(capsule.capsuleCid) as Buffer;
    bytes.writeUInt8((bytes.readUInt8(bytes.length - 10) ^ 1) & 0xff, bytes.length - 10);
    sqlite.prepare("UPDATE blobs SET bytes = ? WHERE cid = ?").run(bytes, capsule.capsuleCid);
    sqlite.close();
    expect(() => openLoggedCapsule(logger.store, capsule.capsuleCid, { orgKey: ORG_KEY })).toThrow(
      expect.objectContaining({ code: "CAPSULE_TAMPERED" }),
    );
    expect(() =>
      openLoggedCapsule(logger.store, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", {
        orgKey: ORG_KEY,
      }),
    ).toThrow(expect.objectContaining({ code: "CAPSULE_UNKNOWN" }));
  });

  it("retention purges expired payloads and keeps the log verifying", async () => {
    const { training } = pipeline();
    const d = await logger.record({ features: { age: 1 }, output: 1, score: 0.9 });
    const capsule = logCapsule(logger, new Uint8Array([1]), { key: { orgKey: ORG_KEY, keyId: "k" } });
    const rep = logReproducibility(logger, training.cid, { seed: 1 });
    setRetention(logger, { kind: "decision", payloadDays: 30, basis: "EU AI Act Art. 19", actor: "dpo" });
    setRetention(logger, { kind: "capsule", payloadDays: 30, basis: "EU AI Act Art. 19", actor: "dpo" });
    setRetention(logger, { kind: "reproducibility", payloadDays: 365, basis: "policy", actor: "dpo" });
    const sizeBefore = logger.store.stream("credit").size;
    // Nothing is due yet: nothing purged, nothing written.
    expect(enforceRetention(logger, { actor: "retention-job" })).toMatchObject({
      salts: 0,
      capsules: 0,
      documents: 0,
      records: [],
    });
    expect(logger.store.stream("credit").size).toBe(sizeBefore);
    const later = new Date(Date.now() + 31 * 86_400_000);
    const purged = enforceRetention(logger, { actor: "retention-job", now: later });
    expect(purged).toMatchObject({ salts: 2, capsules: 1, documents: 0 });
    expect(logger.store.salts("credit", d.seq)).toEqual({});
    expect(() => openLoggedCapsule(logger.store, capsule.capsuleCid, { orgKey: ORG_KEY })).toThrow(
      expect.objectContaining({ code: "CAPSULE_ERASED" }),
    );
    expect(readReproducibility(logger.store, rep.cid)).toEqual({ seed: 1 });
    // The purge is on the log: one erasure record per kind purged, naming the policy applied.
    const before = (days: number) => new Date(later.getTime() - days * 86_400_000).toISOString();
    expect(purged.records.map((r) => [r.kind, r.before, r.seq])).toEqual([
      ["decision", before(30), sizeBefore],
      ["capsule", before(30), sizeBefore + 1],
    ]);
    const policies = logger.store.search({ stream: "credit", kind: "retention" }).items.map((r) => r.cid);
    const bodies = purged.records.map((r) => logger.store.get("credit", r.seq)?.record.body);
    expect(bodies).toEqual([
      {
        kind: "decision",
        before: before(30),
        policy: parseBlockCid(policies[0] as string),
        erased: ["salts"],
        basis: "EU AI Act Art. 19",
        actor: "retention-job",
      },
      {
        kind: "capsule",
        before: before(30),
        policy: parseBlockCid(policies[1] as string),
        erased: ["capsules", "keys"],
        basis: "EU AI Act Art. 19",
        actor: "retention-job",
      },
    ]);
    // A second run finds nothing left to purge and writes nothing.
    expect(enforceRetention(logger, { actor: "retention-job", now: later }).records).toEqual([]);
    expect(logger.verify()).toMatchObject({ ok: true, failures: [] });
  });

  it("retention refuses a missing actor or an invalid time, and changes nothing", () => {
    setRetention(logger, { kind: "decision", payloadDays: 0, basis: "policy", actor: "dpo" });
    const size = logger.store.stream("credit").size;
    expect(() => enforceRetention(logger, {} as never)).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => enforceRetention(logger, { actor: "job", now: new Date(Number.NaN) })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    // An actor core refuses (empty) fails the whole run: the salts stay.
    const d = logger.recordSync({ features: { age: 1 }, output: 1, score: 0.9 });
    expect(() => enforceRetention(logger, { actor: "", now: new Date(Date.now() + 86_400_000) })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(Object.keys(logger.store.salts("credit", d.seq)).length).toBe(2);
    expect(logger.store.stream("credit").size).toBe(size + 1);
  });
});
