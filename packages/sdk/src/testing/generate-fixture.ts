/**
 * Writes the fixture store of the current schema version to packages/sdk/test-fixtures/
 * (`store-v<version>.db`). Run it once per released schema version and commit the file: the migration
 * test opens every fixture with the current code, which must migrate and verify it.
 *
 *   node --conditions=@ancora/source --import ./packages/sdk/src/testing/register-source.mjs \
 *     packages/sdk/src/testing/generate-fixture.ts
 *
 * Deterministic except for the `salted` stream's salts: a fixed clock, plain and HMAC commitments.
 */
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createLogger, openStore, SCHEMA_VERSION } from "@ancora/sdk";

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
const MODEL_A = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };
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

const jobs = credit.store.dueJobs({ now: new Date(now) });
const first = jobs[0];
if (first !== undefined) credit.store.failJob(first.id, "rpc unavailable", new Date(now + 60_000));

await Promise.all([credit.close(), fraud.close(), salted.close()]);
const store = openStore({ path: out });
const result = store.verify();
console.log(
  JSON.stringify({ out, streams: store.streams(), ok: result.ok, checked: result.checked }, null, 2),
);
store.close(); // the last connection: SQLite checkpoints the WAL into the file and removes it
for (const suffix of ["-wal", "-shm"]) if (existsSync(out + suffix)) rmSync(out + suffix);
if (!result.ok) process.exit(1);
