/**
 * `ancora-verify --db postgres://… --rpc URL --registry ADDRESS` (docs/verifier.md, "PostgreSQL log";
 * docs/operations.md, "The auditor's role") against a real PostgreSQL server and Hardhat's in-process
 * network served over loopback HTTP. The log is built honestly: the SDK writes an SQLite log and its
 * anchorer anchors it (three anchors, an unanchored tail); a PostgreSQL database migrated by the SDK
 * receives the same rows of streams, records, merkle_tiles, manifests and anchors with plain SQL. The
 * PostgreSQL log verifies with the same figures as the SQLite file; plain SQL edits in PostgreSQL (a
 * record's bytes, an anchor's root, a deleted anchor row, a manifest's bytes, the log cut below an
 * anchored size) are named as they are for the SQLite file; a role with SELECT on the six tables is
 * enough, and its password never appears in the output.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import { createAnchorer, createLogger } from "@ancora/sdk";
import { registryView, verifyAgainstChain } from "@ancora/verifier";
import { nodeSha256, openLocalLog, openPostgresLog, SourceError } from "@ancora/verifier/node";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import Database from "better-sqlite3";
import { network } from "hardhat";
import pg from "pg";
import { type Address, createWalletClient, custom, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePostgres } from "../../packages/sdk/src/postgres/pg-schema.ts";
import { CONFIG, DEV_KEY_1, MODEL } from "../../packages/sdk/src/testing/fixtures.ts";
import { type PostgresServer, startPostgres } from "../../packages/sdk/src/testing/postgres-server.ts";
import { type RpcEndpoint, rpcOverHttp } from "../../packages/sdk/src/testing/rpc-over-http.ts";
import { runVerifyBin, type VerifyRun } from "./support/verify-bin.ts";

const STREAM = "loans";
/** Decisions per anchored round, rounds, and decisions logged after the last anchor. */
const PER_ROUND = 100;
const ROUNDS = 3;
const TAIL = 6;
/** The record edited, and where the log is cut (both below the first anchored size). */
const EDITED = 40;
const CUT = 60;
const PASSWORD = "pw-never-printed";

/** Each table's columns in the PostgreSQL schema, copied from the SQLite log with the same values. */
const TABLES = {
  streams: ["id", "name", "size", "head_cid", "tree_state", "config_seq", "created_at"],
  records: [
    "stream_id",
    "seq",
    "cid",
    "kind",
    "ts",
    "label",
    "model_id",
    "model_version",
    "bytes",
    "salt_input",
    "salt_output",
  ],
  merkle_tiles: ["stream_id", "level", "idx", "hashes", "mids"],
  manifests: ["cid", "stream_id", "from_seq", "size", "bytes"],
  anchors: [
    "chain_id",
    "registry",
    "stream_id",
    "size",
    "root",
    "manifest_cid",
    "status",
    "tx_hash",
    "block_number",
    "block_hash",
    "confirmations",
    "sequence",
    "anchorer",
    "consistency_checked",
    "updated_at",
  ],
} as const;

/**
 * Each tampering, in PostgreSQL's SQL and in SQLite's: the same change to the same rows. A manifest's
 * bytes are edited in its CID list (byte 40 of the first manifest, inside its first listed CID).
 */
const TAMPERS = {
  edited_record: {
    pg: `UPDATE records SET bytes = convert_to(replace(convert_from(bytes, 'UTF8'), '"ts":"20', '"ts":"19'), 'UTF8') WHERE seq = ${EDITED}`,
    sqlite: `UPDATE records SET bytes = CAST(replace(CAST(bytes AS TEXT), '"ts":"20', '"ts":"19') AS BLOB) WHERE seq = ${EDITED}`,
  },
  anchor_root: {
    pg: "UPDATE anchors SET root = overlay(root placing '\\x00'::bytea from 1 for 1) WHERE size = (SELECT min(size) FROM anchors)",
    sqlite:
      "UPDATE anchors SET root = CAST(X'00' || substr(root, 2) AS BLOB) WHERE size = (SELECT min(size) FROM anchors)",
  },
  anchor_deleted: {
    pg: "DELETE FROM anchors WHERE size = (SELECT min(size) FROM anchors)",
    sqlite: "DELETE FROM anchors WHERE size = (SELECT min(size) FROM anchors)",
  },
  manifest_bytes: {
    pg: "UPDATE manifests SET bytes = overlay(bytes placing '\\xff'::bytea from 40 for 1) WHERE from_seq = 0",
    sqlite:
      "UPDATE manifests SET bytes = CAST(substr(bytes, 1, 39) || X'FF' || substr(bytes, 41) AS BLOB) WHERE from_seq = 0",
  },
  cut: {
    pg: `DELETE FROM records WHERE seq >= ${CUT}`,
    sqlite: `DELETE FROM records WHERE seq >= ${CUT}`,
  },
} as const;
type Tamper = keyof typeof TAMPERS;

