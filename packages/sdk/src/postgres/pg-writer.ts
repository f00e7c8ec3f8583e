/**
 * Appends to a stream kept in PostgreSQL, from any number of processes on any number of machines.
 *
 * Each transaction locks the stream's head row (`SELECT … FOR UPDATE`) before reading it, so appends
 * to one stream are serialised inside the database: seq and prev always come from the committed head,
 * and two writers never fork the chain, skip or repeat a seq. Within a process, entries that arrive
 * while a transaction is running wait and go together in the next one (group commit). A transaction
 * commits with `synchronous_commit` as the server has it (on by default): an acknowledged entry is
 * durable in PostgreSQL. The records, tiles and head are exactly what the SQLite writer writes for the
 * same entries (both run append-plan.ts).
 */
import { CompactRange, decodeRecord, type GenesisBody, parseBlockCid, TILE_WIDTH } from "@ancora/core";
import type pg from "pg";
import { StoreError, StreamUnknownError } from "../errors.js";
import {
  type Clock,
  type Entry,
  type HeadRow,
  type Outcome,
  type PlannedRow,
  partialTileSpots,
  planAppend,
  type StreamState,
  streamState,
} from "../internal/append-plan.js";
import { DEFAULT_MAX_BATCH } from "../logger-options.js";

const HEAD_SQL =
  "SELECT size::float8 AS size, head_cid, tree_state, config_seq::float8 AS config_seq FROM streams WHERE id = $1";

const INSERT_RECORDS = `INSERT INTO records
  (stream_id, seq, cid, kind, ts, label, model_id, model_version, bytes, salt_input, salt_output)
  SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::bytea[], $11::bytea[])`;

const PUT_TILE = `INSERT INTO merkle_tiles (stream_id, level, idx, hashes, mids) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (stream_id, level, idx) DO UPDATE SET hashes = EXCLUDED.hashes, mids = EXCLUDED.mids`;

/** What {@link PgWriter.appendAcross} did: committed, or rolled back (an entry failed, or a stream is missing). */
export interface AcrossResult<T> {
  committed: boolean;
  /** The group whose stream does not exist (and was not to be created), when that rolled it back. */
  missing?: number;
  /** Per group, per entry (the genesis of a created stream excluded). */
  outcomes: Outcome<T>[][];
  /** Per group: the stream's size before, after, and its head CID after. */
  heads: Array<{ before: number; size: number; head: string }>;
}

/** The entry of a new stream's genesis record. */
function genesisEntry(body: GenesisBody): Entry<undefined> {
  return { build: () => [{ kind: "genesis", body }], done: () => undefined };
}

interface Pending<T> {
  entry: Entry<T>;
  resolve: (outcome: Outcome<T>) => void;
}

/** Writes the streams of one PostgreSQL database through a connection pool. */
export class PgWriter {
  readonly #pool: pg.Pool;
  readonly #clock: Clock;
  /** Per stream: entries waiting for the next transaction, and whether one is running. */
  readonly #queues = new Map<number, { pending: Pending<unknown>[]; running: boolean }>();
  /** Per stream: the state after this process's last commit (reused when the head is unchanged). */
  readonly #states = new Map<number, StreamState>();
  /** The streams' transaction loops running now. */
  readonly #draining = new Set<Promise<void>>();

  /** Entries per transaction at most (the logger's `groupCommit.maxBatch`). */
  readonly #maxBatch: number;

  constructor(pool: pg.Pool, clock: Clock = () => new Date(), maxBatch = DEFAULT_MAX_BATCH) {
    this.#pool = pool;
    this.#clock = clock;
    this.#maxBatch = maxBatch;
  }

