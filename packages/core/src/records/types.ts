/**
 * Record schema v1: the TypeScript shape of every record kind. The authoritative description, with the
 * rules the validators enforce, is docs/formats.md, "Record schema v1".
 *
 * Every record is an envelope `{ v, kind, stream, seq, prev?, ts, body }` whose `body` belongs to its
 * kind. Keeping the kind's fields in `body` means a new kind never collides with an envelope field and
 * the envelope can be read the same way for every kind, including kinds a reader does not know.
 */
import type { BlockCid } from "../cid.js";
import type { Commitment } from "../commitment.js";

/** The current record format version. */
export const RECORD_VERSION = 1;

/** Fields common to every record. */
export interface RecordEnvelope<K extends string, B> {
  /** Format version: 1. */
  v: typeof RECORD_VERSION;
  /** What the record is; selects the schema of `body`. */
  kind: K;
  /** The stream (log) this record belongs to: one per model or service. */
  stream: string;
  /** Position in the stream: 0 for the genesis record, then +1 per record. Also its Merkle leaf index. */
  seq: number;
  /** CID of the stream's previous record (seq − 1). Absent exactly at genesis. */
  prev?: BlockCid;
  /** When the record was written: RFC 3339 UTC with milliseconds, `2025-01-31T12:00:00.000Z`. */
  ts: string;
  /** The kind's own fields. */
  body: B;
}

/** Where the stream is anchored: an EVM chain and the organisation's ProvenanceRegistry contract. */
export interface RegistryRef {
  /** EIP-155 chain id. */
  chainId: number;
  /** Contract address, lowercase 0x-hex. */
  address: string;
}

/** Body of `genesis`, the first record (seq 0) of every stream. */
export interface GenesisBody {
  /** Who created the stream: an operator or service-account identifier. */
  createdBy: string;
  /** The organisation that runs the stream. */
  org?: string;
  /** Where the stream's checkpoints will be anchored, if known when it starts. */
  registry?: RegistryRef;
  /** Free text: what the stream logs. */
  description?: string;
}

/** Body of `label`: defines a label id, or renames it when the id already exists in the stream. */
export interface LabelBody {
  /** Stable label id, `L` and at least three digits: `L001`. Never reused for another meaning. */
  id: string;
  /** Display name, e.g. "approve". A later label record with the same id renames it. */
  name: string;
  /** Who defined or renamed it. */
  changedBy?: string;
  /** Why. */
  changeReason?: string;
}

/** Body of `config`: the decision rule in force from this record until the next config record. */
export interface ConfigBody {
  /** Scores at or above the threshold get `aboveLabel`; below it, `belowLabel`. */
  threshold: number;
  /** Label id for `score >= threshold`. */
  aboveLabel: string;
  /** Label id for `score < threshold`. */
  belowLabel: string;
  /** Who changed the configuration (mandatory: a config change is an accountable act). */
  changedBy: string;
  /** Why it was changed (mandatory). */
  changeReason: string;
}

/** The model that made a decision. */
export interface ModelRef {
  /** Model name or registry id. */
  id: string;
  /** Model version. */
  version: string;
  /** Digest of the model artefact in OCI digest form: `sha256:<64 lowercase hex>`. */
  hash: string;
}

/** Body of `decision`: one automated decision. */
export interface DecisionBody {
  model: ModelRef;
  /** Commitment to the (anonymised) model input. */
  input: Commitment;
  /** Commitment to the model output. */
  output: Commitment;
  /** The model's score, when it produces one. */
  score?: number;
  /** The label id the decision resolved to. */
  label: string;
  /** CID of the config record in force (the stream's latest config record before this one). */
  config: BlockCid;
}

export type GenesisRecord = RecordEnvelope<"genesis", GenesisBody>;
export type LabelRecord = RecordEnvelope<"label", LabelBody>;
export type ConfigRecord = RecordEnvelope<"config", ConfigBody>;
export type DecisionRecord = RecordEnvelope<"decision", DecisionBody>;

/** Any record of format version 1. */
export type AncoraRecord = GenesisRecord | LabelRecord | ConfigRecord | DecisionRecord;

/** The kinds of format version 1. */
export type RecordKind = AncoraRecord["kind"];
