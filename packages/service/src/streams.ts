/**
 * One SDK logger per stream, opened on first use. The stream name is checked against the registry's
 * rule before anything touches the store; it names a row in the log, never a file.
 */
import type { ModelRef } from "@ancora/core";
import { createLogger, type PostgresLogger, type ProvenanceLogger } from "@ancora/sdk";
import { ServiceError } from "./errors.js";
import { notOnPostgres } from "./internal/postgres-store.js";

/** What writes decisions and configs: the SQLite logger, or the PostgreSQL one. */
export type StreamWriterLogger = ProvenanceLogger | PostgresLogger;

/** The SDK's (and the registry's) stream rule. */
export const STREAM_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * The SDK's logger wants a default model. The service never relies on it: every decision it logs
 * names its model (the request's `model`), so this value is never written to any record.
 */
const UNUSED_DEFAULT_MODEL: ModelRef = {
  id: "ancora-service",
  version: "0",
  hash: `sha256:${"0".repeat(64)}`,
};

/** Throws STREAM_INVALID unless `stream` follows the stream rule. */
export function checkStreamName(stream: string): void {
  if (!STREAM_NAME.test(stream)) {
    throw new ServiceError("STREAM_INVALID", "The stream name is not valid", {
      hint: 'Use 1 to 64 characters of [a-z0-9._-], starting with a letter or digit, e.g. "loans".',
    });
  }
}

/** The loggers of the streams the service writes. */
export class StreamLoggers {
  readonly #path: string;
  /** The PostgreSQL log's URL, when the log is kept there. */
  readonly #database: string | undefined;
  readonly #genesis: { createdBy: string; org?: string };
  readonly #groupCommit: { windowMs?: number; maxBatch?: number } | undefined;
  readonly #loggers = new Map<string, StreamWriterLogger>();
  readonly #onOpen: (stream: string) => void;
  #closed = false;

  constructor(
    path: string,
    genesis: { createdBy: string; org?: string },
    groupCommit: { windowMs?: number; maxBatch?: number } | undefined,
    onOpen: (stream: string) => void,
    database?: string,
  ) {
    this.#path = path;
    this.#database = database;
    this.#groupCommit = groupCommit;
    this.#genesis = genesis;
    this.#onOpen = onOpen;
  }

  /** Streams with an open logger. */
  get streams(): string[] {
    return [...this.#loggers.keys()];
  }

  /**
   * The logger of `stream` (SQLite logs only: lineage writes). With `create: false` a stream missing
   * from the log is a StreamUnknownError from the SDK and nothing is written.
   */
  get(stream: string, options: { create: boolean }): ProvenanceLogger {
    if (this.#database !== undefined) throw notOnPostgres();
    return this.writer(stream, options) as ProvenanceLogger;
  }

  /**
   * The logger that writes decisions and configs of `stream`, wherever the log is kept. With
   * `create: false` a stream missing from the log is a StreamUnknownError (for PostgreSQL, from the
   * first write) and nothing is written.
   */
  writer(stream: string, options: { create: boolean }): StreamWriterLogger {
    checkStreamName(stream);
    const open = this.#loggers.get(stream);
    if (open !== undefined) return open;
    if (this.#closed) {
      throw new ServiceError("SHUTTING_DOWN", "The service is shutting down", { retryAfter: 1 });
    }
    const common = {
      stream,
      model: UNUSED_DEFAULT_MODEL,
      create: options.create,
      createdBy: this.#genesis.createdBy,
      ...(this.#genesis.org === undefined ? {} : { org: this.#genesis.org }),
      // The HTTP layer reports failures to the caller; wrapped functions are not used here.
      onError: () => undefined,
    };
    const logger =
      this.#database === undefined
        ? createLogger({
            ...common,
            path: this.#path,
            ...(this.#groupCommit === undefined ? {} : { groupCommit: this.#groupCommit }),
          })
        : createLogger({ ...common, url: this.#database });
    this.#loggers.set(stream, logger);
    if ("ready" in logger) {
      // A PostgreSQL logger opens on first use: one that could not (the stream did not exist yet, the
      // server was down) is not kept, so the next request opens it again.
      logger.ready().catch(() => {
        if (this.#loggers.get(stream) === logger) this.#loggers.delete(stream);
        void logger.close();
      });
    }
    this.#onOpen(stream);
    return logger;
  }

  /** Writes what every logger has queued, then closes them. */
  async close(): Promise<void> {
    this.#closed = true;
    const loggers = [...this.#loggers.values()];
    this.#loggers.clear();
    for (const logger of loggers) await logger.close();
  }
}
