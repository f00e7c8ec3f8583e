/**
 * ProvenanceLogger: what an inference service wraps around its model. One logger per stream; any
 * number of loggers, threads and processes may share one store file.
 */

import type { Writable } from "node:stream";
import type { Checkpoint, ConfigBody, ModelRef, Receipt } from "@ancora/core";
import type { VerificationResult } from "@ancora/verifier";
import type Database from "better-sqlite3";
import type { ReceiptOptions } from "./anchoring/receipt-builder.js";
import { type ConsentRequirement, requireConsent } from "./consent/consent.js";
import { indexSubject } from "./consent/subjects.js";
import { ClosedError, InputError, LabelUnknownError } from "./errors.js";
import { exportJsonl, type JsonlExportSummary } from "./evidence/jsonl-export.js";
import { type EvidencePackOptions, evidencePack } from "./evidence/pack.js";
import type { EvidencePack } from "./evidence/types.js";
import type { Draft, Entry, Outcome, StreamState, Written } from "./internal/append-plan.js";
import { openDatabase } from "./internal/database.js";
import {
  checkConfigInput,
  configDrafts,
  configResult,
  type DecisionSettings,
  decisionDraft,
  decisionResult,
  nextLabelId,
  type PreparedDecision,
  prepareDecision,
  requireText,
} from "./internal/drafts.js";
import { openStream, StreamWriter } from "./internal/stream-writer.js";
import {
  type ErrorHandler,
  type LoggerOptions,
  type PostgresLoggerOptions,
  type ResolvedLoggerOptions,
  resolveLoggerOptions,
} from "./logger-options.js";
import { PostgresLogger } from "./postgres/pg-logger.js";
import type {
  ChangeMeta,
  ConfigInput,
  LabelInfo,
  PolicyCheck,
  Recorded,
  RecordedConfig,
  RecordedDecision,
} from "./recorded.js";
import type { SearchPage, SearchQuery } from "./search.js";
import { type AncoraStore, storeOverDatabase } from "./store.js";
import type { InclusionProofInfo } from "./store-types.js";

/** One decision to log. */
export interface DecisionEntry {
  /** The model's input features: a plain object. Never stored; anonymised, then committed to. */
  features: Record<string, unknown>;
  /** The model's output. Never stored; committed to. */
  output: unknown;
  /** The score the stream's config resolves to a label (`score >= threshold` → aboveLabel). */
  score: number;
  /** The model, when it differs from the logger's (e.g. during a rollout). */
  model?: ModelRef;
  /**
   * Require the subject's consent: when denied, a consent-denied record is written, the call fails
   * with a ConsentDeniedError and no decision is logged (docs/lineage.md, "Consent").
   */
  consent?: ConsentRequirement;
  /** Policy checks run for this decision, recorded in the decision's `checks` list. */
  checks?: readonly PolicyCheck[];
}

/** Options of {@link ProvenanceLogger.wrap}. */
export interface WrapOptions<A extends unknown[], O> {
  /** The score of one call, from its output and arguments. */
  score: (output: O, ...args: A) => number;
  /** The features of one call (default: the first argument). */
  features?: (...args: A) => Record<string, unknown>;
  /** What to commit to as the output (default: the output itself). */
  output?: (output: O) => unknown;
  /**
   * Require consent before the model runs: when denied, a consent-denied record is written and the
   * wrapped function throws (an `async` function rejects) a ConsentDeniedError; `fn` is not called.
   */
  consent?: (...args: A) => ConsentRequirement;
  /** Policy checks of one call, recorded in its decision's `checks` list. */
  checks?: (output: O, ...args: A) => readonly PolicyCheck[];
  /**
   * `true` (default): the call returns after its decision is durable (sync functions write
   * synchronously; async ones await a group commit). `false`: logging happens in the background.
   */
  durable?: boolean;
}

const LOGGER_KEY = Symbol("ProvenanceLogger");

interface Prepared extends PreparedDecision {
  /** The consenting subject's reference, when the decision passed a consent gate. */
  subjectRef: string | undefined;
}

interface Pending {
  entry: Entry<RecordedDecision>;
  resolve: (value: RecordedDecision) => void;
  reject: (error: unknown) => void;
}

/**
 * A logger for one stream. Create it with {@link createLogger}.
 */
export class ProvenanceLogger {
  readonly stream: string;
  readonly model: ModelRef;
  /** The store behind this logger (same connection): verify, search, proofs, exports, outbox. */
  readonly store: AncoraStore;
  readonly #db: Database.Database;
  readonly #writer: StreamWriter;
  readonly #settings: DecisionSettings;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #onError: ErrorHandler;
  #queue: Pending[] = [];
  #scheduled = false;
  #urgent = false;
  #closed = false;

