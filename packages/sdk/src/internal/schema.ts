/**
 * The store's schema and its migrations. `PRAGMA user_version` is the schema version; migration i
 * takes a database from version i to i + 1, and every released version keeps a fixture database in
 * test-fixtures/ that the current code must open and verify. A migration never rewrites record bytes:
 * records are immutable and their CIDs are anchored; only derived tables and columns may change.
 */
import type Database from "better-sqlite3";

/**
 * Schema version 1.
 *
 * - `streams`: one row per stream, its head (size, head CID, compact-range state) and the derived
 *   "current config" pointer, updated in the same transaction as the records it describes.
 * - `records`: canonical bytes and CID, plus index columns derived from the bytes (kind, ts, label,
 *   model) for search. A rowid table: records are ~0.5 KiB, too large for a WITHOUT ROWID b-tree's
 *   interior pages, and rowids grow with inserts so every insert is an append.
 * - `merkle_nodes`: perfect-subtree hashes per stream (level, idx); append-only, O(log n) per proof.
 * - `checkpoints`: (size, root, head CID, time) per stream.
 * - `salts`: salts of `salted` commitments, apart from the records: deleting one makes that commitment
 *   unopenable while the chain (which holds only digests) still verifies.
 * - `outbox`: durable jobs (pinning, anchoring) written in the same transaction as what caused them.
 */
function v1(db: Database.Database): void {
  db.exec(`
    CREATE TABLE streams (
      id          INTEGER PRIMARY KEY,
      name        TEXT    NOT NULL UNIQUE,
      size        INTEGER NOT NULL,
      head_cid    TEXT,
      tree_state  TEXT    NOT NULL,
      config_seq  INTEGER,
      created_at  TEXT    NOT NULL
    ) STRICT;

    CREATE TABLE records (
      stream_id     INTEGER NOT NULL REFERENCES streams (id),
      seq           INTEGER NOT NULL,
      cid           TEXT    NOT NULL,
      kind          TEXT    NOT NULL,
      ts            TEXT    NOT NULL,
      label         TEXT,
      model_id      TEXT,
      model_version TEXT,
      bytes         BLOB    NOT NULL,
      UNIQUE (stream_id, seq)
    ) STRICT;
    CREATE INDEX records_by_label ON records (stream_id, label, seq) WHERE label IS NOT NULL;
    CREATE INDEX records_by_model ON records (stream_id, model_id, seq) WHERE model_id IS NOT NULL;
    CREATE INDEX records_by_ts ON records (stream_id, ts);
    CREATE INDEX records_control ON records (stream_id, kind, seq) WHERE kind <> 'decision';

    CREATE TABLE merkle_nodes (
      stream_id INTEGER NOT NULL,
      level     INTEGER NOT NULL,
      idx       INTEGER NOT NULL,
      hash      BLOB    NOT NULL,
      PRIMARY KEY (stream_id, level, idx)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE checkpoints (
      stream_id INTEGER NOT NULL REFERENCES streams (id),
      size      INTEGER NOT NULL,
      root      BLOB    NOT NULL,
      head_cid  TEXT    NOT NULL,
      ts        TEXT    NOT NULL,
      PRIMARY KEY (stream_id, size)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE salts (
      stream_id INTEGER NOT NULL,
      seq       INTEGER NOT NULL,
      field     TEXT    NOT NULL CHECK (field IN ('input', 'output')),
      salt      BLOB    NOT NULL,
      PRIMARY KEY (stream_id, seq, field)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE outbox (
      id              INTEGER PRIMARY KEY,
      kind            TEXT    NOT NULL,
      stream_id       INTEGER REFERENCES streams (id),
      payload         TEXT    NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error      TEXT,
      created_at      TEXT    NOT NULL,
      done_at         TEXT
    ) STRICT;
    CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE done_at IS NULL;
  `);
}

/**
 * Schema version 2: anchoring.
 *
 * - `anchors`: one row per checkpoint anchored (or found anchored) in a registry: the transaction,
 *   its block (number and hash, to detect a reorg that drops it), the confirmations seen, the manifest
 *   CID it committed, and its status (`submitted` → `confirmed`; `dropped` when it reverted, vanished
 *   from the mempool or was reorged out). Receipts read the latest confirmed row covering a seq.
 * - `manifests`: batch manifests (canonical bytes, CID), so they can be served and pinned like records.
 * - `cid_index`: record lookup by CID for IPFS serving, keyed by the first 8 bytes of the CID's digest
 *   (an integer: ~20 bytes a row) and checked against the full CID on read. It is filled off the
 *   logging path, in batches, by the embedded IPFS node (`cid_index_state` holds how far per stream),
 *   so `log()` never pays for a random-key index insert.
 * - `pin_cursors`: per pinning service and stream, the records already queued for per-record pinning.
 */
