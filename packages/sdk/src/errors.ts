/**
 * The SDK's typed errors: one {@link AncoraError} subclass per kind of failure, each with a stable
 * code and a hint. Messages and evidence never carry input values (they may be personal data): only
 * field paths, sizes, codes, stream names and sequence numbers.
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/** Codes of {@link InputError}: the caller passed something that cannot be logged. */
export type InputErrorCode =
  | "INPUT_NOT_OBJECT"
  | "INPUT_NOT_ENCODABLE"
  | "INPUT_TOO_LARGE"
  | "SCORE_INVALID"
  | "INVALID_OPTION"
  | "INVALID_CURSOR";

/** Bad input to a logging call or an option: nothing was written. */
export class InputError extends AncoraError<InputErrorCode> {
  override name = "InputError";
}

/** A decision needs a label but its stream has no config record yet. Nothing was written. */
export class ConfigMissingError extends AncoraError<"CONFIG_MISSING"> {
  override name = "ConfigMissingError";
  constructor(stream: string) {
    super("CONFIG_MISSING", `Stream "${stream}" has no config: a decision's label cannot be resolved`, {
      hint: "Call logger.setConfig({ threshold, aboveLabel, belowLabel, changedBy, changeReason }) first.",
      evidence: { stream },
    });
  }
}

/** A label id or name that the stream does not define. Nothing was written. */
export class LabelUnknownError extends AncoraError<"LABEL_UNKNOWN"> {
  override name = "LabelUnknownError";
  constructor(stream: string, label: string) {
    super("LABEL_UNKNOWN", `Stream "${stream}" defines no label ${JSON.stringify(label)}`, {
      hint: "Define it with logger.defineLabel(name), or pass a label name to setConfig to define it there.",
      evidence: { stream, label },
    });
  }
}

/** The stream does not exist in this store. */
export class StreamUnknownError extends AncoraError<"STREAM_UNKNOWN"> {
  override name = "StreamUnknownError";
  constructor(stream: string) {
    super("STREAM_UNKNOWN", `The store has no stream "${stream}"`, {
      hint: "Check the stream name, or open it with createLogger (which creates it) before reading it.",
      evidence: { stream },
    });
  }
}

/** The stream exists but holds no decision of the model asked about: an evidence pack would be empty. */
export class ModelUnknownError extends AncoraError<"MODEL_UNKNOWN"> {
  override name = "ModelUnknownError";
  constructor(stream: string, model: { id: string; version?: string }, known: readonly string[]) {
    const name = model.version === undefined ? model.id : `${model.id}@${model.version}`;
    super("MODEL_UNKNOWN", `Stream "${stream}" holds no decision of model ${JSON.stringify(name)}`, {
      hint:
        known.length === 0
          ? "The stream holds no decision yet: log decisions first, or check the stream name."
          : `Name a model the stream has decisions of: ${known.slice(0, 10).join(", ")}${known.length > 10 ? ", …" : ""}.`,
      evidence: {
        stream,
        model: model.id,
        ...(model.version === undefined ? {} : { version: model.version }),
      },
    });
  }
}

/** An export could not be written to its file; the file's previous content (if any) is unchanged. */
export class ExportFileError extends AncoraError<"EXPORT_FILE_UNWRITABLE"> {
  override name = "ExportFileError";
  constructor(shortMessage: string, options: AncoraErrorOptions = {}) {
    super("EXPORT_FILE_UNWRITABLE", shortMessage, options);
  }
}

/** The logger or store was closed; nothing more can be written through it. */
export class ClosedError extends AncoraError<"CLOSED"> {
  override name = "ClosedError";
  constructor(what: string) {
    super("CLOSED", `The ${what} is closed`, { hint: `Open a new ${what}.` });
  }
}

/** Codes of {@link StoreError}. */
export type StoreErrorCode =
  | "STORE_SCHEMA_TOO_NEW"
  | "STORE_SCHEMA_UNKNOWN"
  | "STORE_CORRUPT"
  | "STORE_WRITE_FAILED"
  | "STORE_DIVERGED"
  | "STORE_UNREACHABLE";

