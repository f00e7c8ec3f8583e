/**
 * Anchoring and pinning on a worker thread, off the logging thread.
 *
 * In the logging process's own thread the anchorer builds manifests (reads every record CID of a
 * batch, encodes and stores the manifest) and the pinner reads every record back to build a CAR and
 * upload it: together about a third of what logging itself costs per record. A worker runs both over
 * its own connection to the same SQLite file. Nothing else changes: the checkpoints, manifests and jobs
 * are the same rows in the same outbox (a worker stopped or crashed loses nothing; the next one, or an
 * in-thread anchorer, goes on from the file), and `logger.receipt()` reads the anchors it records.
 *
 * Keys stay on the calling thread: the worker asks this thread to sign each transaction (a local
 * account, {@link ethersSignerToAccount}, any viem account). A pinning service made by `pinataService`
 * or `kuboService` is rebuilt inside the worker, so uploads run there too; any other service is called
 * on this thread with the CAR the worker built.
 */
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { AncoraError } from "@ancora/core";
import { rpcEndpointsProblem } from "@ancora/verifier";
import { workerScript } from "@ancora/verifier/node";
import type {
  Account,
  Address,
  Hex,
  SignableMessage,
  TransactionSerializable,
  TypedDataDefinition,
} from "viem";
import { AnchorError } from "../errors.js";
import { describeError } from "../internal/describe-error.js";
import type { PinningService } from "../pinning/adapter.js";
import { portableSpec } from "../pinning/portable.js";
import type { AnchoredCheckpoint } from "./anchor-store.js";
import type { AnchorBacklog, TickResult } from "./anchorer.js";
import {
  type AnchorErrorContext,
  type AnchorerTuning,
  type AnchorNotice,
  type Recovery,
  tuningOf,
} from "./anchorer-options.js";
import { fromPortable, type PortableError, Rpc } from "./worker-rpc.js";
import type { ThreadInit } from "./worker-thread.js";

/** First wait before a crashed worker is started again; doubles up to {@link MAX_RESTART_MS}. */
const FIRST_RESTART_MS = 1_000;
const MAX_RESTART_MS = 60_000;
/** How long stop() lets the thread finish a pass in progress before ending it (its jobs stay queued). */
const STOP_GRACE_MS = 5_000;
/** Default pinner pass interval in the worker. */
export const DEFAULT_WORKER_PIN_INTERVAL_MS = 1_000;

/** Options of {@link startAnchoringWorker}. */
export interface AnchoringWorkerOptions extends AnchorerTuning {
  /** The store's file (a logger's `store.path`). The worker opens its own connection to it. */
  path: string;
  /** Streams to checkpoint and anchor. */
  streams: string | readonly string[];
  /** ProvenanceRegistry address; the account needs ANCHORER_ROLE, the streams must be registered. */
  registry: Address;
  /**
   * JSON-RPC endpoint (HTTP or HTTPS), or several: then each request goes to the first that answers,
   * in order (viem's fallback transport), so a provider outage does not stop anchoring. URLs may carry
   * an API key or `user:password@`: they are never logged or put in errors.
   */
  rpcUrl: string | readonly string[];
  /**
   * Headers sent with every RPC request, for providers that take their key in a header
   * (`{ "x-api-key": process.env.RPC_KEY }`). Like the URL, never logged or put in errors.
   */
  rpcHeaders?: Readonly<Record<string, string>>;
  /** Per-request RPC timeout (default 10 s); a timeout fails the job, which retries with backoff. */
  rpcTimeoutMs?: number;
  /** Signs the anchors. It stays on this thread; the worker sends it each transaction to sign. */
  account: Account;
  /** Remote pinning, run by the same worker. `batch` (default): one CAR per manifest; `record`: every record. */
  pinning?: {
    service: PinningService;
    mode?: "batch" | "record";
    /** Pinner pass interval (default 1 s). */
    intervalMs?: number;
    timeoutMs?: number;
    /** Jobs uploaded at once (the pinner's default, 4). */
    concurrency?: number;
    backoff?: { baseMs?: number; maxMs?: number };
  };
  /** Every failure of an anchoring or pinning attempt (already recorded in the outbox), and worker crashes. */
  onError?: (error: AncoraError, context: AnchorErrorContext) => void;
  /** An anchor reached its confirmations. */
  onAnchored?: (anchor: AnchoredCheckpoint) => void;
  /** The chain or the pinning service answers again after failures (once per outage). */
  onRecovered?: (recovery: Recovery) => void;
  /** What the operator should know that is not a failure, once (see {@link AnchorNotice}). */
  onNotice?: (notice: AnchorNotice) => void;
}