/** Copies of the PostgreSQL log that are not tamperings of the log itself. */
const ODDITIES = {
  /** A size no SDK writes (beyond 2^53): the row cannot be read as an anchor. */
  invalid_anchor: "UPDATE anchors SET size = 9007199254740993 WHERE size = (SELECT max(size) FROM anchors)",
  /** A database that says it predates the anchors and manifests tables. */
  schema_v1: "UPDATE ancora_meta SET value = '1' WHERE key = 'schema_version'",
} as const;

let server: PostgresServer;
/** Hardhat's in-process network, its registry, and the network served over loopback HTTP for the bin. */
let chain: {
  provider: { request(args: { method: string; params?: unknown }): Promise<unknown> };
  publicClient: PublicClient;
  registry: Address;
  rpc: RpcEndpoint;
};
let admin: pg.Pool;
let dir: string;
let sqlitePath: string;
/** The audit database's URL for the auditor role (password included, as an auditor might pass it). */
let auditorUrl: string;
/** Sizes of the anchors on chain, ascending. */
let anchoredSizes: number[];

/** Deploys the registry, registers the stream and lets DEV_KEY_1 anchor. */
async function startChain(): Promise<typeof chain> {
  const { viem, provider } = await network.create();
  const publicClient = (await viem.getPublicClient()) as unknown as PublicClient;
  const [admin] = await viem.getWalletClients();
  if (admin === undefined) throw new Error("no wallet");
  const { address: registry } = await deployRegistry(admin, publicClient, { admin: admin.account.address });
  await registerStream(admin, publicClient, { registry, streamId: encodeStreamId(STREAM), metadata: "{}" });
  await grantAnchorer(admin, publicClient, { registry, account: privateKeyToAccount(DEV_KEY_1).address });
  return { provider, publicClient, registry, rpc: await rpcOverHttp(provider) };
}

/** Writes the SQLite log and anchors it: ROUNDS anchors, then TAIL decisions left unanchored. */
async function writeAnchoredLog(): Promise<void> {
  const logger = createLogger({ path: sqlitePath, stream: STREAM, model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  const anchorer = createAnchorer({
    store: logger.store,
    streams: STREAM,
    registry: chain.registry,
    publicClient: chain.publicClient,
    walletClient: createWalletClient({
      account: privateKeyToAccount(DEV_KEY_1),
      chain: hardhat,
      transport: custom(chain.provider, { retryCount: 0 }),
    }),
    policy: false,
    confirmations: 1,
    backoff: { baseMs: 1, maxMs: 5 },
    pollIntervalMs: 1,
  });
  let logged = 0;
  const decide = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () => {
        const i = logged++;
        return logger.record({ features: { i }, output: { ok: i % 2 }, score: (i % 10) / 10 });
      }),
    );
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await decide(PER_ROUND);
      logger.store.checkpoint(STREAM);
      for (let i = 0; i < 50 && anchorer.backlog().jobs > 0; i++) {
        await anchorer.tick();
        await chain.provider.request({ method: "hardhat_mine", params: ["0x1"] });
      }
      expect(anchorer.backlog().jobs).toBe(0);
    }
    await decide(TAIL);
  } finally {
    await anchorer.stop();
    await logger.close();
  }
}

/** Copies the SQLite log's rows into the PostgreSQL database at `url` with plain SQL, table by table. */
async function copyIntoPostgres(url: string): Promise<void> {
  const sqlite = new Database(sqlitePath, { readonly: true });
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await migratePostgres(db);
    await db.query("BEGIN");
    for (const [table, columns] of Object.entries(TABLES)) {
      const rows = sqlite
        .prepare(`SELECT ${columns.join(", ")} FROM ${table}`)
        .raw()
        .all() as unknown[][];
      expect(rows.length, table).toBeGreaterThan(0);
      const values = rows.map(
        (row, r) => `(${row.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`,
      );
      await db.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")}`, rows.flat());
    }
    await db.query("COMMIT");
    // The auditor's role (docs/operations.md): SELECT on the store's six tables, nothing else.
    await db.query(`CREATE ROLE auditor LOGIN PASSWORD '${PASSWORD}'`);
    await db.query(
      "GRANT SELECT ON ancora_meta, streams, records, merkle_tiles, manifests, anchors TO auditor",
    );
    // The grants of before 0.1.0 (no anchors, no manifests): enough locally, not against the chain.
    await db.query(`CREATE ROLE local_auditor LOGIN PASSWORD '${PASSWORD}'`);
    await db.query("GRANT SELECT ON ancora_meta, streams, records, merkle_tiles TO local_auditor");
  } finally {
    await db.end();
    sqlite.close();
  }
}

