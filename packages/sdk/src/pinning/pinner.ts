/**
 * The pinning worker: keeps a store's records and manifests pinned on a remote service, off the logging
 * path, through the durable outbox.
 *
 * Modes:
 * - `record`: every record, soon after it is committed (closes the window in which the local file alone
 *   holds it). Each pass queues one job per stream for the records committed since the last pass (a
 *   cursor in `pin_cursors`, advanced in the same transaction), so nothing is skipped across restarts.
 * - `batch`: one job per manifest (`anchorer.onManifest = pinner.enqueueManifest`), which pins the
 *   manifest and every record it lists. With a service that imports CARs (`uploadCar`), that is ONE
 *   upload: a CAR rooted at the manifest's batch directory (manifest-directory.ts), whose links make the
 *   service's recursive pin keep every record. Otherwise one upload per block, as in `record` mode.
 *   Fewer jobs and requests; records wait for their anchor.
 *
 * A per-block job pins its blocks in order and remembers how far it got; a CAR job is one step, and a
 * retry (or a restart mid-upload) sends the same CAR again. A failure reschedules the job with
 * exponential backoff and jitter, or after the service's Retry-After when that is longer. Re-pinning a
 * CID is harmless (services deduplicate by CID), so a retried job never stores a block twice.
 */
import { type BlockCid, decodeManifest, parseBlockCid } from "@ancora/core";
import type Database from "better-sqlite3";
import { getManifestBytes, retryBackedOffJobs, streamIdOf } from "../anchoring/anchor-store.js";
import type { Recovery } from "../anchoring/anchorer-options.js";
import { PinError } from "../errors.js";
import { describeError } from "../internal/describe-error.js";
import { connectionOf } from "../internal/store-handle.js";
import { SqliteBlockstore } from "../ipfs/sqlite-blockstore.js";
import type { AncoraStore } from "../store.js";
import type { OutboxJob } from "../store-types.js";
import { type PinningService, pinBlock, pinCar } from "./adapter.js";
import { manifestCar, type RawBlock } from "./manifest-directory.js";

/**
 * While the service fails as unavailable, one waiting job is tried at least this often even if its
 * backoff is longer: the pinner's health probe (a service has no cheaper call that proves uploads work).
 * Its success makes every job the outage backed off due at once.
 */
export const PIN_PROBE_MAX_MS = 5_000;

/** Which failures an outage of the service explains (a condition on the outbox's `last_error`). */
const PIN_TRANSIENT = "last_error LIKE 'PinError PIN_UNAVAILABLE%'";

/** Records per `record`-mode job. */
export const DEFAULT_PIN_JOB_RECORDS = 256;
/**
 * Jobs a pass works on at once. An upload is mostly waiting (the network, the service hashing and
 * storing what it got), so one at a time caps pinning at one job per round trip: a 3,800-record CAR
 * per ~0.5–2 s to a remote service, slower than a busy stream logs. Each job builds its CAR (or sends
 * its blocks) while the others' uploads are in flight.
 */
export const DEFAULT_PIN_CONCURRENCY = 4;

/** Options of {@link createPinner}. */
export interface PinnerOptions {
  store: AncoraStore;
  service: PinningService;
  /** `record` (every record) or `batch` (per anchor, from manifests). */
  mode: "record" | "batch";
  /** Streams pinned in `record` mode. */
  streams?: string | readonly string[];
  backoff?: { baseMs?: number; maxMs?: number };
  /** Per-upload timeout (default 30 s). */
  timeoutMs?: number;
  /** Jobs worked on at once in a pass, 1–64 (default {@link DEFAULT_PIN_CONCURRENCY}). */
  concurrency?: number;
  /** Every failed attempt, with when the job is tried again (ISO 8601). */
  onError?: (error: unknown, context: { jobId: number; cid?: string; nextAttemptAt?: string }) => void;
  /** The service accepts uploads again after failing as unavailable (once per outage). */
  onRecovered?: (recovery: Recovery) => void;
  now?: () => number;
  random?: () => number;
}

interface RangePayload {
  type: "records";
  stream: string;
  from: number;
  to: number;
}
interface ManifestPayload {
  type: "manifest";
  stream: string;
  cid: string;
  /**
   * Per-block uploads: blocks of the job already pinned (0 = none, 1 = the manifest, 1 + i = the
   * manifest and i records). Unused by a CAR upload, which is all or nothing.
   */
  done: number;
  /** After a CAR upload: the batch directory's CID, where gateways list the manifest and records. */
  root?: string;
}