  /** @internal Use {@link createLogger}. */
  constructor(
    key: symbol,
    parts: {
      db: Database.Database;
      writer: StreamWriter;
      store: AncoraStore;
      resolved: ResolvedLoggerOptions;
    },
  ) {
    if (key !== LOGGER_KEY) {
      throw new InputError("INVALID_OPTION", "A logger is made by createLogger()", {
        hint: "Call createLogger({ path, stream, model }) instead of new ProvenanceLogger().",
      });
    }
    const { resolved } = parts;
    this.stream = resolved.stream;
    this.model = resolved.settings.model;
    this.store = parts.store;
    this.#db = parts.db;
    this.#writer = parts.writer;
    this.#settings = resolved.settings;
    this.#windowMs = resolved.windowMs;
    this.#maxBatch = resolved.maxBatch;
    this.#onError = resolved.onError;
  }

  /** True once {@link ProvenanceLogger.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError("logger");
  }

  /** Everything about a decision that does not depend on the chain; throws InputError, writes nothing. */
  #prepare(entry: DecisionEntry): Prepared {
    const prepared = prepareDecision(entry, this.#settings);
    // Last, after every input check: a refusal writes a consent-denied record, bad input writes nothing.
    const subjectRef = entry.consent === undefined ? undefined : requireConsent(this, entry.consent);
    return { ...prepared, subjectRef };
  }

  #decisionEntry(prepared: Prepared): Entry<RecordedDecision> {
    const stream = this.stream;
    return {
      build: (state: Readonly<StreamState>): Draft[] => [decisionDraft(prepared, state)],
      done: (written: readonly Written[]): RecordedDecision => {
        const w = written[0] as Written;
        // Inside the write transaction: the subject index row commits with the decision.
        if (prepared.subjectRef !== undefined)
          indexSubject(this.#db, prepared.subjectRef, this.#writer.id, w.seq, "decision");
        return decisionResult(stream, w);
      },
    };
  }

