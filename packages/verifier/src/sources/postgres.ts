/**
 * A log kept in PostgreSQL (the SDK's PostgreSQL store) as an {@link AsyncRecordSource}: each stream's
 * records read in pages by seq (keyset pagination, one REPEATABLE READ snapshot for the whole
 * verification), with the leaf hashes of the full Merkle tiles merged in, and the stream's head. A
 * role with SELECT on the store's tables is enough (docs/operations.md, "The auditor's role"). From
 * schema version 2 on, the log's anchors and manifests too, read in the same snapshot: a
 * {@link PostgresLog} is an {@link AsyncLocalLog} that `verifyAgainstChain` checks against the chain.
 * The `pg` driver is an optional peer of the verifier ({@link POSTGRES_PACKAGES}), loaded on first use.
 */
import { CompactRange, type CompactRangeState, HASH_SIZE, TILE_WIDTH } from "@ancora/core";
import type pg from "pg";
import { SourceError } from "../errors.js";
import { importOptional, POSTGRES_PACKAGES } from "../optional-dependency.js";
import type { AsyncRecordSource, StoredCheckpoint, StoredHead, StoredRecord } from "../source.js";
import { anchorFromRow } from "./anchor-rows.js";
import { nodeSha256 } from "./node-sha256.js";
import { ReadRecord } from "./text-record.js";
import type { AsyncLocalLog, LocalAnchor, LocalManifest } from "./types.js";

/** Records per page: large enough to amortise a round trip, small enough to bound memory. */
const PAGE = 5_000;

/**
 * The highest PostgreSQL store schema version this verifier reads. Version 2 (Ancora 0.1.0,
 * 2026-12) added the `anchors` and `manifests` tables; a version-1 log has neither, so its anchors
 * and manifests are empty.
 */
export const MAX_POSTGRES_SCHEMA = 2;

/** The first schema version with the `anchors` and `manifests` tables. */
const ANCHORING_SCHEMA = 2;

/** A PostgreSQL log opened for verification: locally (`source`) or against the chain (as a whole). */
export interface PostgresLog extends AsyncLocalLog {
  readonly source: AsyncRecordSource;
  /** The log's anchors of a stream, ascending by size (empty before schema version 2). */
  anchors(stream: string): Promise<LocalAnchor[]>;
  /** The log's manifests of a stream, ascending by size (empty before schema version 2). */
  manifests(stream: string): Promise<LocalManifest[]>;
  /** Ends the snapshot and the connection. */
  close(): Promise<void>;
}

