/**
 * Anchoring a PostgreSQL log (real server: Debian's package, started for this file on 127.0.0.1 and a
 * free port, stopped after it; Hardhat's in-process chain): the anchoring copy takes every record and
 * checks each, the anchorer on it anchors PostgreSQL's log, the anchors and manifests go back to
 * PostgreSQL, a second copy (a new leader) goes on from the chain without anchoring anything twice, a
 * tampered or rewound PostgreSQL log is refused; the anchoring lease has one holder at a time and
 * passes on when the holder's session ends; a database of schema version 1 (a kept fixture) migrates.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRegistryReader, encodeStreamId } from "@ancora/contracts";
import { verifyReceiptOffline } from "@ancora/core";
import { verifyStreamAsync } from "@ancora/verifier";
import { openPostgresLog } from "@ancora/verifier/node";
import pg from "pg";
import { toHex } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ProvenanceLogger } from "../logger.js";
import { createLogger } from "../logger.js";
import { openStore } from "../store.js";
import {
  anchorerFor,
  type Chain,
  chain,
  cleanUpAnchoring,
  STREAM,
  settle,
} from "../testing/anchoring-chain.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import { type PostgresServer, postgresBin, startPostgres } from "../testing/postgres-server.js";
import { startLeaseHolder } from "./pg-lease.js";
import { type MirrorOptions, openPostgresMirror, type PostgresMirror } from "./pg-mirror.js";
import { PG_SCHEMA_VERSION } from "./pg-schema.js";

let server: PostgresServer;
let admin: pg.Pool;
let c: Chain;
const opened: { mirror: PostgresMirror; cleanup: () => void }[] = [];

beforeAll(async () => {
  [server, c] = await Promise.all([startPostgres(), chain()]);
  admin = new pg.Pool({ connectionString: server.url, max: 2 });
}, 180_000);
afterEach(async () => {
  for (const { mirror, cleanup } of opened.splice(0)) {
    await mirror.close();
    mirror.store.close();
    cleanup();
  }
  await cleanUpAnchoring();
});
afterAll(async () => {
  await admin?.end();
  server?.stop();
});

async function writeDecisions(url: string, stream: string, from: number, n: number): Promise<void> {
  const logger = createLogger({ url, stream, model: MODEL, commitment: "salted" });
  if (from === 0) await logger.setConfig(CONFIG);
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      logger.record({ features: { i: from + i }, output: (from + i) % 2, score: 0.5 }),
    ),
  );
  await logger.close();
}

async function newMirror(url: string, options: MirrorOptions = {}): Promise<PostgresMirror> {
  const temp = tempStore();
  const mirror = await openPostgresMirror(url, openStore({ path: temp.path }), options);
  opened.push({ mirror, cleanup: temp.cleanup });
  return mirror;
}

/** The store as the anchoring test helpers take it (they read `logger.store` only). */
const asLogger = (mirror: PostgresMirror) => ({ store: mirror.store }) as unknown as ProvenanceLogger;

async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    return (await pool.query(sql)).rows;
  } finally {
    await pool.end();
  }
}

