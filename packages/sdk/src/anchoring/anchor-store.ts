/**
 * The anchoring tables (schema v2: `anchors`, `manifests`) and the few outbox updates the anchorer
 * needs beyond the store's public outbox API. Package-internal: the public surface is the Anchorer,
 * `store.anchors()` and `store.receipt()`.
 */
import type Database from "better-sqlite3";

export type AnchorStatus = "submitted" | "confirmed" | "dropped";

/** A checkpoint anchored in a registry, as the store records it. */
export interface AnchoredCheckpoint {
  stream: string;
  size: number;
  root: Uint8Array;
  /** CID of the batch manifest the anchor committed. */
  manifestCid: string;
  chainId: number;
  /** Registry address, lowercase 0x-hex. */
  registry: string;
  status: AnchorStatus;
  /** `submitted` by this store's anchorer, or `recognised` on chain (anchored by another process). */
  origin: "submitted" | "recognised";
  txHash: string;
  nonce: number | null;
  blockNumber: number | null;
  blockHash: string | null;
  /** Confirmations seen when last checked (1 = in the latest block). */
  confirmations: number;
  /**
   * The anchor's link fields from its `CheckpointAnchored` event (schema v3): with size, root, manifest
   * and block they are every input of the registry's chained head. `null` until the anchor is confirmed
   * and its event read.
   */
  sequence: number | null;
  anchorer: string | null;
  consistencyChecked: boolean | null;
}

/** An `anchors` row with its stream's name, as SQLite returns it. */
export interface AnchorRow {
  chain_id: number;
  registry: string;
  stream: string;
  size: number;
  root: Buffer;
  manifest_cid: string;
  status: AnchorStatus;
  origin: "submitted" | "recognised";
  tx_hash: string;
  nonce: number | null;
  max_fee: string | null;
  block_number: number | null;
  block_hash: string | null;
  confirmations: number;
  submitted_at: number;
  sequence: number | null;
  anchorer: string | null;
  consistency_checked: number | null;
}

const SELECT = `SELECT a.chain_id, a.registry, s.name AS stream, a.size, a.root, a.manifest_cid, a.status, a.origin,
  a.tx_hash, a.nonce, a.max_fee, a.block_number, a.block_hash, a.confirmations, a.submitted_at,
  a.sequence, a.anchorer, a.consistency_checked
  FROM anchors a JOIN streams s ON s.id = a.stream_id`;

export interface AnchorRecord extends AnchoredCheckpoint {
  maxFee: bigint | null;
  submittedAt: number;
}

function fromRow(r: AnchorRow): AnchorRecord {
  return {
    stream: r.stream,
    size: r.size,
    root: new Uint8Array(r.root),
    manifestCid: r.manifest_cid,
    chainId: r.chain_id,
    registry: r.registry,
    status: r.status,
    origin: r.origin,
    txHash: r.tx_hash,
    nonce: r.nonce,
    blockNumber: r.block_number,
    blockHash: r.block_hash,
    confirmations: r.confirmations,
    sequence: r.sequence,
    anchorer: r.anchorer,
    consistencyChecked: r.consistency_checked === null ? null : r.consistency_checked === 1,
    maxFee: r.max_fee === null ? null : BigInt(r.max_fee),
    submittedAt: r.submitted_at,
  };
}

export function streamIdOf(db: Database.Database, stream: string): number | undefined {
  return db.prepare<[string], number>("SELECT id FROM streams WHERE name = ?").pluck().get(stream);
}

/** The anchors of a stream, of one chain, registry and status when given. */
const OF_STREAM = `WHERE s.name = @stream AND (@chainId IS NULL OR a.chain_id = @chainId)
         AND (@registry IS NULL OR a.registry = @registry) AND (@status IS NULL OR a.status = @status)`;

type AnchorFilter = { chainId?: number; registry?: string; status?: AnchorStatus };

function filterParams(stream: string, where: AnchorFilter) {
  return {
    stream,
    chainId: where.chainId ?? null,
    registry: where.registry ?? null,
    status: where.status ?? null,
  };
}

