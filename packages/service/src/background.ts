/**
 * Work off the request path: the SDK's anchorer (given the new stream list when the service opens a
 * stream it was not anchoring), the embedded IPFS node over the log, and the pinner's ticks.
 * Everything they do goes through the log's durable outbox, so stopping them loses nothing.
 *
 * Anchoring configured by RPC URL and key (the CLI's `serve`) runs on the SDK's anchoring worker
 * thread, with the pinner beside it, so building manifests and CARs never holds up a request. Clients
 * given as objects (tests, embedding applications) cannot cross threads: the anchorer then runs here.
 */
import { AncoraError, redactUrls } from "@ancora/core";
import {
  type AnchorErrorContext,
  type Anchorer,
  type AnchorerTuning,
  type AnchoringWorker,
  type AnchorNotice,
  type AncoraStore,
  anchoringLag,
  createAnchorer,
  createPinner,
  type IpfsNode,
  PinError,
  type Pinner,
  type Recovery,
  type RpcEndpoints,
  rpcTransport,
  startAnchoringWorker,
  startIpfsNode,
} from "@ancora/sdk";
import type { FastifyBaseLogger } from "fastify";
import { createPublicClient, createWalletClient, defineChain, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { AnchoringOptions, ResolvedOptions } from "./options.js";

/** How long one RPC request may take before the endpoint counts as unreachable (then the job retries). */
const RPC_TIMEOUT_MS = 10_000;
const DEFAULT_PIN_INTERVAL_MS = 5_000;

/** The RPC endpoints of an anchoring configured by URL(s). */
function endpointsOf(options: Extract<AnchoringOptions, { rpcUrl: unknown }>): RpcEndpoints {
  return {
    urls: typeof options.rpcUrl === "string" ? [options.rpcUrl] : options.rpcUrl,
    ...(options.rpcHeaders === undefined ? {} : { headers: options.rpcHeaders }),
  };
}

async function clients(
  options: AnchoringOptions,
): Promise<Pick<Parameters<typeof createAnchorer>[0], "publicClient" | "walletClient">> {
  if ("publicClient" in options)
    return { publicClient: options.publicClient, walletClient: options.walletClient };
  const endpoints = endpointsOf(options);
  const transport = rpcTransport(endpoints, { timeoutMs: RPC_TIMEOUT_MS });
  const probe = createPublicClient({ transport });
  const id = await probe.getChainId();
  const chain = defineChain({
    id,
    name: `chain ${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [...endpoints.urls] } },
  });
  const publicClient = createPublicClient({ chain, transport }) as PublicClient;
  const walletClient = createWalletClient({
    account: privateKeyToAccount(options.privateKey),
    chain,
    transport,
  });
  return { publicClient, walletClient };
}

/** The anchorer's tuning from the service's anchoring options (its policy, confirmations, tick interval). */
function tuning(anchoring: AnchoringOptions): AnchorerTuning {
  return {
    policy: {
      ...(anchoring.everyRecords === undefined ? {} : { everyRecords: anchoring.everyRecords }),
      ...(anchoring.everyMs === undefined ? {} : { everyMs: anchoring.everyMs }),
    },
    ...(anchoring.confirmations === undefined ? {} : { confirmations: anchoring.confirmations }),
    ...(anchoring.pollIntervalMs === undefined ? {} : { pollIntervalMs: anchoring.pollIntervalMs }),
  };
}

/**
 * One line per failed attempt (the anchorer and the pinner report each once per backoff step): what
 * failed (code, the SDK's redacted short message), what to do (hint) and when it is tried again.
 * Never a URL: messages of Ancora's errors carry none, and anything else is reduced to its class name.
 */
export function logFailure(
  log: Pick<FastifyBaseLogger, "warn">,
  error: unknown,
  context: AnchorErrorContext & { cid?: string },
): void {
  const typed = error instanceof AncoraError ? error : undefined;
  const what = error instanceof PinError ? "pinning" : "anchoring";
  const nextAttemptAt = context.nextAttemptAt;
  const retryInS =
    nextAttemptAt === undefined
      ? undefined
      : Math.max(0, Math.round((Date.parse(nextAttemptAt) - Date.now()) / 1000));
  log.warn(
    {
      code: typed?.code ?? "UNKNOWN",
      ...(typed?.hint === undefined ? {} : { hint: typed.hint }),
      ...context,
    },
    `${what} attempt failed: ${typed === undefined ? "unexpected error" : redactUrls(typed.shortMessage)}${
      retryInS === undefined ? "" : `; next attempt in ${retryInS} s`
    }`,
  );
}

/** One line when the chain or the pinning service answers again, with what waited. */
export function logRecovery(log: Pick<FastifyBaseLogger, "info">, recovery: Recovery): void {
  const records =
    recovery.unanchoredRecords === undefined
      ? ""
      : `, ${recovery.unanchoredRecords} records not yet anchored`;
  log.info(
    { ...recovery },
    `${recovery.service === "chain" ? "chain" : "pinning service"} reachable again after ${Math.round(
      recovery.unreachableMs / 1000,
    )} s; backlog: ${recovery.jobs} jobs${records}`,
  );
}

/** One line for what the operator should know that is not a failure (e.g. a chain that mines on demand). */
export function logNotice(log: Pick<FastifyBaseLogger, "info">, notice: AnchorNotice): void {
  log.info({ ...notice }, `notice: ${notice.message}`);
}

/** The background workers of one service. */
export class Background {
  readonly #store: AncoraStore;
  readonly #options: ResolvedOptions;
  readonly #log: FastifyBaseLogger;
  #clients: Awaited<ReturnType<typeof clients>> | undefined;
  #anchorer: Anchorer | undefined;
  /** Anchoring (and pinning) on a worker thread, when anchoring is configured by RPC URL and key. */
  #worker: AnchoringWorker | undefined;
  #anchored = new Set<string>();
  #rebuild: Promise<void> = Promise.resolve();
  #pinner: Pinner | undefined;
  #pinTimer: NodeJS.Timeout | undefined;
  #pinning: Promise<unknown> | undefined;
  #ipfs: IpfsNode | undefined;
  #stopped = false;

  private constructor(store: AncoraStore, options: ResolvedOptions, log: FastifyBaseLogger) {
    this.#store = store;
    this.#options = options;
    this.#log = log;
  }

  /** Starts what the options ask for. */
  static async start(
    store: AncoraStore,
    options: ResolvedOptions,
    log: FastifyBaseLogger,
  ): Promise<Background> {
    const bg = new Background(store, options, log);
    try {
      bg.#anchored = new Set(store.streams().map((s) => s.name));
      if (bg.#onWorker()) {
        await bg.#startWorker();
      } else {
        if (options.anchoring !== undefined) {
          bg.#clients = await clients(options.anchoring);
          bg.#startAnchorer();
        }
        if (options.pinning !== undefined) bg.#startPinner();
      }
      if (options.ipfs !== undefined) bg.#ipfs = await startIpfsNode({ ...options.ipfs, store });
    } catch (error) {
      await bg.stop();
      throw error;
    }
    return bg;
  }

  /** Multiaddrs of the embedded IPFS node, when it runs. */
  get ipfsGateway(): string | undefined {
    return this.#ipfs?.gatewayUrl;
  }

  get ipfsAddresses(): string[] {
    return this.#ipfs?.addresses ?? [];
  }

  /** The anchorer, when anchoring is configured. */
  get anchorer(): Anchorer | undefined {
    return this.#anchorer;
  }

  #startAnchorer(): void {
    const anchoring = this.#options.anchoring;
    if (anchoring === undefined || this.#clients === undefined || this.#anchored.size === 0) return;
    const anchorer = createAnchorer({
      store: this.#store,
      streams: [...this.#anchored].sort(),
      registry: anchoring.registry,
      ...this.#clients,
      ...tuning(anchoring),
      ...(this.#pinner !== undefined && this.#pinMode() === "batch"
        ? { onManifest: this.#pinner.enqueueManifest }
        : {}),
      onError: (error, context) => logFailure(this.#log, error, context),
      onRecovered: (recovery) => logRecovery(this.#log, recovery),
      onNotice: (notice) => logNotice(this.#log, notice),
    });
    anchorer.start();
    this.#anchorer = anchorer;
  }

  /** Whether anchoring, and pinning with it, run on the worker thread. */
  #onWorker(): boolean {
    const anchoring = this.#options.anchoring;
    return anchoring !== undefined && "rpcUrl" in anchoring;
  }

  async #startWorker(): Promise<void> {
    const anchoring = this.#options.anchoring;
    if (anchoring === undefined || !("rpcUrl" in anchoring) || this.#anchored.size === 0) return;
    const pinning = this.#options.pinning;
    this.#worker = await startAnchoringWorker({
      path: this.#store.path,
      streams: [...this.#anchored].sort(),
      registry: anchoring.registry,
      rpcUrl: anchoring.rpcUrl,
      ...(anchoring.rpcHeaders === undefined ? {} : { rpcHeaders: anchoring.rpcHeaders }),
      account: privateKeyToAccount(anchoring.privateKey),
      ...tuning(anchoring),
      ...(pinning === undefined
        ? {}
        : {
            pinning: {
              service: pinning.service,
              mode: this.#pinMode(),
              intervalMs: pinning.intervalMs ?? DEFAULT_PIN_INTERVAL_MS,
            },
          }),
      onError: (error, context) => logFailure(this.#log, error, context),
      onRecovered: (recovery) => logRecovery(this.#log, recovery),
      onNotice: (notice) => logNotice(this.#log, notice),
    });
  }

  #pinMode(): "batch" | "record" {
    return this.#options.pinning?.mode ?? (this.#options.anchoring === undefined ? "record" : "batch");
  }

  #startPinner(): void {
    const pinning = this.#options.pinning;
    if (pinning === undefined) return;
    const mode = this.#pinMode();
    this.#pinner = createPinner({
      store: this.#store,
      service: pinning.service,
      mode,
      ...(mode === "record" ? { streams: this.#store.streams().map((s) => s.name) } : {}),
      onError: (error, context) => logFailure(this.#log, error, context),
      onRecovered: (recovery) => logRecovery(this.#log, recovery),
    });
    const loop = () => {
      this.#pinTimer = setTimeout(() => {
        this.#pinning = (this.#pinner?.tick() ?? Promise.resolve())
          .catch(() => undefined)
          .finally(() => {
            if (!this.#stopped) loop();
          });
      }, pinning.intervalMs ?? DEFAULT_PIN_INTERVAL_MS);
      this.#pinTimer.unref();
    };
    loop();
  }

  /** A stream the service opened: anchor (and, per record, pin) it from now on. */
  streamOpened(stream: string): void {
    if (this.#stopped) return;
    if (this.#onWorker()) {
      if (this.#anchored.has(stream)) return;
      this.#anchored.add(stream);
      const streams = [...this.#anchored].sort();
      this.#rebuild = this.#rebuild.then(async () => {
        if (this.#stopped) return;
        try {
          if (this.#worker === undefined) await this.#startWorker();
          else await this.#worker.setStreams(streams);
        } catch (error) {
          this.#log.warn(
            { code: (error as { code?: unknown }).code, stream },
            "could not start anchoring a stream",
          );
        }
      });
      return;
    }
    if (this.#options.pinning !== undefined && this.#pinMode() === "record") {
      clearTimeout(this.#pinTimer);
      this.#startPinner();
    }
    if (this.#options.anchoring === undefined || this.#anchored.has(stream)) return;
    this.#anchored.add(stream);
    this.#rebuild = this.#rebuild.then(async () => {
      await this.#anchorer?.stop();
      if (!this.#stopped) this.#startAnchorer();
    });
  }

  /** The outbox kinds this service works on (their backlog gauge reads 0 when nothing waits). */
  outboxKinds(): string[] {
    return [
      ...(this.#options.anchoring === undefined ? [] : ["anchor"]),
      ...(this.#options.pinning === undefined ? [] : [`pin:${this.#options.pinning.service.name}`]),
    ];
  }

  /** Records not yet covered by a confirmed anchor, per stream of the log. */
  anchorLag(): Map<string, number> {
    return new Map(this.#lag().map((l) => [l.stream, l.unanchoredRecords]));
  }

  /** Age (seconds) of the oldest record not yet covered by a confirmed anchor, per stream; 0 when none. */
  anchorLagSeconds(now = Date.now()): Map<string, number> {
    return new Map(
      this.#lag().map((l) => [
        l.stream,
        l.oldestUnanchoredAt === null ? 0 : Math.max(0, (now - l.oldestUnanchoredAt) / 1000),
      ]),
    );
  }

  #lag() {
    const registry = this.#options.anchoring?.registry;
    return anchoringLag(this.#store, registry === undefined ? {} : { registry });
  }

  /** Stops everything; queued jobs stay in the outbox for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#pinTimer);
    await this.#rebuild;
    await this.#anchorer?.stop();
    await this.#worker?.stop();
    await this.#pinning;
    await this.#ipfs?.stop();
  }
}