describe("the anchoring copy of a PostgreSQL log", () => {
  it("copies every record, checked, and the anchorer on it anchors PostgreSQL's log", async () => {
    const url = server.createDatabase("mirror_anchor");
    await writeDecisions(url, STREAM, 0, 246);
    const first = await newMirror(url);
    expect(await first.pull()).toMatchObject({ records: 250, newStreams: [STREAM], failures: [] });
    // Same records, same tree: the copy's root is the one PostgreSQL's writers computed.
    const [head] = await rows(url, "SELECT size::int, head_cid FROM streams");
    expect(first.store.stream(STREAM)).toMatchObject({ size: head?.size, head: head?.head_cid });
    expect(first.store.verify()).toMatchObject({ ok: true, checked: 250 });

    const anchorer = anchorerFor(c, asLogger(first));
    await settle(c, anchorer);
    const pushed = await first.push();
    expect(pushed.anchors).toBeGreaterThan(0);
    expect(pushed.anchors).toBe(first.store.anchors(STREAM).length);
    await writeDecisions(url, STREAM, 246, 60);
    expect((await first.pull()).records).toBe(60);
    await settle(c, anchorer);
    await anchorer.stop();
    await first.push();

    // A new leader: a copy built from nothing, whose anchorer goes on from the chain's state.
    await writeDecisions(url, STREAM, 306, 120);
    const progress: number[] = [];
    const second = await newMirror(url, {
      onProgress: ({ stream, size, target }) => {
        expect([stream, target]).toEqual([STREAM, 430]);
        progress.push(size);
      },
    });
    expect((await second.pull()).records).toBe(430);
    expect(progress.at(-1)).toBe(430); // after each page: how far the copy is
    const next = anchorerFor(c, asLogger(second));
    await settle(c, next);
    await second.push();
    // Every anchor on chain is the log's root at its size, each size once: nothing anchored twice.
    const reader = createRegistryReader(c.publicClient, c.registry);
    const history = await reader.verifyHistory(encodeStreamId(STREAM));
    const sizes = history.anchors.map((e) => Number(e.treeSize));
    expect(new Set(sizes).size).toBe(sizes.length);
    for (const event of history.anchors) {
      const size = Number(event.treeSize);
      expect(toHex(second.store.consistencyProof(STREAM, size, size).root2)).toBe(event.root);
    }
    expect(sizes.at(-1)).toBe(430); // everything, the copy's whole log
    expect(sizes.length).toBeGreaterThan(first.store.anchors(STREAM).length);

    // PostgreSQL now carries the anchors and manifests, as the copies recorded them.
    const pgAnchors = await rows(
      url,
      "SELECT size::int, manifest_cid, status, tx_hash, sequence::int FROM anchors ORDER BY size",
    );
    expect(pgAnchors.map((a) => a.size)).toEqual(sizes);
    expect(pgAnchors.every((a) => a.status === "confirmed" && a.sequence !== null)).toBe(true);
    expect(pgAnchors.map((a) => String(a.tx_hash).toLowerCase())).toEqual(
      history.anchors.map((e) => e.transactionHash.toLowerCase()),
    );
    const pgManifests = await rows(url, "SELECT cid FROM manifests");
    for (const a of pgAnchors) expect(pgManifests.map((m) => m.cid)).toContain(a.manifest_cid);
    // The first leader's anchors reach PostgreSQL even though the second copy never held them.
    expect(pgAnchors.length).toBe(sizes.length);

    // A replica that does not anchor copies them in: its receipts are the anchoring copy's.
    const third = await newMirror(url);
    await third.pull();
    expect(await third.pullAnchoring()).toMatchObject({ anchors: sizes.length });
    expect(third.store.anchors(STREAM).map((a) => [a.size, a.txHash.toLowerCase()])).toEqual(
      pgAnchors.map((a) => [a.size, String(a.tx_hash).toLowerCase()]),
    );
    for (const seq of [0, 249, 429]) {
      const receipt = third.store.receipt(STREAM, seq);
      expect(verifyReceiptOffline(receipt).ok).toBe(true);
      // The latest anchor covering the record, as the chain holds it.
      const covering = history.anchors.filter((e) => Number(e.treeSize) > seq).at(-1);
      expect(receipt.anchor.txHash).toBe(covering?.transactionHash.toLowerCase());
    }
    expect(await third.pullAnchoring()).toMatchObject({ anchors: 0 }); // nothing new, nothing rewritten
  });

  it("refuses a tampered record and a rewound log, and copies the other streams", async () => {
    const url = server.createDatabase("mirror_refuse");
    await writeDecisions(url, "credit", 0, 20);
    await writeDecisions(url, "fraud", 0, 20);
    const mirror = await newMirror(url);
    expect((await mirror.pull()).records).toBe(48);
    await writeDecisions(url, "credit", 20, 10);
    await writeDecisions(url, "fraud", 20, 10);
    // A decision's bytes edited in PostgreSQL (its CID column left as it was).
    await rows(
      url,
      "UPDATE records SET bytes = overlay(bytes placing '\\x00'::bytea from 40 for 1) WHERE seq = 27 AND stream_id = (SELECT id FROM streams WHERE name = 'credit')",
    );
    const pulled = await mirror.pull();
    expect(pulled.records).toBe(10); // fraud's
    expect(pulled.failures).toHaveLength(1);
    expect(pulled.failures[0]).toMatchObject({ stream: "credit", error: { code: "STORE_CORRUPT" } });
    expect(pulled.failures[0]?.error.message).toContain("record 27");
    expect(mirror.store.stream("credit").size).toBe(24); // nothing of the bad page
    expect(mirror.store.stream("fraud").size).toBe(34);

    // PostgreSQL restored from an older backup: its log is shorter than the copy.
    await rows(
      url,
      "DELETE FROM records WHERE seq >= 30 AND stream_id = (SELECT id FROM streams WHERE name = 'fraud')",
    );
    await rows(url, "UPDATE streams SET size = 30 WHERE name = 'fraud'");
    const rewound = await mirror.pull();
    expect(rewound.failures.find((f) => f.stream === "fraud")).toMatchObject({
      error: { code: "STORE_DIVERGED", hint: expect.stringContaining(mirror.store.path) },
    });
    expect(mirror.store.stream("fraud").size).toBe(34);
  });
});

