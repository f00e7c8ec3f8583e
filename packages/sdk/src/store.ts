/**
 * An Ancora store: one SQLite file holding any number of streams. This is the reading side (verify,
 * search, proofs, checkpoints, exports, the outbox) that both a logger and an auditor use. Records
 * are written by a logger (one stream; see logger.ts) or by `appendBatch` (several streams, all or
 * nothing; see batch.ts), both through internal/stream-writer.ts.
 */
import {
  type Checkpoint,
  CompactRange,
  type CompactRangeState,
  consistencyProof,
  decodeRecord,
  hashLeaf,
  inclusionProof,
  type MerkleNodeReader,
  parseBlockCid,
  type Receipt,
  rootAt,
  validateCheckpoint,
} from "@ancora/core";
import {
  combineResults,
  type SourceVerificationResult,
  streamPass,
  type VerificationResult,
  type VerifyOptions,
} from "@ancora/verifier";
import { sqliteRecordSource } from "@ancora/verifier/node";
import type Database from "better-sqlite3";
import { type AnchoredCheckpoint, listAnchors } from "./anchoring/anchor-store.js";
import { buildReceipt, type ReceiptOptions } from "./anchoring/receipt-builder.js";
import { type AppendBatchOptions, appendBatch, type BatchEntry, type BatchResult } from "./batch.js";
import { ClosedError, InputError, StoreError, StreamUnknownError } from "./errors.js";
import type { Clock } from "./internal/append-plan.js";
import { crossCheck, parallelPass } from "./internal/cross-references.js";
import { nodeSha256, nodeSha256Text } from "./internal/crypto.js";
import { type OpenOptions, openDatabase } from "./internal/database.js";
import { parallelVerify, verifyStreamParallel } from "./internal/parallel-verify.js";
import { catchUpRecordIndex } from "./internal/record-index.js";
import { forgetSalts } from "./internal/salts.js";
import { attachStoreHandle, detachStoreHandle } from "./internal/store-handle.js";
import { TileCache, tileNodeReader } from "./internal/tile-reader.js";
import { countRecords, type SearchPage, type SearchQuery, searchRecords } from "./search.js";
import type {
  ConsistencyProofInfo,
  InclusionProofInfo,
  OutboxJob,
  StoredRecordInfo,
  StoreOptions,
  StoreVerifyOptions,
  StreamInfo,
} from "./store-types.js";

const STORE_KEY = Symbol("AncoraStore");
/** Records the search index takes per transaction when caught up in the background. */
const INDEX_BATCH = 5_000;
/** Package-internal (not exported from index.ts): a store over a logger's own connection. */
export function storeOverDatabase(db: Database.Database, path: string, clock: Clock): AncoraStore {
  return new AncoraStore(db, path, clock, STORE_KEY);
}

/** A `checkpoints` row as read. */
interface CheckpointRow {
  size: number;
  root: Buffer;
  head_cid: string;
  ts: string;
}

/** The checkpoint a stored row holds; `STORE_CORRUPT` when its head is not a block CID. */
function checkpointOf(stream: string, row: CheckpointRow): Checkpoint {
  const head = parseBlockCid(row.head_cid);
  if (head === undefined)
    throw new StoreError("STORE_CORRUPT", "A stored checkpoint has a malformed head CID");
  return { v: 1, stream, size: row.size, root: new Uint8Array(row.root), head, ts: row.ts };
}

/**
 * Read access to a store (and checkpoints, salts and the outbox). Get one with {@link openStore}, or
 * use a logger's `store`.
 */
