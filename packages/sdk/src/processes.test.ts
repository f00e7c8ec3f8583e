/**
 * Real processes on one file: SIGKILL at random points never loses an acknowledged record, and
 * concurrent writers (processes and threads) never fork the chain.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { openStore } from "./store.js";
import { CONFIG, MODEL, tempStore } from "./testing/fixtures.js";
import { spawnSource } from "./testing/source-child.js";

const CHILD = fileURLToPath(new URL("./testing/append-child.ts", import.meta.url));
/**
 * Writers killed (two per round). 60 in `make test`, whose 15-minute budget each of them costs ~0.5 s
 * of (mostly the child's start-up); set ANCORA_CRASH_RUNS=1000 for a longer soak.
 */
const CRASHES = Number(process.env.ANCORA_CRASH_RUNS ?? 60);

interface Child {
  process: ChildProcess;
  /** Acknowledged (seq, cid) pairs, complete lines only. */
  acks: () => [number, string][];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  firstAck: Promise<void>;
}

/** Runs append-child.ts from the TypeScript sources, under the same Node as the tests. */
function start(
  path: string,
  stream: string,
  count: number | "loop",
  concurrency: number,
  threads = 1,
): Child {
  const child = spawnSource(CHILD, [path, stream, String(count), String(concurrency), String(threads)]);
  let stdout = "";
  let stderr = "";
  let onFirst: () => void = () => {};
  const firstAck = new Promise<void>((resolve) => {
    onFirst = resolve;
  });
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (stdout.includes("\n")) onFirst();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      child.on("close", (code, signal) => {
        onFirst();
        resolve({ code, signal, stderr });
      });
    },
  );
  const acks = (): [number, string][] => {
    const complete = stdout.slice(0, stdout.lastIndexOf("\n") + 1);
    return complete
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => {
        const [seq, cid] = line.split(" ");
        return [Number(seq), cid as string];
      });
  };
  return { process: child, acks, exited, firstAck };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let temp: ReturnType<typeof tempStore>;
beforeAll(async () => {
  temp = tempStore();
  // Warm the compile cache once, so the timings below are the writers', not the compiler's.
  const warm = start(join(temp.dir, "warm.db"), "warm", 0, 1);
  await warm.exited;
});
afterAll(() => temp.cleanup());

function prepare(path: string, stream: string): void {
  const logger = createLogger({ path, stream, model: MODEL });
  logger.setConfig(CONFIG);
  void logger.close();
}

describe("crash safety", () => {
  it(`keeps every acknowledged record through ${CRASHES} SIGKILLs at random points`, {
    timeout: 240_000,
  }, async () => {
    const path = join(temp.dir, "crash.db");
    prepare(path, "credit");
    const acknowledged = new Map<number, string>();
    // Two writers at a time on the same file: crashes also hit a writer waiting for the other's lock.
    for (let run = 0; run < CRASHES; run += 2) {
      const children = [start(path, "credit", "loop", 1 + (run % 16)), start(path, "credit", "loop", 4)];
      await Promise.all(
        children.map(async (child, i) => {
          if ((run + i) % 10 === 0) {
            await sleep(Math.random() * 400); // sometimes while still starting (opening, migrating)
          } else {
            await child.firstAck;
            await sleep(Math.random() * 30);
          }
          child.process.kill("SIGKILL");
          const exit = await child.exited;
          if (exit.signal !== "SIGKILL")
            throw new Error(`child ended on its own: ${exit.code} ${exit.stderr}`);
          for (const [seq, cid] of child.acks()) {
            expect(acknowledged.get(seq) ?? cid).toBe(cid); // one seq is never acknowledged twice
            acknowledged.set(seq, cid);
          }
        }),
      );
      // Every acknowledged record is there, with the CID that was acknowledged.
      const db = new Database(path, { readonly: true });
      const rows = new Map(
        (db.prepare("SELECT seq, cid FROM records").raw().all() as [number, string][]).map(([s, c]) => [
          s,
          c,
        ]),
      );
      const size = db.prepare("SELECT size FROM streams WHERE name = 'credit'").pluck().get() as number;
      db.close();
      for (const [seq, cid] of acknowledged) expect(rows.get(seq)).toBe(cid);
      expect(rows.size).toBe(size);
    }
    const store = openStore({ path });
    const result = store.verify();
    store.close();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(acknowledged.size).toBeGreaterThan(CRASHES);
  });
});

describe("concurrent writers on one file", () => {
  it("4 processes × 500 appends: no fork, contiguous seqs, verify ok", { timeout: 120_000 }, async () => {
    const path = join(temp.dir, "multi.db");
    prepare(path, "credit");
    const children = Array.from({ length: 4 }, (_, i) => start(path, "credit", 500, 1 + i * 3));
    const exits = await Promise.all(children.map((c) => c.exited));
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
    const seqs = children.flatMap((c) => c.acks().map(([seq]) => seq));
    expect(seqs).toHaveLength(2000);
    expect(new Set(seqs).size).toBe(2000); // no two writers got the same seq
    const store = openStore({ path, readonly: true });
    expect(store.stream("credit").size).toBe(4 + 2000); // genesis, 2 labels, config, then 2000 decisions
    const result = store.verify();
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ ok: true, checked: 2004 });
    const db = new Database(path, { readonly: true });
    const stored = db.prepare("SELECT seq FROM records ORDER BY seq").pluck().all() as number[];
    db.close();
    expect(stored).toEqual(Array.from({ length: 2004 }, (_, i) => i));
    store.close();
  });

  it("4 worker threads in one process and a second stream: no fork, verify ok", {
    timeout: 120_000,
  }, async () => {
    const path = join(temp.dir, "threads.db");
    prepare(path, "credit");
    prepare(path, "fraud");
    const threads = start(path, "credit", 100, 5, 4);
    const other = start(path, "fraud", 200, 7);
    for (const exit of await Promise.all([threads.exited, other.exited])) expect(exit.code).toBe(0);
    expect(new Set(threads.acks().map(([seq]) => seq)).size).toBe(400);
    const store = openStore({ path, readonly: true });
    expect(store.streams().map((s) => [s.name, s.size])).toEqual([
      ["credit", 404],
      ["fraud", 204],
    ]);
    expect(store.verify()).toMatchObject({ ok: true, checked: 608 });
    store.close();
  });
});
