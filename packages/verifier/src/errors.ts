/**
 * Errors of the verifier's sources and of its stream verifier. A source error says that a local log,
 * an export file, a gateway or a peer could not give what was asked; a stream verifier error says
 * that the verifier was used in a way it cannot be. Neither is a verification failure (those are
 * results, see result.ts): an error says the evidence could not be read or checked, never that it
 * was read and found wrong, except for `BLOCK_CID_MISMATCH`, where a fetcher refuses bytes that do not
 * hash to the CID it asked for.
 */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/**
 * Every way a source can fail. Codes are stable: callers and tests branch on them, never on wording.
 *
 * - `SOURCE_NOT_FOUND`: the file, URL or stream does not exist.
 * - `SOURCE_UNREADABLE`: the file exists but cannot be opened for reading (permissions, or a WAL store
 *   in a read-only directory without its `-shm` file).
 * - `SOURCE_INVALID`: not an Ancora store, or a malformed export line (evidence: `line`).
 * - `SOURCE_UNSUPPORTED_VERSION`: a store schema or export format newer than this verifier knows.
 * - `SOURCE_UNREACHABLE`: connection refused, DNS failure, 5xx after retries, a peer that cannot be dialled.
 * - `SOURCE_TIMEOUT`: no answer within the time allowed.
 * - `BLOCK_NOT_FOUND`: the source does not have the block (404/410, not provided by any peer).
 * - `BLOCK_CID_MISMATCH`: the bytes served for a CID hash to another CID (evidence: `expected`, `found`).
 * - `BLOCK_TOO_LARGE`: the block is larger than any Ancora block may be (evidence: `limit`).
 * - `SOURCE_UNSUPPORTED_CID`: the CID is not a CIDv1 raw sha2-256 CID in its canonical base32 spelling.
 * - `HISTORY_UNAVAILABLE`: the chain node no longer serves the event logs asked for (EIP-4444).
 */
export type SourceErrorCode =
  | "SOURCE_NOT_FOUND"
  | "SOURCE_UNREADABLE"
  | "SOURCE_INVALID"
  | "SOURCE_UNSUPPORTED_VERSION"
  | "SOURCE_UNREACHABLE"
  | "SOURCE_TIMEOUT"
  | "BLOCK_NOT_FOUND"
  | "BLOCK_CID_MISMATCH"
  | "BLOCK_TOO_LARGE"
  | "SOURCE_UNSUPPORTED_CID"
  | "HISTORY_UNAVAILABLE";

/**
 * A source could not deliver what was asked. `evidence` holds paths, URLs without credentials, line
 * numbers, CIDs and sizes only.
 *
 * @example
 * ```ts
 * try {
 *   openLocalLog("missing.db");
 * } catch (error) {
 *   if (error instanceof SourceError && error.code === "SOURCE_NOT_FOUND") console.error(error.hint);
 * }
 * ```
 */
export class SourceError extends AncoraError<SourceErrorCode> {
  override name = "SourceError";
}

/**
 * Every way the stream verifier can be misused. Codes are stable: callers and tests branch on them.
 *
 * - `RANGE_START_INVALID`: a range's start seq is not a non-negative multiple of the range block (16).
 * - `RANGE_CONFIG_INVALID`: `RangeStart.config` holds the bytes of a record that is not a config record.
 * - `VERIFIER_FINISHED`: `add`, `finish` or `facts` on a `StreamVerifier` that `finish` or `facts`
 *   already ended.
 * - `VERIFIER_NOT_RANGE`: `facts` on a verifier of a whole stream (made with `new StreamVerifier`,
 *   not `StreamVerifier.range`).
 */
export type StreamVerifierErrorCode =
  | "RANGE_START_INVALID"
  | "RANGE_CONFIG_INVALID"
  | "VERIFIER_FINISHED"
  | "VERIFIER_NOT_RANGE";

/**
 * A `StreamVerifier` was asked something it cannot do: the caller's mistake, raised before or instead
 * of any check, never a finding about the records.
 *
 * @example
 * ```ts
 * try {
 *   StreamVerifier.range("credit", { seq: 5, labels: [] });
 * } catch (error) {
 *   if (error instanceof StreamVerifierError && error.code === "RANGE_START_INVALID") console.error(error.hint);
 * }
 * ```
 */
export class StreamVerifierError extends AncoraError<StreamVerifierErrorCode> {
  override name = "StreamVerifierError";
}

/**
 * Codes of {@link ChainVerifyError}.
 *
 * - `CHAIN_UNKNOWN_STREAM`: a stream asked for is neither in the log nor anchored in the registry.
 */
export type ChainVerifyErrorCode = "CHAIN_UNKNOWN_STREAM";

/**
 * `verifyAgainstChain` was asked something it cannot do (the caller's configuration, not a finding
 * about the organisation: a stream the registry anchors and the log lacks is a `STREAM_MISSING`
 * failure instead).
 */
