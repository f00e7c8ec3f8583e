/**
 * What a logger or a batch reports for the records it wrote (stream, seq, CID, time, and what a
 * decision or config resolved to), and the input of a config change.
 */
import type { ConfigBody, DecisionBody } from "@ancora/core";

/** One policy check attached to a decision: `{ name, category, result: "pass" | "fail" | "warn", blocking }`. */
export type PolicyCheck = NonNullable<DecisionBody["checks"]>[number];

/** A durably written record. */
export interface Recorded {
  stream: string;
  seq: number;
  cid: string;
  ts: string;
}

/** A durably written decision. */
export interface RecordedDecision extends Recorded {
  /** The label id the config resolved the score to. */
  label: string;
  /** CID of the config record that resolved it. */
  config: string;
}

/** Who changed something and why (mandatory for config, optional for labels). */
export interface ChangeMeta {
  changedBy: string;
  changeReason: string;
}

/** Options of {@link ProvenanceLogger.setConfig}. Labels are ids (`L001`) or names (defined when new). */
export interface ConfigInput extends ChangeMeta {
  threshold: number;
  aboveLabel: string;
  belowLabel: string;
}

/** A written config record. */
export interface RecordedConfig extends Recorded {
  config: ConfigBody;
  /** Labels this call defined on the way (new names), in order. */
  definedLabels: { id: string; name: string; seq: number }[];
}

/** A label of the stream. */
export interface LabelInfo {
  id: string;
  name: string;
}
