/**
 * Writes the fixture store of the current schema version to packages/sdk/test-fixtures/
 * (`store-v<version>.db`). Run it once per released schema version and commit the file: the migration
 * test opens every fixture with the current code, which must migrate and verify it.
 *
 *   node --conditions=@ancora/source --import ./packages/verifier/src/testing/register-source.mjs \
 *     packages/sdk/src/testing/generate-fixture.ts
 *
 * Deterministic except for the `salted` stream's salts: a fixed clock, plain and HMAC commitments.
 * From schema v4 on it also holds one record of every lineage and governance kind the SDK writes, in
 * two streams whose references cross: "datasets" (dataset splits) and "governance" (model, training,
 * reproducibility, consent and its revocation, a consent-denied attempt, ownership, retention, an
 * access grant, a capsule and an erasure). Those records take their time from the wall clock (the
 * lineage API has no clock), so their bytes differ from run to run. From schema v5 on it also holds a
 * "bulk" stream of 603 records, past two full Merkle tiles.
 */
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Sha256Digest } from "@ancora/core";
import {
  ConsentDeniedError,
  createLogger,
  eraseSubject,
  grantAccess,
  grantConsent,
  logCapsule,
  logDataset,
  logModel,
  logReproducibility,
  logTraining,
  openStore,
  recordOwnership,
  revokeConsent,
  SCHEMA_VERSION,
  setRetention,
} from "@ancora/sdk";

const out = fileURLToPath(new URL(`../../test-fixtures/store-v${SCHEMA_VERSION}.db`, import.meta.url));
if (existsSync(out) && !process.argv.includes("--force")) {
  // A released version's fixture is what old stores look like: it is kept, never regenerated.
  process.stderr.write(`${out} exists; a released fixture is never rewritten (--force to replace it)\n`);
  process.exit(1);
}
for (const suffix of ["", "-wal", "-shm"]) if (existsSync(out + suffix)) rmSync(out + suffix);

