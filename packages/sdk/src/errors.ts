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
  | "STORE_WRITE_FAILED";

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

/** Every code an SDK call can throw besides core's own. */
export type SdkErrorCode =
  | InputErrorCode
  | StoreErrorCode
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
