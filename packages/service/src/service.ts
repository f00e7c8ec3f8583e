/**
 * The service: the log, the keys, the background workers and the HTTP application, with an orderly
 * shutdown that loses nothing that was acknowledged.
 */
import { mkdirSync } from "node:fs";
import { type AncoraStore, openStore } from "@ancora/sdk";
import Database from "better-sqlite3";
import { buildApp, type RouteInfo } from "./app.js";
import { Background } from "./background.js";
import type { ServiceContext } from "./context.js";
import { AuditRunner } from "./internal/audit-job.js";
import { PostgresReplica } from "./internal/postgres-replica.js";
import { KeyRing } from "./keys.js";
import { Metrics } from "./metrics.js";
import { resolveOptions, type ServiceOptions } from "./options.js";
import { InflightGate } from "./pushback.js";
import type { App } from "./routes/app-type.js";
import { StreamLoggers } from "./streams.js";

/** Default address of {@link startService}: loopback only, unless told otherwise. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;

/** A created service (not listening: see {@link startService}, or use `app.inject` in tests). */
export interface AncoraService {
  /** The Fastify application. */
  readonly app: App;
  /**
   * The log's read side (the same file the routes write). With a PostgreSQL log (`database`), the
   * replica's copy of it (`log-copy.db`), brought up to date before every read.
   */
  readonly store: AncoraStore;
  /** Multiaddrs of the embedded IPFS node, when it runs. */
  readonly ipfsAddresses: string[];
  /** Base URL of the embedded node's HTTP block gateway, when it serves one. */
  readonly ipfsGateway: string | undefined;
  /** Every route of the application (method and URL pattern). */
  readonly routes: readonly RouteInfo[];
  /**
   * Stops accepting requests, waits for those in flight (their decisions become durable and are
   * answered), writes whatever is queued, stops anchoring, pinning and IPFS, and closes the log.
   * Idempotent.
   */
  close(): Promise<void>;
}

/** Options of {@link startService}. */
export interface StartOptions extends ServiceOptions {
  host?: string;
  port?: number;
}

/** A listening service. */
export interface RunningService {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  service: AncoraService;
  close(): Promise<void>;
}

/**
 * Creates the service over `options.dataDir` (creating the directory and the log when missing).
 *
 * @example
 * ```ts
 * const service = await createService({ dataDir: "/var/lib/ancora", log: false });
 * const res = await service.app.inject({ method: "GET", url: "/health" });
 * await service.close();
 * ```
 */
export async function createService(options: ServiceOptions): Promise<AncoraService> {
  const resolved = resolveOptions(options);
  mkdirSync(resolved.dataDir, { recursive: true, mode: 0o700 });
  const keys = new KeyRing(resolved.dataDir);
  const postgres = resolved.database !== undefined;
  // With a PostgreSQL log the local file is the replica's copy of it: reads are answered from it once it
  // has caught up, and anchoring runs on it while this replica holds the lease (internal/postgres-replica.ts).
  const store = openStore({ path: resolved.logPath });
  // Outbox counts for /metrics, on a read-only connection of its own.
  const reader = new Database(resolved.logPath, { readonly: true, fileMustExist: true });
  const outbox = reader.prepare<[], { kind: string; n: number }>(
    "SELECT kind, count(*) AS n FROM outbox WHERE done_at IS NULL GROUP BY kind",
  );
  let background: Background | undefined;
  let replica: PostgresReplica | undefined;
  const current = () => background ?? replica?.background;
  const ctx: ServiceContext = {
    options: resolved,
    store,
    keys,
    loggers: new StreamLoggers(
      resolved.logPath,
      { createdBy: resolved.createdBy, ...(resolved.org === undefined ? {} : { org: resolved.org }) },
      resolved.groupCommit,
      (stream) => background?.streamOpened(stream),
      resolved.database,
    ),
    metrics: new Metrics(),
    gate: new InflightGate(resolved.maxInflight, resolved.retryAfterSeconds),
    audit: new AuditRunner(resolved.retryAfterSeconds),
    labelNames: new Map(),
    closing: false,
    startedAt: Date.now(),
  };
  let app: App;
  const routes: RouteInfo[] = [];
  try {
    app = await buildApp(
      ctx,
      () => ({
        outbox: new Map([
          ...(current()?.outboxKinds() ?? []).map((kind) => [kind, 0] as const),
          ...outbox.all().map((r) => [r.kind, r.n] as const),
        ]),
        anchorLag: current()?.anchorLag() ?? new Map(),
        anchorLagSeconds: current()?.anchorLagSeconds() ?? new Map(),
        inflight: ctx.gate.count,
      }),
      routes,
    );
    await app.ready();
    if (!postgres) background = await Background.start(store, resolved, app.log);
    else {
      const started = await PostgresReplica.start(store, resolved, app.log);
      replica = started;
      ctx.catchUp = () => started.catchUp();
    }
  } catch (error) {
    reader.close();
    store.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ctx.closing = true;
      // In-flight requests get closeGraceMs to finish; after that their connections are cut (their
      // decisions are still written below, but the clients were not told: they were not acknowledged).
      const cut = setTimeout(() => app.server.closeAllConnections(), resolved.closeGraceMs);
      cut.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
        await background?.stop();
        await replica?.stop();
        await ctx.audit.close();
        await ctx.loggers.close();
        reader.close();
        store.close();
      }
    })();
    return closing;
  };

  return {
    app,
    store,
    routes,
    get ipfsGateway() {
      return background?.ipfsGateway;
    },
    get ipfsAddresses() {
      return background?.ipfsAddresses ?? [];
    },
    close,
  };
}

/**
 * Creates the service and listens (default `127.0.0.1:8080`; port 0 picks a free one).
 *
 * @example
 * ```ts
 * const { url, close } = await startService({ dataDir: "/var/lib/ancora", port: 8080 });
 * process.once("SIGTERM", () => void close());
 * ```
 */
export async function startService(options: StartOptions): Promise<RunningService> {
  const { host = DEFAULT_HOST, port = DEFAULT_PORT, ...rest } = options;
  const service = await createService(rest);
  let address: string;
  try {
    address = await service.app.listen({ host, port });
  } catch (error) {
    await service.close();
    throw error;
  }
  return { url: address, service, close: () => service.close() };
}