/** Test-only knobs: another thread script, a shorter first restart wait. */
export interface AnchoringWorkerInternals {
  workerUrl?: URL;
  execArgv?: readonly string[];
  firstRestartMs?: number;
}

/** What the worker thread is told at start; everything in it is structured-clonable. */
function threadInit(options: AnchoringWorkerOptions): ThreadInit {
  const { account, pinning } = options;
  const spec = pinning === undefined ? undefined : portableSpec(pinning.service);
  if (pinning !== undefined && (typeof pinning.service?.upload !== "function" || !pinning.service.name)) {
    throw new AnchorError("ANCHOR_INVALID_OPTION", "pinning.service must be a PinningService", {
      hint: "Use pinataService(), kuboService() or an object with name and upload().",
    });
  }
  if (typeof options.path !== "string" || !existsSync(options.path)) {
    throw new AnchorError("ANCHOR_INVALID_OPTION", "path must name an existing Ancora store", {
      hint: "Pass the logger's store.path; the worker never creates a store of its own.",
    });
  }
  const rpcUrls = typeof options.rpcUrl === "string" ? [options.rpcUrl] : options.rpcUrl;
  const rpcHeaders = options.rpcHeaders;
  const problem = rpcEndpointsProblem({
    urls: rpcUrls,
    ...(rpcHeaders === undefined ? {} : { headers: rpcHeaders }),
  });
  if (problem !== undefined) {
    // The reason never repeats a URL or a header value: they may hold keys.
    throw new AnchorError("ANCHOR_INVALID_OPTION", `rpcUrl/rpcHeaders: ${problem}`, {
      hint: 'Pass an http(s) URL or a list of them, and headers as { "x-api-key": process.env.RPC_KEY }.',
    });
  }
  for (const [name, value] of [
    ["rpcTimeoutMs", options.rpcTimeoutMs],
    ["pinning.intervalMs", pinning?.intervalMs],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new AnchorError("ANCHOR_INVALID_OPTION", `${name} must be an integer >= 1`, {
        evidence: { [name]: value },
      });
    }
  }
  if (account === undefined || typeof account.address !== "string") {
    throw new AnchorError("ANCHOR_INVALID_OPTION", "account must be a viem account", {
      hint: "privateKeyToAccount(process.env.ANCORA_ANCHOR_KEY), or ethersSignerToAccount(signer).",
    });
  }
  return {
    path: options.path,
    // Checked by the anchorer in the worker (at least one, each a valid name): anything else arrives empty.
    streams:
      typeof options.streams === "string"
        ? [options.streams]
        : Array.isArray(options.streams)
          ? [...options.streams]
          : [],
    registry: options.registry,
    rpcUrls: [...rpcUrls],
    ...(rpcHeaders === undefined ? {} : { rpcHeaders: { ...rpcHeaders } }),
    rpcTimeoutMs: options.rpcTimeoutMs ?? 10_000,
    account: { address: account.address, signs: account.type !== "json-rpc" },
    anchorer: tuningOf(options),
    ...(pinning === undefined
      ? {}
      : {
          pinning: {
            service: spec ?? { bridged: pinning.service.name, car: pinning.service.uploadCar !== undefined },
            mode: pinning.mode ?? "batch",
            intervalMs: pinning.intervalMs ?? DEFAULT_WORKER_PIN_INTERVAL_MS,
            ...(pinning.timeoutMs === undefined ? {} : { timeoutMs: pinning.timeoutMs }),
            ...(pinning.concurrency === undefined ? {} : { concurrency: pinning.concurrency }),
            ...(pinning.backoff === undefined ? {} : { backoff: pinning.backoff }),
          },
        }),
  };
}

/**
 * Anchoring (and pinning) running on a worker thread; see the module comment. Made by
 * {@link startAnchoringWorker}. The worker is restarted with backoff if it crashes.
 */
export class AnchoringWorker {
  readonly #options: AnchoringWorkerOptions;
  readonly #internals: AnchoringWorkerInternals;
  #init: ThreadInit;
  #worker: Worker | undefined;
  #rpc: Rpc | undefined;
  #ready: Promise<void> | undefined;
  /** Settles the current start: "ready" or "failed" from the thread, or its exit. */
  #starting: { resolve: () => void; reject: (error: AncoraError) => void } | undefined;
  #restartMs: number;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Calls (and a stop) this thread is awaiting: while any is, the thread keeps the process alive. */
  #awaited = 0;

