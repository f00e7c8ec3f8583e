/**
 * lineage.json: the lineage and governance kinds on their own chain (stream "lineage"), each record
 * referencing earlier ones by CID, with a dataset root, a sample proof, the manifest and a capsule.
 */

import type { AncoraRecord, BlockCid } from "../../packages/core/dist/index.js";
import * as core from "../../packages/core/dist/index.js";
import { bytesOf, hex, jsonForm, text, utf8 } from "./common.ts";

// ---------------------------------------------------------------------------------------------------
// Lineage and governance kinds: their own chain (stream "lineage") in lineage.json, so records.json and
// receipts.json stay exactly as published. Each record references earlier ones by CID.

export const LINEAGE_STREAM = "lineage";
export const lineageTs = (seconds: number) => new Date(Date.UTC(2025, 1, 1, 9, 0, seconds, 0)).toISOString();
export const digestOf = (label: string) => core.documentDigest(utf8(label));
export const sampleHashes = Array.from({ length: 5 }, (_, i) => core.sha256(utf8(`sample-${i}`)));
export const datasetRootBytes = core.datasetRoot(sampleHashes);
export const manifest = {
  v: 1 as const,
  pipeline: {
    name: "credit-train",
    version: "3.1.0",
    image: `registry.example/credit-train@sha256:${"ab".repeat(32)}`,
    commit: "0123456789abcdef0123456789abcdef01234567",
    parameters: { epochs: 20, lr: 0.001 },
    dependencies: { numpy: "2.1.0", torch: "2.4.1" },
  },
  model: { architecture: "gbdt", output: "score" },
};
export const capsuleBytes = bytesOf(96, (i) => (i * 29 + 7) & 0xff);

export interface LineageStep {
  name: string;
  description: string;
  kind: AncoraRecord["kind"];
  body: (cids: BlockCid[]) => unknown;
}

export const lineageSteps: LineageStep[] = [
  {
    name: "dataset-split",
    description: "A dataset split: root = datasetRoot over the five sample hashes of `datasetRoot` below.",
    kind: "dataset-split",
    body: () => ({
      id: "loans-2024",
      split: "train",
      samples: sampleHashes.length,
      root: datasetRootBytes,
      schema: digestOf("schema"),
      privacy: "personal",
      assignment: digestOf("assignment"),
    }),
  },
  {
    name: "model",
    description: "A model authorised to train on the dataset split (seq 1).",
    kind: "model",
    body: (c) => ({
      name: "credit-risk",
      version: "2.4.0",
      weights: digestOf("weights"),
      architecture: digestOf("architecture"),
      hyperparameters: digestOf("hyperparameters"),
      environment: digestOf("environment"),
      commit: "0123456789abcdef0123456789abcdef01234567",
      datasets: [c[1]],
    }),
  },
  {
    name: "training",
    description: "A training run over the dataset split that produced the model.",
    kind: "training",
    body: (c) => ({
      datasets: [c[1]],
      modelAfter: c[2],
      parameters: digestOf("parameters"),
      backend: "cpu",
      actor: "ml-ops",
    }),
  },
  {
    name: "reproducibility",
    description: "Commits to the reproducibility manifest below (its canonical bytes' SHA-256).",
    kind: "reproducibility",
    body: (c) => ({ target: c[3], manifest: core.reproducibilityManifestDigest(manifest) }),
  },
  {
    name: "consent",
    description: "A revocable consent policy of a pseudonymous subject.",
    kind: "consent",
    body: () => ({
      subject: "subj-7f3a",
      purposes: ["credit-scoring"],
      roles: ["underwriter"],
      validFrom: lineageTs(0),
      validUntil: "2026-02-01T09:00:00.000Z",
      revocable: true,
    }),
  },
  {
    name: "consent-denied",
    description: "A request refused: the purpose is not in the policy.",
    kind: "consent-denied",
    body: (c) => ({
      subject: "subj-7f3a",
      purpose: "marketing",
      role: "sales",
      policy: c[5],
      reason: "purpose-not-allowed",
    }),
  },
  {
    name: "consent-revocation",
    description: "The subject revokes the policy.",
    kind: "consent-revocation",
    body: (c) => ({ policy: c[5], subject: "subj-7f3a", actor: "subj-7f3a" }),
  },
  {
    name: "ownership",
    description: "Owner, steward and approver of the model.",
    kind: "ownership",
    body: (c) => ({ target: c[2], owner: "risk-team", steward: "data-office", approver: "cro" }),
  },
  {
    name: "ownership-handoff",
    description: "A handoff: a new ownership record naming the previous one.",
    kind: "ownership",
    body: (c) => ({
      target: c[2],
      owner: "credit-team",
      steward: "data-office",
      approver: "cro",
      previous: c[8],
      reason: "reorganisation",
    }),
  },
  {
    name: "retention",
    description: "Capsules are kept 180 days; hashes forever.",
    kind: "retention",
    body: () => ({ kind: "capsule", payloadDays: 180, basis: "EU AI Act Art. 19", actor: "dpo" }),
  },
  {
    name: "access-grant",
    description: "An auditor may read the stream for a month.",
    kind: "access-grant",
    body: () => ({
      grantee: "auditor-1",
      scope: ["stream:lineage:read"],
      validFrom: lineageTs(0),
      validUntil: "2025-03-01T09:00:00.000Z",
      actor: "dpo",
    }),
  },
  {
    name: "capsule",
    description: "Commits to the 96-byte capsule below by its SHA-256 digest and size.",
    kind: "capsule",
    body: (c) => ({
      target: c[1],
      digest: core.documentDigest(capsuleBytes),
      size: capsuleBytes.length,
      cipher: "aes-256-gcm",
      keyId: "capsule-key-2025",
      subject: "subj-7f3a",
      contentType: "application/json",
    }),
  },
  {
    name: "erasure",
    description: "The subject's capsule erased under GDPR Art. 17; the record names no personal data.",
    kind: "erasure",
    body: (c) => ({
      subject: "subj-7f3a",
      capsules: [c[12]],
      erased: ["capsules", "keys"],
      basis: "GDPR Art. 17(1)(b)",
      actor: "dpo",
    }),
  },
  {
    name: "erasure-by-retention",
    description:
      "Capsules older than the retention policy's 180 days purged; the record names the policy applied and the cut-off, not each capsule.",
    kind: "erasure",
    body: (c) => ({
      kind: "capsule",
      before: new Date(Date.UTC(2025, 1, 1, 9, 0, 14) - 180 * 86_400_000).toISOString(),
      policy: c[10],
      erased: ["capsules", "keys"],
      basis: "EU AI Act Art. 19",
      actor: "retention-job",
    }),
  },
];