function v2(db: Database.Database): void {
  db.exec(`
    CREATE TABLE anchors (
      chain_id      INTEGER NOT NULL,
      registry      TEXT    NOT NULL,
      stream_id     INTEGER NOT NULL REFERENCES streams (id),
      size          INTEGER NOT NULL,
      root          BLOB    NOT NULL,
      manifest_cid  TEXT    NOT NULL,
      status        TEXT    NOT NULL CHECK (status IN ('submitted', 'confirmed', 'dropped')),
      origin        TEXT    NOT NULL CHECK (origin IN ('submitted', 'recognised')),
      tx_hash       TEXT    NOT NULL,
      nonce         INTEGER,
      max_fee       TEXT,
      block_number  INTEGER,
      block_hash    TEXT,
      confirmations INTEGER NOT NULL DEFAULT 0,
      submitted_at  INTEGER NOT NULL,
      updated_at    TEXT    NOT NULL,
      PRIMARY KEY (chain_id, registry, stream_id, size)
    ) STRICT;
    CREATE INDEX anchors_by_stream ON anchors (stream_id, status, size);

    CREATE TABLE manifests (
      id        INTEGER PRIMARY KEY,
      cid       TEXT    NOT NULL UNIQUE,
      stream_id INTEGER NOT NULL REFERENCES streams (id),
      from_seq  INTEGER NOT NULL,
      size      INTEGER NOT NULL,
      bytes     BLOB    NOT NULL
    ) STRICT;

    CREATE TABLE cid_index (
      prefix    INTEGER NOT NULL,
      stream_id INTEGER NOT NULL,
      seq       INTEGER NOT NULL,
      PRIMARY KEY (prefix, stream_id, seq)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE cid_index_state (
      stream_id INTEGER PRIMARY KEY REFERENCES streams (id),
      size      INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE pin_cursors (
      service   TEXT    NOT NULL,
      stream_id INTEGER NOT NULL REFERENCES streams (id),
      size      INTEGER NOT NULL,
      PRIMARY KEY (service, stream_id)
    ) STRICT, WITHOUT ROWID;
  `);
}

/**
 * Schema version 3: the anchor links. The registry folds every anchor into a chained head in storage
 * from (sequence, size, root, manifest digest, anchorer, block number, consistency checked). Keeping
 * the fields the v2 row lacks lets a verifier replay a stream's anchor history from the local log and
 * prove it against the head in contract state alone, when the node no longer serves old event logs
 * (EIP-4444). NULL on rows written before v3 until the anchorer backfills them from the transaction
 * receipts.
 */
function v3(db: Database.Database): void {
  db.exec(`
    ALTER TABLE anchors ADD COLUMN sequence INTEGER;
    ALTER TABLE anchors ADD COLUMN anchorer TEXT;
    ALTER TABLE anchors ADD COLUMN consistency_checked INTEGER CHECK (consistency_checked IN (0, 1));
  `);
}

/**
 * Schema version 4: lineage, consent, capsules, erasure and retention (docs/lineage.md). All derived
 * from records or kept off the log on purpose; record bytes are untouched.
 *
 * - `blobs`: documents a record names by CID but that live off the log: encrypted capsules and
 *   reproducibility documents. `bytes` becomes NULL when retention purges or erasure deletes them (the
 *   CID on the log, and every proof, stay). `subject` is the subject reference they concern, if any.
 * - `capsule_keys`: each capsule's key salt, apart from the capsule: deleting it makes the capsule
 *   unopenable even to the holder of the organisation key (erasure by key destruction).
 * - `subjects`: which records concern which subject reference (consent, consent-revocation, decisions
 *   logged under a consent gate, capsules), so the consent gate and erasure read a few rows, not the log.
 * - `lineage`: lineage records by CID and by key (a model's artefact digest, a dataset's root), and
 *   `lineage_edges` the links between them, both written in the record's own transaction.
 * - `samples`: the sample hashes of each dataset record, in order, so a sample's membership proof can
 *   be rebuilt (and the datasets holding a sample found) long after the dataset was logged.
 * - `store_keys`: the store's own random keys; `subject-pepper` keys the subject references that
 *   records carry instead of subject ids (HMAC-SHA256), so a reference cannot be guessed from an id.
 */