  /** @internal Use {@link startAnchoringWorker}. */
  constructor(options: AnchoringWorkerOptions, internals: AnchoringWorkerInternals = {}) {
    this.#options = options;
    this.#internals = internals;
    this.#restartMs = internals.firstRestartMs ?? FIRST_RESTART_MS;
    this.#init = threadInit(options);
  }

  /** Starts the thread and resolves once it has opened the store and validated the options. */
  start(): Promise<void> {
    const script = workerScript(import.meta.url, "worker-thread");
    const worker = new Worker(this.#internals.workerUrl ?? script.url, {
      workerData: this.#init,
      execArgv: [...(this.#internals.execArgv ?? script.execArgv)],
    });
    // Like the in-thread anchorer's timers, an idle worker does not keep the process alive: a script may
    // end without stop(). While this thread awaits an answer it does (#hold), or `await worker.stop()`
    // would leave nothing on this thread's event loop and Node would exit with an unsettled promise.
    if (this.#awaited === 0) worker.unref();
    this.#worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      this.#starting = { resolve, reject };
    });
    this.#rpc = new Rpc(worker, this.#handlers(), (name, payload) => this.#event(name, payload));
    worker.on("error", (error) => {
      const failure = crashed(error);
      this.#starting?.reject(failure);
      this.#report(failure, {});
    });
    worker.on("exit", (code) => {
      const gone = new AnchorError("ANCHOR_WORKER_FAILED", `The anchoring worker exited (code ${code})`, {
        hint: "Queued jobs stay in the outbox; the worker is restarted with backoff unless stopped.",
      });
      const wasRunning = this.#starting === undefined; // a failed start is reported by whoever started it
      this.#starting?.reject(gone);
      this.#starting = undefined;
      this.#rpc?.close(gone);
      if (this.#worker === worker) this.#worker = undefined;
      if (this.#stopped) return;
      if (wasRunning) this.#report(gone, {});
      this.#scheduleRestart();
    });
    this.#ready = ready;
    return ready.then(() => {
      this.#restartMs = this.#internals.firstRestartMs ?? FIRST_RESTART_MS;
    });
  }

  /** One anchoring pass and one pinning pass in the worker. */
  async tick(): Promise<{ anchoring: TickResult; pinning?: { pinned: number; failed: number } }> {
    return await this.#call("tick");
  }

  /** Passes until no anchor or pin job is left (or `timeoutMs`); whether everything drained. */
  async drain(options: { timeoutMs?: number } = {}): Promise<boolean> {
    return await this.#call("drain", options.timeoutMs ?? 60_000);
  }

  /** The anchorer's backlog, and the pinner's when pinning runs. */
  async backlog(): Promise<AnchorBacklog & { pinJobs?: number }> {
    return await this.#call("backlog");
  }

  /** Anchors and pins these streams from now on (the anchorer is rebuilt in the worker). */
  async setStreams(streams: readonly string[]): Promise<void> {
    this.#init = { ...this.#init, streams: [...streams] };
    await this.#call("setStreams", [...streams]);
  }

  /** Stops the loops, waits for passes in progress, closes the worker's connection and ends the thread. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#hold();
    try {
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      const stopped = (this.#rpc?.call("stop") ?? Promise.resolve())
        // A worker that cannot stop cleanly is ended below; its jobs stay in the outbox.
        .catch(() => undefined)
        .then(() => exited);
      // A pass stuck on an RPC request that has not timed out yet must not hold stop() for that long.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise((r) => (timer = setTimeout(r, STOP_GRACE_MS)))]);
      clearTimeout(timer);
      await worker.terminate();
    } finally {
      this.#release();
    }
  }

  async #call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#stopped) throw new AnchorError("ANCHOR_WORKER_FAILED", "The anchoring worker was stopped");
    this.#hold();
    try {
      await this.#ready;
      const rpc = this.#rpc;
      if (rpc === undefined)
        throw new AnchorError("ANCHOR_WORKER_FAILED", "The anchoring worker is not running");
      return await rpc.call<T>(method, ...args);
    } finally {
      this.#release();
    }
  }

  /** Keeps the process alive while this thread awaits the worker (a restart included). */
  #hold(): void {
    if (this.#awaited++ > 0) return;
    this.#worker?.ref();
    this.#restartTimer?.ref();
  }

  #release(): void {
    if (--this.#awaited > 0) return;
    this.#worker?.unref();
    this.#restartTimer?.unref();
  }

  /** What the worker may ask of this thread: signatures, and uploads through a service that stayed here. */
  #handlers() {
    const account = this.#options.account;
    const service = this.#options.pinning?.service;
    const signer = (name: "signTransaction" | "signMessage" | "signTypedData") => {
      const sign = (account as Partial<Record<typeof name, (...a: unknown[]) => Promise<Hex>>>)[name];
      if (sign === undefined) {
        throw new AnchorError("ANCHOR_INVALID_OPTION", `The account cannot ${name}`, {
          evidence: { type: account.type },
        });
      }
      return sign.bind(account);
    };
    return {
      signTransaction: (tx: TransactionSerializable) => signer("signTransaction")(tx),
      signMessage: (message: { message: SignableMessage }) => signer("signMessage")(message),
      signTypedData: (typed: TypedDataDefinition) => signer("signTypedData")(typed),
      upload: async (block: { cid: string; bytes: Uint8Array; name?: string }) =>
        await (service as PinningService).upload(block),
      uploadCar: async (car: { root: string; bytes: Uint8Array; name?: string }) => {
        if (service?.uploadCar === undefined) throw new AnchorError("ANCHOR_INVALID_OPTION", "No uploadCar");
        return await service.uploadCar(car);
      },
    };
  }

  #event(name: string, payload: unknown): void {
    if (name === "ready" || name === "failed") {
      const starting = this.#starting;
      this.#starting = undefined;
      if (name === "ready") starting?.resolve();
      else starting?.reject(fromPortable(payload as PortableError));
    } else if (name === "error") {
      const { error, context } = payload as {
        error: PortableError;
        context: Record<string, number | string>;
      };
      this.#report(fromPortable(error), context);
    } else if (name === "notice") {
      try {
        this.#options.onNotice?.(payload as AnchorNotice);
      } catch {
        // A failing handler must not stop anchoring.
      }
    } else if (name === "recovered") {
      try {
        this.#options.onRecovered?.(payload as Recovery);
      } catch {
        // A failing handler must not stop anchoring.
      }
    } else if (name === "anchored") {
      try {
        this.#options.onAnchored?.(payload as AnchoredCheckpoint);
      } catch {
        // A failing handler must not stop anchoring.
      }
    }
  }