/** The database cannot be used as an Ancora store, or a write failed (and was rolled back). */
export class StoreError extends AncoraError<StoreErrorCode> {
  override name = "StoreError";
  constructor(code: StoreErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/**
 * An entry of {@link AncoraStore.appendBatch} could not be written (bad input, no config, an unknown
 * label): the whole batch was rolled back. `index` is the entry's position, `cause` the entry's own
 * typed error (its code is also in `evidence.cause`).
 */
export class BatchEntryError extends AncoraError<"BATCH_ENTRY_FAILED"> {
  override name = "BatchEntryError";
  readonly index: number;
  readonly stream: string;
  constructor(index: number, stream: string, cause: unknown) {
    const code = cause instanceof AncoraError ? cause.code : "UNKNOWN";
    super("BATCH_ENTRY_FAILED", `Entry ${index} (stream "${stream}") cannot be written (${code})`, {
      cause,
      hint: `Fix entry ${index} (see the cause) and append the batch again: nothing of it was written.`,
      evidence: { index, stream, cause: code },
    });
    this.index = index;
    this.stream = stream;
  }
}

/** Every code an SDK call can throw besides core's and the verifier's own. */
export type SdkErrorCode =
  | InputErrorCode
  | "INTERNAL_INVARIANT"
  | StoreErrorCode
  | AnchorErrorCode
  | "NOT_ANCHORED"
  | CapsuleErrorCode
  | ConsentDeniedCode
  | ConsentInputCode
  | LineageErrorCode
  | PinErrorCode
  | "CONFIG_MISSING"
  | "LABEL_UNKNOWN"
  | "STREAM_UNKNOWN"
  | "MODEL_UNKNOWN"
  | "EXPORT_FILE_UNWRITABLE"
  | "CLOSED"
  | "BATCH_ENTRY_FAILED"
  | IpfsIdentityErrorCode;

/** Codes of {@link IpfsIdentityError}. */
export type IpfsIdentityErrorCode = "IPFS_IDENTITY_INSECURE" | "IPFS_IDENTITY_INVALID";

/**
 * The IPFS node's identity file (its libp2p private key) cannot be used: readable by other users, or
 * not a key. The file is left as it is; `evidence.path` names it (never its content).
 */
export class IpfsIdentityError extends AncoraError<IpfsIdentityErrorCode> {
  override name = "IpfsIdentityError";
  constructor(code: IpfsIdentityErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/** Codes of {@link AnchorError}. */
export type AnchorErrorCode =
  /** The chain holds a different root than the local log at the same size: a fork. Never retried away. */
  | "ANCHOR_FORK"
  /**
   * The chain's anchor states one size but commits the log's root at another (misstated with the
   * anchorer key): the log is intact; anchor past it with the admin key (docs/operations.md).
   */
  | "ANCHOR_SIZE_MISSTATED"
  /** Anchoring past a misstated anchor was asked for, but the chain's latest anchor is not one. */
  | "ANCHOR_NOT_MISSTATED"
  /** Anchoring past a misstated anchor needs the log to have grown past the size it states. */
  | "ANCHOR_LOG_TOO_SHORT"
  /** The current base fee is above the configured cap: the anchor waits. */
  | "ANCHOR_FEE_CAP"
  /** The registry rejected the anchor (simulation or on-chain revert). */
  | "ANCHOR_REVERTED"
  /** The stream is not registered (or retired) in the registry. */
  | "ANCHOR_STREAM_NOT_REGISTERED"
  /** The RPC endpoint could not be reached or failed. */
  | "ANCHOR_CHAIN_UNAVAILABLE"
  /** Bad anchorer options. */
  | "ANCHOR_INVALID_OPTION"
  /** The anchoring worker thread could not start, crashed or was stopped while a call waited. */
  | "ANCHOR_WORKER_FAILED";

/** An anchoring failure. Messages and evidence hold sizes, roots, CIDs and hashes only. */
export class AnchorError extends AncoraError<AnchorErrorCode> {
  override name = "AnchorError";
  constructor(code: AnchorErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/** No confirmed anchor covers the record yet: there is no receipt to give (try again after anchoring). */
export class NotAnchoredError extends AncoraError<"NOT_ANCHORED"> {
  override name = "NotAnchoredError";
  constructor(stream: string, seq: number) {
    super("NOT_ANCHORED", `Record ${seq} of "${stream}" is not covered by a confirmed anchor yet`, {
      hint: "Wait for the anchorer (see anchorer.backlog()), then ask again.",
      evidence: { stream, seq },
    });
  }
}

/** Codes of {@link CapsuleError}. */
export type CapsuleErrorCode =
  /** The bytes are not a well-formed capsule v1 (format, sizes, unknown fields). */
  | "CAPSULE_INVALID"
  /** The key (or secret) and key salt do not derive this capsule's key: wrong key, wrong salt. */
  | "CAPSULE_KEY_MISMATCH"
  /** The key is right but AES-GCM authentication failed: ciphertext, nonce, tag or header changed. */
  | "CAPSULE_TAMPERED"
  /** The capsule's key salt was erased (or purged by retention): it can never be opened again. */
  | "CAPSULE_ERASED"
  /** The store holds no capsule with this CID. */
  | "CAPSULE_UNKNOWN"
  /** Bad sealing options: key too short, secret empty, metadata not encodable, scrypt parameters. */
  | "CAPSULE_BAD_OPTION";

/** A capsule could not be sealed or opened. */
export class CapsuleError extends AncoraError<CapsuleErrorCode> {
  override name = "CapsuleError";
  constructor(code: CapsuleErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/** Why consent was refused (docs/lineage.md, "Consent"). */
export type ConsentDeniedCode =
  /** No consent was ever granted for this subject. */
  | "CONSENT_MISSING"
  /** Consent exists for this subject, but for other purposes. */
  | "CONSENT_PURPOSE_MISMATCH"
  /** Consent for the purpose exists, but not for this role (controller, processor, ...). */
  | "CONSENT_ROLE_MISMATCH"
  /** Consent for the purpose starts after this decision. */
  | "CONSENT_NOT_YET_VALID"
  /** Consent for the purpose expired before this decision. */
  | "CONSENT_EXPIRED"
  /** Consent for the purpose was revoked (a consent-revocation record exists). */
  | "CONSENT_REVOKED";

/**
 * A decision that required consent was refused: no decision was logged, a consent-denied record was
 * (its seq and CID are in `evidence`), and a wrapped model function was not called.
 */
export class ConsentDeniedError extends AncoraError<ConsentDeniedCode> {
  override name = "ConsentDeniedError";
  constructor(code: ConsentDeniedCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, {
      hint: "Do not make this decision for this subject, or record a grant with grantConsent first.",
      ...options,
    });
  }
}

/** Codes of {@link ConsentInputError}. */
export type ConsentInputCode =
  /** A malformed argument: subject, purpose, role, actor or dates. */
  | "CONSENT_INVALID"
  /** revokeConsent named a policy that the store does not hold for this subject. */
  | "CONSENT_POLICY_UNKNOWN"
  /** revokeConsent named a policy recorded as not revocable. */
  | "CONSENT_NOT_REVOCABLE";

/** Bad arguments to a consent call. Nothing was written. */
export class ConsentInputError extends AncoraError<ConsentInputCode> {
  override name = "ConsentInputError";
  constructor(
    shortMessage: string,
    options: AncoraErrorOptions = {},
    code: ConsentInputCode = "CONSENT_INVALID",
  ) {
    super(code, shortMessage, options);
  }
}

/** Codes of {@link LineageError}. */
export type LineageErrorCode =
  /** No record with this CID (or stream and seq) in the store. */
  | "LINEAGE_UNKNOWN"
  /** The sample is in no dataset of a training run behind a model with decisions (no proof exists). */
  | "SAMPLE_NOT_IN_TRAINING"
  /** A stored off-log document does not match the digest on the log. */
  | "DOCUMENT_MISMATCH"
  /** The off-log document was removed by retention or erasure; its digest stays on the log. */
  | "DOCUMENT_PURGED";

/** A lineage query or an off-log document failed. */
export class LineageError extends AncoraError<LineageErrorCode> {
  override name = "LineageError";
  constructor(code: LineageErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/** Codes of {@link PinError}. */
export type PinErrorCode =
  /** The service reported another CID for the bytes than the local one (evidence: both). */
  | "PIN_CID_MISMATCH"
  /** 401/403: the credentials were refused. */
  | "PIN_UNAUTHORIZED"
  /** 429: rate limited; `retryAfterMs` when the service said (Retry-After). */
  | "PIN_RATE_LIMITED"
  /** 5xx, a network failure or a timeout: try again later. */
  | "PIN_UNAVAILABLE"
  /** Another 4xx: the service refused the upload. */
  | "PIN_REJECTED"
  /** Bad adapter options (a missing JWT or URL). */
  | "PIN_INVALID_OPTION";

/** A pinning failure. Carries the HTTP status (when there was one) and how long the service asked to wait. */
export class PinError extends AncoraError<PinErrorCode> {
  override name = "PinError";
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    code: PinErrorCode,
    shortMessage: string,
    options: AncoraErrorOptions & { status?: number; retryAfterMs?: number } = {},
  ) {
    super(code, shortMessage, options);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Codes of {@link CarError}. */
export type CarErrorCode = "CAR_INVALID";

/** A malformed CAR: what is wrong and where (`evidence.offset`). */
export class CarError extends AncoraError<CarErrorCode> {
  override name = "CarError";
  constructor(shortMessage: string, options: AncoraErrorOptions = {}) {
    super("CAR_INVALID", shortMessage, {
      hint: "The bytes are not a CAR v1 stream (header { roots, version: 1 }, then length-prefixed sections).",
      ...options,
    });
  }
}

/** The error `interface-store` specifies for a missing key (matched by name by Helia). */
export class BlockNotFoundError extends Error {
  static override name = "NotFoundError";
  override name = "NotFoundError";
  readonly code = "ERR_NOT_FOUND";
}
