/**
 * One anchoring replica at a time over a PostgreSQL log: every replica runs {@link startLeaseHolder},
 * and the one whose session holds PostgreSQL's advisory lock {@link ANCHORING_LOCK} leads (runs the
 * anchorer and the pinner on its copy of the log, pg-mirror.ts).
 *
 * - The lock belongs to a session of its own, so it ends with the session: a replica that exits or is
 *   killed closes its connection and the server releases the lock at once; a machine that vanishes is
 *   found dead by TCP keepalives, which the lease's session sets to probe after 10 s, every 5 s, 3
 *   times (the lock is free about 25 s after the last packet).
 * - The others try to take it every `intervalMs`, so a new leader starts within one interval of the
 *   lock's release. The leader checks its session every `intervalMs` too, and stops leading as soon as
 *   a check fails (its lock may be someone else's by then).
 * - Two leaders at once (a check that has not failed yet while the server already ended the session)
 *   cannot anchor twice: the registry accepts an anchor only when it extends the chained head, and an
 *   anchorer recognises an anchor that is already there (anchor-job.ts).
 */
import { importOptional, POSTGRES_PACKAGES } from "@ancora/verifier/node";
import type pg from "pg";
import { StoreError } from "../errors.js";

/** Key of the anchoring lease's advisory lock (ASCII "ancoralk"). */
export const ANCHORING_LOCK = "7020658199428689003";

/** Options of {@link startLeaseHolder}. */
export interface LeaseOptions {
  /** The PostgreSQL log's connection string. Never logged or put in errors. */
  url: string;
  /** How often a replica tries to take the lease, and the leader checks it still holds it. */
  intervalMs: number;
  /**
   * Starts leading; the returned function stops it. Called when the lease is taken; its stop is called
   * when the lease is lost or the holder stops. A `lead` that throws gives the lease back (tried again
   * after `intervalMs`).
   */
  lead: () => Promise<() => Promise<void>>;
  /** Failures to reach PostgreSQL, to lead, or to stop leading (STORE_UNREACHABLE, or what `lead` or its stop threw). */
  onError?: (error: unknown) => void;
}

/** A running lease holder. */
export interface LeaseHolder {
  /** Whether this replica leads now. */
  readonly leading: boolean;
  /** Stops leading (awaiting its stop), gives the lease back and stops trying. */
  stop(): Promise<void>;
}

/** Starts trying to take the anchoring lease; see the module comment. */
export function startLeaseHolder(options: LeaseOptions): LeaseHolder {
  let client: pg.Client | undefined;
  let stopLeading: (() => Promise<void>) | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let turn: Promise<void> = Promise.resolve();
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // a failing listener must not stop the lease
    }
  };

  const dropSession = async () => {
    const c = client;
    client = undefined;
    await c?.end().catch(() => {});
  };
  const resign = async () => {
    const stop = stopLeading;
    stopLeading = undefined;
    if (stop !== undefined) await stop().catch(report);
  };

  const step = async () => {
    if (stopped) return;
    if (stopLeading !== undefined) {
      // The leader: is the session (and so the lock) still there?
      try {
        await (client as pg.Client).query("SELECT 1");
        return;
      } catch (error) {
        report(lost(error));
        await resign();
        await dropSession();
        return;
      }
    }
    try {
      client ??= await connect(options.url);
      const taken = await client.query<{ taken: boolean }>(
        `SELECT pg_try_advisory_lock(${ANCHORING_LOCK}) AS taken`,
      );
      if (taken.rows[0]?.taken !== true || stopped) return;
    } catch (error) {
      report(lost(error));
      await dropSession();
      return;
    }
    try {
      stopLeading = await options.lead();
    } catch (error) {
      report(error);
      await dropSession(); // gives the lock back
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      turn = step().finally(schedule);
    }, options.intervalMs);
    timer.unref?.();
  };
  turn = step().finally(schedule);

  return {
    get leading() {
      return stopLeading !== undefined;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await turn;
      await resign();
      await dropSession();
    },
  };
}

async function connect(url: string): Promise<pg.Client> {
  const { default: driver } = await importOptional(
    "Anchoring a PostgreSQL log",
    POSTGRES_PACKAGES,
    () => import("pg"),
  );
  const client = new driver.Client({ connectionString: url, keepAlive: true });
  // A connection lost while idle is reported by the next check; without a listener node-postgres
  // would throw it as an uncaught error.
  client.on("error", () => {});
  try {
    await client.connect();
    // The server's side of the keepalives: a holder whose machine vanished loses the lock in ~25 s.
    await client.query(
      "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3",
    );
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

function lost(cause: unknown): StoreError {
  return new StoreError("STORE_UNREACHABLE", "The anchoring lease's PostgreSQL session failed", {
    cause,
    hint: "Anchoring stops on this replica until it reaches PostgreSQL again; another replica may take the lease meanwhile.",
  });
}