/** Anchors of a stream (optionally of one registry), by size. */
export function listAnchors(db: Database.Database, stream: string, where: AnchorFilter = {}): AnchorRecord[] {
  return db
    .prepare<[ReturnType<typeof filterParams>], AnchorRow>(`${SELECT} ${OF_STREAM} ORDER BY a.size`)
    .all(filterParams(stream, where))
    .map(fromRow);
}

/** The largest anchor of a stream that {@link listAnchors} would list, without reading the others. */
export function latestAnchor(
  db: Database.Database,
  stream: string,
  where: AnchorFilter = {},
): AnchorRecord | undefined {
  const row = db
    .prepare<[ReturnType<typeof filterParams>], AnchorRow>(
      `${SELECT} ${OF_STREAM} ORDER BY a.size DESC LIMIT 1`,
    )
    .get(filterParams(stream, where));
  return row === undefined ? undefined : fromRow(row);
}

export function getAnchor(
  db: Database.Database,
  chainId: number,
  registry: string,
  stream: string,
  size: number,
): AnchorRecord | undefined {
  const row = db
    .prepare<[number, string, string, number], AnchorRow>(
      `${SELECT} WHERE a.chain_id = ? AND a.registry = ? AND s.name = ? AND a.size = ?`,
    )
    .get(chainId, registry, stream, size);
  return row === undefined ? undefined : fromRow(row);
}

/** Confirmed anchors whose block is at or after `fromBlock` (the ones a reorg could still remove). */
export function recentConfirmed(
  db: Database.Database,
  chainId: number,
  registry: string,
  fromBlock: number,
): AnchorRecord[] {
  return db
    .prepare<[number, string, number], AnchorRow>(
      `${SELECT} WHERE a.chain_id = ? AND a.registry = ? AND a.status = 'confirmed' AND a.block_number >= ?
         ORDER BY a.size`,
    )
    .all(chainId, registry, fromBlock)
    .map(fromRow);
}

export function upsertAnchor(
  db: Database.Database,
  a: Omit<AnchorRecord, "stream" | "sequence" | "anchorer" | "consistencyChecked"> & { streamId: number },
  now: string,
): void {
  db.prepare(
    `INSERT INTO anchors (chain_id, registry, stream_id, size, root, manifest_cid, status, origin, tx_hash, nonce,
        max_fee, block_number, block_hash, confirmations, submitted_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (chain_id, registry, stream_id, size) DO UPDATE SET root = excluded.root,
       manifest_cid = excluded.manifest_cid, status = excluded.status, origin = excluded.origin,
       tx_hash = excluded.tx_hash, nonce = excluded.nonce, max_fee = excluded.max_fee,
       block_number = excluded.block_number, block_hash = excluded.block_hash,
       confirmations = excluded.confirmations, submitted_at = excluded.submitted_at, updated_at = excluded.updated_at`,
  ).run(
    a.chainId,
    a.registry,
    a.streamId,
    a.size,
    a.root,
    a.manifestCid,
    a.status,
    a.origin,
    a.txHash,
    a.nonce,
    a.maxFee === null ? null : a.maxFee.toString(),
    a.blockNumber,
    a.blockHash,
    a.confirmations,
    a.submittedAt,
    now,
  );
}

export function updateAnchorState(
  db: Database.Database,
  key: { chainId: number; registry: string; stream: string; size: number },
  state: {
    status: AnchorStatus;
    blockNumber: number | null;
    blockHash: string | null;
    confirmations: number;
  },
  now: string,
): void {
  db.prepare(
    `UPDATE anchors SET status = ?, block_number = ?, block_hash = ?, confirmations = ?, updated_at = ?
       WHERE chain_id = ? AND registry = ? AND size = ? AND stream_id = (SELECT id FROM streams WHERE name = ?)`,
  ).run(
    state.status,
    state.blockNumber,
    state.blockHash,
    state.confirmations,
    now,
    key.chainId,
    key.registry,
    key.size,
    key.stream,
  );
}