let now = Date.parse("2025-02-03T10:00:00.000Z");
const clock = () => {
  now += 1000;
  return new Date(now);
};
const MODEL_A = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` } as const;
const MODEL_A2 = { ...MODEL_A, version: "2.4.0", hash: `sha256:${"ef".repeat(32)}` };
const MODEL_B = { id: "fraud-detect", version: "1.0.0", hash: `sha256:${"cd".repeat(32)}` };

const credit = createLogger({
  path: out,
  stream: "credit",
  model: MODEL_A,
  commitment: { scheme: "hmac", key: new Uint8Array(32).fill(7), keyId: "org-2025" },
  createdBy: "ops@example.org",
  org: "Example Bank",
  description: "Consumer credit decisions",
  registry: { chainId: 31337, address: `0x${"12".repeat(20)}` },
  clock,
});
credit.defineLabel("approve", { changedBy: "risk@example.org", changeReason: "launch" });
credit.setConfig({
  threshold: 0.6,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "risk@example.org",
  changeReason: "initial calibration",
});
for (let i = 0; i < 30; i++) {
  credit.recordSync({ features: { age: 20 + i, income: 1000 * i }, output: { p: i / 30 }, score: i / 30 });
}
credit.renameLabel("L002", "manual review", { changedBy: "ops@example.org", changeReason: "wording" });
credit.setConfig({
  threshold: 0.45,
  aboveLabel: "L001",
  belowLabel: "L002",
  changedBy: "risk@example.org",
  changeReason: "Q2 recalibration after drift review",
});
for (let i = 0; i < 20; i++) {
  credit.recordSync({ features: { age: 30 + i }, output: { p: i / 20 }, score: i / 20, model: MODEL_A2 });
}
credit.checkpoint();
for (let i = 0; i < 5; i++) credit.recordSync({ features: { late: i }, output: i, score: 0.9 });

const fraud = createLogger({ path: out, stream: "fraud", model: MODEL_B, commitment: "plain", clock });
fraud.setConfig({
  threshold: 0.9,
  aboveLabel: "block",
  belowLabel: "allow",
  changedBy: "sec",
  changeReason: "launch",
});
for (let i = 0; i < 10; i++) fraud.recordSync({ features: { amount: i * 100 }, output: i, score: i / 10 });
fraud.checkpoint();

const salted = createLogger({ path: out, stream: "salted", model: MODEL_B, commitment: "salted", clock });
salted.setConfig({
  threshold: 0.5,
  aboveLabel: "yes",
  belowLabel: "no",
  changedBy: "ops",
  changeReason: "launch",
});
for (let i = 0; i < 5; i++) salted.recordSync({ features: { i }, output: i, score: i / 5 });
salted.store.forgetSalts("salted", 6); // an erased opening

// Lineage and governance (docs/lineage.md): one record of each kind, references across streams.
const datasets = createLogger({ path: out, stream: "datasets", model: MODEL_A, clock });
const governance = createLogger({ path: out, stream: "governance", model: MODEL_A, clock });
const digest = (byte: string): Sha256Digest => `sha256:${byte.repeat(32)}`;
const split = logDataset(datasets, {
  id: "loans-2024",
  split: "train",
  sampleHashes: [1, 2, 3, 4, 5].map((n) => new Uint8Array(32).fill(n)),
  schema: digest("a1"),
  privacy: "personal",
  assignment: digest("a2"),
});
const model = logModel(governance, {
  name: MODEL_A.id,
  version: MODEL_A.version,
  weights: MODEL_A.hash,
  architecture: digest("b1"),
  hyperparameters: digest("b2"),
  environment: digest("b3"),
  commit: "0123456789abcdef0123456789abcdef01234567",
  datasets: [split.cid],
});
const training = logTraining(governance, {
  datasets: [split.cid],
  modelAfter: model.cid,
  parameters: digest("b4"),
  backend: "cpu",
  actor: "ml-platform@example.org",
});
logReproducibility(governance, training.cid, { pipeline: "train.py", seed: 42, image: digest("b5") });
recordOwnership(governance, {
  target: model.cid,
  owner: "risk-team",
  steward: "ml-platform",
  approver: "cro@example.org",
  reason: "launch",
});
setRetention(governance, { kind: "capsule", payloadDays: 183, basis: "EU AI Act Art. 19", actor: "dpo" });
grantAccess(governance, { grantee: "auditor-1", scope: ["stream:credit:read"], actor: "dpo" });
const subject = "subject-0001";
grantConsent(governance, { subject, purposes: ["credit-scoring"], roles: ["underwriter"] });
governance.setConfig({
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "risk@example.org",
  changeReason: "consent-gated decisions",
});
const gated = governance.recordSync({
  features: { age: 41 },
  output: 1,
  score: 0.7,
  consent: { subject, purpose: "credit-scoring", role: "underwriter" },
});
logCapsule(governance, new TextEncoder().encode('{"applicant":"redacted in fixture"}'), {
  key: { orgKey: new Uint8Array(32).fill(9), keyId: "org-2025" },
  subject,
  target: gated.cid,
  contentType: "application/json",
});
try {
  // Not consented for marketing: a consent-denied record is written, the call throws.
  governance.recordSync({
    features: { age: 41 },
    output: 0,
    score: 0.2,
    consent: { subject, purpose: "marketing", role: "underwriter" },
  });
  throw new Error("the marketing decision should have been refused");
} catch (error) {
  if (!(error instanceof ConsentDeniedError)) throw error;
}
revokeConsent(governance, { subject, actor: "privacy-desk" });
eraseSubject(governance, { subject, basis: "GDPR Art. 17(1)(b)", actor: "privacy-desk" });

// From schema v5 on: a stream past two full Merkle tiles (256 records each), so that the fixture
// holds level-0 tiles, a partial level-1 tile and a partial level-0 tile derived from the records.
const bulk = createLogger({ path: out, stream: "bulk", model: MODEL_B, commitment: "salted", clock });
bulk.setConfig({
  threshold: 0.5,
  aboveLabel: "flag",
  belowLabel: "pass",
  changedBy: "ops",
  changeReason: "launch",
});
for (let i = 0; i < 600; i++) bulk.log({ features: { n: i }, output: i % 2, score: (i % 100) / 100 });
await bulk.flush();
bulk.checkpoint();

const jobs = credit.store.dueJobs({ now: new Date(now) });
const first = jobs[0];
if (first !== undefined) credit.store.failJob(first.id, "rpc unavailable", new Date(now + 60_000));

await Promise.all([
  credit.close(),
  fraud.close(),
  salted.close(),
  datasets.close(),
  governance.close(),
  bulk.close(),
]);
const store = openStore({ path: out });
const result = store.verify();
console.log(
  JSON.stringify({ out, streams: store.streams(), ok: result.ok, checked: result.checked }, null, 2),
);
store.close(); // the last connection: SQLite checkpoints the WAL into the file and removes it
for (const suffix of ["-wal", "-shm"]) if (existsSync(out + suffix)) rmSync(out + suffix);
if (!result.ok) process.exit(1);
