/**
 * `createLogger({ url })` against a real PostgreSQL server (Debian's package, started for this file on
 * 127.0.0.1 and a free port, stopped after it): the same records as `createLogger({ path })`, several
 * loggers on one stream, and every failure typed with nothing written.
 */
import { createServer } from "node:net";
import { verifyStreamAsync } from "@ancora/verifier";
import { openPostgresLog } from "@ancora/verifier/node";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import { type PostgresServer, startPostgres } from "../testing/postgres-server.js";
import { PostgresLogger } from "./pg-logger.js";

const AT = new Date("2025-03-01T09:00:00.000Z");

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
}, 180_000);
afterAll(async () => {
  server?.stop();
});

async function verify(url: string, stream: string) {
  const log = await openPostgresLog(url);
  try {
    return await verifyStreamAsync(log.source, stream);
  } finally {
    await log.close();
  }
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const input = (i: number) => ({ features: { i, name: `a${i}` }, output: i % 3, score: (i % 10) / 10 });

describe("createLogger({ url })", () => {
  it("logs the same records, byte for byte, as a logger on a SQLite file", async () => {
    const url = server.createDatabase("logger_same_bytes");
    const temp = tempStore();
    const clock = () => AT;
    const lite = createLogger({ path: temp.path, stream: "loans", model: MODEL, commitment: "plain", clock });
    const logger = createLogger({ url, stream: "loans", model: MODEL, commitment: "plain", clock });
    try {
      expect(logger).toBeInstanceOf(PostgresLogger);
      lite.setConfig(CONFIG);
      const config = await logger.setConfig(CONFIG);
      expect(config.seq).toBe(3); // genesis, two labels, then the config
      for (let i = 0; i < 300; i++) await lite.record(input(i));
      // Concurrent calls: group commit in PostgreSQL, in call order.
      const written = await Promise.all(Array.from({ length: 300 }, (_, i) => logger.record(input(i))));
      expect(written.map((w) => w.seq)).toStrictEqual(Array.from({ length: 300 }, (_, i) => 4 + i));
      await lite.close();
      await logger.close();

      const sqlite = new Database(temp.path, { readonly: true });
      const expected = sqlite.prepare("SELECT seq, cid, bytes FROM records ORDER BY seq").all() as Array<{
        seq: number;
        cid: string;
        bytes: Buffer;
      }>;
      sqlite.close();
      const reader = new pg.Pool({ connectionString: url, max: 1 });
      const rows = await reader
        .query<{ seq: number; cid: string; bytes: Buffer }>(
          "SELECT seq::float8 AS seq, cid, bytes FROM records ORDER BY seq",
        )
        .finally(() => reader.end());
      expect(rows.rows.map((r) => [r.seq, r.cid, r.bytes.toString("hex")])).toStrictEqual(
        expected.map((r) => [r.seq, r.cid, Buffer.from(r.bytes).toString("hex")]),
      );
      expect(written.at(-1)?.cid).toBe(expected.at(-1)?.cid);
      const result = await verify(url, "loans");
      expect(result.ok).toBe(true);
    } finally {
      temp.cleanup();
    }
  }, 120_000);

  it("several loggers (as in several processes) append to one stream: one chain, every acknowledged decision", async () => {
    const url = server.createDatabase("logger_many");
    const loggers = Array.from({ length: 3 }, () =>
      createLogger({ url, stream: "fraud", model: MODEL, maxConnections: 2 }),
    );
    await (loggers[0] as PostgresLogger).setConfig(CONFIG);
    const acknowledged = await Promise.all(
      loggers.flatMap((logger, w) =>
        Array.from({ length: 150 }, (_, i) => logger.record(input(w * 1000 + i)).then((r) => r.cid)),
      ),
    );
    await Promise.all(loggers.map((l) => l.close()));
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const rows = (
        await pool.query<{ seq: number; cid: string }>(
          "SELECT seq::float8 AS seq, cid FROM records ORDER BY seq",
        )
      ).rows;
      expect(rows.map((r) => r.seq)).toStrictEqual(rows.map((_, i) => i)); // no gap, no duplicate
      const stored = new Set(rows.map((r) => r.cid));
      expect(acknowledged.filter((cid) => !stored.has(cid))).toStrictEqual([]);
      expect(rows.length).toBe(4 + 450);
    } finally {
      await pool.end();
    }
    expect((await verify(url, "fraud")).ok).toBe(true);
  }, 120_000);

  it("refuses what it cannot do with typed errors, never naming the password, and writes nothing", async () => {
    expect(() => createLogger({ url: "mysql://x@y/z", stream: "loans", model: MODEL })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => createLogger({ url: server.url, stream: "loans", model: MODEL, maxConnections: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    // Nothing listens there: every call rejects STORE_WRITE_FAILED, with neither the password nor a crash.
    const port = await closedPort();
    const down = createLogger({
      url: `postgres://ancora:s3cret-pass@127.0.0.1:${port}/ancora`,
      stream: "loans",
      model: MODEL,
    });
    const failure = await down.record(input(1)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: "StoreError", code: "STORE_WRITE_FAILED" });
    expect(
      JSON.stringify({ ...(failure as object), message: String((failure as Error).message) }),
    ).not.toContain("s3cret-pass");
    await down.close();

    const url = server.createDatabase("logger_refusals");
    const logger = createLogger({ url, stream: "loans", model: MODEL });
    await expect(logger.record(input(1))).rejects.toMatchObject({ code: "CONFIG_MISSING" });
    await logger.setConfig(CONFIG);
    await expect(
      logger.record({ ...input(2), consent: { subject: "s", purpose: "p" } } as never),
    ).rejects.toMatchObject({ code: "INVALID_OPTION" });
    await expect(logger.record({ features: [] as never, output: 1, score: 0.5 })).rejects.toMatchObject({
      name: "InputError",
    });
    await logger.close();
    await expect(logger.record(input(3))).rejects.toMatchObject({ code: "CLOSED" });
    // Only the stream's genesis, its labels and the config were written.
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      expect(Number((await pool.query("SELECT count(*) AS n FROM records")).rows[0].n)).toBe(4);
      // A store written by a newer Ancora is refused, not written to.
      await pool.query("UPDATE ancora_meta SET value = '99' WHERE key = 'schema_version'");
      const newer = createLogger({ url, stream: "loans", model: MODEL });
      await expect(newer.record(input(4))).rejects.toMatchObject({ code: "STORE_SCHEMA_TOO_NEW" });
      await newer.close();
      expect(Number((await pool.query("SELECT count(*) AS n FROM records")).rows[0].n)).toBe(4);
    } finally {
      await pool.end();
    }
  }, 120_000);
});