  /**
   * Logs one decision with group commit: calls made within the same window share one transaction,
   * and each promise resolves only once its transaction is durable (committed with
   * `synchronous=FULL`). Bad input rejects with an {@link InputError}, a stream without config with a
   * {@link ConfigMissingError}; either way nothing is written.
   *
   * @example
   * ```ts
   * const { seq, cid, label } = await logger.record({ features: { age: 42 }, output: "approve", score: 0.81 });
   * ```
   */
  record(entry: DecisionEntry): Promise<RecordedDecision> {
    try {
      this.#checkOpen();
      const prepared = this.#prepare(entry);
      return new Promise((resolve, reject) => {
        this.#queue.push({ entry: this.#decisionEntry(prepared), resolve, reject });
        this.#schedule();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The name for {@link ProvenanceLogger.record}: the same function. */
  log(entry: DecisionEntry): Promise<RecordedDecision> {
    return this.record(entry);
  }

  /**
   * Logs one decision synchronously, in its own transaction: durable when it returns. Throws what
   * {@link ProvenanceLogger.record} rejects with.
   *
   * @example
   * ```ts
   * const { seq } = logger.recordSync({ features, output, score });
   * ```
   */
  recordSync(entry: DecisionEntry): RecordedDecision {
    this.#checkOpen();
    return this.#one(this.#decisionEntry(this.#prepare(entry)));
  }

  #one<T>(entry: Entry<T>): T {
    const [outcome] = this.#writer.append([entry]) as [Outcome<T>];
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  #schedule(): void {
    if (this.#queue.length >= this.#maxBatch && !this.#urgent) {
      // A full batch need not wait for the window; still asynchronous, so the caller is never blocked.
      this.#urgent = true;
      queueMicrotask(() => {
        this.#urgent = false;
        this.#flush();
      });
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      this.#flush();
    };
    if (this.#windowMs > 0) setTimeout(run, this.#windowMs);
    else setImmediate(run);
  }

  /** Writes everything queued, in transactions of at most maxBatch records. */
  #flush(): void {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      const outcomes = this.#writer.append(batch.map((p) => p.entry));
      for (let i = 0; i < batch.length; i++) {
        const pending = batch[i] as Pending;
        const outcome = outcomes[i] as Outcome<RecordedDecision>;
        if (outcome.ok) pending.resolve(outcome.value);
        else pending.reject(outcome.error);
      }
    }
  }

  /** Resolves when every decision queued so far is durable (or failed). */
  async flush(): Promise<void> {
    this.#flush();
  }

  /**
   * Wraps a model function: the result has the same signature (sync or async), returns the model's
   * output unchanged and logs one decision per call. A logging failure goes to `onError` and never
   * changes the output or throws at the caller; an error thrown by the model itself is rethrown
   * unchanged (and nothing is logged, since there was no decision).
   *
   * @example
   * ```ts
   * const score = logger.wrap(model.predict, { score: (out) => out.probability });
   * const out = await score({ age: 42, income: 51_000 }); // exactly model.predict's output
   * ```
   */
  wrap<A extends unknown[], R>(
    fn: (...args: A) => R,
    options: WrapOptions<A, Awaited<R>>,
  ): (...args: A) => R {
    const durable = options.durable ?? true;
    const report = (error: unknown) => {
      try {
        this.#onError(error, { stream: this.stream, operation: "wrap" });
      } catch {
        // A failing handler must not reach the caller either.
      }
    };
    const entryOf = (
      output: Awaited<R>,
      args: A,
      consent: ConsentRequirement | undefined,
    ): DecisionEntry => ({
      features: options.features ? options.features(...args) : (args[0] as Record<string, unknown>),
      output: options.output ? options.output(output) : output,
      score: options.score(output, ...args),
      ...(consent === undefined ? {} : { consent }),
      ...(options.checks === undefined ? {} : { checks: options.checks(output, ...args) }),
    });
    const logger = this;
    const isAsync = fn.constructor?.name === "AsyncFunction";
    return function wrapped(this: unknown, ...args: A): R {
      let consent: ConsentRequirement | undefined;
      if (options.consent !== undefined) {
        // The gate runs before the model: a refused subject's data never reaches it. Fails closed.
        try {
          consent = options.consent(...args);
          requireConsent(logger, consent);
        } catch (error) {
          if (isAsync) return Promise.reject(error) as R;
          throw error;
        }
      }
      const result = fn.apply(this, args);
      if (typeof (result as { then?: unknown } | null)?.then === "function") {
        return (result as PromiseLike<Awaited<R>>).then(async (output) => {
          try {
            const pending = logger.record(entryOf(output, args, consent));
            if (durable) await pending;
            else pending.catch(report);
          } catch (error) {
            report(error);
          }
          return output;
        }) as R;
      }
      try {
        const entry = entryOf(result as Awaited<R>, args, consent);
        if (durable) logger.recordSync(entry);
        else logger.record(entry).catch(report);
      } catch (error) {
        report(error);
      }
      return result;
    };
  }

  /** The stream's labels (id and current name), in id order. */
  labels(): LabelInfo[] {
    this.#checkOpen();
    const state = this.#db.transaction(() => this.#writer.loadState())();
    return [...state.labels]
      .map(([id, name]) => ({ id, name }))
      .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  }

  /**
   * Defines a label: a label record with the next free id (L001, L002, ...). Defining a name that is
   * already a current label name writes nothing and returns that label.
   *
   * @example
   * ```ts
   * const { id } = logger.defineLabel("approve"); // "L001"
   * ```
   */
  defineLabel(name: string, meta: Partial<ChangeMeta> = {}): LabelInfo & { seq?: number; cid?: string } {
    this.#checkOpen();
    requireText(name, "name");
    let existing: string | undefined;
    return this.#one({
      build(state): Draft[] {
        existing = undefined;
        for (const [id, current] of state.labels) if (current === name) existing = id;
        if (existing !== undefined) return [];
        return [{ kind: "label", body: { id: nextLabelId(state.labels.keys()), name, ...meta } }];
      },
      done(written): LabelInfo & { seq?: number; cid?: string } {
        const w = written[0];
        if (w === undefined) return { id: existing as string, name };
        const body = w.record.body as { id: string; name: string };
        return { id: body.id, name: body.name, seq: w.seq, cid: w.cid.toString() };
      },
    });
  }