/** A copy of the audit database with `sql` applied (as the superuser), for the auditor. */
async function tamperedPostgres(name: string, sql: string): Promise<void> {
  await admin.query(`CREATE DATABASE ${name} TEMPLATE audit`);
  const copy = new pg.Client({ connectionString: server.url.replace(/\/postgres$/, `/${name}`) });
  await copy.connect();
  try {
    expect((await copy.query(sql)).rowCount, name).toBeGreaterThan(0);
  } finally {
    await copy.end();
  }
}

/** The auditor's URL of the copy `name`. */
function copyUrl(name: string): string {
  return auditorUrl.replace(/\/audit$/, `/${name}`);
}

/** A copy of the SQLite log with the same tampering. */
function tamperedSqlite(name: Tamper): string {
  const target = join(dir, `${name}.db`);
  copyFileSync(sqlitePath, target);
  const db = new Database(target);
  try {
    expect(db.prepare(TAMPERS[name].sqlite).run().changes, name).toBeGreaterThan(0);
  } finally {
    db.close();
  }
  return target;
}

function chainArgs(db: string): string[] {
  return ["--db", db, "--rpc", chain.rpc.url, "--registry", chain.registry, "--json"];
}

/** A run's JSON document, after checking it printed nothing else. */
function report(run: VerifyRun) {
  expect(run.stderr).toBe("");
  expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
  return JSON.parse(run.stdout);
}

/** "CODE@seq" of each failure, as a set (the PostgreSQL log keeps no checkpoints; see below). */
function codes(failures: readonly { code: string; seq: number }[]): string[] {
  return [...new Set(failures.map((f) => `${f.code}@${f.seq}`))].sort();
}

/**
 * A tampered copy's failures through the library (the checks the command runs, without a process per
 * run), in PostgreSQL and in the SQLite file.
 */
async function failuresOf(name: Tamper, store: "pg" | "sqlite") {
  const local = store === "pg" ? await openPostgresLog(copyUrl(name)) : openLocalLog(tamperedSqlite(name));
  try {
    const registry = await registryView(chain.publicClient, chain.registry);
    return (await verifyAgainstChain({ local, registry, sha256: nodeSha256 })).failures;
  } finally {
    await local.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-verify-pg-chain-"));
  sqlitePath = join(dir, "ancora.db");
  [server, chain] = await Promise.all([startPostgres(), startChain()]);
  await writeAnchoredLog();
  admin = new pg.Pool({ connectionString: server.url, max: 2 });
  await admin.query("CREATE DATABASE audit");
  const auditUrl = server.url.replace(/\/postgres$/, "/audit");
  await copyIntoPostgres(auditUrl);
  auditorUrl = auditUrl.replace("ancora@", `auditor:${PASSWORD}@`);
  // Every copy is made before any run: a database is copied only while nobody is connected to it.
  for (const [name, sql] of [
    ...Object.entries(TAMPERS).map(([name, { pg }]) => [name, pg] as const),
    ...Object.entries(ODDITIES),
  ])
    await tamperedPostgres(name, sql);
  const sqlite = new Database(sqlitePath, { readonly: true });
  anchoredSizes = sqlite
    .prepare("SELECT size FROM anchors WHERE status = 'confirmed' ORDER BY size")
    .pluck()
    .all() as number[];
  sqlite.close();
}, 180_000);

