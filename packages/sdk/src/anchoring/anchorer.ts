/**
 * The anchorer: commits a store's checkpoints to a ProvenanceRegistry, off the logging path.
 *
 * - Policy: a stream is checkpointed every `everyRecords` records or `everyMs` after its oldest
 *   un-checkpointed record, whichever comes first. A checkpoint queues an `anchor` job in the outbox in
 *   the same transaction (store.checkpoint), so nothing is lost across restarts.
 * - Each job is re-derived from the chain, never from memory: the stream's latest on-chain checkpoint
 *   is read from the contract; if the chain already holds this size (another anchorer, or a transaction
 *   sent before a crash), it is recognised and recorded, never anchored twice; if it holds a different
 *   root at a size we have, that is a fork (ANCHOR_FORK), never papered over.
 * - An anchor adds the records since the chain's latest checkpoint, with an RFC 9162 consistency proof
 *   from it, and commits a batch manifest (core's manifest v1) chained to the previous one.
 * - Transactions: explicit nonces, EIP-1559 fees capped by `maxFeePerGas`, signed before they are sent
 *   (with a local account) so the hash is stored before the network sees it; then K confirmations
 *   and a successful receipt status. Confirmed anchors in the last `reorgDepth` blocks are re-checked:
 *   one that a reorg removed is marked dropped and re-queued.
 * - Failures (chain down, fee above cap, a revert) fail the job with exponential backoff and jitter;
 *   `log()` never waits for any of this.
 */
import {
  createRegistryReader,
  encodeStreamId,
  type RegistryReader,
  type StreamState,
} from "@ancora/contracts";
import type Database from "better-sqlite3";
import { AnchorError } from "../errors.js";
import { describeError } from "../internal/describe-error.js";
import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";
import type { OutboxJob } from "../store-types.js";
import { confirmIfMined, processJob, submitAnchors } from "./anchor-job.js";
import {
  type AnchoredCheckpoint,
  completeJobs,
  jobBacklog,
  latestAnchor,
  latestCheckpointSize,
  listAnchors,
  type OpenAnchorJob,
  openAnchorJobs,
  streamIdOf,
} from "./anchor-store.js";
import {
  type AnchorErrorContext,
  type AnchorerOptions,
  type ParsedOptions,
  parseOptions,
} from "./anchorer-options.js";
import { CheckpointPolicy } from "./checkpoint-policy.js";
import { ManifestCache, prebuildWhileUnreachable } from "./manifests.js";
import { backoffMs, ChainProbe, reportError, retryAfterOutage } from "./outage.js";
import type { PassContext } from "./pass-context.js";
import { backfillLinks, ReorgWatch } from "./reorgs.js";
import { type PreparedAnchor, TransactionSender } from "./transactions.js";

/** The anchorer's handlers' argument type, also used by the pinner (../pinning/pinner.ts). */

/** Anchors per `anchorBatch` transaction: keeps a batch far below the block gas limit. */
const MAX_BATCH_ANCHORS = 16;

/** What one {@link Anchorer.tick} did. */
export interface TickResult {
  checkpointed: number;
  submitted: number;
  confirmed: number;
  recognised: number;
  superseded: number;
  reorged: number;
  failed: number;
  /** Manifests built ahead while the chain was unreachable that this pass's anchors used. */
  manifestsReused: number;
}

/** The backlog: what is waiting, per stream and in the outbox. */
export interface AnchorBacklog {
  /** Unfinished anchor jobs, and how many of them failed at least once. */
  jobs: number;
  failingJobs: number;
  oldestJobCreatedAt: string | null;
  streams: Array<{
    stream: string;
    size: number;
    /** Latest checkpoint size. */
    checkpointed: number;
    /** Latest confirmed anchored size in this registry. */
    anchored: number;
    /** Records not yet covered by a confirmed anchor. */
    unanchoredRecords: number;
  }>;
  lastError: string | null;
}