/** The link fields of an anchor's `CheckpointAnchored` event (see {@link AnchoredCheckpoint.sequence}). */
export interface AnchorLinkFields {
  sequence: number;
  anchorer: string;
  consistencyChecked: boolean;
}

/** Records the link fields of a confirmed anchor, read from its event. */
export function setAnchorLink(
  db: Database.Database,
  key: { chainId: number; registry: string; stream: string; size: number },
  link: AnchorLinkFields,
): void {
  db.prepare(
    `UPDATE anchors SET sequence = ?, anchorer = ?, consistency_checked = ?
       WHERE chain_id = ? AND registry = ? AND size = ? AND stream_id = (SELECT id FROM streams WHERE name = ?)`,
  ).run(
    link.sequence,
    link.anchorer.toLowerCase(),
    link.consistencyChecked ? 1 : 0,
    key.chainId,
    key.registry,
    key.size,
    key.stream,
  );
}

/** Confirmed anchors of a registry whose link fields are not known yet (rows from before schema v3). */
export function anchorsWithoutLink(
  db: Database.Database,
  chainId: number,
  registry: string,
  limit: number,
): AnchorRecord[] {
  return db
    .prepare<[number, string, number], AnchorRow>(
      `${SELECT} WHERE a.chain_id = ? AND a.registry = ? AND a.status = 'confirmed' AND a.sequence IS NULL
         ORDER BY a.size LIMIT ?`,
    )
    .all(chainId, registry, limit)
    .map(fromRow);
}

/** Stores a manifest block (idempotent: the CID is the key). */
export function putManifest(
  db: Database.Database,
  streamId: number,
  m: { cid: string; from: number; size: number; bytes: Uint8Array },
): void {
  // A manifest is named by the hash of its bytes: a stored row whose bytes differ was damaged, and
  // bytes just built from the records that hash to the same CID replace them.
  db.prepare(
    `INSERT INTO manifests (cid, stream_id, from_seq, size, bytes) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (cid) DO UPDATE SET bytes = excluded.bytes WHERE manifests.bytes IS NOT excluded.bytes`,
  ).run(m.cid, streamId, m.from, m.size, m.bytes);
}

/** Whether the store holds manifest `cid` for that stream and range (its bytes are not read). */
export function manifestStored(
  db: Database.Database,
  cid: string,
  streamId: number,
  range: { from: number; size: number },
): boolean {
  const row = db
    .prepare<[string], { streamId: number; from: number; size: number }>(
      'SELECT stream_id AS streamId, from_seq AS "from", size FROM manifests WHERE cid = ?',
    )
    .get(cid);
  return row !== undefined && row.streamId === streamId && row.from === range.from && row.size === range.size;
}

export function getManifestBytes(db: Database.Database, cid: string): Uint8Array | undefined {
  const bytes = db.prepare<[string], Buffer>("SELECT bytes FROM manifests WHERE cid = ?").pluck().get(cid);
  return bytes === undefined ? undefined : new Uint8Array(bytes);
}

/** Not-done jobs of a kind: how many, and the oldest creation time. */
export function jobBacklog(
  db: Database.Database,
  kind: string,
): { pending: number; oldestCreatedAt: string | null; failing: number } {
  const row = db
    .prepare<[string], { pending: number; oldest: string | null; failing: number }>(
      `SELECT count(*) AS pending, min(created_at) AS oldest, coalesce(sum(attempts > 0), 0) AS failing
         FROM outbox WHERE done_at IS NULL AND kind = ?`,
    )
    .get(kind);
  return { pending: row?.pending ?? 0, oldestCreatedAt: row?.oldest ?? null, failing: row?.failing ?? 0 };
}