afterAll(async () => {
  await admin?.end();
  server?.stop();
  await chain?.rpc.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("ancora-verify --db postgres://… --rpc … --registry …", () => {
  it("verifies the log against the chain with the auditor's role: exit 0, the SQLite file's figures", async () => {
    expect(anchoredSizes).toHaveLength(ROUNDS);
    const [onPg, onSqlite] = await Promise.all([
      runVerifyBin(chainArgs(auditorUrl)),
      runVerifyBin(chainArgs(sqlitePath)),
    ]);
    expect(onPg.code).toBe(0);
    expect(onSqlite.code).toBe(0);
    const pgDoc = report(onPg);
    const sqliteDoc = report(onSqlite);
    const last = anchoredSizes.at(-1) as number;
    expect(pgDoc).toMatchObject({ ok: true, mode: "chain", anchors: ROUNDS, failures: [], warnings: [] });
    expect(pgDoc.streams[0]).toMatchObject({
      stream: STREAM,
      history: "events",
      anchoredSize: last,
      unanchored: TAIL,
      records: last + TAIL,
    });
    // The same document but for the time taken and the stored checkpoints, which only SQLite keeps.
    const comparable = ({ elapsedMs, streams, ...rest }: Record<string, unknown>) => ({
      ...rest,
      streams: (streams as Record<string, unknown>[]).map(({ checkpoints, ...s }) => s),
    });
    expect(comparable(pgDoc)).toEqual(comparable(sqliteDoc));
    expect(sqliteDoc.streams[0].checkpoints).toBe(ROUNDS);
  });

  it("names a record edited with plain SQL in PostgreSQL: exit 1, its seq the first bad one", async () => {
    const run = await runVerifyBin(chainArgs(copyUrl("edited_record")));
    expect(run.code).toBe(1);
    const doc = report(run);
    expect(doc.ok).toBe(false);
    expect(doc.streams[0]).toMatchObject({ stream: STREAM, firstBadSeq: EDITED });
    expect(codes(doc.failures)).toEqual(
      expect.arrayContaining([
        `CID_MISMATCH@${EDITED}`,
        `MANIFEST_RECORD_MISMATCH@${EDITED}`,
        `ANCHOR_ROOT_MISMATCH@${EDITED}`,
      ]),
    );
  });

  it("names each tampering in PostgreSQL as in the SQLite file with the same edit", async () => {
    const found: Partial<Record<Tamper, string[]>> = {};
    for (const name of Object.keys(TAMPERS) as Tamper[]) {
      const [onPg, onSqlite] = [await failuresOf(name, "pg"), await failuresOf(name, "sqlite")];
      found[name] = codes(onPg);
      // The same chain findings (SQLite also keeps checkpoints and the Merkle nodes above the leaves,
      // whose own failures a PostgreSQL log cannot have), the same first bad seq.
      const chainOnly = (list: string[]) => list.filter((c) => /^(ANCHOR|MANIFEST)_/.test(c));
      expect(chainOnly(codes(onPg)), name).toEqual(chainOnly(codes(onSqlite)));
      expect(onPg[0]?.seq, name).toBe(onSqlite[0]?.seq);
    }
    const firstAnchor = anchoredSizes[0] as number;
    expect(found.anchor_root).toEqual([`ANCHOR_NOT_ON_CHAIN@${firstAnchor - 1}`]);
    expect(found.manifest_bytes?.some((c) => c.startsWith("ANCHOR_MANIFEST_MISMATCH@"))).toBe(true);
    expect(found.cut).toContain(`ANCHOR_BEYOND_LOG@${CUT}`);
    // A deleted anchor row takes no protection away: the history is proven from the chain's events, so
    // the log still verifies, as the SQLite file does (a log's anchor rows are claims, not evidence).
    expect(found.anchor_deleted).toEqual([]);
  });

  it("reads a schema-1 log without anchors; an anchor row no SDK writes is SOURCE_INVALID", async () => {
    const v1 = await openPostgresLog(copyUrl("schema_v1"));
    try {
      expect(await v1.anchors(STREAM)).toEqual([]);
      expect(await v1.manifests(STREAM)).toEqual([]);
    } finally {
      await v1.close();
    }
    const invalid = await openPostgresLog(copyUrl("invalid_anchor"));
    try {
      expect((await invalid.manifests(STREAM)).length).toBeGreaterThan(0);
      const error = await invalid.anchors(STREAM).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceError);
      expect(error).toMatchObject({ code: "SOURCE_INVALID", evidence: { field: "size" } });
      expect((error as SourceError).hint).toMatch(/backup/);
      expect(JSON.stringify((error as SourceError).evidence)).not.toContain(PASSWORD);
    } finally {
      await invalid.close();
    }
  });

  it("needs SELECT on manifests and anchors too: the pre-0.1.0 grants are SOURCE_UNREACHABLE (exit 3)", async () => {
    const run = await runVerifyBin(chainArgs(auditorUrl.replace("auditor:", "local_auditor:")));
    expect(run.code).toBe(3);
    expect(`${run.stdout}${run.stderr}`).toContain("SOURCE_UNREACHABLE");
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
  });
});
