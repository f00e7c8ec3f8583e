/**
 * writeTurn: a write that another connection's transaction holds off is done once the lock is free,
 * without giving up and without sleeping through the free moment; nothing else is retried; the
 * connection's busy timeout is left as it was.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { writeTurn } from "./write-turn.js";

const dirs: string[] = [];
const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function twoConnections(): { logger: Database.Database; anchorer: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), "ancora-write-turn-"));
  dirs.push(dir);
  const path = join(dir, "db.sqlite");
  const logger = new Database(path);
  logger.pragma("journal_mode = WAL");
  logger.exec("CREATE TABLE t (v INTEGER)");
  const anchorer = new Database(path, { timeout: 5_000 });
  open.push(anchorer, logger);
  return { logger, anchorer };
}

/** Lets the event loop turn `n` times (timers included), so a waiting writeTurn gets its attempts. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe("writeTurn", () => {
  it("waits while another connection holds the write lock, writes as soon as it is free, and keeps the busy timeout", async () => {
    const { logger, anchorer } = twoConnections();
    logger.exec("BEGIN IMMEDIATE");
    logger.exec("INSERT INTO t VALUES (1)");
    let done = false;
    const insert = anchorer.prepare("INSERT INTO t VALUES (2)");
    const writing = writeTurn(
      anchorer,
      anchorer.transaction(() => insert.run().changes),
      60_000,
    ).then((changes) => {
      done = true;
      return changes;
    });
    await turns(5);
    // Held off, and the event loop kept turning meanwhile (this test's own timers ran).
    expect(done).toBe(false);
    logger.exec("COMMIT");
    expect(await writing).toBe(1);
    expect(anchorer.prepare("SELECT v FROM t ORDER BY v").pluck().all()).toEqual([1, 2]);
    expect(anchorer.pragma("busy_timeout", { simple: true })).toBe(5_000);
  });

  it("does not retry a write that fails for another reason", async () => {
    const { anchorer } = twoConnections();
    let attempts = 0;
    await expect(
      writeTurn(anchorer, () => {
        attempts++;
        anchorer.exec("INSERT INTO missing VALUES (1)");
      }),
    ).rejects.toThrow(/no such table/);
    expect(attempts).toBe(1);
    expect(anchorer.pragma("busy_timeout", { simple: true })).toBe(5_000);
  });

  it("after its patience, waits with SQLite's own busy handler (and fails as any write would)", async () => {
    const { logger, anchorer } = twoConnections();
    anchorer.pragma("busy_timeout = 10");
    logger.exec("BEGIN IMMEDIATE");
    const insert = anchorer.prepare("INSERT INTO t VALUES (2)");
    await expect(
      writeTurn(
        anchorer,
        anchorer.transaction(() => insert.run()),
        0,
      ),
    ).rejects.toMatchObject({
      code: "SQLITE_BUSY",
    });
    logger.exec("ROLLBACK");
  });
});