export class AncoraStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #ids = new Map<string, number>();
  readonly #statements = new Map<string, Database.Statement>();
  /** Full Merkle tiles read so far: they never change, and every proof reads the top ones. */
  readonly #tiles = new TileCache();
  #closed = false;

  /** @internal Use {@link openStore}. */
  constructor(db: Database.Database, path: string, clock: Clock, key: symbol) {
    if (key !== STORE_KEY) {
      throw new InputError("INVALID_OPTION", "A store is opened by openStore()", {
        hint: "Call openStore({ path }) instead of new AncoraStore().",
      });
    }
    this.#db = db;
    this.path = path;
    this.#clock = clock;
    attachStoreHandle(this, db, clock);
  }

  get #open(): Database.Database {
    if (this.#closed || !this.#db.open) throw new ClosedError("store");
    return this.#db;
  }

  /** A prepared statement, compiled once per store. */
  #prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#open.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  /** The id of a stream, or StreamUnknownError. Ids never change once assigned. */
  #id(stream: string): number {
    const cached = this.#ids.get(stream);
    if (cached !== undefined) return cached;
    const id = this.#prepare<[string], number>("SELECT id FROM streams WHERE name = ?").pluck().get(stream);
    if (id === undefined) throw new StreamUnknownError(stream);
    this.#ids.set(stream, id);
    return id;
  }

  #nodes(streamId: number): MerkleNodeReader {
    return tileNodeReader(this.#open, streamId, this.#tiles);
  }

  /**
   * Writes config changes and decisions of several streams in ONE `BEGIN IMMEDIATE` transaction,
   * creating missing streams (with their genesis record) on first use: when it returns, every entry
   * is durable; when it throws, nothing of the batch was written. Per stream, entries are written in
   * their order with the rules of a logger (seq/prev from the head re-read under the lock, a label
   * resolved from the stream's config current at that point of the batch). Bad input, a decision
   * before any config or an unknown label id throws {@link BatchEntryError} (`BATCH_ENTRY_FAILED`,
   * with the entry's `index` and its own error as `cause`); a failing transaction (disk full, lock
   * timeout, read-only store) throws {@link StoreError} `STORE_WRITE_FAILED`. Records carry this
   * store's clock. Consent-gated decisions are not accepted (use a logger).
   *
   * @example
   * ```ts
   * const model = { id: "credit-risk", version: "2.3.1", hash: "sha256:…" };
   * const { records, streams } = store.appendBatch([
   *   { kind: "config", stream: "loans", config: { threshold: 0.6, aboveLabel: "approve",
   *     belowLabel: "refer", changedBy: "risk", changeReason: "launch" } },
   *   { kind: "decision", stream: "loans", decision: { features: { age: 42 }, output: 1, score: 0.8, model } },
   *   { kind: "decision", stream: "fraud", decision: { features: { amount: 10 }, output: 0, score: 0.1, model } },
   * ]); // throws BatchEntryError for entry 2: "fraud" has no config; nothing was written
   * ```
   */
  appendBatch(entries: readonly BatchEntry[], options: AppendBatchOptions = {}): BatchResult {
    return appendBatch(this.#open, this.#clock, entries, options);
  }

  /** Every stream in the store. */
  streams(): StreamInfo[] {
    return this.#prepare<[], { name: string; size: number; head_cid: string | null; created_at: string }>(
      "SELECT name, size, head_cid, created_at FROM streams ORDER BY name",
    )
      .all()
      .map((r) => ({ name: r.name, size: r.size, head: r.head_cid, createdAt: r.created_at }));
  }

  /** One stream's head. Throws {@link StreamUnknownError}. */
  stream(name: string): StreamInfo {
    const id = this.#id(name);
    const row = this.#prepare<[number], { size: number; head_cid: string | null; created_at: string }>(
      "SELECT size, head_cid, created_at FROM streams WHERE id = ?",
    ).get(id);
    if (row === undefined) throw new StreamUnknownError(name);
    return { name, size: row.size, head: row.head_cid, createdAt: row.created_at };
  }

  /**
   * Verifies streams with @ancora/verifier over a consistent snapshot of the file: every CID from the
   * bytes, every prev link, seq continuity, index columns, config and label references, stored leaf
   * nodes, the stored head and the root of every stored checkpoint, then the references between
   * records across streams (a training record naming another stream's dataset split), resolved
   * against every stream of the file: `REFERENCE_UNRESOLVED`, `REFERENCE_FORWARD`, `REFERENCE_KIND`,
   * `REFERENCE_MISMATCH` are failures of the referring record.
   *
   * @example
   * ```ts
   * const { ok, failures } = store.verify();
   * if (!ok) console.error(failures[0]); // { code: "CID_MISMATCH", stream: "credit", seq: 17, expected, found }
   * ```
   */
  verify(options: StoreVerifyOptions = {}): SourceVerificationResult {
    const names =
      options.stream === undefined
        ? this.streams().map((s) => s.name)
        : typeof options.stream === "string"
          ? [options.stream]
          : [...options.stream];
    const ids = new Map(names.map((name) => [name, this.#id(name)] as const));
    const db = this.#open;
    const verifyOptions: VerifyOptions = {
      sha256: nodeSha256,
      sha256Text: nodeSha256Text,
      ...(options.maxFailures === undefined ? {} : { maxFailures: options.maxFailures }),
    };
    // A deferred transaction is one read snapshot in WAL mode: writers go on, the verifier sees none of it.
    // Workers see only committed data: inside a caller's transaction, stay on this connection.
    const threads = db.inTransaction ? 1 : (options.threads ?? parallelVerify.defaultThreads);
    return db.transaction(() => {
      const source = sqliteRecordSource(db, ids);
      const passes = names.map((name) => {
        const id = ids.get(name) as number;
        const parallel = verifyStreamParallel(db, id, name, threads, verifyOptions);
        return parallel === undefined
          ? streamPass(source, name, verifyOptions)
          : parallelPass(db, id, parallel);
      });
      return combineResults(crossCheck(db, passes, verifyOptions));
    })();
  }

  /** Verifies one stream; see {@link AncoraStore.verify}. */
  verifyStream(stream: string, options: Omit<StoreVerifyOptions, "stream"> = {}): VerificationResult {
    const result = this.verify({ ...options, stream });
    return result.streams[0] as VerificationResult;
  }

  /**
   * Records matching a query, in (stream, seq) order, one page at a time (keyset pagination: pass the
   * returned `cursor` to get the next page).
   *
   * @example
   * ```ts
   * let page = store.search({ stream: "credit", label: "L002", from: "2025-01-01T00:00:00.000Z" });
   * while (page.cursor) page = store.search({ stream: "credit", label: "L002", cursor: page.cursor });
   * ```
   */
  search(query: SearchQuery = {}): SearchPage {
    return searchRecords(this.#open, query, (name) => this.#id(name));
  }

  /**
   * Brings the search index up to date with the records appended since it last was (at most
   * `maxRecords` of them, in transactions of 5,000) and returns how many it indexed. Searches, counts
   * and evidence packs do this themselves before they answer; a long-running process calls it off
   * its request path (`ancora serve` does, on its anchoring thread) so that no query waits for a
   * long backlog.
   *
   * @example
   * ```ts
   * setInterval(() => store.indexForSearch({ maxRecords: 20_000 }), 1_000);
   * ```
   */
  indexForSearch(options: { maxRecords?: number } = {}): number {
    const max = options.maxRecords ?? Number.POSITIVE_INFINITY;
    if (!(max >= 0)) {
      throw new InputError("INVALID_OPTION", "maxRecords must be a number >= 0", {
        evidence: { maxRecords: options.maxRecords },
      });
    }
    return catchUpRecordIndex(this.#open, max, INDEX_BATCH);
  }

  /** Number of records matching a query (the same filters as {@link AncoraStore.search}). */
  count(query: Omit<SearchQuery, "cursor" | "limit"> = {}): number {
    return countRecords(this.#open, query, (name) => this.#id(name));
  }

  /** One record by stream and seq, decoded (and validated), or undefined. */
  get(stream: string, seq: number): StoredRecordInfo | undefined {
    const row = this.#prepare<[number, number], { cid: string; bytes: Buffer }>(
      "SELECT cid, bytes FROM records WHERE stream_id = ? AND seq = ?",
    ).get(this.#id(stream), seq);
    if (row === undefined) return undefined;
    return { stream, seq, cid: row.cid, bytes: row.bytes, record: decodeRecord(row.bytes) };
  }

  /**
   * Creates a checkpoint of the stream's committed head (or returns the existing one of that size)
   * and, in the same transaction, queues an `anchor` job in the outbox.
   *
   * @example
   * ```ts
   * const checkpoint = store.checkpoint("credit"); // { v: 1, stream, size, root, head, ts }
   * ```
   */
  checkpoint(stream: string): Checkpoint {
    const id = this.#id(stream);
    const db = this.#open;
    return db
      .transaction((): Checkpoint => {
        const row = this.#prepare<[number], { size: number; head_cid: string | null; tree_state: string }>(
          "SELECT size, head_cid, tree_state FROM streams WHERE id = ?",
        ).get(id);
        const head = row?.head_cid == null ? undefined : parseBlockCid(row.head_cid);
        if (row === undefined || head === undefined) {
          throw new StoreError("STORE_CORRUPT", `Stream "${stream}" has no head to checkpoint`);
        }
        const existing = this.checkpointAt(stream, row.size);
        if (existing !== undefined) return existing;
        // The root two ways, from the head's compact range and from the node store: they must agree.
        const root = rootAt(this.#nodes(id), row.size, nodeSha256);
        const fromState = CompactRange.fromState(
          JSON.parse(row.tree_state) as CompactRangeState,
          nodeSha256,
        ).root();
        if (Buffer.compare(root, fromState) !== 0) {
          throw new StoreError("STORE_CORRUPT", `Stream "${stream}": the node store and the head disagree`, {
            hint: "Run verify() to find what was changed.",
          });
        }
        const checkpoint = validateCheckpoint({
          v: 1,
          stream,
          size: row.size,
          root: new Uint8Array(root),
          head,
          ts: this.#clock().toISOString(),
        });
        this.#prepare(
          "INSERT INTO checkpoints (stream_id, size, root, head_cid, ts) VALUES (?, ?, ?, ?, ?)",
        ).run(id, checkpoint.size, checkpoint.root, row.head_cid, checkpoint.ts);
        this.#enqueue("anchor", id, { stream, size: checkpoint.size }, this.#clock().getTime());
        return checkpoint;
      })
      .immediate();
  }

  /** The stream's stored checkpoints, oldest first. */
  checkpoints(stream: string): Checkpoint[] {
    return this.#prepare<[number], CheckpointRow>(
      "SELECT size, root, head_cid, ts FROM checkpoints WHERE stream_id = ? ORDER BY size",
    )
      .all(this.#id(stream))
      .map((row) => checkpointOf(stream, row));
  }

  /**
   * The stream's checkpoint of `size` records, `undefined` when the store holds none of that size: one
   * indexed read, however many checkpoints the stream has. Throws {@link StreamUnknownError}.
   *
   * @example
   * ```ts
   * const checkpoint = store.checkpointAt("credit", 1024); // { v, stream, size, root, head, ts } | undefined
   * ```
   */
  checkpointAt(stream: string, size: number): Checkpoint | undefined {
    const row = this.#prepare<[number, number], CheckpointRow>(
      "SELECT size, root, head_cid, ts FROM checkpoints WHERE stream_id = ? AND size = ?",
    ).get(this.#id(stream), size);
    return row === undefined ? undefined : checkpointOf(stream, row);
  }

  /**
   * The stream's latest checkpoint (the largest size), `undefined` before its first: one indexed read.
   * Throws {@link StreamUnknownError}.
   *
   * @example
   * ```ts
   * const latest = store.latestCheckpoint("credit"); // covers records 0 .. latest.size - 1
   * ```
   */
  latestCheckpoint(stream: string): Checkpoint | undefined {
    const row = this.#prepare<[number], CheckpointRow>(
      "SELECT size, root, head_cid, ts FROM checkpoints WHERE stream_id = ? ORDER BY size DESC LIMIT 1",
    ).get(this.#id(stream));
    return row === undefined ? undefined : checkpointOf(stream, row);
  }

  /**
   * An inclusion proof for record `seq` in the tree of `size` records (default: the current size),
   * from the node store in O(log n) reads.
   *
   * @example
   * ```ts
   * const { leafHash, proof, root, size } = store.inclusionProof("credit", 42);
   * verifyInclusion({ leafHash, index: 42, size, proof, root }); // true
   * ```
   */
  inclusionProof(stream: string, seq: number, size?: number): InclusionProofInfo {
    const id = this.#id(stream);
    const db = this.#open;
    return db.transaction(() => {
      const treeSize = this.#checkSize(stream, size);
      if (!Number.isSafeInteger(seq) || seq < 0 || seq >= treeSize) {
        throw new InputError("INVALID_OPTION", `seq must be in [0, ${treeSize})`, {
          evidence: { seq, size: treeSize },
        });
      }
      const reader = this.#nodes(id);
      const cid = this.#prepare<[number, number], string>(
        "SELECT cid FROM records WHERE stream_id = ? AND seq = ?",
      )
        .pluck()
        .get(id, seq);
      const parsed = cid === undefined ? undefined : parseBlockCid(cid);
      if (cid === undefined || parsed === undefined)
        throw new StoreError("STORE_CORRUPT", `Record ${seq} is missing`);
      return {
        stream,
        index: seq,
        size: treeSize,
        cid,
        leafHash: new Uint8Array(hashLeaf(parsed.bytes, nodeSha256)),
        proof: inclusionProof(reader, seq, treeSize, nodeSha256).map((h) => new Uint8Array(h)),
        root: new Uint8Array(rootAt(reader, treeSize, nodeSha256)),
      };
    })();
  }

  /** A consistency proof from size1 to size2 (default: the current size). */
  consistencyProof(stream: string, size1: number, size2?: number): ConsistencyProofInfo {
    const id = this.#id(stream);
    return this.#open.transaction(() => {
      const to = this.#checkSize(stream, size2);
      if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > to) {
        throw new InputError("INVALID_OPTION", `size1 must be in [1, ${to}]`, {
          evidence: { size1, size2: to },
        });
      }
      const reader = this.#nodes(id);
      return {
        stream,
        size1,
        size2: to,
        root1: new Uint8Array(rootAt(reader, size1, nodeSha256)),
        root2: new Uint8Array(rootAt(reader, to, nodeSha256)),
        proof: consistencyProof(reader, size1, to, nodeSha256).map((h) => new Uint8Array(h)),
      };
    })();
  }

  #checkSize(stream: string, size: number | undefined): number {
    const current = this.stream(stream).size;
    if (size === undefined) return current;
    if (!Number.isSafeInteger(size) || size < 1 || size > current) {
      throw new InputError("INVALID_OPTION", `size must be in [1, ${current}]`, {
        evidence: { size, current },
      });
    }
    return size;
  }

  /** The salts of a record's `salted` commitments (what opens them), if still kept. */
  salts(stream: string, seq: number): { input?: Uint8Array; output?: Uint8Array } {
    const row = this.#prepare<[number, number], { input: Buffer | null; output: Buffer | null }>(
      "SELECT salt_input AS input, salt_output AS output FROM records WHERE stream_id = ? AND seq = ?",
    ).get(this.#id(stream), seq);
    const out: { input?: Uint8Array; output?: Uint8Array } = {};
    if (row?.input != null) out.input = new Uint8Array(row.input);
    if (row?.output != null) out.output = new Uint8Array(row.output);
    return out;
  }

  /**
   * Deletes a record's salts, making its `salted` commitments permanently unopenable (erasure of the
   * link between a decision and a person's data). The chain is untouched and still verifies.
   * Returns the number of salts deleted.
   */
  forgetSalts(stream: string, seq: number): number {
    return forgetSalts(this.#open, this.#id(stream), seq);
  }

  #enqueue(kind: string, streamId: number | null, payload: unknown, at: number): number {
    return Number(
      this.#prepare(
        "INSERT INTO outbox (kind, stream_id, payload, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 0, ?, ?)",
      ).run(kind, streamId, JSON.stringify(payload), at, this.#clock().toISOString()).lastInsertRowid,
    );
  }

  /** Queues a durable job (e.g. pinning or anchoring) to run at `at` (default now). Returns its id. */
  enqueueJob(kind: string, payload: unknown, options: { stream?: string; at?: Date } = {}): number {
    const streamId = options.stream === undefined ? null : this.#id(options.stream);
    return this.#enqueue(kind, streamId, payload, (options.at ?? this.#clock()).getTime());
  }

  /** Jobs that are due (not done, next attempt time passed), oldest first. */
  dueJobs(options: { kind?: string; limit?: number; now?: Date } = {}): OutboxJob[] {
    const now = (options.now ?? this.#clock()).getTime();
    const rows = this.#prepare<
      [number, string | null, string | null, number],
      {
        id: number;
        kind: string;
        stream: string | null;
        payload: string;
        attempts: number;
        next_attempt_at: number;
        last_error: string | null;
      }
    >(
      `SELECT o.id, o.kind, s.name AS stream, o.payload, o.attempts, o.next_attempt_at, o.last_error
         FROM outbox o LEFT JOIN streams s ON s.id = o.stream_id
         WHERE o.done_at IS NULL AND o.next_attempt_at <= ? AND (? IS NULL OR o.kind = ?)
         ORDER BY o.next_attempt_at, o.id LIMIT ?`,
    ).all(now, options.kind ?? null, options.kind ?? null, options.limit ?? 100);
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      stream: r.stream,
      payload: JSON.parse(r.payload) as unknown,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      lastError: r.last_error,
    }));
  }

  /** Marks a job done. */
  completeJob(id: number): void {
    this.#prepare("UPDATE outbox SET done_at = ? WHERE id = ?").run(this.#clock().toISOString(), id);
  }

  /** Records a failed attempt and when to retry. `error` must not contain secrets. */
  failJob(id: number, error: string, retryAt: Date): void {
    this.#prepare(
      "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
    ).run(error.slice(0, 1000), retryAt.getTime(), id);
  }

  /**
   * The receipt of record `seq` (core's Receipt v2): its bytes and CID, its inclusion proof to the
   * latest confirmed anchored checkpoint that covers it, and where that checkpoint is on chain.
   * Throws `NotAnchoredError` (`NOT_ANCHORED`) while no confirmed anchor covers it.
   *
   * @example
   * ```ts
   * const receipt = store.receipt("loans", 42);
   * verifyReceiptOffline(receipt).ok; // true
   * ```
   */
  receipt(stream: string, seq: number, options: ReceiptOptions = {}): Receipt {
    return buildReceipt(this.#open, this, stream, seq, options);
  }

  /** Anchors recorded for a stream (every registry, every status), by size. */
  anchors(stream: string): AnchoredCheckpoint[] {
    this.#id(stream);
    return listAnchors(this.#open, stream);
  }

  /** Closes the connection (a logger's store is closed with the logger). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    detachStoreHandle(this);
    this.#statements.clear();
    this.#tiles.tiles.clear();
    this.#db.close();
  }
}

/**
 * Opens a store for reading, verification, checkpoints and the outbox (an auditor's or operator's
 * handle; write records through {@link createLogger}). Creates and migrates the file unless read-only.
 *
 * @example
 * ```ts
 * const store = openStore({ path: "ancora.db", readonly: true });
 * console.log(store.verify().ok);
 * store.close();
 * ```
 */
export function openStore(options: StoreOptions): AncoraStore {
  // better-sqlite3 opens a private temporary database for a missing name: an empty store, silently.
  if (
    typeof options !== "object" ||
    options === null ||
    typeof options.path !== "string" ||
    options.path === ""
  ) {
    throw new InputError(
      "INVALID_OPTION",
      typeof options === "string"
        ? "openStore takes an options object, not a path"
        : "openStore needs the store's SQLite file as `path`",
      { hint: 'Call openStore({ path: "ancora.db" }) (add `readonly: true` to only read).' },
    );
  }
  const open: OpenOptions = {
    ...(options.readonly === undefined ? {} : { readonly: options.readonly }),
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  };
  const db = openDatabase(options.path, open);
  return new AncoraStore(db, options.path, options.clock ?? (() => new Date()), STORE_KEY);
}