/** Whether an unfinished anchor job for (stream, size) exists. */
export function hasPendingAnchorJob(db: Database.Database, streamId: number, size: number): boolean {
  return (
    db
      .prepare<[number, number], number>(
        `SELECT 1 FROM outbox WHERE done_at IS NULL AND kind = 'anchor' AND stream_id = ?
           AND json_extract(payload, '$.size') = ? LIMIT 1`,
      )
      .pluck()
      .get(streamId, size) !== undefined
  );
}

/** The latest checkpoint size of a stream, 0 if none. */
export function latestCheckpointSize(db: Database.Database, streamId: number): number {
  return (
    db
      .prepare<[number], number | null>("SELECT max(size) FROM checkpoints WHERE stream_id = ?")
      .pluck()
      .get(streamId) ?? 0
  );
}

/** The timestamp of record `seq` (the oldest record not yet checkpointed), in ms since the epoch. */
export function recordTime(db: Database.Database, streamId: number, seq: number): number | undefined {
  const ts = db
    .prepare<[number, number], string>("SELECT ts FROM records WHERE stream_id = ? AND seq = ?")
    .pluck()
    .get(streamId, seq);
  return ts === undefined ? undefined : Date.parse(ts);
}

/** CIDs of records from … size − 1, in seq order. */
export function recordCids(db: Database.Database, streamId: number, from: number, size: number): string[] {
  return db
    .prepare<[number, number, number], string>(
      "SELECT cid FROM records WHERE stream_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
    )
    .pluck()
    .all(streamId, from, size);
}

/** An unfinished anchor job of one stream, with the checkpoint size it anchors. */
export interface OpenAnchorJob {
  id: number;
  size: number;
  attempts: number;
  nextAttemptAt: number;
}

/** The unfinished anchor jobs of a stream, oldest first. */
export function openAnchorJobs(db: Database.Database, streamId: number): OpenAnchorJob[] {
  return db
    .prepare<[number], OpenAnchorJob>(
      `SELECT id, json_extract(payload, '$.size') AS size, attempts, next_attempt_at AS nextAttemptAt
         FROM outbox WHERE done_at IS NULL AND kind = 'anchor' AND stream_id = ? ORDER BY id`,
    )
    .all(streamId);
}

/** Marks jobs done in one transaction (one turn of the write lock, one fsync). */
export function completeJobs(db: Database.Database, ids: readonly number[], at: string): void {
  if (ids.length === 0) return;
  const done = db.prepare<[string, number]>("UPDATE outbox SET done_at = ? WHERE id = ? AND done_at IS NULL");
  db.transaction(() => {
    for (const id of ids) done.run(at, id);
  })();
}

/**
 * The jobs of `kind` (of the given streams, or all) whose last failure says their service was
 * unreachable, and that wait for a later retry: the failures of an outage. `transient` is a SQL
 * condition on `last_error` (see each caller).
 */
const BACKED_OFF = (transient: string) =>
  `done_at IS NULL AND kind = @kind AND attempts > 0 AND next_attempt_at > @at AND (${transient})
     AND (@streams IS NULL OR stream_id IN
       (SELECT id FROM streams WHERE name IN (SELECT value FROM json_each(@streams))))`;

/**
 * Makes the jobs that an outage backed off due at `at`, with their attempts reset (the backoff of an
 * outage ends with it). Reads first, so a pass with nothing to reset never takes the write lock.
 * Returns how many jobs were reset.
 */
export function retryBackedOffJobs(
  db: Database.Database,
  where: { kind: string; at: number; transient: string; streams?: readonly string[] },
): number {
  const params = {
    kind: where.kind,
    at: where.at,
    streams: where.streams === undefined ? null : JSON.stringify(where.streams),
  };
  const waiting = db
    .prepare<[typeof params], number>(`SELECT count(*) FROM outbox WHERE ${BACKED_OFF(where.transient)}`)
    .pluck()
    .get(params);
  if (!waiting) return 0;
  return db
    .prepare<[typeof params]>(
      `UPDATE outbox SET attempts = 0, next_attempt_at = @at WHERE ${BACKED_OFF(where.transient)}`,
    )
    .run(params).changes;
}
