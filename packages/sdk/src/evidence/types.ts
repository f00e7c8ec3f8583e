/**
 * The EU AI Act evidence pack as data (format `ancora.evidence-pack`, version 2). Plain JSON: hashes
 * as 0x-hex, block numbers as decimal strings, times as ISO 8601, so it can be handed to a third party
 * and read back by any tool. Version 2 (2026-12) added the chain facts (`chain`, `anchors`,
 * `unanchored`), the chain cross-check (`verification.chain`) and the assessor's command (`assessor`).
 */
import type { AnchoredConsistency, HistoryProof, VerificationFailure } from "@ancora/verifier";

/** The format name a pack carries. */
export const EVIDENCE_PACK_FORMAT = "ancora.evidence-pack";
/** The format version this SDK writes. */
export const EVIDENCE_PACK_VERSION = 2;

/** A config record as the pack lists it. */
export interface EvidenceConfig {
  seq: number;
  cid: string;
  ts: string;
  threshold: number;
  aboveLabel: { id: string; name: string };
  belowLabel: { id: string; name: string };
  changedBy: string;
  changeReason: string;
  /** Decisions of this model made under this config. */
  decisions: number;
}

/** The chain and registry the stream is anchored to. */
export interface EvidenceChain {
  chainId: number;
  /** The chain's name(s) from viem's chain list, `null` when the id is not in it. */
  name: string | null;
  /** ProvenanceRegistry address, lowercase 0x-hex. */
  registry: string;
  /** The block the registry was deployed in (decimal), `null` when not recorded. */
  deploymentBlock: string | null;
  /** The registry's id of the stream (`encodeStreamId`). */
  streamId: string;
}

/** One anchor that commits some of the model's decisions. */
export interface EvidenceAnchor {
  /** Tree size the anchor commits: records with seq `fromSeq` to `size - 1` are new in it. */
  size: number;
  fromSeq: number;
  /** Decisions of this model among the records new in this anchor. */
  decisions: number;
  /** Merkle root, 0x-hex. */
  root: string;
  manifestCid: string;
  transaction: string;
  /** Block number (decimal), `null` while unknown. */
  block: string | null;
  /** The block's time (ISO 8601) as the chain reports it; `null` when the chain was not read. */
  time: string | null;
  /** Confirmations at the block the pack was checked at (or as last recorded locally). */
  confirmations: number;
}

/** The chain cross-check: the verifier's `verifyAgainstChain` over this stream. */
export type EvidenceChainCheck =
  | {
      checked: true;
      ok: boolean;
      /** The block the registry was read at (decimal). */
      blockNumber: string;
      history: HistoryProof;
      /** Anchors on chain the log was checked against. */
      anchors: number;
      anchoredSize: number;
      /** Records beyond the latest anchor (not provable on chain yet). */
      unanchored: number;
      consistency: AnchoredConsistency;
      failureCount: number;
      failures: readonly VerificationFailure[];
      /** `HISTORY_UNPROVEN`, `ANCHOR_FOREIGN`: reported, not failures. */
      warnings: readonly VerificationFailure[];
    }
  | { checked: false; reason: string };

/** What an assessor runs to re-verify the pack with public inputs only. */
export interface EvidenceAssessor {
  /** The command line; the RPC URL is read from `$ANCORA_RPC_URL` (it may hold an API key). */
  command: string;
  /** Environment variables the command reads, with what to set them to. */
  env: Record<string, string>;
}

/** An EU AI Act evidence pack for one model in one stream. JSON-safe. */
export interface EvidencePack {
  format: typeof EVIDENCE_PACK_FORMAT;
  version: typeof EVIDENCE_PACK_VERSION;
  generatedAt: string;
  scope: { stream: string; model: { id: string; version?: string } };
  system: {
    stream: string;
    genesis: { seq: 0; cid: string; ts: string; createdBy: string; org?: string; description?: string };
    streamSize: number;
    head: string | null;
  };
  /** Where the stream is anchored; `null` when it has never been anchored and no registry is known. */
  chain: EvidenceChain | null;
  /** Art. 12: automatic recording of events over the system's lifetime. */
  logging: {
    decisions: number;
    firstDecision: string | null;
    lastDecision: string | null;
    modelVersions: { version: string; hash: string; decisions: number; first: string; last: string }[];
    statement: string;
  };
  /** Art. 19(1) and 26(6): retention. */
  retention: { months: number; oldestRecord: string; covered: boolean; statement: string };
  /** Every config record of the stream, with who changed it and why. */
  configHistory: EvidenceConfig[];
  /** Every label of the stream with its names over time. */
  labels: {
    id: string;
    name: string;
    history: { seq: number; ts: string; name: string; changedBy?: string; changeReason?: string }[];
  }[];
  /** This model's decisions by label and by model version. */
  distribution: { label: string; name: string; version: string; decisions: number }[];
  checkpoints: { size: number; root: string; head: string; ts: string; anchored: boolean }[];
  /** Every confirmed anchor that commits at least one of the model's decisions, by size. */
  anchors: EvidenceAnchor[];
  /** Records after the latest confirmed anchor: logged, but not provable on chain yet. */
  unanchored: { records: number; decisions: number; oldest: string | null };
  verification: {
    /** Local and (when checked) chain checks both passed. */
    ok: boolean;
    /** The log re-derived from its stored bytes (the verifier's `verifyStream`). */
    local: {
      ok: boolean;
      checked: number;
      checkpoints: number;
      failureCount: number;
      firstBadSeq?: number;
      failures: readonly VerificationFailure[];
    };
    chain: EvidenceChainCheck;
  };
  /** `null` when nothing is anchored: there is nothing public to check yet. */
  assessor: EvidenceAssessor | null;
}