  /**
   * Renames a label: another label record with the same id. Past decisions keep the id, so their
   * meaning is unchanged; displays show the new name from now on.
   */
  renameLabel(id: string, name: string, meta: Partial<ChangeMeta> = {}): Recorded {
    this.#checkOpen();
    const stream = this.stream;
    return this.#one({
      build(state): Draft[] {
        if (!state.labels.has(id)) throw new LabelUnknownError(stream, id);
        return [{ kind: "label", body: { id, name, ...meta } }];
      },
      done(written) {
        const w = written[0] as Written;
        return { stream, seq: w.seq, cid: w.cid.toString(), ts: w.record.ts };
      },
    });
  }

  /**
   * Writes a config record: the rule that resolves scores to labels from now on. `changedBy` and
   * `changeReason` are mandatory. Labels are ids (`L002`, which must exist) or names (an existing
   * label's current name, or a new label defined in the same transaction).
   *
   * @example
   * ```ts
   * logger.setConfig({ threshold: 0.7, aboveLabel: "approve", belowLabel: "refer",
   *   changedBy: "risk-team@example.org", changeReason: "Q3 recalibration" });
   * ```
   */
  setConfig(input: ConfigInput): RecordedConfig {
    this.#checkOpen();
    const change = checkConfigInput(input);
    const stream = this.stream;
    return this.#one({
      build: (state): Draft[] => configDrafts(change, state),
      done: (written): RecordedConfig => configResult(stream, written),
    });
  }

  /** The config current for this stream (as committed), or undefined before the first setConfig. */
  config(): (ConfigBody & { seq: number; cid: string }) | undefined {
    this.#checkOpen();
    const config = this.#db.transaction(() => this.#writer.loadState())().config;
    return config === undefined ? undefined : { ...config.body, seq: config.seq, cid: config.cid.toString() };
  }

  /**
   * The receipt of record `seq` of this stream (see {@link AncoraStore.receipt}).
   *
   * @example
   * ```ts
   * const receipt = logger.receipt(seq); // throws NotAnchoredError until an anchor covers seq
   * ```
   */
  receipt(seq: number, options: ReceiptOptions = {}): Receipt {
    return this.store.receipt(this.stream, seq, options);
  }

  /** Checkpoints the committed head (after writing what is queued) and queues its anchoring. */
  checkpoint(): Checkpoint {
    this.#checkOpen();
    this.#flush();
    return this.store.checkpoint(this.stream);
  }

  /** Verifies this logger's stream (see {@link AncoraStore.verify}). */
  verify(options: { maxFailures?: number } = {}): VerificationResult {
    this.#checkOpen();
    this.#flush();
    return this.store.verifyStream(this.stream, options);
  }

  /** Searches this stream (see {@link AncoraStore.search}). */
  search(query: Omit<SearchQuery, "stream"> = {}): SearchPage {
    this.#checkOpen();
    return this.store.search({ ...query, stream: this.stream });
  }

  /** Counts in this stream (see {@link AncoraStore.count}). */
  count(query: Omit<SearchQuery, "stream" | "cursor" | "limit"> = {}): number {
    this.#checkOpen();
    return this.store.count({ ...query, stream: this.stream });
  }

  /** An inclusion proof for record `seq` (see {@link AncoraStore.inclusionProof}). */
  inclusionProof(seq: number, size?: number): InclusionProofInfo {
    this.#checkOpen();
    return this.store.inclusionProof(this.stream, seq, size);
  }

  /** Writes this stream's JSONL audit log (see {@link exportJsonl}), after writing what is queued. */
  exportJsonl(out: Writable | string): Promise<JsonlExportSummary> {
    this.#checkOpen();
    this.#flush();
    return exportJsonl(this.store, { stream: this.stream, out });
  }

  /** This stream's evidence pack for a model (default: the logger's model id; see {@link evidencePack}). */
  evidencePack(options: Partial<Omit<EvidencePackOptions, "stream">> = {}): Promise<EvidencePack> {
    this.#checkOpen();
    this.#flush();
    return evidencePack(this.store, { model: this.model.id, ...options, stream: this.stream });
  }

  /**
   * Writes what is queued, then closes the connection. Later calls fail with {@link ClosedError}.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#flush();
    } finally {
      this.#closed = true;
      this.store.close();
      if (this.#db.open) this.#db.close();
    }
  }
}

/**
 * Opens (creating when needed) the store at `path` and the stream `stream` in it, writing the stream's
 * genesis record on first use, and returns its logger.
 *
 * @example
 * ```ts
 * const logger = createLogger({
 *   path: "ancora.db",
 *   stream: "credit-scoring",
 *   model: { id: "credit-risk", version: "2.3.1", hash: "sha256:…" },
 *   commitment: "salted",
 *   anonymise: ({ name, ...rest }) => rest,
 * });
 * logger.setConfig({ threshold: 0.7, aboveLabel: "approve", belowLabel: "refer", changedBy: "ops", changeReason: "launch" });
 * const predict = logger.wrap(model.predict, { score: (out) => out.probability });
 * ```
 */
export function createLogger(options: PostgresLoggerOptions): PostgresLogger;
export function createLogger(options: LoggerOptions): ProvenanceLogger;
export function createLogger(
  options: LoggerOptions | PostgresLoggerOptions,
): ProvenanceLogger | PostgresLogger {
  // A PostgreSQL store when `url` is given (docs/operations.md, "PostgreSQL"); SQLite otherwise.
  if (typeof options === "object" && options !== null && "url" in options) return new PostgresLogger(options);
  return createSqliteLogger(options as LoggerOptions);
}

function createSqliteLogger(options: LoggerOptions): ProvenanceLogger {
  const resolved = resolveLoggerOptions(options);
  const { clock } = resolved;
  const db = openDatabase(options.path, {
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  });
  try {
    const id = openStream(db, options.stream, options.create === false ? undefined : resolved.genesis, clock);
    const writer = new StreamWriter(db, id, options.stream, clock);
    const store = storeOverDatabase(db, options.path, clock);
    return new ProvenanceLogger(LOGGER_KEY, { db, writer, store, resolved });
  } catch (error) {
    db.close();
    throw error;
  }
}
