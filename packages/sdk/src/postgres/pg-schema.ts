/**
 * The PostgreSQL store's schema: the tables of the SQLite store's schema v5 that hold the log (streams
 * and their heads, one row per record keyed by (stream, seq), Merkle tiles of C2SP tlog-tiles, height
 * 8), with the same columns and the same bytes, so that one verifier reads either. Versioned like the
 * SQLite schema: `migratePostgres` applies the steps a database lacks, under an advisory lock so that
 * replicas starting together migrate once.
 */
import type pg from "pg";
import { StoreError } from "../errors.js";

/** The PostgreSQL schema version this code writes. */
export const PG_SCHEMA_VERSION = 2;

/** Arbitrary fixed key of the advisory lock that serialises migrations (ASCII "ancoramg"). */
const MIGRATION_LOCK = "7021432397116109671";

/** Migration steps: step i takes a database from version i to i + 1. */
const STEPS: readonly string[] = [
  `CREATE TABLE ancora_meta (key text PRIMARY KEY, value text NOT NULL);
   CREATE TABLE streams (
     id serial PRIMARY KEY,
     name text NOT NULL UNIQUE,
     size bigint NOT NULL,
     head_cid text,
     tree_state text NOT NULL,
     config_seq bigint,
     created_at text NOT NULL
   );
   CREATE TABLE records (
     stream_id integer NOT NULL REFERENCES streams (id),
     seq bigint NOT NULL,
     cid text NOT NULL,
     kind text NOT NULL,
     ts text NOT NULL,
     label text,
     model_id text,
     model_version text,
     bytes bytea NOT NULL,
     salt_input bytea,
     salt_output bytea,
     PRIMARY KEY (stream_id, seq)
   );
   CREATE TABLE merkle_tiles (
     stream_id integer NOT NULL REFERENCES streams (id),
     level integer NOT NULL,
     idx bigint NOT NULL,
     hashes bytea NOT NULL,
     mids bytea NOT NULL,
     PRIMARY KEY (stream_id, level, idx)
   );`,
  // Version 2: what anchoring adds to the log, copied from the anchoring replica's mirror
  // (pg-mirror.ts) so that any replica's log, and the verifier, see the anchors and their manifests.
  // The columns are the SQLite store's, less what only the sender needs (nonce, fee, origin).
  `CREATE TABLE manifests (
     cid text PRIMARY KEY,
     stream_id integer NOT NULL REFERENCES streams (id),
     from_seq bigint NOT NULL,
     size bigint NOT NULL,
     bytes bytea NOT NULL
   );
   CREATE INDEX manifests_by_stream ON manifests (stream_id, size);
   CREATE TABLE anchors (
     chain_id bigint NOT NULL,
     registry text NOT NULL,
     stream_id integer NOT NULL REFERENCES streams (id),
     size bigint NOT NULL,
     root bytea NOT NULL,
     manifest_cid text NOT NULL,
     status text NOT NULL CHECK (status IN ('submitted', 'confirmed', 'dropped')),
     tx_hash text NOT NULL,
     block_number bigint,
     block_hash text,
     confirmations integer NOT NULL DEFAULT 0,
     sequence bigint,
     anchorer text,
     consistency_checked boolean,
     updated_at text NOT NULL,
     PRIMARY KEY (chain_id, registry, stream_id, size)
   );`,
];

/** The database's schema version (0 when it has no Ancora tables). */
export async function postgresSchemaVersion(client: pg.ClientBase): Promise<number> {
  // A scan of pg_tables under the statement's snapshot, not to_regclass: the name lookup of to_regclass
  // can miss a table that a concurrent migration committed a moment ago (seen in tests: a replica that
  // waited for the migration lock then found no table and tried to create it again).
  const exists = await client.query<{ found: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'ancora_meta') AS found",
  );
  if (exists.rows[0]?.found !== true) return 0;
  const row = await client.query<{ value: string }>(
    "SELECT value FROM ancora_meta WHERE key = 'schema_version'",
  );
  return Number(row.rows[0]?.value ?? 0);
}

/**
 * Brings the database to {@link PG_SCHEMA_VERSION} in one transaction. Refuses a database of a
 * newer version (written by a newer Ancora) with STORE_SCHEMA_TOO_NEW.
 */
export async function migratePostgres(client: pg.ClientBase): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const from = await postgresSchemaVersion(client);
    if (from > PG_SCHEMA_VERSION) {
      throw new StoreError(
        "STORE_SCHEMA_TOO_NEW",
        `The PostgreSQL store has schema version ${from}; this Ancora writes version ${PG_SCHEMA_VERSION}`,
        {
          hint: "Upgrade Ancora (@ancora/sdk) on every replica; nothing was changed.",
          evidence: { version: from, supported: PG_SCHEMA_VERSION },
        },
      );
    }
    for (let version = from; version < PG_SCHEMA_VERSION; version++) {
      await client.query(STEPS[version] as string);
      await client.query(
        "INSERT INTO ancora_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = $1",
        [String(version + 1)],
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}
