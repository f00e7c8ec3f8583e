/**
 * The anchoring worker's thread (see worker.ts): an anchorer and, when asked, a pinner over the worker's
 * own connection to the store's file. Signatures, and uploads through a service that could not be
 * rebuilt here, are asked of the starting thread.
 */
import { parentPort, Worker, workerData } from "node:worker_threads";
import { rpcTransport } from "@ancora/verifier";
import { workerScript } from "@ancora/verifier/node";
import { createPublicClient, createWalletClient, type Hex, type PublicClient } from "viem";
import { toAccount } from "viem/accounts";
import type { PinningService } from "../pinning/adapter.js";
import { kuboService } from "../pinning/kubo.js";
import { pinataService } from "../pinning/pinata.js";
import { createPinner, type Pinner } from "../pinning/pinner.js";
import type { PortableServiceSpec } from "../pinning/portable.js";
import { type AncoraStore, openStore } from "../store.js";
import { type Anchorer, createAnchorer } from "./anchorer.js";
import type { AnchorErrorContext, AnchorerOptions, AnchorerTuning } from "./anchorer-options.js";
import type { IndexThreadInit } from "./index-thread.js";
import { Rpc, toPortable } from "./worker-rpc.js";

/** What the starting thread sends (structured-clonable; see worker.ts `threadInit`). */
export interface ThreadInit {
  path: string;
  streams: string[];
  registry: `0x${string}`;
  /** One or more endpoints, tried in order. */
  rpcUrls: string[];
  rpcHeaders?: Record<string, string>;
  rpcTimeoutMs: number;
  /** `signs`: the starting thread signs each transaction; otherwise the node does (a JSON-RPC account). */
  account: { address: `0x${string}`; signs: boolean };
  anchorer: AnchorerTuning;
  pinning?: {
    /** A factory's spec to rebuild the service here, or a service that stays on the starting thread. */
    service: PortableServiceSpec | { bridged: string; car: boolean };
    mode: "batch" | "record";
    intervalMs: number;
    timeoutMs?: number;
    concurrency?: number;
    backoff?: { baseMs?: number; maxMs?: number };
  };
}

/** The search index's background catch-up (./index-thread.ts): how often, and at most how many records a time. */
const INDEX_INTERVAL_MS = 1_000;
const INDEX_PER_TICK = 50_000;
/** How long after its thread exited unasked the index catch-up is started again. */
const INDEX_RESTART_MS = 5_000;