function v4(db: Database.Database): void {
  db.exec(`
    CREATE TABLE blobs (
      cid          TEXT    PRIMARY KEY,
      stream_id    INTEGER NOT NULL REFERENCES streams (id),
      kind         TEXT    NOT NULL CHECK (kind IN ('capsule', 'document')),
      subject      TEXT,
      bytes        BLOB,
      created_at   TEXT    NOT NULL,
      expires_at   TEXT,
      purged_at    TEXT,
      purge_reason TEXT    CHECK (purge_reason IN ('retention', 'erasure'))
    ) STRICT;
    CREATE INDEX blobs_by_subject ON blobs (subject) WHERE subject IS NOT NULL;
    CREATE INDEX blobs_by_expiry ON blobs (expires_at) WHERE bytes IS NOT NULL AND expires_at IS NOT NULL;

    CREATE TABLE capsule_keys (
      cid  TEXT PRIMARY KEY,
      salt BLOB NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE subjects (
      subject   TEXT    NOT NULL,
      stream_id INTEGER NOT NULL,
      seq       INTEGER NOT NULL,
      kind      TEXT    NOT NULL,
      PRIMARY KEY (subject, stream_id, seq)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE lineage (
      cid       TEXT    PRIMARY KEY,
      stream_id INTEGER NOT NULL,
      seq       INTEGER NOT NULL,
      kind      TEXT    NOT NULL,
      key       TEXT
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX lineage_by_key ON lineage (kind, key) WHERE key IS NOT NULL;

    CREATE TABLE lineage_edges (
      from_cid TEXT NOT NULL,
      to_cid   TEXT NOT NULL,
      relation TEXT NOT NULL,
      PRIMARY KEY (from_cid, to_cid)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX lineage_edges_to ON lineage_edges (to_cid, from_cid);

    CREATE TABLE samples (
      dataset_cid TEXT    NOT NULL,
      idx         INTEGER NOT NULL,
      hash        BLOB    NOT NULL,
      PRIMARY KEY (dataset_cid, idx)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX samples_by_hash ON samples (hash);

    CREATE TABLE store_keys (
      name  TEXT PRIMARY KEY,
      value BLOB NOT NULL
    ) STRICT, WITHOUT ROWID;
  `);
}

/**
 * Schema version 5: the lean write path. A decision costs one row and one key insert at write time.
 *
 * - Salts move into the record's row (`salt_input`, `salt_output`): erasure and retention set them to
 *   NULL, which makes the commitments unopenable exactly as deleting a `salts` row did.
 * - The search indexes (label, model, time, kind) leave `records`: `record_index` holds the same
 *   columns keyed by (stream, seq), with its indexes, and is filled in batches by a catch-up indexer
 *   (internal/record-index.ts) that every search, count and evidence query runs first, so answers are
 *   never stale; `record_index_state` holds how far per stream. `records_control` (non-decision rows
 *   only) stays: decisions never enter it.
 * - Merkle hashes are stored as tiles (C2SP tlog-tiles: tile (level L, index N) holds the hashes of
 *   tree level 8L with indexes 256N … 256N + 255): `merkle_tiles` replaces `merkle_nodes`. A level-0
 *   tile is written when its 256th leaf is appended; the leaves of the stream's last, partial level-0
 *   tile are derived from the records' CIDs. Tiles of level ≥ 1 are written (and rewritten while
 *   partial) when a tile below them fills, so the tree costs about 1/255 of a row per record. Beside
 *   its hashes a tile keeps its "mids" (`mids`: the hashes of level 8L + 4 inside it, one per complete
 *   group of 16 entries), so a proof hashes ~22 entries per tile level instead of ~250.
 */
