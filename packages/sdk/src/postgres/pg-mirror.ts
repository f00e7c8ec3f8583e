/**
 * The anchoring replica's copy of a PostgreSQL log. The anchorer and the pinner work on an SQLite store
 * (its tree, its outbox, its manifests); rather than a second implementation of both over PostgreSQL, the
 * replica that holds the anchoring lease (pg-lease.ts) keeps a local SQLite store that is a copy of the
 * PostgreSQL log and runs the same anchorer and pinner on it:
 *
 * - `pull()` copies the records PostgreSQL has and the copy lacks, stream by stream, in pages. Nothing
 *   PostgreSQL holds is taken on trust: every record must hash to its CID and link to the previous one
 *   (`StreamWriter.appendCopies`), and the Merkle tree is rebuilt locally from the CIDs, so the roots
 *   the anchorer commits are the records' own. A copy that is not a prefix of PostgreSQL's log (a
 *   database restored from an older backup, or rewritten) is STORE_DIVERGED, and nothing is copied.
 * - `push()` copies back what anchoring added (schema v2: `manifests`, `anchors`), so that the log in
 *   PostgreSQL carries its anchors for the verifier and for every replica.
 *
 * Salts are not copied: anchoring does not need them, and an erasure then has one place to delete them.
 */
import { computeCid } from "@ancora/core";
import type Database from "better-sqlite3";
import type pg from "pg";
import {
  type AnchorRow,
  getAnchor,
  putManifest,
  setAnchorLink,
  upsertAnchor,
} from "../anchoring/anchor-store.js";
import { StoreError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import { connectionOf } from "../internal/store-handle.js";
import { insertStreamRow, StreamWriter } from "../internal/stream-writer.js";
import type { AncoraStore } from "../store.js";
import { openPostgresPool } from "./pg-pool.js";

/** Records copied per PostgreSQL query and per SQLite transaction. */
const PAGE = 2_000;
/** PostgreSQL's clock as an ISO 8601 UTC text with microseconds (the `anchors.updated_at` it writes). */
const PG_NOW = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
/** How far back of the latest change seen replicas look again: transactions commit out of order. */
const PULL_SLACK_MS = 10_000;
/** Manifests copied back per query (each up to ~150 KB). */
const MANIFEST_PAGE = 64;

/** What one {@link PostgresMirror.pull} copied. */
export interface MirrorPull {
  /** Records copied into the local store. */
  records: number;
  /** Streams that are new in the local store (the anchorer must be told). */
  newStreams: string[];
  /**
   * Streams that could not be copied, with why (STORE_DIVERGED, STORE_CORRUPT): the others are copied
   * and anchored all the same.
   */
  failures: { stream: string; error: StoreError }[];
}

/** What one {@link PostgresMirror.push} copied back to PostgreSQL. */
export interface MirrorPush {
  anchors: number;
  manifests: number;
}

/** What of a local anchor row goes to PostgreSQL (the sender's own columns stay local). */
type PushedAnchorRow = Omit<AnchorRow, "origin" | "nonce" | "max_fee" | "submitted_at"> & {
  updated_at: string;
};
/** The same row as PostgreSQL returns it. */
type PostgresAnchorRow = Omit<PushedAnchorRow, "consistency_checked"> & {
  consistency_checked: boolean | null;
};

function diverged(stream: string, path: string, evidence: Record<string, unknown>): StoreError {
  return new StoreError(
    "STORE_DIVERGED",
    `The anchoring copy of "${stream}" is not a prefix of the PostgreSQL log`,
    {
      hint: `The PostgreSQL log was restored from an older backup or rewritten. Check it with ancora-verify --db <url> --rpc <url> --registry <address>; if PostgreSQL holds the log to keep, delete the anchoring copy (${path}) and it is rebuilt from PostgreSQL.`,
      evidence: { stream, ...evidence },
    },
  );
}

/** A local SQLite copy of a PostgreSQL log; see the module comment and {@link openPostgresMirror}. */
export interface PostgresMirror {
  /** The local store the copy is kept in. */
  readonly store: AncoraStore;
  /** Copies every record PostgreSQL holds beyond the local copy's heads. */
  pull(): Promise<MirrorPull>;
  /** Copies back the manifests and anchors that anchoring added since the last push. */
  push(): Promise<MirrorPush>;
  /**
   * The other way, for a replica that does not anchor: copies the manifests and anchors PostgreSQL
   * holds (pushed by the one that anchors) into the local copy, so that its receipts and reads show
   * them. A manifest whose bytes do not hash to its CID is left out.
   */
  pullAnchoring(): Promise<MirrorPush>;
  /** Ends the PostgreSQL connections (the local store stays open: it is the caller's). */
  close(): Promise<void>;
}

/**
 * Keeps `store` (a local SQLite store, empty or an earlier copy) as a copy of the PostgreSQL log at
 * `url`, migrating its schema first. Throws a StoreError when PostgreSQL cannot be reached.
 *
 * @example
 * ```ts
 * const mirror = await openPostgresMirror(process.env.ANCORA_DATABASE_URL ?? "", openStore({ path: "copy.db" }));
 * await mirror.pull();
 * ```
 */
export async function openPostgresMirror(
  url: string,
  store: AncoraStore,
  options: MirrorOptions = {},
): Promise<PostgresMirror> {
  return new Mirror(await openPostgresPool(url, 2), store, options);
}

/** Options of {@link openPostgresMirror}. */
export interface MirrorOptions {
  /**
   * Called after each page of records copied (2,000 at most): how far the copy of `stream` is. A copy
   * built from nothing takes about a minute per million records on a 2-core machine (docs/operations.md).
   */
  onProgress?: (progress: { stream: string; size: number; target: number }) => void;
}

class Mirror implements PostgresMirror {
  readonly #pool: pg.Pool;
  readonly #store: AncoraStore;
  readonly #db: Database.Database;
  readonly #writers = new Map<string, StreamWriter>();
  /** PostgreSQL's stream ids, by name. */
  readonly #remoteIds = new Map<string, number>();
  /** Per stream: the largest manifest size PostgreSQL holds (read once, then advanced by pushes). */
  readonly #manifestsPushed = new Map<string, number>();
  /** What was last pushed of each anchor row, so that unchanged rows are not written again. */
  readonly #anchorsPushed = new Map<string, string>();
  #anchorsSince = "";
  /** The latest `updated_at` of PostgreSQL's anchors that {@link pullAnchoring} saw. */
  #pulledSince = "";
  /** Whether {@link pullAnchoring} has looked for manifests once. */
  #manifestsPulled = false;
  /** What was last copied in of each anchor row. */
  readonly #anchorsPulled = new Map<string, string>();
  /** Streams whose local head was found in PostgreSQL's log. */
  readonly #checked = new Set<string>();

  readonly #onProgress: MirrorOptions["onProgress"];

  constructor(pool: pg.Pool, store: AncoraStore, options: MirrorOptions) {
    this.#pool = pool;
    this.#store = store;
    this.#db = connectionOf(store);
    this.#onProgress = options.onProgress;
  }

  /** A query on PostgreSQL; a failure to reach it is STORE_UNREACHABLE (never naming the URL). */
  async #query<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, values);
    } catch (cause) {
      throw new StoreError("STORE_UNREACHABLE", "The PostgreSQL log could not be read or written", {
        cause,
        hint: "Check that the server is reachable and that the role may read the log's tables and write anchors and manifests; the copy goes on from where it is.",
      });
    }
  }

  get store(): AncoraStore {
    return this.#store;
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => {});
  }

  async pull(): Promise<MirrorPull> {
    const streams = await this.#query<{
      id: number;
      name: string;
      size: number;
      head_cid: string | null;
      created_at: string;
    }>("SELECT id, name, size::float8 AS size, head_cid, created_at FROM streams ORDER BY name");
    const result: MirrorPull = { records: 0, newStreams: [], failures: [] };
    for (const remote of streams.rows) {
      this.#remoteIds.set(remote.name, remote.id);
      try {
        result.records += await this.#pullStream(remote, result);
      } catch (error) {
        if (!(error instanceof StoreError) || error.code === "STORE_UNREACHABLE") throw error;
        result.failures.push({ stream: remote.name, error });
      }
    }
    return result;
  }

  /** Copies one stream's new records; returns how many. */
  async #pullStream(
    remote: { id: number; name: string; size: number; head_cid: string | null; created_at: string },
    result: MirrorPull,
  ): Promise<number> {
    let copied = 0;
    let writer = this.#writers.get(remote.name);
    if (writer === undefined) {
      const opened = this.#openLocal(remote.name, remote.created_at);
      if (opened.created) result.newStreams.push(remote.name);
      writer = opened.writer;
      this.#writers.set(remote.name, writer);
    }
    const local = this.#store.stream(remote.name);
    let size = local.size;
    if (size > remote.size || (size === remote.size && local.head !== remote.head_cid)) {
      throw diverged(remote.name, this.#store.path, { localSize: size, postgresSize: remote.size });
    }
    if (size > 0 && size < remote.size && !this.#checked.has(remote.name)) {
      // Once per stream: the local head must be PostgreSQL's record at that seq. Later pages are held
      // to it by appendCopies (each record links to the one before).
      const at = await this.#query<{ cid: string }>(
        "SELECT cid FROM records WHERE stream_id = $1 AND seq = $2",
        [remote.id, size - 1],
      );
      if (at.rows[0]?.cid !== local.head) {
        throw diverged(remote.name, this.#store.path, { seq: size - 1, localCid: local.head });
      }
    }
    this.#checked.add(remote.name);
    while (size < remote.size) {
      const page = await this.#query<{ seq: number; cid: string; bytes: Buffer }>(
        `SELECT seq::float8 AS seq, cid, bytes FROM records
         WHERE stream_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq`,
        [remote.id, size, Math.min(remote.size, size + PAGE)],
      );
      if (page.rows[0]?.seq !== size) {
        throw new StoreError("STORE_CORRUPT", `The PostgreSQL log lacks record ${size} of "${remote.name}"`, {
          hint: "Its head claims more records than it holds: run ancora-verify --db <url> on it.",
          evidence: { stream: remote.name, seq: size, claimedSize: remote.size },
        });
      }
      writer.appendCopies(
        page.rows.map((r) => ({
          seq: r.seq,
          cid: r.cid,
          bytes: new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength),
        })),
      );
      size += page.rows.length;
      copied += page.rows.length;
      this.#onProgress?.({ stream: remote.name, size, target: remote.size });
    }
    return copied;
  }

  async push(): Promise<MirrorPush> {
    const manifests = await this.#pushManifests();
    const anchors = await this.#pushAnchors();
    return { anchors, manifests };
  }

  async pullAnchoring(): Promise<MirrorPush> {
    const anchors = await this.#pullAnchorRows();
    // Manifests are pushed with their anchors: look for new ones only when anchors came (and once at
    // first), not on every sync.
    const manifests = anchors > 0 || !this.#manifestsPulled ? await this.#pullManifests() : 0;
    this.#manifestsPulled = true;
    return { anchors, manifests };
  }

  /** Copies in the manifests PostgreSQL holds beyond the copy's largest, per stream. */
  async #pullManifests(): Promise<number> {
    let manifests = 0;
    for (const [name, writer] of this.#writers) {
      const remoteId = this.#remoteIds.get(name);
      if (remoteId === undefined) continue;
      let after = this.#db
        .prepare<[number], number>("SELECT coalesce(max(size), 0) FROM manifests WHERE stream_id = ?")
        .pluck()
        .get(writer.id) as number;
      for (;;) {
        const page = await this.#query<{ cid: string; from_seq: number; size: number; bytes: Buffer }>(
          `SELECT cid, from_seq::float8 AS from_seq, size::float8 AS size, bytes FROM manifests
           WHERE stream_id = $1 AND size > $2 ORDER BY size LIMIT ${MANIFEST_PAGE}`,
          [remoteId, after],
        );
        for (const m of page.rows) {
          const bytes = new Uint8Array(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
          if (computeCid(bytes, nodeSha256).toString() !== m.cid) continue;
          putManifest(this.#db, writer.id, { cid: m.cid, from: m.from_seq, size: m.size, bytes });
          manifests++;
        }
        if (page.rows.length < MANIFEST_PAGE) break;
        after = page.rows[page.rows.length - 1]?.size ?? after;
      }
    }
    return manifests;
  }

  /** Copies in the anchor rows PostgreSQL changed since the last call; returns how many. */
  async #pullAnchorRows(): Promise<number> {
    const since =
      this.#pulledSince === "" ? "" : new Date(Date.parse(this.#pulledSince) - PULL_SLACK_MS).toISOString();
    const remote = await this.#query<PostgresAnchorRow>(
      `SELECT a.chain_id::float8 AS chain_id, a.registry, s.name AS stream, a.size::float8 AS size, a.root,
              a.manifest_cid, a.status, a.tx_hash, a.block_number::float8 AS block_number, a.block_hash,
              a.confirmations, a.sequence::float8 AS sequence, a.anchorer, a.consistency_checked, a.updated_at
         FROM anchors a JOIN streams s ON s.id = a.stream_id WHERE a.updated_at >= $1`,
      [since],
    );
    let anchors = 0;
    this.#db.transaction(() => {
      for (const row of remote.rows) {
        if (row.updated_at > this.#pulledSince) this.#pulledSince = row.updated_at;
        const streamId = this.#writers.get(row.stream)?.id;
        const key = `${row.chain_id}/${row.registry}/${row.stream}/${row.size}`;
        const signature = JSON.stringify({ ...row, root: row.root.toString("hex") });
        if (streamId === undefined || this.#anchorsPulled.get(key) === signature) continue;
        // A confirmed anchor is what receipts are built on, with the checkpoint at its size: the copy
        // records it once it holds that many records, and only with the root of its own records.
        if (row.status === "confirmed" && !this.#checkpointAt(streamId, row.stream, row.size, row.root))
          continue;
        this.#anchorsPulled.set(key, signature);
        const at = { chainId: row.chain_id, registry: row.registry, stream: row.stream, size: row.size };
        const mine = getAnchor(this.#db, row.chain_id, row.registry, row.stream, row.size);
        upsertAnchor(
          this.#db,
          {
            streamId,
            size: row.size,
            root: new Uint8Array(row.root),
            manifestCid: row.manifest_cid,
            chainId: row.chain_id,
            registry: row.registry,
            status: row.status,
            origin: mine?.origin ?? "recognised",
            txHash: row.tx_hash,
            nonce: mine?.nonce ?? null,
            maxFee: mine?.maxFee ?? null,
            blockNumber: row.block_number,
            blockHash: row.block_hash,
            confirmations: row.confirmations,
            submittedAt: mine?.submittedAt ?? Date.parse(row.updated_at),
          },
          row.updated_at,
        );
        if (row.sequence !== null && row.anchorer !== null) {
          setAnchorLink(this.#db, at, {
            sequence: row.sequence,
            anchorer: row.anchorer,
            consistencyChecked: row.consistency_checked === true,
          });
        }
        anchors++;
      }
    })();
    return anchors;
  }

  /**
   * Whether the copy holds a checkpoint of `stream` at `size` with `root`, adding it when its records
   * reach that size and their root is `root`. False when they do not reach it yet, or give another root
   * (the anchor is then not copied: the verifier is what reports such a log).
   */
  #checkpointAt(streamId: number, stream: string, size: number, root: Buffer): boolean {
    const stored = this.#db
      .prepare<[number, number], Buffer>("SELECT root FROM checkpoints WHERE stream_id = ? AND size = ?")
      .pluck()
      .get(streamId, size);
    if (stored !== undefined) return Buffer.compare(stored, root) === 0;
    if (this.#store.stream(stream).size < size) return false;
    const local = this.#store.consistencyProof(stream, size, size).root2;
    if (Buffer.compare(Buffer.from(local), root) !== 0) return false;
    const head = this.#db
      .prepare<[number, number], string>("SELECT cid FROM records WHERE stream_id = ? AND seq = ?")
      .pluck()
      .get(streamId, size - 1);
    this.#db
      .prepare("INSERT INTO checkpoints (stream_id, size, root, head_cid, ts) VALUES (?, ?, ?, ?, ?)")
      .run(streamId, size, root, head, new Date().toISOString());
    return true;
  }

  async #pushManifests(): Promise<number> {
    let copied = 0;
    for (const [name, writer] of this.#writers) {
      const remoteId = this.#remoteIds.get(name);
      if (remoteId === undefined) continue;
      let after = this.#manifestsPushed.get(name);
      if (after === undefined) {
        const found = await this.#query<{ size: number }>(
          "SELECT coalesce(max(size), 0)::float8 AS size FROM manifests WHERE stream_id = $1",
          [remoteId],
        );
        after = found.rows[0]?.size ?? 0;
      }
      const select = this.#db.prepare<
        [number, number],
        { cid: string; from_seq: number; size: number; bytes: Buffer }
      >(
        `SELECT cid, from_seq, size, bytes FROM manifests WHERE stream_id = ? AND size > ?
         ORDER BY size LIMIT ${MANIFEST_PAGE}`,
      );
      for (;;) {
        const rows = select.all(writer.id, after);
        if (rows.length === 0) break;
        await this.#query(
          `INSERT INTO manifests (cid, stream_id, from_seq, size, bytes)
           SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bytea[])
           ON CONFLICT (cid) DO UPDATE SET bytes = EXCLUDED.bytes WHERE manifests.bytes <> EXCLUDED.bytes`,
          [
            rows.map((r) => r.cid),
            rows.map(() => remoteId),
            rows.map((r) => r.from_seq),
            rows.map((r) => r.size),
            rows.map((r) => r.bytes),
          ],
        );
        copied += rows.length;
        after = rows[rows.length - 1]?.size ?? after;
      }
      this.#manifestsPushed.set(name, after);
    }
    return copied;
  }

  async #pushAnchors(): Promise<number> {
    // Rows changed since the last push, and the ones whose chain link (sequence) is not known yet: the
    // anchorer sets it after confirming, without touching updated_at.
    const rows = this.#db
      .prepare<[string], PushedAnchorRow>(
        `SELECT a.chain_id, a.registry, s.name AS stream, a.size, a.root, a.manifest_cid, a.status, a.tx_hash,
                a.block_number, a.block_hash, a.confirmations, a.sequence, a.anchorer, a.consistency_checked,
                a.updated_at
           FROM anchors a JOIN streams s ON s.id = a.stream_id
          WHERE a.updated_at >= ? OR a.sequence IS NULL`,
      )
      .all(this.#anchorsSince);
    const changed = rows.filter((row) => {
      const key = `${row.chain_id}/${row.registry}/${row.stream}/${row.size}`;
      const signature = JSON.stringify({ ...row, root: row.root.toString("hex") });
      if (this.#anchorsPushed.get(key) === signature || !this.#remoteIds.has(row.stream)) return false;
      this.#anchorsPushed.set(key, signature);
      return true;
    });
    for (const row of rows) if (row.updated_at > this.#anchorsSince) this.#anchorsSince = row.updated_at;
    if (changed.length === 0) return 0;
    await this.#query(
      `INSERT INTO anchors (chain_id, registry, stream_id, size, root, manifest_cid, status, tx_hash, block_number,
          block_hash, confirmations, sequence, anchorer, consistency_checked, updated_at)
       SELECT u.*, ${PG_NOW} FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], $5::bytea[], $6::text[],
          $7::text[], $8::text[], $9::bigint[], $10::text[], $11::int[], $12::bigint[], $13::text[], $14::boolean[]) AS u
       ON CONFLICT (chain_id, registry, stream_id, size) DO UPDATE SET root = EXCLUDED.root,
          manifest_cid = EXCLUDED.manifest_cid, status = EXCLUDED.status, tx_hash = EXCLUDED.tx_hash,
          block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,
          confirmations = EXCLUDED.confirmations, sequence = EXCLUDED.sequence, anchorer = EXCLUDED.anchorer,
          consistency_checked = EXCLUDED.consistency_checked, updated_at = EXCLUDED.updated_at`,
      // updated_at is when PostgreSQL took the row (its own clock), so that replicas copying anchors
      // back (pullAnchoring) find every change after the last one they saw.
      [
        changed.map((r) => r.chain_id),
        changed.map((r) => r.registry),
        changed.map((r) => this.#remoteIds.get(r.stream)),
        changed.map((r) => r.size),
        changed.map((r) => r.root),
        changed.map((r) => r.manifest_cid),
        changed.map((r) => r.status),
        changed.map((r) => r.tx_hash),
        changed.map((r) => r.block_number),
        changed.map((r) => r.block_hash),
        changed.map((r) => r.confirmations),
        changed.map((r) => r.sequence),
        changed.map((r) => r.anchorer),
        changed.map((r) => (r.consistency_checked === null ? null : r.consistency_checked === 1)),
      ],
    );
    return changed.length;
  }

  /** The local stream `name`, created empty (its genesis comes from PostgreSQL) when missing. */
  #openLocal(name: string, createdAt: string): { writer: StreamWriter; created: boolean } {
    const found = this.#db
      .prepare<[string], number>("SELECT id FROM streams WHERE name = ?")
      .pluck()
      .get(name);
    const id = found ?? insertStreamRow(this.#db, name, createdAt);
    return {
      writer: new StreamWriter(this.#db, id, name, () => new Date(createdAt)),
      created: found === undefined,
    };
  }
}
