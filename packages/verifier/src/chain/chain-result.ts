/**
 * Results of checking a local log against a registry on chain (see local-vs-chain.ts). Plain JSON
 * (hashes as 0x-hex, block numbers as decimal strings), so a result can be handed to a third party.
 */
import type { VerificationFailure, VerificationResult } from "../result.js";

/**
 * How a stream's anchor history was proven against the chained head in contract state:
 *
 * - `events`: `CheckpointAnchored` events replayed from the genesis head;
 * - `local-anchors`: the node serves no events (EIP-4444), and the log's own confirmed anchors (their
 *   schema-v3 link fields, block number and manifest digest) replayed instead;
 * - `state`: neither was possible; only the latest checkpoint in contract state is checked
 *   (a `HISTORY_UNPROVEN` warning says so);
 * - `unregistered`: the stream is not registered in the registry;
 * - `missing`: the registry anchors the stream but the log does not have it (`STREAM_MISSING`): only
 *   the latest checkpoint in contract state was read.
 */
export type HistoryProof = "events" | "local-anchors" | "state" | "unregistered" | "missing";

/**
 * Whether the anchored checkpoints of a stream form one append-only tree, and what shows it:
 *
 * - `local-tree`: every anchored root is the log's own root at that size;
 * - `contract`: every anchor after the first had its consistency proof checked by the contract;
 * - `manifests`: the tree rebuilt from the log up to the first differing record and from the anchored
 *   manifests after it gives every anchored root (`consistent: false` when it gives another one);
 * - `single-anchor`: there is at most one anchor;
 * - `none`: not known (manifests missing and consistency not checked on chain).
 */
export interface AnchoredConsistency {
  readonly consistent: boolean | undefined;
  readonly by: "local-tree" | "contract" | "manifests" | "single-anchor" | "none";
}

/** The result of checking one stream of a local log against the registry. */
export interface ChainStreamResult {
  /** No failure, local or against the chain (warnings do not count). */
  readonly ok: boolean;
  readonly stream: string;
  /** The registry's id of the stream (`encodeStreamId`), `null` for a name that has none. */
  readonly streamId: string | null;
  readonly history: HistoryProof;
  /** Records in the log (its local size). */
  readonly records: number;
  /** Anchors on chain the log was checked against. */
  readonly anchors: number;
  /** The latest anchored tree size (0 when never anchored). */
  readonly anchoredSize: number;
  /** The latest anchored root, as the chain holds it (0x-hex); `null` when never anchored. */
  readonly anchoredRoot: string | null;
  /**
   * Records of the log beyond the latest anchor: not yet provable on chain (a failure only with
   * `requireAnchored`). Whoever can write the log can remove them without trace.
   */
  readonly unanchored: number;
  /** The `ts` of the oldest unanchored record, when there is one. */
  readonly oldestUnanchoredTs?: string;
  readonly consistency: AnchoredConsistency;
  /**
   * Local and chain failures, sorted by seq (`failures[0].seq` is the first bad record), at most
   * `maxFailures` of them.
   */
  readonly failures: readonly VerificationFailure[];
  /** Failures found in all, including those not kept. */
  readonly failureCount: number;
  /** `HISTORY_UNPROVEN` reports, which do not make the stream fail (docs/verifier.md says why). */
  readonly warnings: readonly VerificationFailure[];
  /** The log's own checks ({@link StreamVerifier}), run in the same pass (none for a missing stream). */
  readonly local: VerificationResult;
}

/** The result of {@link verifyAgainstChain}. */
export interface ChainVerificationResult {
  readonly ok: boolean;
  readonly chainId: number;
  /** Registry address, lowercase 0x-hex. */
  readonly registry: string;
  /** The block the registry was read at (decimal). */
  readonly blockNumber: string;
  readonly streams: readonly ChainStreamResult[];
  /** Every stream's failures, stream by stream. */
  readonly failures: readonly VerificationFailure[];
  readonly warnings: readonly VerificationFailure[];
}
