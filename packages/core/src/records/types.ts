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
  /**
   * Policy checks run on this decision (fairness, PII, drift, ...). Optional: decisions without it keep
   * the bytes and CIDs they always had.
   */
  checks?: readonly PolicyCheck[];
}

/** Outcome of one policy check. */
export type PolicyCheckResult = "pass" | "fail" | "warn";

/** One policy check attached to a decision. */
export interface PolicyCheck {
  /** Check name, an identifier: `pii-scan`, `fairness.demographic-parity`. */
  name: string;
  /** Category, an identifier: `privacy`, `fairness`, `robustness`, `compliance`. */
  category: string;
  result: PolicyCheckResult;
  /** Whether a `fail` stops the decision (a blocking failure means it was refused or escalated). */
  blocking: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Lineage and governance kinds (docs/formats.md, "Lineage and governance kinds"). References between
// records are CIDs; digests are `sha256:<64 lowercase hex>`; subjects are pseudonymous identifiers,
// never names, e-mail addresses or other personal data.

/** How sensitive a dataset is. `personal` and `special` (GDPR Art. 9 categories) bring GDPR duties. */
export type PrivacyClass = "public" | "internal" | "confidential" | "personal" | "special";

/** Body of `dataset-split`: one split of a dataset, committed to by the Merkle root of its sample hashes. */
export interface DatasetBody {
  /** Dataset identifier: `loans-2024`. */
  id: string;
  /** Split name, an identifier: `train`, `validation`, `test`. */
  split: string;
  /** Number of samples in the split (the Merkle tree's size). */
  samples: number;
  /** RFC 9162 root over the samples' 32-byte hashes (`datasetRoot`), so one sample's membership is provable. */
  root: Uint8Array;
  /** Digest of the schema / feature definition document. */
  schema: string;
  /** Privacy classification of the samples. */
  privacy: PrivacyClass;
  /** Digest of the split-assignment document (which sample went to which split), when there is one. */
  assignment?: string;
  /** Where the samples came from: upstream datasets, exports, vendors; each pinned by a digest. */
  sources?: DatasetSource[];
}

/** One upstream source of a dataset split: the end of a lineage chain. */
export interface DatasetSource {
  /** Identifier of the source: `core-banking-export`, `bureau-feed`. */
  name: string;
  /** Digest of the source as it was taken (a file, a snapshot manifest, a query result). */
  digest: string;
  /** Where it lives (a URI without credentials), when it can be named. */
  uri?: string;
  /** Licence or agreement it was used under (an SPDX id or a contract reference). */
  license?: string;
}

/** Body of `model`: a trained model artefact and everything needed to say what it is. */
export interface ModelBody {
  /** Model name or registry id (as `decision.body.model.id`). */
  name: string;
  /** Model version (as `decision.body.model.version`). */
  version: string;
  /** Digest of the weights artefact (as `decision.body.model.hash`). */
  weights: string;
  /** Digest of the architecture description. */
  architecture: string;
  /** Digest of the hyper-parameter document. */
  hyperparameters: string;
  /** Digest of the environment document (runtime, framework and dependency versions). */
  environment: string;
  /** Git commit of the training code: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits. */
  commit: string;
  /** CIDs of the `dataset-split` records this model may be trained on. */
  datasets: readonly BlockCid[];
}

/** Body of `training`: one training run. */
export interface TrainingBody {
  /** CIDs of the `dataset-split` records used (at least one). */
  datasets: readonly BlockCid[];
  /** CID of the `model` record trained from; absent when training from scratch. */
  modelBefore?: BlockCid;
  /** CID of the `model` record the run produced. */
  modelAfter: BlockCid;
  /** Digest of the run's parameter document. */
  parameters: string;
  /** Compute backend: `aws-p4d`, `on-prem-a100`, `cpu`. */
  backend: string;
  /** Who ran it. */
  actor: string;
}

/** Body of `reproducibility`: commits to an off-log reproducibility manifest document. */
export interface ReproducibilityBody {
  /** CID of the `model` or `training` record the manifest reproduces. */
  target: BlockCid;
  /** Digest of the manifest document's canonical bytes (see `reproducibilityManifestDigest`). */
  manifest: string;
}

/** Body of `consent`: a data subject's consent policy. */
export interface ConsentBody {
  /** Pseudonymous subject id (an identifier; never a name or e-mail address). */
  subject: string;
  /** Purposes consented to, identifiers: `credit-scoring`. */
  purposes: readonly string[];
  /** Roles allowed to process for those purposes, identifiers: `underwriter`. */
  roles: readonly string[];
  /** Start of validity (inclusive), a record timestamp. */
  validFrom: string;
  /** End of validity (exclusive); absent: until revoked. */
  validUntil?: string;
  /** Whether the subject may revoke it (a `consent-revocation` of a non-revocable policy is refused). */
  revocable: boolean;
}

/** Body of `consent-revocation`: ends a consent policy. */
export interface ConsentRevocationBody {
  /** CID of the `consent` record revoked. */
  policy: BlockCid;
  /** The policy's subject (must equal it). */
  subject: string;
  /** Who recorded the revocation (the subject's pseudonym or an operator). */
  actor: string;
}

/** Why a request was refused for lack of consent. */
export type ConsentDenialReason =
  | "no-policy"
  | "purpose-not-allowed"
  | "role-not-allowed"
  | "not-yet-valid"
  | "expired"
  | "revoked";

/** Body of `consent-denied`: a request refused because consent did not cover it. */
export interface ConsentDeniedBody {
  subject: string;
  /** The purpose asked for. */
  purpose: string;
  /** The role that asked. */
  role: string;
  /** CID of the `consent` record consulted; absent when the subject has none (`no-policy`). */
  policy?: BlockCid;
  reason: ConsentDenialReason;
}

/** Body of `ownership`: who answers for an output or a model. A handoff is a new record naming the previous. */
export interface OwnershipBody {
  /** CID of the record owned: a `model`, `dataset-split`, `training` or `decision` (an output). */
  target: BlockCid;
  owner: string;
  steward: string;
  approver: string;
  /** CID of the `ownership` record this one hands over from (same target). */
  previous?: BlockCid;
  /** Why (a handoff's reason). */
  reason?: string;
}

/** Body of `retention`: how long off-log payloads of one record kind are kept. Hashes are kept forever. */
export interface RetentionBody {
  /** The record kind the policy is for: `decision`, `capsule`. */
  kind: string;
  /** Keep payloads (capsules, salts, raw inputs held off-log) for this many days, then erase them. */
  payloadDays: number;
  /** Legal or business basis: `EU AI Act Art. 19`. */
  basis: string;
  actor: string;
}

/** Body of `access-grant`: gives a grantee access to a scope for a while. */
export interface AccessGrantBody {
  grantee: string;
  /** What may be accessed, identifiers: `stream:credit-scoring:read`, `capsules:open`. */
  scope: readonly string[];
  validFrom: string;
  validUntil?: string;
  /** Who granted it. */
  actor: string;
}

/** What an erasure removed. */
export type ErasedMaterial = "salts" | "capsules" | "payloads" | "keys";

/**
 * Body of `erasure`: personal data erased off-log (GDPR Art. 17), or payloads purged by a retention
 * policy. Holds no personal data itself.
 */
export interface ErasureBody {
  /** Pseudonymous id of the subject whose data was erased. */
  subject?: string;
  /** CIDs of the records whose openings or payloads were erased (any kind). */
  records?: readonly BlockCid[];
  /** CIDs of the `capsule` records whose capsules were destroyed. */
  capsules?: readonly BlockCid[];
  /**
   * A purge by retention: the record kind whose payloads were purged (`decision`, `capsule`,
   * `reproducibility`), given with `before` and `policy`.
   */
  kind?: string;
  /** A purge by retention: every payload of `kind` from before this time (UTC, ms) is gone. */
  before?: string;
  /** A purge by retention: the CID of the `retention` record applied. */
  policy?: BlockCid;
  /** Which material was erased. */
  erased: readonly ErasedMaterial[];
  /** Legal basis: `GDPR Art. 17(1)(b)`. */
  basis: string;
  actor: string;
}

/** Body of `capsule`: commits to an encrypted capsule held off-log by its SHA-256 digest. */
export interface CapsuleBody {
  /** CID of the record whose payload the capsule holds, when there is one. */
  target?: BlockCid;
  /** Digest of the capsule's bytes (ciphertext with its header). */
  digest: string;
  /** Length of the capsule in bytes. */
  size: number;
  /** Cipher: `aes-256-gcm`. */
  cipher: "aes-256-gcm";
  /** Identifier of the key that encrypts it (erasure destroys the key). */
  keyId: string;
  /** Pseudonymous subject id, when the capsule holds one subject's data. */
  subject?: string;
  /** Media type of the plaintext: `application/json`. */
  contentType?: string;
}

export type GenesisRecord = RecordEnvelope<"genesis", GenesisBody>;
export type LabelRecord = RecordEnvelope<"label", LabelBody>;
export type ConfigRecord = RecordEnvelope<"config", ConfigBody>;
export type DecisionRecord = RecordEnvelope<"decision", DecisionBody>;

export type DatasetRecord = RecordEnvelope<"dataset-split", DatasetBody>;
export type ModelRecord = RecordEnvelope<"model", ModelBody>;
export type TrainingRecord = RecordEnvelope<"training", TrainingBody>;
export type ReproducibilityRecord = RecordEnvelope<"reproducibility", ReproducibilityBody>;
export type ConsentRecord = RecordEnvelope<"consent", ConsentBody>;
export type ConsentRevocationRecord = RecordEnvelope<"consent-revocation", ConsentRevocationBody>;
export type ConsentDeniedRecord = RecordEnvelope<"consent-denied", ConsentDeniedBody>;
export type OwnershipRecord = RecordEnvelope<"ownership", OwnershipBody>;
export type RetentionRecord = RecordEnvelope<"retention", RetentionBody>;
export type AccessGrantRecord = RecordEnvelope<"access-grant", AccessGrantBody>;
export type ErasureRecord = RecordEnvelope<"erasure", ErasureBody>;
export type CapsuleRecord = RecordEnvelope<"capsule", CapsuleBody>;

/** Records of the lineage and governance kinds. */
export type LineageRecord =
  | DatasetRecord
  | ModelRecord
  | TrainingRecord
  | ReproducibilityRecord
  | ConsentRecord
  | ConsentRevocationRecord
  | ConsentDeniedRecord
  | OwnershipRecord
  | RetentionRecord
  | AccessGrantRecord
  | ErasureRecord
  | CapsuleRecord;

/** Any record of format version 1. */
export type AncoraRecord = GenesisRecord | LabelRecord | ConfigRecord | DecisionRecord | LineageRecord;

/** The kinds of format version 1. */
export type RecordKind = AncoraRecord["kind"];