class AnchoringThread {
  readonly #init: ThreadInit;
  readonly #rpc: Rpc;
  readonly #store: AncoraStore;
  readonly #clients: Pick<AnchorerOptions, "publicClient" | "walletClient">;
  readonly #service: PinningService | undefined;
  #streams: string[];
  #anchorer: Anchorer;
  #pinner: Pinner | undefined;
  #pinTimer: NodeJS.Timeout | undefined;
  #indexer: Worker | undefined;
  #indexRestart: NodeJS.Timeout | undefined;
  #pinning: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(init: ThreadInit, rpc: Rpc) {
    this.#init = init;
    this.#rpc = rpc;
    this.#streams = init.streams;
    this.#store = openStore({ path: init.path });
    try {
      const transport = rpcTransport(
        { urls: init.rpcUrls, ...(init.rpcHeaders === undefined ? {} : { headers: init.rpcHeaders }) },
        { timeoutMs: init.rpcTimeoutMs },
      );
      const account = init.account.signs
        ? toAccount({
            address: init.account.address,
            signTransaction: (transaction) => rpc.call<Hex>("signTransaction", plainFields(transaction)),
            signMessage: (message) => rpc.call<Hex>("signMessage", message),
            signTypedData: (typed) => rpc.call<Hex>("signTypedData", typed),
          })
        : init.account.address;
      this.#clients = {
        // No chain object: the chain id is asked of the node when needed, so a node that is down at
        // start only delays the first anchor, like the in-thread anchorer.
        publicClient: createPublicClient({ transport }) as PublicClient,
        walletClient: createWalletClient({ account, transport }) as AnchorerOptions["walletClient"],
      };
      this.#service = init.pinning === undefined ? undefined : serviceOf(init.pinning.service, rpc);
      this.#pinner = this.#makePinner();
      this.#anchorer = this.#makeAnchorer();
    } catch (error) {
      this.#store.close();
      throw error;
    }
  }

  start(): void {
    this.#anchorer.start();
    if (this.#pinner !== undefined) this.#pinLoop();
    this.#startIndexer();
  }

  #makeAnchorer(): Anchorer {
    const pinner = this.#pinner;
    return createAnchorer({
      ...this.#init.anchorer,
      ...this.#clients,
      store: this.#store,
      streams: this.#streams,
      registry: this.#init.registry,
      ...(pinner !== undefined && this.#init.pinning?.mode === "batch"
        ? { onManifest: pinner.enqueueManifest }
        : {}),
      onError: (error, context) => this.#report(error, context),
      onAnchored: (anchor) => this.#rpc.emit("anchored", anchor),
      onRecovered: (recovery) => this.#rpc.emit("recovered", recovery),
      onNotice: (notice) => this.#rpc.emit("notice", notice),
    });
  }

  #makePinner(): Pinner | undefined {
    const pinning = this.#init.pinning;
    if (pinning === undefined || this.#service === undefined) return undefined;
    return createPinner({
      store: this.#store,
      service: this.#service,
      mode: pinning.mode,
      ...(pinning.mode === "record" ? { streams: this.#streams } : {}),
      ...(pinning.timeoutMs === undefined ? {} : { timeoutMs: pinning.timeoutMs }),
      ...(pinning.concurrency === undefined ? {} : { concurrency: pinning.concurrency }),
      ...(pinning.backoff === undefined ? {} : { backoff: pinning.backoff }),
      onError: (error, context) =>
        this.#report(error, {
          jobId: context.jobId,
          ...(context.nextAttemptAt === undefined ? {} : { nextAttemptAt: context.nextAttemptAt }),
        }),
      onRecovered: (recovery) => this.#rpc.emit("recovered", recovery),
    });
  }

  /**
   * Keeps the search index caught up off the request path (see AncoraStore.indexForSearch) on a thread
   * of its own (./index-thread.ts): on this one its lock waits and work delayed anchoring passes. Best
   * effort: a thread that exits unasked is started again a few seconds later, and queries catch up
   * themselves meanwhile.
   */
  #startIndexer(): void {
    const script = workerScript(import.meta.url, "index-thread");
    const init: IndexThreadInit = {
      path: this.#init.path,
      intervalMs: INDEX_INTERVAL_MS,
      maxRecords: INDEX_PER_TICK,
    };
    const indexer = new Worker(script.url, { workerData: init, execArgv: script.execArgv });
    indexer.on("error", () => undefined); // reported by its exit
    indexer.on("exit", () => {
      if (this.#indexer === indexer) this.#indexer = undefined;
      if (this.#stopped) return;
      this.#indexRestart = setTimeout(() => {
        if (!this.#stopped) this.#startIndexer();
      }, INDEX_RESTART_MS);
    });
    this.#indexer = indexer;
  }

  /** Stops the index thread: it closes its connection first. */
  async #stopIndexer(): Promise<void> {
    clearTimeout(this.#indexRestart);
    const indexer = this.#indexer;
    if (indexer === undefined) return;
    const exited = new Promise<void>((resolve) => indexer.once("exit", () => resolve()));
    indexer.postMessage("stop");
    // A thread stuck in a long lock wait is not waited for beyond a few seconds.
    const timeout = setTimeout(() => void indexer.terminate(), INDEX_RESTART_MS);
    await exited;
    clearTimeout(timeout);
  }

  #pinLoop(): void {
    this.#pinTimer = setTimeout(() => {
      this.#pinning = (this.#pinner?.tick() ?? Promise.resolve()).catch(() => undefined);
      void this.#pinning.finally(() => {
        if (!this.#stopped) this.#pinLoop();
      });
    }, this.#init.pinning?.intervalMs);
  }

  #report(error: unknown, context: AnchorErrorContext): void {
    this.#rpc.emit("error", { error: toPortable(error), context });
  }

  async tick() {
    const anchoring = await this.#anchorer.tick();
    const pinning = await this.#pinner?.tick();
    return { anchoring, ...(pinning === undefined ? {} : { pinning }) };
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    // Anchoring first: each anchor queues the pinning of its manifest.
    const anchored = await this.#anchorer.drain({ timeoutMs });
    if (this.#pinner === undefined) return anchored;
    const pinned = await this.#pinner.drain({ timeoutMs: Math.max(0, deadline - Date.now()) });
    return anchored && pinned;
  }

  backlog() {
    const pinJobs = this.#pinner?.backlog().jobs;
    return { ...this.#anchorer.backlog(), ...(pinJobs === undefined ? {} : { pinJobs }) };
  }

  async setStreams(streams: string[]): Promise<void> {
    await this.#anchorer.stop();
    this.#streams = streams;
    if (this.#init.pinning?.mode === "record") {
      await this.#pinning;
      this.#pinner = this.#makePinner();
    }
    this.#anchorer = this.#makeAnchorer();
    if (!this.#stopped) this.#anchorer.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#pinTimer);
    await Promise.all([this.#anchorer.stop(), this.#stopIndexer()]);
    await this.#pinning;
    this.#store.close();
  }
}

/**
 * The fields of a transaction that cross to the signing thread: what viem hands an account carries the
 * account and chain objects too (functions, which cannot be cloned and are not part of what is signed).
 */
function plainFields(transaction: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(transaction).filter(
      ([key, value]) => key !== "account" && key !== "chain" && typeof value !== "function",
    ),
  );
}

/** The pinning service in this thread: rebuilt from its factory's spec, or a proxy to the starting thread. */
function serviceOf(spec: PortableServiceSpec | { bridged: string; car: boolean }, rpc: Rpc): PinningService {
  if ("factory" in spec)
    return spec.factory === "pinata" ? pinataService(spec.options) : kuboService(spec.options);
  return {
    name: spec.bridged,
    // Only the data crosses (an AbortSignal cannot): the starting thread's service applies its own timeout.
    upload: ({ cid, bytes, name }) =>
      rpc.call("upload", { cid, bytes, ...(name === undefined ? {} : { name }) }),
    ...(spec.car
      ? {
          uploadCar: ({ root, bytes, name }) =>
            rpc.call("uploadCar", { root, bytes, ...(name === undefined ? {} : { name }) }),
        }
      : {}),
  };
}

const port = parentPort;
if (port !== null) {
  let thread: AnchoringThread | undefined;
  const rpc = new Rpc(port, {
    tick: () => thread?.tick(),
    drain: (timeoutMs: number) => thread?.drain(timeoutMs),
    backlog: () => thread?.backlog(),
    setStreams: (streams: string[]) => thread?.setStreams(streams),
    stop: async () => {
      await thread?.stop();
      // Answered first; then the thread ends (its port would otherwise keep it alive).
      setImmediate(() => process.exit(0));
    },
  });
  try {
    thread = new AnchoringThread(workerData as ThreadInit, rpc);
    thread.start();
    rpc.emit("ready", null);
  } catch (error) {
    rpc.emit("failed", toPortable(error));
    setImmediate(() => process.exit(1));
  }
}