  /**
   * The id of stream `name`, creating it with its genesis record when `genesis` is given and it does
   * not exist yet (two processes creating it at once create it once).
   */
  async openStream(name: string, genesis: GenesisBody | undefined): Promise<number> {
    const found = await this.#pool.query<{ id: number }>("SELECT id FROM streams WHERE name = $1", [name]);
    if (found.rows[0] !== undefined) return found.rows[0].id;
    if (genesis === undefined) throw new StreamUnknownError(name);
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      // Given a genesis, #openIn always finds or creates the row.
      const opened = (await this.#openIn(client, name, genesis)) as { id: number; created: boolean };
      if (opened.created) {
        const [outcome] = await this.#appendOn(client, opened.id, name, [genesisEntry(genesis)]);
        if (outcome?.ok !== true) throw outcome?.error;
      }
      await client.query("COMMIT");
      return opened.id;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * All or nothing across streams: appends each group's entries to its stream (created, with its
   * genesis, when missing and `genesis` is given) in ONE transaction. Streams are locked in name order,
   * so two such batches never deadlock. When an entry fails, the transaction is rolled back and its
   * group's outcomes say which; a failure of the database is a StoreError (STORE_WRITE_FAILED).
   */
  async appendAcross<T>(
    groups: ReadonlyArray<{ name: string; genesis: GenesisBody | undefined; entries: readonly Entry<T>[] }>,
  ): Promise<AcrossResult<T>> {
    const order = groups
      .map((_, i) => i)
      .sort((a, b) => (groups[a]?.name ?? "").localeCompare(groups[b]?.name ?? ""));
    const outcomes: Outcome<T>[][] = groups.map(() => []);
    const heads: AcrossResult<T>["heads"] = groups.map(() => ({ before: 0, size: 0, head: "" }));
    const touched: number[] = [];
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      await client.query("BEGIN");
      for (const g of order) {
        const group = groups[g] as (typeof groups)[number];
        const opened = await this.#openIn(client, group.name, group.genesis);
        if (opened === undefined) {
          await client.query("ROLLBACK");
          return { committed: false, missing: g, outcomes, heads };
        }
        touched.push(opened.id);
        const before = opened.created
          ? 0
          : Number((await client.query<HeadRow>(`${HEAD_SQL} FOR UPDATE`, [opened.id])).rows[0]?.size ?? 0);
        const first = opened.created ? [genesisEntry(group.genesis as GenesisBody) as Entry<T>] : [];
        const all = await this.#appendOn(client, opened.id, group.name, [...first, ...group.entries]);
        outcomes[g] = all.slice(first.length);
        const state = this.#states.get(opened.id) as StreamState;
        heads[g] = { before, size: state.size, head: state.headText ?? "" };
        if (all.some((o) => !o.ok)) {
          await client.query("ROLLBACK");
          for (const id of touched) this.#states.delete(id);
          return { committed: false, outcomes, heads };
        }
      }
      await client.query("COMMIT");
      return { committed: true, outcomes, heads };
    } catch (error) {
      for (const id of touched) this.#states.delete(id);
      await client?.query("ROLLBACK").catch(() => {});
      if (error instanceof StoreError && error.code !== "STORE_WRITE_FAILED") throw error;
      throw new StoreError(
        "STORE_WRITE_FAILED",
        "Writing the batch to PostgreSQL failed; nothing of it was written",
        {
          cause: error,
          hint: "See the cause (PostgreSQL unreachable, or the transaction failed); the transaction was rolled back.",
        },
      );
    } finally {
      client?.release();
    }
  }

