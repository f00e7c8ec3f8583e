/**
 * A logger whose stream is kept in PostgreSQL: `createLogger({ url: "postgres://…", stream, model })`.
 * Any number of such loggers, in any number of processes on any number of machines, append to the same
 * stream: each transaction locks the stream's head row, so the chain never forks (./pg-writer.ts).
 * Decisions made in one process within one event-loop turn share a transaction (group commit); each
 * promise resolves once its transaction is committed (durable as the server's `synchronous_commit`
 * says: on by default, docs/operations.md). The records are byte for byte what the SQLite logger writes.
 *
 * The connection opens on first use: `createLogger` stays synchronous, and the first `record()` waits
 * for the connection and the schema (created or upgraded when needed, under an advisory lock).
 */
import { AncoraError } from "@ancora/core";
import { isPostgresUrl } from "@ancora/verifier/node";
import type pg from "pg";
import { ClosedError, InputError, StoreError } from "../errors.js";
import type { Entry } from "../internal/append-plan.js";
import type { DecisionInput } from "../internal/drafts.js";
import {
  type PostgresLoggerOptions,
  type ResolvedLoggerOptions,
  resolveCommonOptions,
} from "../logger-options.js";
import type { ConfigInput, LabelInfo, RecordedConfig, RecordedDecision } from "../recorded.js";
import { configEntry, decisionEntry } from "./pg-entries.js";
import { openPostgresPool } from "./pg-pool.js";
import { PgWriter } from "./pg-writer.js";

/** What a decision logged to PostgreSQL takes: the SQLite logger's entry, without a consent gate. */
export type PostgresDecisionEntry = DecisionInput & { consent?: undefined };

/** Connections a logger's pool opens at most: one transaction per stream runs at a time. */
export const DEFAULT_MAX_CONNECTIONS = 4;

interface Opened {
  pool: pg.Pool;
  writer: PgWriter;
  id: number;
}

/** Opens the pool (schema migrated when needed) and opens, or creates, the stream. */
async function open(url: string, resolved: ResolvedLoggerOptions, options: PostgresLoggerOptions) {
  const pool = await openPostgresPool(url, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
  try {
    const writer = new PgWriter(pool, resolved.clock, resolved.maxBatch);
    const id = await writer.openStream(
      resolved.stream,
      options.create === false ? undefined : resolved.genesis,
    );
    return { pool, writer, id };
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof AncoraError) throw error; // StreamUnknownError (create: false), typed store errors
    throw new StoreError("STORE_WRITE_FAILED", `Stream "${resolved.stream}" cannot be opened in PostgreSQL`, {
      cause: error,
      hint: "See the cause (the server went away, or the role may not write); nothing was written.",
    });
  }
}

/**
 * A logger for one stream kept in PostgreSQL. Create it with `createLogger({ url, stream, model })`.
 *
 * @example
 * ```ts
 * const logger = createLogger({ url: process.env.ANCORA_DATABASE_URL as string, stream: "loans", model });
 * await logger.setConfig({ threshold: 0.7, aboveLabel: "approve", belowLabel: "refer", changedBy: "ops", changeReason: "launch" });
 * const { seq, cid } = await logger.record({ features: { income: 51_000 }, output: "approve", score: 0.81 });
 * await logger.close();
 * ```
 */
export class PostgresLogger {
  readonly stream: string;
  readonly model: ResolvedLoggerOptions["settings"]["model"];
  readonly #resolved: ResolvedLoggerOptions;
  readonly #opened: Promise<Opened>;
  #closed = false;

  constructor(options: PostgresLoggerOptions) {
    if (typeof options?.url !== "string" || !isPostgresUrl(options.url)) {
      throw new InputError("INVALID_OPTION", "url must be a postgres:// or postgresql:// connection string", {
        hint: "Pass it from the environment, e.g. url: process.env.ANCORA_DATABASE_URL (it may hold a password).",
        evidence: { field: "url" },
      });
    }
    this.#resolved = resolveCommonOptions(options);
    this.stream = this.#resolved.stream;
    this.model = this.#resolved.settings.model;
    this.#opened = open(options.url, this.#resolved, options);
    this.#opened.catch(() => {}); // reported by the first call that needs it
  }

  /** Resolves once the store is open (connection, schema, stream); rejects with the reason it is not. */
  async ready(): Promise<void> {
    await this.#opened;
  }

  /**
   * Logs one decision; resolves once its transaction is committed. Bad input rejects with an
   * InputError, a stream without config with a ConfigMissingError; an unreachable database with a
   * StoreError (STORE_WRITE_FAILED). In every case nothing was written.
   */
  async record(entry: PostgresDecisionEntry): Promise<RecordedDecision> {
    this.#checkOpen();
    if ((entry as { consent?: unknown } | null)?.consent !== undefined) {
      throw new InputError("INVALID_OPTION", "Consent gates are not kept in PostgreSQL yet", {
        hint: "Check consent before calling record(), or log this stream to SQLite (path) until a later release.",
        evidence: { field: "consent" },
      });
    }
    return this.#append(decisionEntry(this.stream, entry, this.#resolved.settings));
  }

  /** The same function as {@link PostgresLogger.record}. */
  log(entry: PostgresDecisionEntry): Promise<RecordedDecision> {
    return this.record(entry);
  }

  /** Records a config change (threshold and labels); decisions after it resolve their labels by it. */
  async setConfig(input: ConfigInput): Promise<RecordedConfig> {
    this.#checkOpen();
    return this.#append(configEntry(this.stream, input));
  }

  /** The stream's labels (id and current name), in id order. */
  async labels(): Promise<LabelInfo[]> {
    this.#checkOpen();
    const { writer, id } = await this.#opened;
    return [...(await writer.labels(id, this.stream))]
      .map(([label, name]) => ({ id: label, name }))
      .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  }

  /** Waits for the decisions logged so far, then closes the connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opened = await this.#opened.catch(() => undefined);
    if (opened === undefined) return;
    await opened.writer.drained();
    await opened.pool.end();
  }

  /** Appends once the store is open; the entry's value, or its error thrown. */
  async #append<T>(entry: Entry<T>): Promise<T> {
    const { writer, id } = await this.#opened;
    const outcome = await writer.append(id, this.stream, entry);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError("logger");
  }
}