const emptyTick = (): TickResult => ({
  checkpointed: 0,
  submitted: 0,
  confirmed: 0,
  recognised: 0,
  superseded: 0,
  reorged: 0,
  failed: 0,
  manifestsReused: 0,
});

/** The job an anchor answers (an outbox row of kind `anchor`). */
type AnchorJob = OpenAnchorJob;

/** A prepared anchor, the outbox job it answers, and the older jobs of its stream it covers. */
interface PendingSend {
  job: AnchorJob;
  prepared: PreparedAnchor;
  covered: number[];
}

/** The stream an anchor job names (its payload's, else its row's). */
function streamOfJob(job: OutboxJob): string | null {
  const stream = (job.payload as { stream?: unknown }).stream;
  return typeof stream === "string" ? stream : job.stream;
}

/**
 * Anchors a store's checkpoints; see the module comment. Create with {@link createAnchorer}, then either
 * `start()` a background loop or drive it with `tick()`.
 *
 * @example
 * ```ts
 * const anchorer = createAnchorer({ store: logger.store, streams: "loans", registry, publicClient, walletClient,
 *   policy: { everyRecords: 20_000, everyMs: 60_000 }, confirmations: 3, maxFeePerGas: parseGwei("50") });
 * anchorer.start();
 * // …
 * await anchorer.stop();
 * ```
 */
export class Anchorer {
  readonly #store: AncoraStore;
  readonly #options: AnchorerOptions;
  readonly #o: ParsedOptions;
  readonly #registryKey: string;
  readonly #reader: RegistryReader;
  readonly #sender: TransactionSender;
  readonly #chain: ChainProbe;
  readonly #reorgs = new ReorgWatch();
  readonly #manifests = new ManifestCache();
  readonly #now: () => number;
  readonly #policy: CheckpointPolicy;
  readonly #random: () => number;
  /**
   * Jobs whose transaction is in flight, and when to look at it again. Kept in memory, not in the
   * outbox: a write per job per pass would take the store's write lock (and an fsync) many times a
   * second for nothing, and after a restart looking at once is right.
   */
  readonly #recheckAt = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<TickResult> | undefined;
  #stopped = false;
  #lastError: string | null = null;

