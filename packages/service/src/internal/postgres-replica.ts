/**
 * What a replica of `ancora serve --db postgres://…` keeps besides PostgreSQL: a copy of the log in its
 * data directory (`log-copy.db`, the SDK's `openPostgresMirror`), from which it answers reads,
 * receipts, search and exports, and on which it anchors while it holds the anchoring lease.
 *
 * - Every replica copies new records from PostgreSQL (each checked against its CID and the record
 *   before) every sync interval, and before answering a read (`catchUp`), so a read sees every write
 *   acknowledged before it, by any replica.
 * - With anchoring configured, every replica also tries to take the anchoring lease (the SDK's
 *   `startLeaseHolder`). The holder runs the usual background work ({@link Background}: the anchorer and
 *   the pinner) on its copy and copies the anchors and manifests back to PostgreSQL; the others copy
 *   them from PostgreSQL into their own copies, so that their receipts show them. When the holder dies,
 *   another replica takes the lease and goes on from the chain's state: nothing is anchored twice.
 */
import { AncoraError } from "@ancora/core";
import {
  type AncoraStore,
  type LeaseHolder,
  openPostgresMirror,
  type PostgresMirror,
  startLeaseHolder,
} from "@ancora/sdk";
import type { FastifyBaseLogger } from "fastify";
import { Background } from "../background.js";
import type { ResolvedOptions } from "../options.js";

/** How often a replica tries to take the lease, and the leader checks it holds it. */
export const LEASE_INTERVAL_MS = 2_000;
/** How often the copy's progress is logged while it is behind. */
const PROGRESS_MS = 5_000;
/** How often a replica copies new records in (and anchors out), unless anchoring.pollIntervalMs says. */
const DEFAULT_SYNC_MS = 1_000;

/** What to log of an error: its code and short message, never a URL. */
function described(error: unknown): { code: string; message: string } {
  return error instanceof AncoraError
    ? { code: error.code, message: error.shortMessage }
    : { code: "UNKNOWN", message: error instanceof Error ? error.name : "unexpected error" };
}

/** The copy of one replica, its syncs, and its anchoring lease. */
export class PostgresReplica {
  readonly #mirror: PostgresMirror;
  readonly #options: ResolvedOptions;
  readonly #log: FastifyBaseLogger;
  readonly #failing = new Map<string, string>();
  #lease: LeaseHolder | undefined;
  #background: Background | undefined;
  /** The sync running now, and the one queued behind it (what a read waits for). */
  #running: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Whether the last scheduled sync failed (logged once until one succeeds). */
  #unreachable = false;

  private constructor(mirror: PostgresMirror, options: ResolvedOptions, log: FastifyBaseLogger) {
    this.#mirror = mirror;
    this.#options = options;
    this.#log = log;
  }

  /**
   * Opens the copy over `store` (the data directory's `log-copy.db`), brings it up to date, and starts
   * the syncs and, with anchoring configured, the lease. Throws a StoreError when PostgreSQL cannot be
   * reached.
   */
  static async start(
    store: AncoraStore,
    options: ResolvedOptions,
    log: FastifyBaseLogger,
  ): Promise<PostgresReplica> {
    // Building a copy from nothing takes a while on a long log: say how far it is, every few seconds.
    let said = Date.now();
    let behind = false;
    const mirror = await openPostgresMirror(options.database as string, store, {
      onProgress: ({ stream, size, target }) => {
        if (size < target && Date.now() - said >= PROGRESS_MS) {
          said = Date.now();
          behind = true;
          log.info({ stream, size, target }, `log copy: ${stream} ${size} of ${target} records`);
        } else if (size === target && behind) {
          behind = false;
          log.info({ stream, size }, `log copy: ${stream} up to date at ${size} records`);
        }
      },
    });
    const replica = new PostgresReplica(mirror, options, log);
    try {
      await replica.catchUp();
    } catch (error) {
      await mirror.close();
      throw error;
    }
    replica.#schedule();
    if (options.anchoring !== undefined) {
      replica.#lease = startLeaseHolder({
        url: options.database as string,
        intervalMs: LEASE_INTERVAL_MS,
        lead: () => replica.#lead(),
        onError: (error) => log.warn(described(error), `anchoring lease: ${described(error).message}`),
      });
    }
    return replica;
  }

  /** The background work, while this replica holds the anchoring lease. */
  get background(): Background | undefined {
    return this.#background;
  }

  /** Resolves once a sync that started after this call has ended: the copy then has every write before it. */
  catchUp(): Promise<void> {
    // After the running sync, whether it succeeded or failed (its failure was its own callers').
    this.#queued ??= this.#running
      .catch(() => {})
      .then(() => {
        this.#queued = undefined;
        this.#running = this.#sync();
        return this.#running;
      });
    return this.#queued;
  }

  /** Stops the lease (and the anchoring it runs) and the syncs; the copy's store stays the caller's. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#lease?.stop();
    await this.#running.catch(() => {});
    await this.#mirror.close();
  }

  async #sync(): Promise<void> {
    const pulled = await this.#mirror.pull();
    for (const { stream, error } of pulled.failures) {
      // Once per stream and code, not once per sync.
      if (this.#failing.get(stream) === error.code) continue;
      this.#failing.set(stream, error.code);
      this.#log.error({ stream, code: error.code, hint: error.hint }, `log copy: ${error.shortMessage}`);
    }
    for (const stream of this.#failing.keys())
      if (!pulled.failures.some((f) => f.stream === stream)) this.#failing.delete(stream);
    if (this.#background !== undefined) {
      for (const stream of pulled.newStreams) this.#background.streamOpened(stream);
      await this.#mirror.push();
    } else if (this.#options.anchoring !== undefined) {
      await this.#mirror.pullAnchoring();
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.catchUp()
        .then(() => {
          if (!this.#unreachable) return;
          this.#unreachable = false;
          this.#log.info("log copy: PostgreSQL answers again; the copy is up to date");
        })
        .catch((error: unknown) => {
          // Once per outage, not once per sync.
          if (this.#unreachable) return;
          this.#unreachable = true;
          this.#log.warn(described(error), `log copy: ${described(error).message}; retrying every sync`);
        })
        .finally(() => this.#schedule());
    }, this.#options.anchoring?.pollIntervalMs ?? DEFAULT_SYNC_MS);
    this.#timer.unref();
  }

  /** Starts anchoring on the copy; returns how to stop it. */
  async #lead(): Promise<() => Promise<void>> {
    await this.catchUp();
    const background = await Background.start(this.#mirror.store, this.#options, this.#log);
    this.#background = background;
    this.#log.info("anchoring lease taken: this replica anchors the PostgreSQL log");
    return async () => {
      this.#background = undefined;
      await background.stop();
      // What the anchorer recorded last goes to PostgreSQL.
      await this.#mirror.push().catch((error: unknown) => this.#log.warn(described(error), "log copy: push"));
      this.#log.info("anchoring lease given up");
    };
  }
}
