/**
 * The synchronous range verification the SDK's verify() uses: one-shot workers, the calling thread
 * blocked until they answer. A success is the serial success; a failure, or a worker that cannot
 * start or does not answer, is `ok: false` with the reason, and never a wait without end.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeSha256 } from "../sources/node-sha256.js";
import { openLocalRangeLog } from "../sources/sqlite.js";
import { verifyStream } from "../verify-streams.js";
import { type BlockingVerifyOptions, verifyLocalStreamBlocking } from "./blocking.js";
import type { LocalStreamSnapshot } from "./range-plan.js";

const FIXTURE = fileURLToPath(new URL("../../../sdk/test-fixtures/store-v4.db", import.meta.url));
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-blocking-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `verifyLocalStreamBlocking` on "credit" with the snapshot read as the SDK does, and serially. */
function both(path: string, options: Omit<BlockingVerifyOptions, "sha256">) {
  const log = openLocalRangeLog(path);
  try {
    const source = log.source;
    const snapshot: LocalStreamSnapshot = {
      path,
      stream: "credit",
      size: source.head?.("credit")?.size ?? 0,
      rowCount: log.recordCount("credit"),
      controls: log.controlRecords("credit"),
      checkpoints: [...source.checkpoints("credit")],
      head: source.head?.("credit"),
      nodes: (level, index) => source.node?.("credit", level, index),
    };
    return {
      outcome: verifyLocalStreamBlocking(snapshot, { ...options, sha256: nodeSha256 }),
      serial: verifyStream(source, "credit", { sha256: nodeSha256 }),
    };
  } finally {
    log.close();
  }
}

function copy(name: string): string {
  const path = join(dir, name);
  copyFileSync(FIXTURE, path);
  return path;
}

describe("verifyLocalStreamBlocking", { timeout: 60_000 }, () => {
  it("gives the serial success, inline and on one-shot workers, for 2 to 4 ranges", () => {
    const path = copy("intact.db");
    for (const threads of [2, 3, 4]) {
      for (const mode of ["inline", "workers"] as const) {
        const { outcome, serial } = both(path, { threads, mode });
        expect(serial.ok).toBe(true);
        expect(outcome).toEqual({ ok: true, result: serial });
      }
    }
  });

  it("is never a success where the serial path fails", () => {
    const path = copy("tampered.db");
    const db = new Database(path);
    db.prepare(
      "UPDATE records SET label = 'L999' WHERE seq = 40 AND stream_id = (SELECT id FROM streams WHERE name = 'credit')",
    ).run();
    db.close();
    const { outcome, serial } = both(path, { threads: 3 });
    expect(serial.ok).toBe(false);
    expect(outcome).toEqual({ ok: false, reason: "the ranges found 1 failure(s)" });
  });

  it("a worker that cannot start or never answers ends the wait with a reason", () => {
    const path = copy("workers.db");
    let started = Date.now();
    const missing = both(path, { threads: 3, workerUrl: new URL("./no-such-worker.js", import.meta.url) });
    expect(missing.outcome).toMatchObject({ ok: false, reason: expect.stringMatching(/a worker failed/) });
    expect(Date.now() - started).toBeLessThan(20_000);
    started = Date.now();
    const silent = new URL(`data:text/javascript,${encodeURIComponent("setInterval(() => {}, 1000);")}`);
    const hung = both(path, { threads: 2, workerUrl: silent, baseTimeoutMs: 300 });
    expect(hung.outcome).toMatchObject({ ok: false, reason: expect.stringMatching(/did not answer/) });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("refuses a bad thread count", () => {
    expect(() => both(copy("threads.db"), { threads: 0 })).toThrow(
      expect.objectContaining({ code: "PARALLEL_BAD_OPTION" }),
    );
  });
});
