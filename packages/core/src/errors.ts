/**
 * Typed errors shared by every Ancora package.
 *
 * One base class with a stable string `code` (tests and callers branch on the code and the class, never
 * on the wording), a `hint` saying what to do about it, a real `cause`, and, for verification failures,
 * `evidence` that can be shown to a third party. Modelled on viem's `BaseError` and sigstore-js's
 * `BaseError<Code>`.
 *
 * Messages and evidence must never carry secrets or raw personal data: they hold paths, codes, sizes,
 * hashes and CIDs only.
 */

export interface AncoraErrorOptions {
  /** What the caller can do about it. Shown after the message. */
  hint?: string;
  /** Longer explanation, kept out of `shortMessage`. */
  details?: string;
  /** The lower-level failure that caused this one. */
  cause?: unknown;
  /** Machine-readable facts for a third party: expected vs found, sequence numbers, CIDs. */
  evidence?: Readonly<Record<string, unknown>>;
}

export class AncoraError<Code extends string = string> extends Error {
  override name = "AncoraError";
  readonly code: Code;
  readonly shortMessage: string;
  readonly hint: string | undefined;
  readonly details: string | undefined;
  readonly evidence: Readonly<Record<string, unknown>> | undefined;

  constructor(code: Code, shortMessage: string, options: AncoraErrorOptions = {}) {
    const lines = [`${shortMessage}`];
    if (options.details !== undefined) lines.push(`Details: ${options.details}`);
    if (options.hint !== undefined) lines.push(`What to do: ${options.hint}`);
    super(lines.join("\n"), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.hint = options.hint;
    this.details = options.details;
    this.evidence = options.evidence;
  }

  /**
   * Walks the cause chain and returns the first error for which `predicate` holds (the deepest error
   * when no predicate is given), as viem's `BaseError.walk` does.
   */
  walk(predicate?: (error: unknown) => boolean): unknown {
    let current: unknown = this;
    let last: unknown = this;
    const seen = new Set<unknown>();
    while (current !== undefined && current !== null && !seen.has(current)) {
      seen.add(current);
      if (predicate?.(current)) return current;
      last = current;
      current = (current as { cause?: unknown }).cause;
    }
    return predicate ? undefined : last;
  }

  /** A JSON-safe view for logs, CLI `--json` output and HTTP error bodies. */
  toJSON(): { name: string; code: Code; message: string; hint?: string; evidence?: Record<string, unknown> } {
    return {
      name: this.name,
      code: this.code,
      message: this.shortMessage,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.evidence === undefined ? {} : { evidence: { ...this.evidence } }),
    };
  }
}

/** Codes raised while turning a JavaScript value into canonical bytes. */
export type EncodingErrorCode =
  | "ENCODING_NON_FINITE_NUMBER"
  | "ENCODING_UNSAFE_INTEGER"
  | "ENCODING_UNDEFINED"
  | "ENCODING_UNSUPPORTED_TYPE"
  | "ENCODING_NON_PLAIN_OBJECT"
  | "ENCODING_CYCLE"
  | "ENCODING_LONE_SURROGATE"
  | "ENCODING_KEY_COLLISION"
  | "ENCODING_TOO_LARGE"
  | "ENCODING_MALFORMED_BYTES"
  | "ENCODING_NOT_CANONICAL"
  | "ENCODING_NEGATIVE_ZERO"
  | "ENCODING_RESERVED_KEY"
  | "ENCODING_AMBIGUOUS_KEY_ORDER"
  | "ENCODING_TOO_DEEP";

/**
 * A value cannot be encoded exactly. `path` names the offending field (`$.body.input.age`), so the
 * caller can fix it; nothing is written when this is thrown.
 */
export class EncodingError extends AncoraError<EncodingErrorCode> {
  override name = "EncodingError";
  readonly path: string;
  constructor(code: EncodingErrorCode, path: string, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, `${shortMessage} at ${path}`, { ...options, evidence: { path, ...options.evidence } });
    this.path = path;
  }
}

/** Codes raised when a record, checkpoint or receipt does not match its schema. */
export type SchemaErrorCode =
  | "SCHEMA_UNSUPPORTED_VERSION"
  | "SCHEMA_UNKNOWN_KIND"
  | "SCHEMA_MISSING_FIELD"
  | "SCHEMA_UNKNOWN_FIELD"
  | "SCHEMA_INVALID_FIELD";

/** An object does not match the versioned schema it claims. `path` names the field. */
export class SchemaError extends AncoraError<SchemaErrorCode> {
  override name = "SchemaError";
  readonly path: string;
  constructor(code: SchemaErrorCode, path: string, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, `${shortMessage} at ${path}`, { ...options, evidence: { path, ...options.evidence } });
    this.path = path;
  }
}

/** Codes raised by invalid arguments to core functions (the caller's fault, not tampering). */
export type ArgumentErrorCode = "INVALID_ARGUMENT";

/** A function was called with an argument outside its contract (OpenZeppelin's `validateArgument`). */
export class ArgumentError extends AncoraError<ArgumentErrorCode> {
  override name = "ArgumentError";
  constructor(shortMessage: string, options: AncoraErrorOptions = {}) {
    super("INVALID_ARGUMENT", shortMessage, options);
  }
}

/** Codes for verification failures: something does not match, and the evidence says what. */
export type VerificationErrorCode =
  | "CID_MISMATCH"
  | "INCLUSION_PROOF_INVALID"
  | "CONSISTENCY_PROOF_INVALID"
  | "ROOT_MISMATCH"
  | "CHAIN_BROKEN"
  | "RECEIPT_INVALID"
  | "COMMITMENT_MISMATCH";

/** A verification failed. `evidence` holds what was expected and what was found. */
export class VerificationError extends AncoraError<VerificationErrorCode> {
  override name = "VerificationError";
}

/** An internal invariant broke: a bug in Ancora, never the caller's input (OpenZeppelin's `invariant`). */
export class InvariantError extends AncoraError<"INTERNAL_INVARIANT"> {
  override name = "InvariantError";
  constructor(shortMessage: string, options: AncoraErrorOptions = {}) {
    super("INTERNAL_INVARIANT", shortMessage, {
      hint: "This is a bug in Ancora; please report it with the stack trace.",
      ...options,
    });
  }
}

/** Throws an {@link InvariantError} when `condition` is false. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** Codes of {@link ManifestError}. */
export type ManifestErrorCode = "MANIFEST_TOO_MANY_RECORDS";

/** A manifest cannot be built as asked (a range too long for one block: split it). */
export class ManifestError extends AncoraError<ManifestErrorCode> {
  override name = "ManifestError";
  constructor(code: ManifestErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}