function v5(db: Database.Database): void {
  db.exec(`
    ALTER TABLE records ADD COLUMN salt_input BLOB;
    ALTER TABLE records ADD COLUMN salt_output BLOB;
    UPDATE records SET
      salt_input = (SELECT salt FROM salts s WHERE s.stream_id = records.stream_id AND s.seq = records.seq AND s.field = 'input'),
      salt_output = (SELECT salt FROM salts s WHERE s.stream_id = records.stream_id AND s.seq = records.seq AND s.field = 'output')
     WHERE (stream_id, seq) IN (SELECT stream_id, seq FROM salts);
    DROP TABLE salts;

    DROP INDEX records_by_label;
    DROP INDEX records_by_model;
    DROP INDEX records_by_ts;
    CREATE TABLE record_index (
      stream_id     INTEGER NOT NULL,
      seq           INTEGER NOT NULL,
      kind          TEXT    NOT NULL,
      ts            TEXT    NOT NULL,
      label         TEXT,
      model_id      TEXT,
      model_version TEXT,
      PRIMARY KEY (stream_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX record_index_by_label ON record_index (stream_id, label, seq) WHERE label IS NOT NULL;
    CREATE INDEX record_index_by_model ON record_index (stream_id, model_id, seq) WHERE model_id IS NOT NULL;
    CREATE INDEX record_index_by_ts ON record_index (stream_id, ts);
    CREATE TABLE record_index_state (
      stream_id INTEGER PRIMARY KEY REFERENCES streams (id),
      size      INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE merkle_tiles (
      stream_id INTEGER NOT NULL,
      level     INTEGER NOT NULL,
      idx       INTEGER NOT NULL,
      hashes    BLOB    NOT NULL,
      mids      BLOB    NOT NULL,
      PRIMARY KEY (stream_id, level, idx)
    ) STRICT;
  `);
  tilesFromNodes(db);
  db.exec("DROP TABLE merkle_nodes");
}

/**
 * Fills `merkle_tiles` from a v4 `merkle_nodes` table: per stream and tile level, the stored hashes of
 * tree level 8L grouped by 256. Level-0 tiles are written when full only (the last partial one is
 * derived from the records, as the writer does); tiles of higher levels also when partial.
 */
function tilesFromNodes(db: Database.Database): void {
  const levels = db
    .prepare<[], [number, number]>(
      `SELECT DISTINCT stream_id, level FROM merkle_nodes WHERE level % ${TILE_HEIGHT} = 0 ORDER BY stream_id, level`,
    )
    .raw()
    .all();
  // Read a window of tiles at a time (better-sqlite3 cannot write while a read iterates).
  const window = db
    .prepare<[number, number, number, number], [number, Buffer]>(
      "SELECT idx, hash FROM merkle_nodes WHERE stream_id = ? AND level = ? AND idx >= ? AND idx < ? ORDER BY idx",
    )
    .raw();
  const insert = db.prepare<[number, number, number, Buffer, Buffer]>(
    "INSERT INTO merkle_tiles (stream_id, level, idx, hashes, mids) VALUES (?, ?, ?, ?, ?)",
  );
  const span = TILE_WIDTH * TILE_WIDTH;
  const group = 2 ** TILE_MID_LEVEL;
  for (const [stream, level] of levels) {
    for (let from = 0; ; from += span) {
      const rows = window.all(stream, level, from, from + span);
      // The tiles' mids: the stored nodes TILE_MID_LEVEL levels up, over the same window.
      const midRows = window.all(stream, level + TILE_MID_LEVEL, from / group, (from + span) / group);
      const mids = new Map(midRows);
      let tile = from / TILE_WIDTH;
      let hashes: Buffer[] = [];
      const flush = () => {
        if (hashes.length === TILE_WIDTH || (level > 0 && hashes.length > 0)) {
          const tileMids: Buffer[] = [];
          for (let g = 0; g < Math.floor(hashes.length / group); g++) {
            const mid = mids.get((tile * TILE_WIDTH) / group + g);
            if (mid === undefined) break;
            tileMids.push(mid);
          }
          insert.run(stream, level / TILE_HEIGHT, tile, Buffer.concat(hashes), Buffer.concat(tileMids));
        }
      };
      for (const [idx, hash] of rows) {
        const at = Math.floor(idx / TILE_WIDTH);
        if (at !== tile) {
          flush();
          tile = at;
          hashes = [];
        }
        // Nodes are contiguous from index 0 in a well-formed store; a gap ends what can be tiled.
        if (idx % TILE_WIDTH === hashes.length) hashes.push(hash);
      }
      flush();
      if (rows.length < span) break;
    }
  }
}

/**
 * Hashes per Merkle tile in schema v5 (C2SP tlog-tiles, height 8: 256 hashes, 8 tree levels per tile
 * level). A migration is history: it keeps its own copy rather than follow core's TILE_WIDTH.
 */
const TILE_WIDTH = 256;
const TILE_HEIGHT = 8;
const TILE_MID_LEVEL = 4;

/** Migrations in order: MIGRATIONS[i] takes schema version i to i + 1. */
export const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [v1, v2, v3, v4, v5];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
