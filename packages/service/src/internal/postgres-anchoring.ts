/**
 * Anchoring (and pinning) of a PostgreSQL log by a fleet of `ancora serve` replicas. Every replica with
 * anchoring configured runs this; the one that holds the anchoring lease (the SDK's `startLeaseHolder`)
 * keeps a copy of the log in its data directory (`anchoring-copy.db`, the SDK's `openPostgresMirror`)
 * and runs the usual background work ({@link Background}: the anchorer and the pinner) on that copy.
 * Each sync copies new records from PostgreSQL and copies the anchors and manifests back, so the log in
 * PostgreSQL carries its own anchors. When the leader dies, another replica takes the lease, brings its
 * copy up to date (or builds it) and goes on from the chain's state: nothing is anchored twice.
 */
import { join } from "node:path";
import { AncoraError } from "@ancora/core";
import {
  type LeaseHolder,
  openPostgresMirror,
  openStore,
  type PostgresMirror,
  startLeaseHolder,
} from "@ancora/sdk";
import type { FastifyBaseLogger } from "fastify";
import { Background } from "../background.js";
import type { ResolvedOptions } from "../options.js";

/** The anchoring copy's file in the data directory. */
export const ANCHORING_COPY_FILE = "anchoring-copy.db";
/** How often a replica tries to take the lease, and the leader checks it holds it. */
export const LEASE_INTERVAL_MS = 2_000;
/** How often the leader copies new records in and anchors out, unless anchoring.pollIntervalMs says. */
const DEFAULT_SYNC_MS = 1_000;

/** What to log of an error: its code and short message, never a URL. */
function described(error: unknown): { code: string; message: string } {
  return error instanceof AncoraError
    ? { code: error.code, message: error.shortMessage }
    : { code: "UNKNOWN", message: error instanceof Error ? error.name : "unexpected error" };
}

/** The lease holder of one replica, and its background work while it leads. */
export class PostgresAnchoring {
  readonly #lease: LeaseHolder;
  #background: Background | undefined;

  private constructor(options: ResolvedOptions, database: string, log: FastifyBaseLogger) {
    this.#lease = startLeaseHolder({
      url: database,
      intervalMs: LEASE_INTERVAL_MS,
      lead: () => this.#lead(options, database, log),
      onError: (error) => log.warn(described(error), "anchoring lease: %s", described(error).message),
    });
  }

  /** Starts trying to take the lease (anchoring must be configured). */
  static start(options: ResolvedOptions, log: FastifyBaseLogger): PostgresAnchoring {
    return new PostgresAnchoring(options, options.database as string, log);
  }

  /** The background work, while this replica leads. */
  get background(): Background | undefined {
    return this.#background;
  }

  get leading(): boolean {
    return this.#lease.leading;
  }

  async stop(): Promise<void> {
    await this.#lease.stop();
  }

  async #lead(
    options: ResolvedOptions,
    database: string,
    log: FastifyBaseLogger,
  ): Promise<() => Promise<void>> {
    const store = openStore({ path: join(options.dataDir, ANCHORING_COPY_FILE) });
    let mirror: PostgresMirror | undefined;
    let background: Background | undefined;
    const failing = new Map<string, string>();
    const sync = async () => {
      const pulled = await (mirror as PostgresMirror).pull();
      for (const { stream, error } of pulled.failures) {
        // Once per stream and code, not once per sync.
        if (failing.get(stream) === error.code) continue;
        failing.set(stream, error.code);
        log.error({ stream, code: error.code, hint: error.hint }, `anchoring copy: ${error.shortMessage}`);
      }
      for (const stream of failing.keys())
        if (!pulled.failures.some((f) => f.stream === stream)) failing.delete(stream);
      for (const stream of pulled.newStreams) background?.streamOpened(stream);
      await (mirror as PostgresMirror).push();
    };
    try {
      mirror = await openPostgresMirror(database, store);
      await sync();
      background = await Background.start(store, options, log);
    } catch (error) {
      await mirror?.close();
      store.close();
      throw error;
    }
    this.#background = background;
    log.info("anchoring lease taken: this replica anchors the PostgreSQL log");
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const loop = () => {
      timer = setTimeout(() => {
        running = sync()
          .catch((error: unknown) =>
            log.warn(described(error), `anchoring copy: ${described(error).message}`),
          )
          .finally(() => {
            if (!stopped) loop();
          });
      }, options.anchoring?.pollIntervalMs ?? DEFAULT_SYNC_MS);
      timer.unref();
    };
    loop();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
      this.#background = undefined;
      await background.stop();
      // What the anchorer recorded last goes to PostgreSQL before the copy is closed.
      await (mirror as PostgresMirror).push().catch(() => {});
      await (mirror as PostgresMirror).close();
      store.close();
      log.info("anchoring lease given up");
    };
  }
}