export const lineageCids: BlockCid[] = [];
export const lineageRecords: Array<{
  name: string;
  description: string;
  input: unknown;
  canonical: string;
  cid: string;
}> = [];
{
  const genesis: AncoraRecord = {
    v: 1,
    kind: "genesis",
    stream: LINEAGE_STREAM,
    seq: 0,
    ts: lineageTs(0),
    body: { createdBy: "ml-ops", description: "Datasets, models and governance" },
  };
  const all: Array<{ name: string; description: string; record: AncoraRecord }> = [
    { name: "lineage-genesis", description: "First record of the lineage stream.", record: genesis },
  ];
  for (const step of lineageSteps) {
    const block = core.encodeRecordBlock((all[all.length - 1] as { record: AncoraRecord }).record);
    lineageCids.push(block.cid);
    const seq = all.length;
    all.push({
      name: step.name,
      description: step.description,
      record: {
        v: 1,
        kind: step.kind,
        stream: LINEAGE_STREAM,
        seq,
        prev: block.cid,
        ts: lineageTs(seq),
        // lineageCids[i] is the CID of record seq i, for every record before this one.
        body: step.body([...lineageCids]),
      } as AncoraRecord,
    });
  }
  for (const { name, description, record } of all) {
    const { bytes, cid } = core.encodeRecordBlock(record);
    lineageRecords.push({
      name,
      description,
      input: jsonForm(record),
      canonical: text(bytes),
      cid: cid.toString(),
    });
  }
}

export const proof = core.sampleProof(sampleHashes, 3);
export const lineageDocument = {
  version: 1,
  description:
    "Ancora lineage and governance record vectors, format v1: a chain (stream `lineage`) with one record of " +
    "each lineage kind, each referencing earlier ones by CID (`cid` is CIDv1 raw sha2-256 of `canonical`); " +
    "the dataset root and one sample's inclusion proof (RFC 9162, leaf input = the 32-byte sample hash); the " +
    "reproducibility manifest and the capsule the records commit to. Generated by scripts/generate-record-vectors.ts.",
  records: lineageRecords,
  datasetRoot: {
    samples: sampleHashes.map(hex),
    root: hex(datasetRootBytes),
    proof: {
      index: proof.index,
      size: proof.size,
      sample: hex(sampleHashes[3] as Uint8Array),
      path: proof.proof.map(hex),
    },
  },
  reproducibilityManifest: {
    canonical: text(core.encodeReproducibilityManifest(manifest)),
    digest: core.reproducibilityManifestDigest(manifest),
  },
  capsule: { hex: hex(capsuleBytes), digest: core.documentDigest(capsuleBytes) },
};
