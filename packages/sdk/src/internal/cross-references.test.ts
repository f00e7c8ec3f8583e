/**
 * store.verify() checks references across streams, on the serial and the parallel path: a training
 * record in "training" naming a dataset split in "datasets" verifies; one naming a CID that is no
 * record of the file, or a decision, fails at the training record's seq.
 */
import { computeCid } from "@ancora/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logDataset, logModel, logTraining } from "../lineage/kinds.js";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { openStore } from "../store.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import { parallelVerify } from "./parallel-verify.js";

let temp: ReturnType<typeof tempStore>;
let datasets: ProvenanceLogger;
let training: ProvenanceLogger;
let loans: ProvenanceLogger;
let dataset: string;
let model: string;
let decision: string;

beforeEach(async () => {
  temp = tempStore();
  datasets = createLogger({ path: temp.path, stream: "datasets", model: MODEL });
  training = createLogger({ path: temp.path, stream: "training", model: MODEL });
  loans = createLogger({ path: temp.path, stream: "loans", model: MODEL });
  loans.setConfig(CONFIG);
  decision = (await loans.record({ features: { a: 1 }, output: 1, score: 0.9 })).cid;
  dataset = logDataset(datasets, {
    id: "loans-2024",
    split: "train",
    sampleHashes: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)],
    schema: `sha256:${"aa".repeat(32)}`,
    privacy: "personal",
  }).cid;
  model = logModel(training, {
    name: MODEL.id,
    version: MODEL.version,
    weights: MODEL.hash,
    architecture: `sha256:${"ee".repeat(32)}`,
    hyperparameters: `sha256:${"bb".repeat(32)}`,
    environment: `sha256:${"cc".repeat(32)}`,
    commit: "0123456789abcdef0123456789abcdef01234567",
    datasets: [dataset],
  }).cid;
});
afterEach(async () => {
  await Promise.all([datasets.close(), training.close(), loans.close()]);
  temp.cleanup();
});

function train(datasetCid: string): number {
  return logTraining(training, {
    datasets: [datasetCid],
    modelAfter: model,
    parameters: `sha256:${"dd".repeat(32)}`,
    backend: "cpu",
    actor: "ml-platform",
  }).seq;
}

/** verify() on the serial path, and with every stream long enough for the parallel one. */
function verifyBoth(options: { stream?: string } = {}) {
  const store = openStore({ path: temp.path, readonly: true });
  const minRecords = parallelVerify.minRecords;
  try {
    const serial = store.verify({ ...options, threads: 1 });
    parallelVerify.minRecords = 1;
    const parallel = store.verify({ ...options, threads: 2 });
    expect(parallel).toEqual(serial);
    return serial;
  } finally {
    parallelVerify.minRecords = minRecords;
    store.close();
  }
}

describe("store.verify() across streams", { timeout: 60_000 }, () => {
  it("resolves a training record's reference to another stream's dataset", () => {
    train(dataset);
    const result = verifyBoth();
    expect(result.ok, JSON.stringify(result.failures)).toBe(true);
    // One stream alone still resolves against the rest of the file.
    expect(verifyBoth({ stream: "training" }).ok).toBe(true);
  });

  it("reports a reference to a CID that is no record of the file", () => {
    const nowhere = computeCid(new Uint8Array([1, 2, 3])).toString();
    const seq = train(nowhere);
    for (const result of [verifyBoth(), verifyBoth({ stream: "training" })]) {
      expect(result.ok).toBe(false);
      expect(result.failures).toEqual([
        expect.objectContaining({ code: "REFERENCE_UNRESOLVED", stream: "training", seq }),
      ]);
    }
  });

  it("reports a reference to a decision of another stream where a dataset split belongs", () => {
    const seq = train(decision);
    const result = verifyBoth();
    expect(result.failures).toEqual([
      expect.objectContaining({ code: "REFERENCE_KIND", stream: "training", seq }),
    ]);
    expect(result.streams.find((s) => s.stream === "training")).toMatchObject({
      ok: false,
      firstBadSeq: seq,
    });
    expect(result.streams.find((s) => s.stream === "loans")?.ok).toBe(true);
  });
});
