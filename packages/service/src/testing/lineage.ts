/**
 * Test helper: a real SQLite log holding a lineage chain written with the SDK's lineage APIs:
 * two dataset splits → training run → model → decisions, checkpointed (every record has a proof).
 */
import { createHash } from "node:crypto";
import { createLogger, logDataset, logModel, logTraining, sha256Digest } from "@ancora/sdk";
import { CONFIG, MODEL } from "./test-service.js";

/** CIDs and places of what {@link writeLineageChain} wrote. */
export interface LineageChain {
  stream: string;
  train: { cid: string; seq: number };
  validation: { cid: string; seq: number };
  model: { cid: string; seq: number };
  training: { cid: string; seq: number };
  decisions: { cid: string; seq: number }[];
}

const digest = (text: string) => sha256Digest(new TextEncoder().encode(text));
const samples = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => new Uint8Array(createHash("sha256").update(`${tag}-${i}`).digest()));

/**
 * Writes the chain into the store at `path` (created when missing) in stream `credit`, then closes it.
 *
 * @example
 * ```ts
 * const chain = await writeLineageChain(join(dir, "ancora.db"), 3);
 * ```
 */
export async function writeLineageChain(path: string, decisions = 3): Promise<LineageChain> {
  const stream = "credit";
  const logger = createLogger({ path, stream, model: MODEL });
  try {
    logger.setConfig(CONFIG);
    const dataset = (split: string, n: number) =>
      logDataset(logger, {
        id: "loans-2024",
        split,
        sampleHashes: samples(n, split),
        schema: digest("schema"),
        privacy: "personal",
      });
    const train = dataset("train", 50);
    const validation = dataset("validation", 10);
    const model = logModel(logger, {
      name: MODEL.id,
      version: MODEL.version,
      weights: MODEL.hash,
      architecture: digest("architecture"),
      hyperparameters: digest("hyperparameters"),
      environment: digest("environment"),
      commit: "c".repeat(40),
      datasets: [train.cid, validation.cid],
    });
    const training = logTraining(logger, {
      datasets: [train.cid],
      modelAfter: model.cid,
      parameters: digest("parameters"),
      backend: "on-prem-a100",
      actor: "ml-platform",
    });
    const made: { cid: string; seq: number }[] = [];
    for (let i = 0; i < decisions; i++) {
      const { cid, seq } = await logger.record({ features: { i }, output: i, score: i / decisions });
      made.push({ cid, seq });
    }
    logger.checkpoint();
    const place = (r: { cid: string; seq: number }) => ({ cid: r.cid, seq: r.seq });
    return {
      stream,
      train: place(train),
      validation: place(validation),
      model: place(model),
      training: place(training),
      decisions: made,
    };
  } finally {
    await logger.close();
  }
}
