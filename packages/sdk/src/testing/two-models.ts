/**
 * Test log shared by the export and evidence pack tests: stream "credit" with two models (MODEL and a
 * challenger, MODEL_B), a label rename and a config change, checkpointed; stream "fraud" with MODEL.
 */
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { CONFIG, MODEL, MODEL_B, steppingClock } from "./fixtures.js";

/** The two loggers, and the CIDs of every record that is not MODEL's in "credit" (none may leak into its pack). */
export interface TwoModelLog {
  credit: ProvenanceLogger;
  fraud: ProvenanceLogger;
  otherCids: string[];
  close(): Promise<void>;
}

/** Logs the two streams into the store at `path` (29 records in "credit", 18 of them MODEL's decisions). */
export async function logTwoModels(path: string): Promise<TwoModelLog> {
  const otherCids: string[] = [];
  const clock = steppingClock();
  const credit = createLogger({ path, stream: "credit", model: MODEL, org: "Example Bank", clock });
  credit.setConfig(CONFIG);
  for (let i = 0; i < 12; i++) await credit.record({ features: { i }, output: i, score: i / 12 });
  for (let i = 0; i < 5; i++) {
    otherCids.push((await credit.record({ features: { i }, output: i, score: 0.9, model: MODEL_B })).cid);
  }
  credit.renameLabel("L002", "manual review", { changedBy: "ops", changeReason: "wording" });
  credit.setConfig({
    ...CONFIG,
    threshold: 0.8,
    aboveLabel: "L001",
    belowLabel: "L002",
    changeReason: "drift review",
  });
  for (let i = 0; i < 6; i++) await credit.record({ features: { i }, output: i, score: 0.85 });
  credit.checkpoint();
  const fraud = createLogger({ path, stream: "fraud", model: MODEL, clock });
  fraud.setConfig(CONFIG);
  for (let i = 0; i < 3; i++)
    otherCids.push((await fraud.record({ features: { i }, output: i, score: 0.2 })).cid);
  return {
    credit,
    fraud,
    otherCids,
    async close() {
      await credit.close();
      await fraud.close();
    },
  };
}