  /** Inside a transaction: stream `name`'s id, creating its row when missing and `genesis` is given. */
  async #openIn(
    client: pg.ClientBase,
    name: string,
    genesis: GenesisBody | undefined,
  ): Promise<{ id: number; created: boolean } | undefined> {
    const found = await client.query<{ id: number }>("SELECT id FROM streams WHERE name = $1", [name]);
    if (found.rows[0] !== undefined) return { id: found.rows[0].id, created: false };
    if (genesis === undefined) return undefined;
    // A concurrent creator makes this wait for its commit, then conflict: the stream exists then.
    const inserted = await client.query<{ id: number }>(
      `INSERT INTO streams (name, size, head_cid, tree_state, config_seq, created_at)
       VALUES ($1, 0, NULL, $2, NULL, $3) ON CONFLICT (name) DO NOTHING RETURNING id`,
      [name, JSON.stringify(new CompactRange().state()), this.#clock().toISOString()],
    );
    if (inserted.rows[0] !== undefined) return { id: inserted.rows[0].id, created: true };
    const existing = await client.query<{ id: number }>("SELECT id FROM streams WHERE name = $1", [name]);
    return existing.rows[0] === undefined ? undefined : { id: existing.rows[0].id, created: false };
  }

  /**
   * Appends `entry` to stream `id` (named `name`) in the next transaction of that stream; resolves once
   * it is committed (or failed: an entry's own error, or a StoreError for the whole transaction).
   */
  append<T>(id: number, name: string, entry: Entry<T>): Promise<Outcome<T>> {
    return new Promise((resolve) => {
      let queue = this.#queues.get(id);
      if (queue === undefined) {
        queue = { pending: [], running: false };
        this.#queues.set(id, queue);
      }
      queue.pending.push({ entry, resolve } as Pending<unknown>);
      if (!queue.running) {
        const draining = this.#drain(id, name, queue);
        this.#draining.add(draining);
        void draining.finally(() => this.#draining.delete(draining));
      }
    });
  }

  /** Label id → current name of stream `id`, as last committed (read from the database when not cached). */
  async labels(id: number, name: string): Promise<ReadonlyMap<string, string>> {
    const cached = this.#states.get(id);
    if (cached !== undefined) return cached.labels;
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const head = (await client.query<HeadRow>(HEAD_SQL, [id])).rows[0];
      if (head === undefined) throw new StoreError("STORE_CORRUPT", `Stream "${name}" has no head row`);
      return (await loadPgState(client, id, name, head)).labels;
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
    }
  }

  /** Resolves once every entry appended so far is committed or failed. */
  async drained(): Promise<void> {
    while (this.#draining.size > 0) await Promise.all(this.#draining);
  }

  async #drain(id: number, name: string, queue: { pending: Pending<unknown>[]; running: boolean }) {
    queue.running = true;
    while (queue.pending.length > 0) {
      // At most maxBatch per transaction, so a burst never holds the stream's lock for one huge commit.
      const batch = queue.pending.splice(0, this.#maxBatch);
      const outcomes = await this.#transaction(
        id,
        name,
        batch.map((p) => p.entry),
      );
      for (let i = 0; i < batch.length; i++) batch[i]?.resolve(outcomes[i] as Outcome<unknown>);
    }
    queue.running = false;
  }

  /** One transaction of `entries`: every entry's outcome, or all failed with STORE_WRITE_FAILED. */
  async #transaction<T>(id: number, name: string, entries: readonly Entry<T>[]): Promise<Outcome<T>[]> {
    let client: pg.PoolClient | undefined;
    let committing = false;
    try {
      client = await this.#pool.connect();
      await client.query("BEGIN");
      const outcomes = await this.#appendOn(client, id, name, entries);
      committing = true;
      await client.query("COMMIT");
      return outcomes;
    } catch (error) {
      this.#states.delete(id); // the in-memory head may be ahead of what was rolled back
      await client?.query("ROLLBACK").catch(() => {});
      // A COMMIT that fails on the way (the connection lost) may have committed on the server: say so,
      // rather than "nothing was written", so that a caller checks before writing the entries again.
      const failure = committing
        ? new StoreError(
            "STORE_WRITE_FAILED",
            `The commit of stream "${name}"'s transaction got no answer; its entries may or may not be in the log`,
            {
              cause: error,
              hint: "Look the decisions up before logging them again (a retry may log one twice); see the cause.",
              evidence: { stream: name, phase: "commit" },
            },
          )
        : new StoreError("STORE_WRITE_FAILED", `Writing to stream "${name}" failed; nothing was written`, {
            cause: error,
            hint: "See the cause (PostgreSQL unreachable, or the transaction failed); the transaction was rolled back.",
            evidence: { stream: name, phase: "write" },
          });
      return entries.map(() => ({ ok: false, error: failure }));
    } finally {
      client?.release();
    }
  }

  /** The body of a transaction: lock the head, plan, write rows, tiles and head. */
  async #appendOn<T>(client: pg.ClientBase, id: number, name: string, entries: readonly Entry<T>[]) {
    const head = (await client.query<HeadRow>(`${HEAD_SQL} FOR UPDATE`, [id])).rows[0];
    if (head === undefined) throw new StoreError("STORE_CORRUPT", `Stream "${name}" has no head row`);
    let state = this.#states.get(id);
    this.#states.delete(id);
    if (state !== undefined && state.size < head.size) {
      // Another process appended since this one's last commit: catch up from its records.
      state = (await catchUp(client, state, head)) ? state : undefined;
    }
    if (state === undefined || state.size !== head.size || state.headText !== head.head_cid) {
      state = await loadPgState(client, id, name, head);
    }
    const rows: PlannedRow[] = [];
    const outcomes = planAppend(
      entries,
      state,
      this.#clock().toISOString(),
      undefined,
      (seq, cidText, columns, bytes, saltInput, saltOutput) =>
        rows.push({ seq, cidText, columns, bytes, saltInput, saltOutput }),
    );
    if (rows.length > 0) {
      await client.query(INSERT_RECORDS, [
        id,
        rows.map((r) => r.seq),
        rows.map((r) => r.cidText),
        rows.map((r) => r.columns.kind),
        rows.map((r) => r.columns.ts),
        rows.map((r) => r.columns.label),
        rows.map((r) => r.columns.modelId),
        rows.map((r) => r.columns.modelVersion),
        rows.map((r) => r.bytes),
        rows.map((r) => r.saltInput),
        rows.map((r) => r.saltOutput),
      ]);
    }
    for (const tile of state.tiles.take()) {
      await client.query(PUT_TILE, [id, tile.tileLevel, tile.index, tile.hashes, tile.mids]);
    }
    await client.query(
      "UPDATE streams SET size = $1, head_cid = $2, tree_state = $3, config_seq = $4 WHERE id = $5",
      [state.size, state.headText, JSON.stringify(state.tree.state()), state.config?.seq ?? null, id],
    );
    this.#states.set(id, state);
    return outcomes;
  }
}