  #report(error: AncoraError, context: AnchorErrorContext): void {
    try {
      this.#options.onError?.(error, context);
    } catch {
      // A failing handler must not stop anchoring.
    }
  }

  #scheduleRestart(): void {
    const wait = this.#restartMs;
    this.#restartMs = Math.min(MAX_RESTART_MS, this.#restartMs * 2);
    this.#ready = new Promise<void>((resolve) => {
      this.#restartTimer = setTimeout(() => {
        if (this.#stopped) return resolve();
        this.start().then(resolve, (error: unknown) => {
          this.#report(error instanceof AncoraError ? error : crashed(error), {});
          resolve(); // the exit handler of the failed start schedules the next attempt
        });
      }, wait);
      if (this.#awaited === 0) this.#restartTimer.unref();
    });
  }
}

/** An uncaught failure in the thread (its own errors arrive typed, through the "failed" event). */
function crashed(error: unknown): AncoraError {
  if (error instanceof AncoraError) return error;
  return new AnchorError("ANCHOR_WORKER_FAILED", "The anchoring worker crashed", {
    details: describeError(error),
    hint: "Queued jobs stay in the outbox; the worker is restarted with backoff.",
  });
}

/**
 * Starts anchoring (and pinning) on a worker thread over the store's file; resolves when the worker has
 * opened the store and accepted the options (bad options reject with the anchorer's typed error).
 *
 * @example
 * ```ts
 * const logger = createLogger({ path: "ancora.db", stream: "loans", model });
 * const worker = await startAnchoringWorker({
 *   path: logger.store.path, streams: "loans", registry, rpcUrl: process.env.RPC_URL!,
 *   account: privateKeyToAccount(process.env.ANCORA_ANCHOR_KEY as Hex),
 *   pinning: { service: pinataService() }, // PINATA_JWT from the environment
 * });
 * // … log as usual; on shutdown:
 * await worker.stop();
 * ```
 */
export async function startAnchoringWorker(
  options: AnchoringWorkerOptions,
  internals: AnchoringWorkerInternals = {},
): Promise<AnchoringWorker> {
  const worker = new AnchoringWorker(options, internals);
  try {
    await worker.start();
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return worker;
}