  /** @internal Use {@link createAnchorer}. */
  constructor(options: AnchorerOptions) {
    this.#o = parseOptions(options);
    this.#options = options;
    this.#store = options.store;
    this.#registryKey = options.registry.toLowerCase();
    this.#reader = createRegistryReader(options.publicClient, options.registry);
    this.#now = options.now ?? Date.now;
    this.#policy = new CheckpointPolicy({
      db: () => this.#db,
      store: this.#store,
      streams: this.#o.streams,
      everyRecords: this.#o.everyRecords,
      everyMs: this.#o.everyMs,
      now: () => this.#now(),
    });
    this.#random = options.random ?? Math.random;
    this.#chain = new ChainProbe({
      publicClient: options.publicClient,
      now: () => this.#now(),
      pollIntervalMs: this.#o.pollIntervalMs,
      backoffMs: (reports) => this.#backoffMs(reports),
      report: (error, context) => this.#report(error, context),
      retryBackedOff: () => this.#retryBackedOff(),
      waiting: () => {
        const backlog = this.backlog();
        return {
          jobs: backlog.jobs,
          unanchoredRecords: backlog.streams.reduce((sum, s) => sum + s.unanchoredRecords, 0),
        };
      },
      onRecovered: (recovery) => this.#options.onRecovered?.(recovery),
      confirmations: this.#o.confirmations,
      onNotice: (notice) => this.#options.onNotice?.(notice),
    });
    this.#sender = new TransactionSender({
      publicClient: options.publicClient,
      walletClient: options.walletClient,
      registry: options.registry,
      chainId: () => this.#chain.chainId,
      maxFeePerGas: this.#o.maxFeePerGas,
      maxPriorityFeePerGas: this.#o.maxPriorityFeePerGas,
    });
  }

  get #db(): Database.Database {
    return connectionOf(this.#store);
  }

  /**
   * Starts the background loop: a tick starts every `pollIntervalMs` (counted from the start of the
   * previous one, so a pass's own round trips do not add to the interval), at once when a pass took
   * longer; ticks never overlap. When a pass leaves the anchorer caught up (every checkpoint anchored
   * and confirmed, nothing in flight, nothing failed), the next one starts as soon as the policy makes
   * the next checkpoint due, if that is sooner: at once for a stream that logged `everyRecords` during
   * the pass, `everyMs` after its oldest unanchored record otherwise. So the checkpoint is taken when
   * it is due and anchored in the pass that takes it, instead of waiting up to a poll interval.
   */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#stopped = false;
    const loop = (delay: number): void => {
      this.#timer = setTimeout(async () => {
        const started = Date.now();
        const result = await this.tick().catch(() => undefined);
        if (this.#stopped) return;
        const regular = Math.max(0, this.#o.pollIntervalMs - (Date.now() - started));
        loop(result === undefined ? regular : Math.max(0, Math.min(regular, this.#caughtUpDelay(result))));
      }, delay);
      this.#timer.unref?.();
    };
    loop(this.#o.pollIntervalMs);
  }

  /** Stops the loop and waits for a tick in progress. Queued jobs stay in the outbox. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /**
   * One pass: checkpoints the streams that are due, re-checks recent anchors for reorgs, and works on
   * the due anchor jobs (the oldest per stream). Never throws for chain failures: they are recorded on
   * the jobs (and reported to `onError`).
   */
  tick(): Promise<TickResult> {
    if (this.#running !== undefined) return this.#running;
    this.#running = this.#tick().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * Ticks until no anchor job is left (or `timeoutMs` passes), for tests, scripts and shutdown.
   * Returns whether the outbox drained.
   */
  async drain(options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<boolean> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      await this.tick();
      if (jobBacklog(this.#db, "anchor").pending === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
    }
  }

  /** What is waiting: jobs and, per stream, records not yet covered by a confirmed anchor. */
  backlog(): AnchorBacklog {
    const db = this.#db;
    const jobs = jobBacklog(db, "anchor");
    const streams = this.#o.streams.map((stream) => {
      const id = streamIdOf(db, stream);
      const size = id === undefined ? 0 : this.#store.stream(stream).size;
      const checkpointed = id === undefined ? 0 : latestCheckpointSize(db, id);
      const anchored =
        this.#chain.chainId === undefined
          ? 0
          : (latestAnchor(db, stream, this.#where("confirmed"))?.size ?? 0);
      return { stream, size, checkpointed, anchored, unanchoredRecords: size - anchored };
    });
    return {
      jobs: jobs.pending,
      failingJobs: jobs.failing,
      oldestJobCreatedAt: jobs.oldestCreatedAt,
      streams,
      lastError: this.#lastError,
    };
  }

  /** Anchors recorded for a stream in this registry, by size. */
  anchors(stream: string): AnchoredCheckpoint[] {
    if (this.#chain.chainId === undefined)
      return listAnchors(this.#db, stream, { registry: this.#registryKey });
    return listAnchors(this.#db, stream, { chainId: this.#chain.chainId, registry: this.#registryKey });
  }

  #where(status?: "confirmed"): { chainId: number; registry: string; status?: "confirmed" } {
    return {
      chainId: this.#chain.chainId ?? 0,
      registry: this.#registryKey,
      ...(status === undefined ? {} : { status }),
    };
  }

  /** What a pass hands reorg watching and the anchor jobs, once the chain has answered. */
  #pass(takeStreamState: PassContext["takeStreamState"]): PassContext {
    const store = this.#store;
    const options = this.#options;
    return {
      store,
      get db() {
        return connectionOf(store);
      },
      publicClient: options.publicClient,
      reader: this.#reader,
      sender: this.#sender,
      chainId: this.#chain.chainId as number,
      registryKey: this.#registryKey,
      streams: this.#o.streams,
      head: this.#chain.head,
      confirmations: this.#chain.confirmations ?? this.#o.confirmations,
      reorgDepth: this.#o.reorgDepth,
      replaceAfterMs: this.#o.replaceAfterMs,
      now: () => this.#now(),
      isoNow: () => this.#isoNow(),
      report: (error, context) => this.#report(error, context),
      onAnchored: (anchor) => options.onAnchored?.(anchor),
      onManifest: options.onManifest,
      manifests: this.#manifests,
      takeStreamState,
      latestBlock: () => this.#reorgs.headBlock(this.#chain.head),
    };
  }

  async #tick(): Promise<TickResult> {
    const result = emptyTick();
    // A cheap probe first (eth_chainId once, eth_blockNumber each pass). While it fails, jobs are not
    // touched: they could only fail too, and their backoff would grow with the outage, so the first
    // anchor after a long outage would wait minutes with the chain healthy. The checkpoints are taken
    // while it is in flight (a write that may wait for the logger's lock: the waits overlap).
    const probing = this.#chain.probe();
    probing.catch(() => undefined); // awaited below
    if (this.#o.auto) {
      await new Promise((resolve) => setImmediate(resolve));
      result.checkpointed = await this.#policy.checkpointDue((error, stream) =>
        this.#report(error, { stream }),
      );
    }
    const head = await probing;
    if (head === undefined) {
      // The manifests the next anchors need, built a few at a time, so that the first anchor after an
      // outage of any length has only its last one left; only once the chain has answered (anchors are
      // kept per chain id).
      if (this.#chain.chainId !== undefined) {
        prebuildWhileUnreachable(
          { db: this.#db, store: this.#store, cache: this.#manifests },
          this.#o.streams,
          (stream, status) => latestAnchor(this.#db, stream, this.#where(status)),
          (error, stream) => this.#report(error, { stream }),
        );
      }
      return result;
    }
    if (this.#chain.confirmations === undefined && !(await this.#chain.planConfirmations())) return result;
    const dueJobs = () => this.#store.dueJobs({ kind: "anchor", limit: 1000, now: new Date(this.#now()) });
    let jobs = dueJobs();
    // The on-chain state of the streams with due jobs is read while the reorg check runs (independent
    // requests: one round trip instead of two in a row). Used by a stream's first job of the pass only
    // (./pass-context.ts, takeStreamState); read again after anything this pass changes on chain.
    const states = new Map<string, Promise<StreamState>>();
    for (const job of jobs) {
      const stream = streamOfJob(job);
      if (stream === null || !this.#o.streams.includes(stream) || states.has(stream)) continue;
      const state = this.#reader.streamState(encodeStreamId(stream));
      state.catch(() => undefined); // awaited by the job, whose failure is handled there
      states.set(stream, state);
    }
    const pass = this.#pass((stream) => {
      const state = states.get(stream);
      states.delete(stream);
      return state;
    });
    try {
      result.reorged = await this.#reorgs.check(pass, head);
      await backfillLinks(pass);
    } catch (error) {
      this.#report(error, { nextAttemptAt: this.#iso(this.#now() + this.#o.pollIntervalMs) });
    }
    if (result.reorged > 0) {
      // A reorg re-queues jobs and moves the chain: nothing read before it is used.
      states.clear();
      jobs = dueJobs();
    }
    const seen = new Set<string>();
    // Fresh anchors of several streams in one pass (a backlog after an outage, or many streams on one
    // policy) share transactions: anchorBatch pays the 21k base cost once per batch.
    const fresh: PendingSend[] = [];
    for (const due of jobs) {
      const stream = streamOfJob(due);
      if (stream === null || !this.#o.streams.includes(stream) || seen.has(stream)) continue;
      // One transaction per stream per pass: each anchor extends the previous one. When the pass
      // finishes the stream's anchor in flight (confirmed), it goes on to the stream's next one at once
      // rather than a pass later: anchors follow each other every pass, not every other pass.
      seen.add(stream);
      for (let step = 0; step < 2; step++) {
        if (step === 1) states.delete(stream); // the first step may have confirmed an anchor
        const plan = this.#plan(stream);
        if (plan === undefined) break;
        const { job, covered } = plan;
        if (job.nextAttemptAt > this.#now()) break; // backing off
        if ((this.#recheckAt.get(job.id) ?? 0) > this.#now()) break; // its transaction was just looked at
        const size = job.size;
        try {
          const outcome = await processJob(pass, job, stream, size, (prepared) =>
            fresh.push({ job, prepared, covered }),
          );
          if (outcome === "prepared") break;
          if (outcome === "waiting") {
            this.#recheckLater(job.id);
            break;
          }
          if (outcome === "submitted") {
            result.submitted++;
            result.superseded += this.#completeCovered(covered);
            this.#recheckLater(job.id);
            break;
          }
          this.#store.completeJob(job.id);
          result.superseded += this.#completeCovered(covered);
          result[outcome]++;
        } catch (error) {
          result.failed++;
          this.#fail(job, error, stream, size);
          break;
        }
      }
    }
    const sent: PendingSend[] = [];
    for (let i = 0; i < fresh.length; i += MAX_BATCH_ANCHORS) {
      sent.push(...(await this.#submit(pass, fresh.slice(i, i + MAX_BATCH_ANCHORS), result)));
    }
    for (const { job, prepared } of sent) {
      try {
        // The job is completed in the confirmation's own transaction.
        const outcome = await confirmIfMined(pass, prepared.stream, prepared.size, () =>
          completeJobs(this.#db, [job.id], this.#isoNow()),
        );
        if (outcome === "confirmed" || outcome === "recognised") result[outcome]++;
      } catch {
        // The next pass follows the anchor up and reports what fails.
      }
    }
    // The first success also ends the backoff of jobs an outage left behind that the probe never saw
    // (the chain went away and came back between two passes).
    if (result.submitted + result.confirmed + result.recognised > 0) this.#retryBackedOff();
    return result;
  }

  /**
   * Which job of a stream to work on. A transaction in flight is followed up first (a second one could
   * only revert as stale). Otherwise the newest checkpoint is anchored, with one consistency proof from
   * the chain's size, and the older jobs are covered by it: a backlog of N checkpoints costs one
   * transaction, not N (its records are listed in a chain of manifests, see ./manifests.ts).
   */
  #plan(stream: string): { job: AnchorJob; covered: number[] } | undefined {
    const id = streamIdOf(this.#db, stream);
    if (id === undefined) return undefined;
    const open = openAnchorJobs(this.#db, id);
    if (open.length === 0) return undefined;
    const inFlight = new Set(
      this.#chain.chainId === undefined
        ? []
        : listAnchors(this.#db, stream, { ...this.#where(), status: "submitted" }).map((a) => a.size),
    );
    const flying = open.find((j) => inFlight.has(j.size));
    if (flying !== undefined) return { job: flying, covered: [] };
    let target = open[0] as OpenAnchorJob;
    for (const j of open) if (j.size >= target.size) target = j;
    return {
      job: target,
      covered: open.filter((j) => j !== target && j.size <= target.size).map((j) => j.id),
    };
  }

  /** Completes the jobs a newer anchor covers; returns how many. */
  #completeCovered(ids: readonly number[]): number {
    completeJobs(this.#db, ids, this.#isoNow());
    return ids.length;
  }

  /**
   * Sends prepared anchors: one `anchorWithConsistency` for one, one `anchorBatch` for several; returns
   * those sent. A batch is all or nothing on chain, so when its simulation reverts (one stream stale or
   * retired) each anchor is sent on its own and only the failing one backs off.
   */
  async #submit(pass: PassContext, batch: PendingSend[], result: TickResult): Promise<PendingSend[]> {
    const sent: PendingSend[] = [];
    const succeeded = (items: PendingSend[]) => {
      sent.push(...items);
      for (const { job, covered, prepared } of items) {
        // The manifests built ahead up to this anchor are used now; those past it may serve the next.
        this.#manifests.forgetThrough(prepared.stream, prepared.size);
        result.manifestsReused += prepared.reusedManifests ?? 0;
        result.submitted++;
        result.superseded += this.#completeCovered(covered);
        this.#recheckLater(job.id);
      }
    };
    const failed = (item: PendingSend, error: unknown) => {
      result.failed++;
      this.#fail(item.job, error, item.prepared.stream, item.prepared.size);
    };
    if (batch.length > 1) {
      try {
        await submitAnchors(
          pass,
          batch.map((b) => b.prepared),
        );
        succeeded(batch);
        return sent;
      } catch (error) {
        if (!(error instanceof AnchorError && error.code === "ANCHOR_REVERTED")) {
          for (const item of batch) failed(item, error);
          return sent;
        }
      }
    }
    for (const item of batch) {
      try {
        await submitAnchors(pass, [item.prepared]);
        succeeded([item]);
      } catch (error) {
        failed(item, error);
      }
    }
    return sent;
  }

  #recheckLater(jobId: number): void {
    if (this.#recheckAt.size > 10_000) this.#recheckAt.clear(); // finished jobs are never looked up again
    this.#recheckAt.set(jobId, this.#now() + this.#o.pollIntervalMs);
  }

  #backoffMs(attempts: number): number {
    return backoffMs(attempts, this.#o, this.#random);
  }

  /** Makes this anchorer's jobs that failed because the chain was unreachable due now, attempts reset. */
  #retryBackedOff(): void {
    retryAfterOutage(this.#db, this.#o.streams, this.#now());
  }

  #fail(job: AnchorJob, error: unknown, stream: string, size: number): void {
    const retryAt = this.#now() + this.#backoffMs(job.attempts);
    this.#store.failJob(job.id, describeError(error), new Date(retryAt));
    this.#report(error, { stream, size, jobId: job.id, nextAttemptAt: this.#iso(retryAt) });
  }

  #report(error: unknown, context: AnchorErrorContext): void {
    this.#lastError = reportError(this.#options, error, context);
  }

  /**
   * After a pass that left the anchorer caught up (see {@link Anchorer.start}): how long until the
   * policy makes a stream's next checkpoint due (0: now). Infinity otherwise (the regular interval):
   * while a transaction is in flight, a job waits or backs off, or the chain did not answer, passes
   * keep their interval, so a slow chain or a failing anchor never turns the loop into a spin.
   */
  #caughtUpDelay(last: TickResult): number {
    if (!this.#o.auto || last.failed > 0 || this.#chain.head === undefined) return Number.POSITIVE_INFINITY;
    const db = this.#db;
    if (jobBacklog(db, "anchor").pending > 0) return Number.POSITIVE_INFINITY;
    return this.#policy.nextDueIn();
  }

  #isoNow(): string {
    return this.#iso(this.#now());
  }

  #iso(ms: number): string {
    return new Date(ms).toISOString();
  }
}

/**
 * Creates an {@link Anchorer}; options are validated here (bad combinations fail at construction).
 *
 * @example
 * ```ts
 * const anchorer = createAnchorer({ store: logger.store, streams: "loans", registry, publicClient, walletClient });
 * anchorer.start();
 * ```
 */
export function createAnchorer(options: AnchorerOptions): Anchorer {
  return new Anchorer(options);
}