/**
 * Brings `state` (this process's state after its last commit) up to `head` from the records other
 * processes appended since: their CIDs extend the tree and the tiles (which those processes stored),
 * their label and config records update labels and config. One query instead of a full reload; false
 * (and `state` unusable) when what is read does not add up to the head row, then the caller reloads.
 */
async function catchUp(client: pg.ClientBase, state: StreamState, head: HeadRow): Promise<boolean> {
  const rows = (
    await client.query<{ seq: number; cid: string; kind: string; bytes: Buffer | null }>(
      `SELECT seq::float8 AS seq, cid, kind, CASE WHEN kind IN ('label', 'config') THEN bytes END AS bytes
       FROM records WHERE stream_id = $1 AND seq >= $2 ORDER BY seq`,
      [state.id, state.size],
    )
  ).rows;
  if (rows.length !== head.size - state.size) return false;
  const leaves: Uint8Array[] = [];
  for (const row of rows) {
    const cid = parseBlockCid(row.cid);
    if (cid === undefined || row.seq !== state.size + leaves.length) return false;
    leaves.push(cid.bytes);
    if (row.bytes !== null) {
      const record = decodeRecord(row.bytes);
      if (record.kind === "label") state.labels.set(record.body.id, record.body.name);
      if (record.kind === "config") state.config = { cid, seq: row.seq, body: record.body };
    }
    state.head = cid;
    state.headText = row.cid;
  }
  state.tiles.add(state.tree.appendLeaves(leaves).nodes);
  state.tiles.take(); // stored by the processes that appended them
  state.size = head.size;
  return state.headText === head.head_cid && JSON.stringify(state.tree.state()) === head.tree_state;
}

/** A stream's full state from PostgreSQL, read in the caller's transaction. */
async function loadPgState(
  client: pg.ClientBase,
  id: number,
  name: string,
  head: HeadRow,
): Promise<StreamState> {
  const bytesAt = async (seq: number) =>
    (
      await client.query<{ bytes: Buffer }>("SELECT bytes FROM records WHERE stream_id = $1 AND seq = $2", [
        id,
        seq,
      ])
    ).rows[0]?.bytes;
  const labels = await client.query<{ bytes: Buffer }>(
    "SELECT bytes FROM records WHERE stream_id = $1 AND kind = 'label' ORDER BY seq",
    [id],
  );
  const partials = [];
  for (const { level, index } of partialTileSpots(head.size)) {
    if (level === 0) {
      const cids = await client.query<{ cid: string }>(
        "SELECT cid FROM records WHERE stream_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq",
        [id, index * TILE_WIDTH, head.size],
      );
      partials.push({ cids: cids.rows.map((r) => r.cid) });
    } else {
      const tile = await client.query<{ hashes: Buffer; mids: Buffer }>(
        "SELECT hashes, mids FROM merkle_tiles WHERE stream_id = $1 AND level = $2 AND idx = $3",
        [id, level, index],
      );
      partials.push(tile.rows[0]);
    }
  }
  return streamState(id, name, head, {
    configBytes: head.config_seq === null ? undefined : await bytesAt(head.config_seq),
    labelRecords: labels.rows.map((r) => r.bytes),
    partials,
  });
}
