/**
 * The options of `createLogger`, their defaults, and their checking: every bad option is an
 * InputError(INVALID_OPTION) naming the field before anything is opened.
 */
import { AncoraError, type GenesisBody, type ModelRef, type RegistryRef } from "@ancora/core";
import { InputError } from "./errors.js";
import type { Clock } from "./internal/append-plan.js";
import { type CommitmentOption, commitmentConfig } from "./internal/commitments.js";
import { checkModel, DEFAULT_MAX_INPUT_BYTES, type DecisionSettings, STREAM_ID } from "./internal/drafts.js";

export { DEFAULT_MAX_INPUT_BYTES };
/** Most records one group-commit transaction takes; a longer queue is written in several. */
export const DEFAULT_MAX_BATCH = 4096;
/** How long a group commit waits for more calls: 0 means "until the current event-loop turn ends". */
export const DEFAULT_WINDOW_MS = 0;

/** Handler of logging failures inside wrapped functions (which never throw them at the caller). */
export type ErrorHandler = (error: unknown, context: { stream: string; operation: "wrap" }) => void;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The SQLite file (created when missing). */
  path: string;
  /** The stream this logger writes: one per model or service (`[a-z0-9._-]`, up to 64, starting with a letter or digit: the registry's rule). */
  stream: string;
  /** The model whose decisions are logged; each decision records it. */
  model: ModelRef;
  /**
   * How inputs and outputs are committed to (default `salted`: unguessable, and erasable by deleting
   * the salt). `plain` only for public or high-entropy values; `hmac` with an organisation key.
   */
  commitment?: CommitmentOption;
  /**
   * Runs on the raw features before anything else touches them; only its result is committed to.
   * Raw inputs are never stored in any case: records hold commitments only.
   */
  anonymise?: (features: Record<string, unknown>) => unknown;
  /** Create the stream (with its genesis record) when the store does not have it (default true). */
  create?: boolean;
  /** Genesis fields, used when the stream is created: who creates it (default "ancora-sdk"), etc. */
  createdBy?: string;
  org?: string;
  description?: string;
  registry?: RegistryRef;
  /** Largest canonical input or output, in bytes (default 1 MiB): larger calls fail with INPUT_TOO_LARGE. */
  maxInputBytes?: number;
  /** Group commit: how long to gather calls (default 0: one event-loop turn) and at most how many. */
  groupCommit?: { windowMs?: number; maxBatch?: number };
  /** Where logging failures of wrapped functions go (default: a line on stderr, no values). */
  onError?: ErrorHandler;
  /** How long to wait for other writers' locks (default 10 s). */
  busyTimeoutMs?: number;
  /** Clock for record timestamps (tests, fixtures). */
  clock?: () => Date;
}

/**
 * Options of `createLogger` for a stream kept in PostgreSQL (docs/operations.md, "PostgreSQL"): the
 * SQLite options with `url` in place of `path`.
 */
export interface PostgresLoggerOptions extends Omit<LoggerOptions, "path" | "busyTimeoutMs"> {
  /**
   * `postgres://user:password@host:5432/database`: take it from the environment (it may hold a
   * password); it never appears in errors or logs.
   */
  url: string;
  /** Most connections the logger opens (default 4). */
  maxConnections?: number;
}

/** The options of a logger, checked and with their defaults filled in. */
export interface ResolvedLoggerOptions {
  stream: string;
  settings: DecisionSettings;
  windowMs: number;
  maxBatch: number;
  onError: ErrorHandler;
  clock: Clock;
  /** The genesis record's body, written when the stream is created. */
  genesis: GenesisBody;
}

function defaultOnError(error: unknown, context: { stream: string }): void {
  const code = error instanceof AncoraError ? error.code : "UNKNOWN";
  // Code and stream only: an error's evidence may name fields, never print values.
  process.stderr.write(`[ancora] stream "${context.stream}": a decision was not logged (${code})\n`);
}

/** Checks a logger's options (InputError INVALID_OPTION naming the field) and fills in the defaults. */
export function resolveLoggerOptions(options: LoggerOptions): ResolvedLoggerOptions {
  if (typeof options !== "object" || options === null) {
    throw new InputError("INVALID_OPTION", "createLogger needs an options object");
  }
  if (typeof options.path !== "string" || options.path.length === 0) {
    throw new InputError("INVALID_OPTION", "path must name the store's SQLite file");
  }
  return resolveCommonOptions(options);
}

/** Checks the options every logger has, whatever keeps its stream, and fills in the defaults. */
export function resolveCommonOptions(
  options: Omit<LoggerOptions, "path" | "busyTimeoutMs">,
): ResolvedLoggerOptions {
  if (typeof options !== "object" || options === null) {
    throw new InputError("INVALID_OPTION", "createLogger needs an options object");
  }
  const maxConnections = (options as { maxConnections?: unknown }).maxConnections;
  if (
    maxConnections !== undefined &&
    (!Number.isSafeInteger(maxConnections) || (maxConnections as number) < 1)
  ) {
    throw new InputError("INVALID_OPTION", "maxConnections must be an integer >= 1", {
      evidence: { field: "maxConnections" },
    });
  }
  if (typeof options.stream !== "string" || !STREAM_ID.test(options.stream)) {
    throw new InputError(
      "INVALID_OPTION",
      "stream must be 1 to 64 characters of [a-z0-9._-], starting with a letter or digit",
      {
        hint: 'Use a lower-case name such as "loans" or "fraud.eu-west": the same rule the registry applies.',
        evidence: { field: "stream" },
      },
    );
  }
  const model = checkModel(options.model);
  const commitment = commitmentConfig(options.commitment);
  const maxInput = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const windowMs = options.groupCommit?.windowMs ?? DEFAULT_WINDOW_MS;
  const maxBatch = options.groupCommit?.maxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isSafeInteger(maxInput) || maxInput < 1) {
    throw new InputError("INVALID_OPTION", "maxInputBytes must be a positive integer");
  }
  if (!Number.isFinite(windowMs) || windowMs < 0 || !Number.isSafeInteger(maxBatch) || maxBatch < 1) {
    throw new InputError("INVALID_OPTION", "groupCommit needs windowMs >= 0 and an integer maxBatch >= 1");
  }
  if (options.anonymise !== undefined && typeof options.anonymise !== "function") {
    throw new InputError("INVALID_OPTION", "anonymise must be a function");
  }
  return {
    stream: options.stream,
    settings: { commitment, anonymise: options.anonymise, maxInputBytes: maxInput, model },
    windowMs,
    maxBatch,
    onError: options.onError ?? defaultOnError,
    clock: options.clock ?? (() => new Date()),
    genesis: {
      createdBy: options.createdBy ?? "ancora-sdk",
      ...(options.org === undefined ? {} : { org: options.org }),
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    },
  };
}
