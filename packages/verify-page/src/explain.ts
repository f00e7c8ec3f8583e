/**
 * A receipt failure in words a person reads: which check failed and what it means. The codes and their
 * conditions are the verifier's (docs/verifier.md, "A receipt on chain"); this only names them.
 */
import type { ReceiptFailureCode } from "@ancora/verifier";

/** The failing check's name and a sentence on what its failure means. */
export interface Explanation {
  readonly check: string;
  readonly meaning: string;
}

const EXPLANATIONS: Record<ReceiptFailureCode, Explanation> = {
  RECEIPT_INVALID: {
    check: "Receipt format",
    meaning:
      "This is not a well-formed Ancora receipt, or its parts do not agree with each other (the record's stream or position differs from what the receipt states).",
  },
  RECEIPT_CID_MISMATCH: {
    check: "Record fingerprint (CID)",
    meaning:
      "The decision record was changed: its bytes no longer hash to the fingerprint (CID) the receipt names.",
  },
  RECEIPT_PROOF_INVALID: {
    check: "Inclusion proof",
    meaning:
      "The inclusion proof does not lead from this record to the anchored checkpoint: the record, its position or the proof was changed.",
  },
  RECEIPT_CHAIN_MISMATCH: {
    check: "Chain",
    meaning:
      "The RPC endpoint serves another chain than the one the receipt names. Use an endpoint of that chain.",
  },
  RECEIPT_TX_NOT_FOUND: {
    check: "Anchor transaction",
    meaning:
      "The chain has no such anchor transaction, or not in the block the receipt names. (A node that pruned old transactions says the same: try an archive node.)",
  },
  RECEIPT_TX_FAILED: {
    check: "Anchor transaction",
    meaning: "The anchor transaction the receipt names failed on chain, so it anchored nothing.",
  },
  RECEIPT_ANCHOR_NOT_FOUND: {
    check: "Anchor in the registry",
    meaning:
      "The registry the receipt names did not anchor this checkpoint (stream, size and root) in that transaction, or the stream's anchored history no longer contains it.",
  },
};

/**
 * The failing check and its meaning for a receipt failure code.
 *
 * @example
 * ```ts
 * explainFailure("RECEIPT_CID_MISMATCH").check; // "Record fingerprint (CID)"
 * ```
 */
export function explainFailure(code: ReceiptFailureCode): Explanation {
  return EXPLANATIONS[code];
}