/** Whether `location` is a PostgreSQL connection string rather than a file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The connection string without its password, for messages. */
function redacted(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

function unreachable(url: string, cause: unknown): SourceError {
  return new SourceError("SOURCE_UNREACHABLE", "The PostgreSQL log could not be read", {
    cause,
    hint: "Check the connection string, that the server is reachable, and that the role may SELECT from the store's tables.",
    evidence: { url: redacted(url) },
  });
}

/**
 * Opens the PostgreSQL log at `url` for verification, in one read-only REPEATABLE READ transaction
 * (every record, tile and head is read from the same snapshot, while writers go on).
 *
 * @throws {OptionalDependencyError} when `pg` is not installed.
 * @throws {SourceError} `SOURCE_UNREACHABLE`, or `SOURCE_UNSUPPORTED_VERSION` for a newer schema.
 * @example
 * ```ts
 * const log = await openPostgresLog("postgres://auditor@db.example.org/ancora");
 * const result = await verifyStreamAsync(log.source, "credit");
 * await log.close();
 * ```
 */
export async function openPostgresLog(url: string): Promise<PostgresLog> {
  const { default: driver } = await importOptional(
    "Reading a PostgreSQL log",
    POSTGRES_PACKAGES,
    () => import("pg"),
  );
  const client: pg.Client = new driver.Client({ connectionString: url });
  // A connection the server drops while idle is reported by the next query (SOURCE_UNREACHABLE); without a
  // listener, node-postgres would throw the event as an uncaught error.
  client.on("error", () => {});
  let ids: Map<string, number>;
  let version: number;
  try {
    await client.connect();
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    version = Number(
      (await client.query<{ value: string }>("SELECT value FROM ancora_meta WHERE key = 'schema_version'"))
        .rows[0]?.value ?? 0,
    );
    if (version > MAX_POSTGRES_SCHEMA) {
      await client.end().catch(() => {});
      throw new SourceError(
        "SOURCE_UNSUPPORTED_VERSION",
        "The PostgreSQL log has a newer schema than this verifier reads",
        {
          hint: "Upgrade @ancora/verifier.",
          evidence: { version, supported: MAX_POSTGRES_SCHEMA },
        },
      );
    }
    const rows = await client.query<{ id: number; name: string }>(
      "SELECT id, name FROM streams ORDER BY name",
    );
    ids = new Map(rows.rows.map((r) => [r.name, r.id]));
  } catch (error) {
    await client.end().catch(() => {});
    if (error instanceof SourceError) throw error;
    throw unreachable(url, error);
  }
  const idOf = (stream: string): number => {
    const id = ids.get(stream);
    if (id === undefined) {
      throw new SourceError("SOURCE_NOT_FOUND", "The PostgreSQL log has no such stream", {
        hint: "List the log's streams with streams().",
        evidence: { url: redacted(url), stream },
      });
    }
    return id;
  };
  const query = async <R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<R[]> => {
    try {
      return (await client.query<R>(sql, values)).rows;
    } catch (error) {
      throw unreachable(url, error);
    }
  };
  const head = async (stream: string): Promise<StoredHead | undefined> => {
    const [row] = await query<{ size: number; head_cid: string | null; tree_state: string }>(
      "SELECT size::float8 AS size, head_cid, tree_state FROM streams WHERE id = $1",
      [idOf(stream)],
    );
    if (row === undefined) return undefined;
    let root: Uint8Array | undefined;
    try {
      const tree = CompactRange.fromState(JSON.parse(row.tree_state) as CompactRangeState, nodeSha256);
      root = tree.size === 0 ? undefined : tree.root();
    } catch {
      root = undefined; // an unreadable state: the head's size and CID are still checked
    }
    return { size: row.size, head: row.head_cid, ...(root === undefined ? {} : { root }) };
  };
  async function* records(stream: string): AsyncGenerator<StoredRecord> {
    const id = idOf(stream);
    const claimed = (await head(stream))?.size ?? 0;
    /** Below this seq every leaf must be in a stored (full) level-0 tile. */
    const tiledBelow = Math.floor(claimed / TILE_WIDTH) * TILE_WIDTH;
    let from = 0;
    let tile: { index: number; hashes: Uint8Array | undefined } = { index: -1, hashes: undefined };
    for (;;) {
      // encode(bytes, 'escape') writes zero bytes and bytes with the high bit set as \nnn and doubles
      // backslashes, every other byte as itself: when it is as long as the bytes, it is exactly them
      // (ASCII), and the row travels as that text instead of hex, and skips the bytea parser.
      const page = await query<{
        seq: number;
        text: string | null;
        bytes: Buffer | null;
        cid: string;
        kind: string;
        label: string | null;
        model_id: string | null;
        model_version: string | null;
        ts: string;
      }>(
        `SELECT seq, CASE WHEN length(t) = octet_length(bytes) THEN t END AS text,
                CASE WHEN length(t) = octet_length(bytes) THEN NULL ELSE bytes END AS bytes,
                cid, kind, label, model_id, model_version, ts
           FROM (SELECT seq::float8 AS seq, bytes, encode(bytes, 'escape') AS t, cid, kind, label,
                        model_id, model_version, ts
                   FROM records WHERE stream_id = $1 AND seq >= $2 ORDER BY seq LIMIT ${PAGE}) AS page
          ORDER BY seq`,
        [id, from],
      );
      for (const r of page) {
        const at = Math.floor(r.seq / TILE_WIDTH);
        if (at !== tile.index) {
          const [stored] = await query<{ hashes: Buffer }>(
            "SELECT hashes FROM merkle_tiles WHERE stream_id = $1 AND level = 0 AND idx = $2",
            [id, at],
          );
          tile = { index: at, hashes: stored === undefined ? undefined : new Uint8Array(stored.hashes) };
        }
        const offset = (r.seq - at * TILE_WIDTH) * HASH_SIZE;
        const record = new ReadRecord(
          r.seq,
          r.text ?? undefined,
          r.text === null ? plainBytes(r.bytes ?? Buffer.alloc(0)) : undefined,
          r.cid,
          r.kind,
          r.label,
          r.model_id,
          r.model_version,
          r.ts,
        );
        if (tile.hashes !== undefined && tile.hashes.length >= offset + HASH_SIZE) {
          record.leafHash = tile.hashes.subarray(offset, offset + HASH_SIZE);
        } else if (r.seq < tiledBelow) {
          record.leafHash = null;
        }
        yield record;
      }
      if (page.length < PAGE) return;
      from = (page[page.length - 1]?.seq ?? from) + 1;
    }
  }
  const anchors = async (stream: string): Promise<LocalAnchor[]> => {
    const id = ids.get(stream);
    if (id === undefined || version < ANCHORING_SCHEMA) return [];
    // bigints as float8: exact below 2^53, and unsafe (so invalid) above; the flag as 0 or 1.
    const rows = await query<Record<string, unknown>>(
      `SELECT chain_id::float8 AS chain_id, registry, size::float8 AS size, root, manifest_cid, status,
              tx_hash, block_number::float8 AS block_number, sequence::float8 AS sequence, anchorer,
              consistency_checked::int AS consistency_checked
         FROM anchors WHERE stream_id = $1 ORDER BY size, chain_id, registry`,
      [id],
    );
    const where = { url: redacted(url) };
    return rows.map((row) => anchorFromRow(row, stream, { links: true, where }));
  };
  const manifests = async (stream: string): Promise<LocalManifest[]> => {
    const id = ids.get(stream);
    if (id === undefined || version < ANCHORING_SCHEMA) return [];
    const rows = await query<{ cid: string; bytes: Buffer }>(
      "SELECT cid, bytes FROM manifests WHERE stream_id = $1 ORDER BY size, from_seq, cid",
      [id],
    );
    return rows.map((r) => ({ stream, cid: r.cid, bytes: plainBytes(r.bytes) }));
  };
  return {
    streams: () => [...ids.keys()].sort(),
    anchors,
    manifests,
    source: {
      records,
      checkpoints: (): StoredCheckpoint[] => [],
      head,
    },
    close: async () => {
      await client.query("COMMIT").catch(() => {});
      await client.end().catch(() => {});
    },
  };
}

function plainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
