/**
 * A write of the anchorer's that waits for the store's write lock without sleeping through its free
 * moments. SQLite's busy handler sleeps in growing steps (1, 2, 5 … 50, 100 ms) between attempts; a
 * logger at full speed holds the lock for nearly all of the time, committing group after group with
 * gaps of a millisecond or two, so a waiter that wakes every 100 ms seldom finds it free: the
 * anchorer's checkpoints and anchor rows waited up to a second (measured on a 2-core VM at ~13,000
 * records a second, 2026-12-07), twice the rest of its pass. Here the write is tried without waiting
 * and tried again every millisecond, yielding the event loop in between (the pass's requests go on),
 * up to `patienceMs`; then it waits as any other write does. `write` must be one transaction: a
 * refused attempt has changed nothing, so it is simply tried again.
 */
import type Database from "better-sqlite3";

/** How long a write is tried every millisecond before it waits with SQLite's own busy handler. */
const PATIENCE_MS = 5_000;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/**
 * Runs `write` (one transaction on `db`) as soon as the write lock is free.
 *
 * @example
 * ```ts
 * await writeTurn(db, () => store.checkpoint("loans"));
 * ```
 */
export async function writeTurn<T>(
  db: Database.Database,
  write: () => T,
  patienceMs: number = PATIENCE_MS,
): Promise<T> {
  const deadline = Date.now() + patienceMs;
  const timeout = db.pragma("busy_timeout", { simple: true }) as number;
  while (Date.now() < deadline) {
    db.pragma("busy_timeout = 0");
    try {
      return write();
    } catch (error) {
      if (!isBusy(error)) throw error;
    } finally {
      db.pragma(`busy_timeout = ${timeout}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return write();
}