describe("the anchoring lease", () => {
  const until = async (what: string, check: () => boolean) => {
    for (let i = 0; i < 600; i++) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it("stays with its holder, and passes on when the holder stops or its session ends", async () => {
    const url = server.createDatabase("lease");
    const leads: string[] = [];
    const holder = (name: string) =>
      startLeaseHolder({
        url,
        intervalMs: 50,
        lead: async () => {
          leads.push(`${name} +`);
          return async () => {
            leads.push(`${name} -`);
          };
        },
      });
    const a = holder("a");
    await until("a to lead", () => a.leading);
    const b = holder("b");
    const d = holder("d");
    // Several turns of b and d trying: the lease stays with a.
    await new Promise((r) => setTimeout(r, 300));
    expect([a.leading, b.leading, d.leading]).toEqual([true, false, false]);

    // a's session is ended by the server (as when its process is killed): the lock is free at once, so
    // another takes it, and a notices at its next check and steps down. Until then both lead: the
    // registry, not the lease, is what keeps an anchor from being sent twice (pg-lease.ts).
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = (7020658199428689003::bigint & 4294967295)::oid",
    );
    await until("a to step down and another to lead", () => !a.leading && (b.leading || d.leading));
    expect(leads.filter((e) => e.endsWith("+"))).toHaveLength(2);
    expect(leads).toContain("a -");
    // A holder that stops gives the lease back before another takes it.
    const next = b.leading ? b : d;
    const third = next === b ? "d" : "b";
    const mark = leads.length;
    await next.stop();
    await until("the third to lead", () => [a, b, d].filter((h) => h.leading).length === 1);
    await Promise.all([a.stop(), b.stop(), d.stop()]);
    expect(leads.slice(mark)).toEqual([`${next === b ? "b" : "d"} -`, `${third} +`, `${third} -`]);
  });
});

describe("PostgreSQL schema migrations", () => {
  // Every released version's fixture (generate-pg-fixture.ts): version 2 adds its anchors, and ten
  // decisions of "loans" past the last one.
  const FIXTURES = [
    { version: 1, loans: 604, anchors: 0 },
    { version: 2, loans: 614, anchors: 2 },
  ];
  it.each(FIXTURES)(
    "opens a database of schema version $version (fixture), keeping every record",
    async ({ version, loans, anchors }) => {
      const url = server.createDatabase(`from_v${version}`);
      const fixture = fileURLToPath(new URL(`../../test-fixtures/pg-store-v${version}.sql`, import.meta.url));
      const loaded = spawnSync(
        join(postgresBin(), "psql"),
        ["-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", fixture],
        { encoding: "utf8" },
      );
      expect(loaded.stderr).toBe("");
      expect(loaded.status).toBe(0);
      const before = await rows(url, "SELECT name, size::int FROM streams ORDER BY name");
      expect(before.map((s) => [s.name, s.size])).toEqual([
        ["fraud", 7],
        ["loans", loans],
      ]);
      // Opening it for writing migrates it; the chains go on from the stored heads.
      await writeDecisions(url, "loans", 1000, 5);
      const [meta] = await rows(url, "SELECT value FROM ancora_meta WHERE key = 'schema_version'");
      expect(meta?.value).toBe(String(PG_SCHEMA_VERSION));
      const log = await openPostgresLog(url);
      try {
        for (const stream of ["loans", "fraud"]) {
          const result = await verifyStreamAsync(log.source, stream);
          expect(result.failures).toEqual([]);
        }
        expect((await log.anchors("loans")).length + (await log.anchors("fraud")).length).toBe(anchors);
      } finally {
        await log.close();
      }
      const kept = await rows(url, `SELECT count(*)::int AS n FROM records WHERE seq < ${loans}`);
      expect(kept[0]?.n).toBe(loans + 7);
      // A replica's copy takes the migrated log, with its anchors and the receipts they give.
      const mirror = await newMirror(url);
      expect((await mirror.pull()).records).toBe(loans + 5 + 7);
      expect((await mirror.pullAnchoring()).anchors).toBe(anchors);
      if (anchors > 0) expect(verifyReceiptOffline(mirror.store.receipt("loans", 500)).ok).toBe(true);
    },
  );
});