/** See {@link createPinner}. */
export class Pinner {
  readonly #o: PinnerOptions;
  readonly #kind: string;
  readonly #blocks: SqliteBlockstore;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #base: number;
  readonly #max: number;
  readonly #concurrency: number;
  #lastError: string | null = null;
  #running: Promise<{ pinned: number; failed: number }> | undefined;
  /** Set while uploads fail as unavailable: since when, and when to probe with a waiting job. */
  #outage: { since: number; probes: number; nextProbeAt: number } | undefined;
  /** Whether an upload succeeded once: the first success also ends a previous process's backoff. */
  #answered = false;

  /** @internal Use {@link createPinner}. */
  constructor(options: PinnerOptions) {
    if (!/^[a-z0-9-]{1,32}$/.test(options.service.name)) {
      throw new PinError("PIN_INVALID_OPTION", "service.name must be 1-32 characters of a-z, 0-9, -");
    }
    this.#o = options;
    this.#kind = `pin:${options.service.name}`;
    this.#blocks = new SqliteBlockstore(options.store);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#base = options.backoff?.baseMs ?? 1_000;
    this.#max = options.backoff?.maxMs ?? 300_000;
    const concurrency = options.concurrency ?? DEFAULT_PIN_CONCURRENCY;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new PinError("PIN_INVALID_OPTION", "concurrency must be an integer from 1 to 64", {
        evidence: { concurrency },
      });
    }
    this.#concurrency = concurrency;
  }

  get #db(): Database.Database {
    return connectionOf(this.#o.store);
  }

  /**
   * Queues the pinning of a manifest and its records (`batch` mode): pass it as the anchorer's
   * `onManifest`. A manifest that already has a pending job is not queued twice.
   */
  enqueueManifest = (manifest: { stream: string; cid: string }): void => {
    // An anchor job retried after building its manifest hands it over again: one pending job is enough.
    const pending = this.#db
      .prepare<[string, string], number>(
        `SELECT 1 FROM outbox WHERE kind = ? AND done_at IS NULL
           AND json_extract(payload, '$.type') = 'manifest' AND json_extract(payload, '$.cid') = ? LIMIT 1`,
      )
      .pluck()
      .get(this.#kind, manifest.cid);
    if (pending !== undefined) return;
    const payload: ManifestPayload = {
      type: "manifest",
      stream: manifest.stream,
      cid: manifest.cid,
      done: 0,
    };
    this.#o.store.enqueueJob(this.#kind, payload, { stream: manifest.stream, at: new Date(this.#now()) });
  };

  /** Unfinished pin jobs of this service. */
  backlog(): { jobs: number; lastError: string | null } {
    const jobs = this.#db
      .prepare<[string], number>("SELECT count(*) FROM outbox WHERE done_at IS NULL AND kind = ?")
      .pluck()
      .get(this.#kind);
    return { jobs: jobs ?? 0, lastError: this.#lastError };
  }

  /**
   * One pass: queue new records (`record` mode), then work on the due jobs. Never throws for service
   * failures. A call while a pass is running joins that pass instead of starting another, so a timer
   * and `drain()` never upload the same job twice at once.
   */
  tick(): Promise<{ pinned: number; failed: number }> {
    if (this.#running === undefined) {
      this.#running = this.#pass().finally(() => {
        this.#running = undefined;
      });
    }
    return this.#running;
  }

  async #pass(): Promise<{ pinned: number; failed: number }> {
    if (this.#o.mode === "record") this.#queueNewRecords();
    let pinned = 0;
    let failed = 0;
    let succeeded = 0;
    const jobs = this.#o.store.dueJobs({ kind: this.#kind, now: new Date(this.#now()) });
    const outage = this.#outage;
    if (jobs.length === 0 && outage !== undefined && this.#now() >= outage.nextProbeAt) {
      // Nothing due while the service was down: try the job that waits least, whatever its backoff.
      jobs.push(...this.#o.store.dueJobs({ kind: this.#kind, limit: 1, now: new Date(8.64e15) }));
      outage.nextProbeAt = this.#now() + Math.min(PIN_PROBE_MAX_MS, this.#backoffMs(outage.probes++));
    }
    let next = 0;
    // A few jobs at once (see DEFAULT_PIN_CONCURRENCY); each job is still one sequence of steps.
    const lane = async (): Promise<void> => {
      for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
        try {
          const result = await this.#run(job);
          pinned += result.pinned;
          succeeded++;
          if (!result.completed) this.#o.store.completeJob(job.id);
        } catch (error) {
          failed++;
          this.#fail(job, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, jobs.length) }, lane));
    if (succeeded > 0) this.#recovered();
    return { pinned, failed };
  }

  /** An upload worked: the jobs an outage backed off are due at once; `onRecovered` after an outage. */
  #recovered(): void {
    const outage = this.#outage;
    if (outage === undefined && this.#answered) return;
    this.#outage = undefined;
    this.#answered = true;
    retryBackedOffJobs(this.#db, { kind: this.#kind, at: this.#now(), transient: PIN_TRANSIENT });
    if (outage === undefined) return;
    try {
      this.#o.onRecovered?.({
        service: "pinning",
        unreachableMs: this.#now() - outage.since,
        jobs: this.backlog().jobs,
      });
    } catch {
      // A failing handler must not stop pinning.
    }
  }

  #backoffMs(attempts: number): number {
    const exp = Math.min(this.#max, this.#base * 2 ** Math.min(attempts, 30));
    return Math.round(exp / 2 + this.#random() * (exp / 2));
  }

  /** Ticks until no job is left or `timeoutMs` passes; returns whether it drained. */
  async drain(options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<boolean> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      await this.tick();
      if (this.backlog().jobs === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
    }
  }

  #queueNewRecords(): void {
    const db = this.#db;
    const streams =
      this.#o.streams === undefined
        ? []
        : typeof this.#o.streams === "string"
          ? [this.#o.streams]
          : this.#o.streams;
    for (const stream of streams) {
      db.transaction(() => {
        const row = db
          .prepare<[string, string], { id: number; size: number; cursor: number | null }>(
            `SELECT s.id, s.size, p.size AS cursor FROM streams s
               LEFT JOIN pin_cursors p ON p.stream_id = s.id AND p.service = ? WHERE s.name = ?`,
          )
          .get(this.#o.service.name, stream);
        if (row === undefined) return;
        let from = row.cursor ?? 0;
        if (from >= row.size) return;
        for (; from < row.size; from += DEFAULT_PIN_JOB_RECORDS) {
          const payload: RangePayload = {
            type: "records",
            stream,
            from,
            to: Math.min(row.size, from + DEFAULT_PIN_JOB_RECORDS),
          };
          this.#o.store.enqueueJob(this.#kind, payload, { stream, at: new Date(this.#now()) });
        }
        db.prepare(
          `INSERT INTO pin_cursors (service, stream_id, size) VALUES (?, ?, ?)
             ON CONFLICT (service, stream_id) DO UPDATE SET size = excluded.size`,
        ).run(this.#o.service.name, row.id, row.size);
      }).immediate();
    }
  }

  async #pin(cid: string): Promise<void> {
    const { bytes } = this.#block(cid);
    await pinBlock(
      this.#o.service,
      { cid, bytes },
      { signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000) },
    );
  }

  /**
   * Pins what is left of a job, saving progress after each block. Returns the number pinned, and
   * whether the job was already recorded as done (a CAR job records its root in the same commit).
   */
  async #run(job: OutboxJob): Promise<{ pinned: number; completed?: boolean }> {
    const payload = job.payload as RangePayload | ManifestPayload;
    let pinned = 0;
    if (payload.type === "records") {
      for (let seq = payload.from; seq < payload.to; seq++) {
        const cid = this.#o.store.get(payload.stream, seq)?.cid;
        if (cid === undefined) throw new PinError("PIN_INVALID_OPTION", `Record ${seq} is not in the store`);
        await this.#pin(cid);
        pinned++;
        this.#save(job.id, { ...payload, from: seq + 1 });
      }
      return { pinned };
    }
    const manifest = this.#manifest(payload.cid);
    if (this.#o.service.uploadCar !== undefined) return this.#runCar(job.id, payload, manifest);
    const cids = [payload.cid, ...decodeManifest(manifest.bytes).records.map((c) => c.toString())];
    for (let i = payload.done; i < cids.length; i++) {
      await this.#pin(cids[i] as string);
      pinned++;
      this.#save(job.id, { ...payload, done: i + 1 });
    }
    return { pinned };
  }

  /** A block of the store by CID, or a typed error naming what is missing. */
  #block(cid: string): RawBlock {
    const parsed = parseBlockCid(cid);
    const bytes = parsed === undefined ? undefined : this.#blocks.lookup(parsed);
    if (parsed === undefined || bytes === undefined) {
      throw new PinError("PIN_INVALID_OPTION", `Block ${cid} is not in the store`);
    }
    return { cid: parsed, bytes };
  }

  /** A stored manifest block (from the `manifests` table), or a typed error. */
  #manifest(cid: string): RawBlock {
    const parsed = parseBlockCid(cid);
    const bytes = parsed === undefined ? undefined : getManifestBytes(this.#db, cid);
    if (parsed === undefined || bytes === undefined) {
      throw new PinError("PIN_INVALID_OPTION", `Manifest ${cid} is not in the store`);
    }
    return { cid: parsed, bytes };
  }

  /**
   * The records a manifest lists, read by seq range: one range scan, not a CID lookup per record (no
   * `cid_index` catch-up, which would write while the logger writes).
   */
  #manifestRecords(stream: string, from: number, cids: readonly BlockCid[]): RawBlock[] {
    const streamId = streamIdOf(this.#db, stream);
    const rows =
      streamId === undefined
        ? []
        : this.#db
            .prepare<[number, number, number], { cid: string; bytes: Buffer }>(
              "SELECT cid, bytes FROM records WHERE stream_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
            )
            .all(streamId, from, from + cids.length);
    return cids.map((cid, i) => {
      const row = rows[i];
      // The row's CID (computed from its bytes when it was appended) must be the one the manifest
      // lists. The bytes are not hashed again (~3 µs a record on the logging process), as per-block
      // pinning never did: store.verify() checks the file, and a fetcher checks every block.
      if (row === undefined || row.cid !== cid.toString()) {
        throw new PinError("PIN_INVALID_OPTION", `Record ${from + i} of the manifest is not in the store`, {
          hint: "The store does not hold the records this manifest lists: run store.verify().",
          evidence: { stream, seq: from + i, cid: cid.toString() },
        });
      }
      return { cid, bytes: new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.length) };
    });
  }

  /** Pins a manifest and its records as one CAR, then records the job as done with its root. */
  async #runCar(
    id: number,
    payload: ManifestPayload,
    manifest: RawBlock,
  ): Promise<{ pinned: number; completed: boolean }> {
    const decoded = decodeManifest(manifest.bytes);
    const records = this.#manifestRecords(decoded.stream, decoded.from, decoded.records);
    const car = manifestCar({ manifest, from: decoded.from, records });
    const root = car.directory.cid.toString();
    await pinCar(
      this.#o.service,
      { root, bytes: car.bytes },
      { signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000) },
    );
    // One commit (one fsync) for both: the root, for operators, and the job done.
    this.#db.transaction(() => {
      this.#save(id, { ...payload, root });
      this.#o.store.completeJob(id);
    })();
    return { pinned: car.blocks, completed: true };
  }

  #save(id: number, payload: RangePayload | ManifestPayload): void {
    this.#db.prepare("UPDATE outbox SET payload = ? WHERE id = ?").run(JSON.stringify(payload), id);
  }

  #fail(job: OutboxJob, error: unknown): void {
    let delay = this.#backoffMs(job.attempts);
    if (error instanceof PinError && error.retryAfterMs !== undefined)
      delay = Math.max(delay, error.retryAfterMs);
    this.#lastError = describeError(error);
    const now = this.#now();
    this.#o.store.failJob(job.id, this.#lastError, new Date(now + delay));
    if (error instanceof PinError && error.code === "PIN_UNAVAILABLE") {
      this.#outage ??= { since: now, probes: 0, nextProbeAt: now + this.#backoffMs(0) };
    }
    try {
      this.#o.onError?.(error, { jobId: job.id, nextAttemptAt: new Date(now + delay).toISOString() });
    } catch {
      // A failing handler must not stop pinning.
    }
  }
}

/**
 * Creates a pinning worker; drive it with `tick()` (e.g. from the anchorer's loop or a timer).
 *
 * @example
 * ```ts
 * const pinner = createPinner({ store: logger.store, service: pinataService(), mode: "record", streams: "loans" });
 * setInterval(() => void pinner.tick(), 1_000).unref();
 * ```
 */
export function createPinner(options: PinnerOptions): Pinner {
  return new Pinner(options);
}