export class ChainVerifyError extends AncoraError<ChainVerifyErrorCode> {
  override name = "ChainVerifyError";
  constructor(code: ChainVerifyErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/** Codes of {@link PublicVerifyError}. */
export type PublicVerifyErrorCode = "PUBLIC_BAD_OPTION" | "PUBLIC_UNKNOWN_STREAM";

/**
 * `verifyPublic` was asked something it cannot do: an option out of range, or a stream the registry has
 * never registered (the caller's configuration, not a finding about the organisation).
 */
export class PublicVerifyError extends AncoraError<PublicVerifyErrorCode> {
  override name = "PublicVerifyError";
  constructor(code: PublicVerifyErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

export type ParallelOptionErrorCode = "PARALLEL_BAD_OPTION";

/** A thread count or range size that cannot be used; the caller's fault, raised before any work. */
export class ParallelOptionError extends AncoraError<ParallelOptionErrorCode> {
  override name = "ParallelOptionError";
  constructor(code: ParallelOptionErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/**
 * Codes of {@link UsageError}: the command line cannot be run as given.
 *
 * - `USAGE_UNKNOWN_OPTION`: an option `ancora-verify` does not have.
 * - `USAGE_MISSING_VALUE`: an option given without its value.
 * - `USAGE_BAD_VALUE`: a value of the wrong form (an address, a URL, a multiaddr).
 * - `USAGE_CONFLICT`: options that cannot be combined, or an incomplete combination.
 * - `USAGE_NOTHING_TO_VERIFY`: no source given.
 */
export type UsageErrorCode =
  | "USAGE_UNKNOWN_OPTION"
  | "USAGE_MISSING_VALUE"
  | "USAGE_BAD_VALUE"
  | "USAGE_CONFLICT"
  | "USAGE_NOTHING_TO_VERIFY";

/** The command line is wrong (exit code 2). */
export class UsageError extends AncoraError<UsageErrorCode> {
  override name = "UsageError";
  constructor(code: UsageErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, { hint: "Run `ancora-verify --help` for the options.", ...options });
  }
}

/** Every code the verifier throws (findings about a log are failures in a result, never thrown). */
export type VerifierErrorCode =
  | SourceErrorCode
  | StreamVerifierErrorCode
  | ChainVerifyErrorCode
  | PublicVerifyErrorCode
  | ParallelOptionErrorCode
  | UsageErrorCode
  | OffLogDocumentErrorCode
  | OptionalDependencyErrorCode
  | "TAR_INVALID"
  | "RANGE_WORKER_FAILED";

/** Ways an off-log document can fail against its record. */
export type OffLogDocumentErrorCode =
  /** The record bytes are not a canonical, valid v1 record. */
  | "DOCUMENT_RECORD_INVALID"
  /** The record is of a kind that commits to no off-log document. */
  | "DOCUMENT_RECORD_KIND"
  /** SHA-256 of the document is not the digest on the record. */
  | "DOCUMENT_DIGEST_MISMATCH"
  /** The capsule's length is not the size on the record. */
  | "DOCUMENT_SIZE_MISMATCH"
  /** The digest matches, but the document is not a valid reproducibility manifest v1. */
  | "DOCUMENT_INVALID";

/** An off-log document does not match its record; `evidence` holds digests, sizes and the record CID. */
export class OffLogDocumentError extends AncoraError<OffLogDocumentErrorCode> {
  override name = "OffLogDocumentError";
  constructor(code: OffLogDocumentErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/** A tar archive that cannot be read as a bundle; `offset` is where in the archive reading failed. */
export class TarFormatError extends AncoraError<"TAR_INVALID"> {
  override name = "TarFormatError";
  /** Byte offset in the archive where reading failed. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super("TAR_INVALID", message, {
      hint: "The file is not an Ancora bundle as written (truncated, or changed): ask for it again.",
      evidence: { offset },
    });
    this.offset = offset;
  }
}

/** Why a range could not be checked on a worker thread (the caller then verifies it serially). */
export class RangeWorkerError extends AncoraError<"RANGE_WORKER_FAILED"> {
  override name = "RangeWorkerError";
  constructor(message: string) {
    super("RANGE_WORKER_FAILED", message, {
      hint: "Nothing to do: the range is verified on the calling thread instead.",
    });
  }
}

/** Codes of {@link OptionalDependencyError}. */
export type OptionalDependencyErrorCode = "OPTIONAL_DEPENDENCY_MISSING";

/**
 * A feature needs a package that is an optional peer dependency and is not installed (the embedded
 * IPFS node and bitswap need Helia and libp2p; Kubo pinning needs kubo-rpc-client; SVG lineage needs
 * Graphviz). The message names the `npm install` command to run; `evidence` names the feature and the
 * packages it needs, with their version ranges.
 *
 * @example
 * ```ts
 * try {
 *   await startBitswapFetcher({ peers });
 * } catch (error) {
 *   if (error instanceof OptionalDependencyError) console.error(error.install); // npm install helia@^7.1.15 …
 * }
 * ```
 */
export class OptionalDependencyError extends AncoraError<OptionalDependencyErrorCode> {
  override name = "OptionalDependencyError";
  /** The command that installs what the feature needs, e.g. `npm install kubo-rpc-client@^7.1.0`. */
  readonly install: string;
  constructor(feature: string, packages: Readonly<Record<string, string>>, cause?: unknown) {
    const install = `npm install ${Object.entries(packages)
      .map(([name, range]) => `${name}@${range}`)
      .join(" ")}`;
    super("OPTIONAL_DEPENDENCY_MISSING", `${feature} needs optional packages that are not installed`, {
      hint: `Run \`${install}\` in your project (they are optional peer dependencies, left out of a lean install).`,
      evidence: { feature, packages: { ...packages } },
      ...(cause === undefined ? {} : { cause }),
    });
    this.install = install;
  }
}
