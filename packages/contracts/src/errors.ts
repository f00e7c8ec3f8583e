/**
 * Typed errors of @ancora/contracts. Callers branch on the class and the `code`, never on the wording
 * (see @ancora/core's AncoraError). Messages and evidence carry ids, hashes, sizes and transaction hashes
 * only: never a key, never a record's content.
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/** A stream name that does not map to a stream id (see {@link encodeStreamId}). */
export class StreamNameError extends AncoraError<"STREAM_NAME_INVALID"> {
  override name = "StreamNameError";
  constructor(shortMessage: string, options: AncoraErrorOptions = {}) {
    super("STREAM_NAME_INVALID", shortMessage, options);
  }
}

/** Codes of failures while talking to a deployed registry. */
export type RegistryErrorCode =
  | "REGISTRY_UNKNOWN_STREAM"
  | "REGISTRY_REVERTED"
  | "REGISTRY_DEPLOYMENT_FAILED"
  | "REGISTRY_NOT_DEPLOYED"
  | "REGISTRY_BAD_ARGUMENT"
  | "REGISTRY_CONFIRMATION_TIMEOUT";

/** A registry call or transaction failed. `evidence` names the contract error and its arguments. */
export class RegistryError extends AncoraError<RegistryErrorCode> {
  override name = "RegistryError";
}

/** The stream id has never been registered in this registry. */
export class RegistryUnknownStreamError extends RegistryError {
  override name = "RegistryUnknownStreamError";
  readonly streamId: string;
  constructor(streamId: string, options: AncoraErrorOptions = {}) {
    super("REGISTRY_UNKNOWN_STREAM", `stream ${streamId} is not registered`, {
      hint: "Check the stream name and the registry address, or register the stream first.",
      ...options,
      evidence: { streamId, ...options.evidence },
    });
    this.streamId = streamId;
  }
}

/**
 * The contract reverted (a transaction, or a simulation before sending it). `errorName` and `args` are the
 * decoded custom error, e.g. `ProvenanceRegistryStaleTreeSize` with `[streamId, treeSize, currentTreeSize]`.
 */
export class RegistryRevertError extends RegistryError {
  override name = "RegistryRevertError";
  readonly errorName: string | undefined;
  readonly args: readonly unknown[];
  constructor(
    functionName: string,
    errorName: string | undefined,
    args: readonly unknown[],
    options: AncoraErrorOptions = {},
  ) {
    super(
      "REGISTRY_REVERTED",
      `ProvenanceRegistry.${functionName} reverted${errorName === undefined ? "" : ` with ${errorName}`}`,
      { ...options, evidence: { functionName, errorName, args, ...options.evidence } },
    );
    this.errorName = errorName;
    this.args = args;
  }
}

/** Codes of anchor history verification failures. */
export type AnchorHistoryErrorCode = "ANCHOR_HISTORY_MISMATCH" | "ANCHOR_HISTORY_GAP";

/**
 * Replaying the anchors does not give the chained head the contract holds, or the anchors are not a
 * contiguous run of sequence numbers. `evidence` says where: the first bad sequence number, the expected
 * and the computed head, so it can be shown to a third party.
 */
export class AnchorHistoryError extends AncoraError<AnchorHistoryErrorCode> {
  override name = "AnchorHistoryError";
}
