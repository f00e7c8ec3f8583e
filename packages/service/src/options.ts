/**
 * Options of the service, their named defaults and the validation that rejects bad combinations
 * when the service is created, not on the first request.
 */
import { join } from "node:path";
import type { AnchorWalletClient, IpfsNodeOptions, PinningService } from "@ancora/sdk";
import { isPostgresUrl } from "@ancora/verifier/node";
import type { Address, Hex, PublicClient } from "viem";
import { ServiceError } from "./errors.js";

/** Largest request body, in bytes (a batch of `maxBatch` typical decisions fits easily). */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;
/** Most decisions in one batch request. */
export const DEFAULT_MAX_BATCH = 1000;
/** Largest `limit` of a search page. */
export const DEFAULT_MAX_PAGE_SIZE = 500;
/** Decisions accepted but not yet durable beyond which writes are refused with 503. */
export const DEFAULT_MAX_INFLIGHT = 5000;
/** What a 503 asks clients to wait, in seconds. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;
/** How long `close()` waits for in-flight requests before cutting connections. */
export const DEFAULT_CLOSE_GRACE_MS = 10_000;
/** Name of the SQLite log inside the data directory. */
export const LOG_FILE = "ancora.db";
/** With a PostgreSQL log: the replica's copy of it, which reads are answered from and anchoring runs on. */
export const LOG_COPY_FILE = "log-copy.db";

/**
 * Chain access for anchoring: RPC endpoints and a key (from the environment, by the caller), or
 * clients. Several URLs are tried in order; `rpcHeaders` go with every request. URLs, headers and the
 * key are never logged.
 */
export type AnchoringConnection =
  | { rpcUrl: string | readonly string[]; rpcHeaders?: Readonly<Record<string, string>>; privateKey: Hex }
  | { publicClient: PublicClient; walletClient: AnchorWalletClient };

/** Anchoring of every stream the service writes (the SDK's anchorer). */
export type AnchoringOptions = AnchoringConnection & {
  /** ProvenanceRegistry address; the key needs ANCHORER_ROLE and each stream must be registered. */
  registry: Address;
  /** Blocks to wait for (SDK default 2). */
  confirmations?: number;
  /** Checkpoint every N records or T ms, whichever first (SDK defaults 1,000 and 60 s). */
  everyRecords?: number;
  everyMs?: number;
  /** Anchorer tick interval (SDK default 1 s). */
  pollIntervalMs?: number;
};

/** Remote pinning of what the service logs (the SDK's pinner, ticked in the background). */
export interface PinningOptions {
  service: PinningService;
  /** `batch`: one job per anchor (needs anchoring); `record`: every record (default `batch` with anchoring, else `record`). */
  mode?: "batch" | "record";
  /** Pinner tick interval (default 5 s). */
  intervalMs?: number;
}

/**
 * Where the service logs (pino through Fastify): one JSON object per line, on `destination` (default
 * stdout). `ancora serve` passes stderr, so its stdout holds only its own result. Request bodies are
 * never logged.
 */
export type LogOption =
  | false
  | {
      level?: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
      /** Where the JSON lines are written (default: stdout). */
      destination?: { write(line: string): unknown };
    };

/** Options of {@link createService}. */
export interface ServiceOptions {
  /**
   * Directory holding the SQLite log (`ancora.db`) and the API key file (`api-keys.json`). Every file
   * the service opens is derived from this option, never from a request.
   */
  dataDir: string;
  /**
   * A PostgreSQL log (`postgres://…`) instead of the data directory's SQLite file: several replicas on
   * several machines write the same streams. Each replica keeps a checked copy of the log in the data
   * directory (`log-copy.db`) and answers reads from it; with `anchoring` (and `pinning`), one replica at
   * a time anchors the log. Lineage and consent writes answer NOT_ON_POSTGRES, and the embedded IPFS node
   * is refused, as of 0.1.0 (docs/operations.md, "PostgreSQL").
   */
  database?: string;
  anchoring?: AnchoringOptions;
  /** Start the embedded IPFS node over the log (`true` for loopback defaults). */
  ipfs?: boolean | Omit<IpfsNodeOptions, "store" | "blockstore">;
  pinning?: PinningOptions;
  limits?: {
    bodyLimit?: number;
    maxBatch?: number;
    maxPageSize?: number;
    maxInflight?: number;
    retryAfterSeconds?: number;
  };
  /**
   * The SDK's group commit: how long to gather decisions into one transaction (default 0: one
   * event-loop turn) and at most how many per transaction (SDK default 4096).
   */
  groupCommit?: { windowMs?: number; maxBatch?: number };
  /** How long close() waits for in-flight requests before cutting connections. */
  closeGraceMs?: number;
  /** Logging (default: info level to stdout). */
  log?: LogOption;
  /** Created-by of the genesis record of streams the service creates (default "ancora-service"). */
  createdBy?: string;
  /** Organisation named in the genesis record of streams the service creates. */
  org?: string;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  dataDir: string;
  logPath: string;
  /** The PostgreSQL log's URL, when the log is kept there. */
  database: string | undefined;
  anchoring: AnchoringOptions | undefined;
  ipfs: Omit<IpfsNodeOptions, "store" | "blockstore"> | undefined;
  pinning: PinningOptions | undefined;
  bodyLimit: number;
  maxBatch: number;
  maxPageSize: number;
  maxInflight: number;
  retryAfterSeconds: number;
  closeGraceMs: number;
  groupCommit: { windowMs?: number; maxBatch?: number } | undefined;
  log: LogOption;
  createdBy: string;
  org: string | undefined;
}

function integer(
  value: number | undefined,
  fallback: number,
  name: string,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new ServiceError("INVALID_OPTION", `${name} must be an integer from ${min} to ${max}`, {
      evidence: { option: name },
    });
  }
  return v;
}

/** Applies defaults and checks the options (throws INVALID_OPTION). */
export function resolveOptions(options: ServiceOptions): ResolvedOptions {
  if (typeof options?.dataDir !== "string" || options.dataDir.length === 0) {
    throw new ServiceError("INVALID_OPTION", "dataDir must name a directory", {
      hint: "Pass the directory holding ancora.db and api-keys.json (created by `ancora init`).",
    });
  }
  const limits = options.limits ?? {};
  const maxBatch = integer(limits.maxBatch, DEFAULT_MAX_BATCH, "limits.maxBatch", 1, 100_000);
  const maxInflight = integer(limits.maxInflight, DEFAULT_MAX_INFLIGHT, "limits.maxInflight", 1, 10_000_000);
  if (maxInflight < maxBatch) {
    throw new ServiceError("INVALID_OPTION", "limits.maxInflight must be at least limits.maxBatch", {
      hint: "Otherwise a full batch could never be accepted.",
    });
  }
  if (options.database !== undefined) {
    if (typeof options.database !== "string" || !isPostgresUrl(options.database)) {
      throw new ServiceError("INVALID_OPTION", "database must be a postgres:// connection string", {
        evidence: { option: "database" },
      });
    }
    if (options.ipfs !== undefined && options.ipfs !== false) {
      throw new ServiceError("INVALID_OPTION", "ipfs cannot run on a PostgreSQL log yet", {
        hint: "Turn the embedded IPFS node off for the replicas that write to PostgreSQL (pin to a pinning service instead), or keep the log in SQLite.",
        evidence: { options: ["ipfs"] },
      });
    }
  }
  if (options.pinning?.mode === "batch" && options.anchoring === undefined) {
    throw new ServiceError("INVALID_OPTION", 'pinning.mode "batch" needs anchoring', {
      hint: 'Batches are the anchors\' manifests: configure anchoring, or use mode "record".',
    });
  }
  return {
    dataDir: options.dataDir,
    // With a PostgreSQL log, the local file is the replica's copy of it (internal/postgres-replica.ts).
    logPath: join(options.dataDir, options.database === undefined ? LOG_FILE : LOG_COPY_FILE),
    database: options.database,
    anchoring: options.anchoring,
    ipfs: options.ipfs === true ? {} : options.ipfs === false ? undefined : options.ipfs,
    pinning: options.pinning,
    bodyLimit: integer(limits.bodyLimit, DEFAULT_BODY_LIMIT, "limits.bodyLimit", 1024, 1024 * 1024 * 1024),
    maxBatch,
    maxPageSize: integer(limits.maxPageSize, DEFAULT_MAX_PAGE_SIZE, "limits.maxPageSize", 1, 1000),
    maxInflight,
    retryAfterSeconds: integer(
      limits.retryAfterSeconds,
      DEFAULT_RETRY_AFTER_SECONDS,
      "limits.retryAfterSeconds",
      1,
      3600,
    ),
    closeGraceMs: integer(options.closeGraceMs, DEFAULT_CLOSE_GRACE_MS, "closeGraceMs", 0, 3_600_000),
    groupCommit: options.groupCommit,
    log: options.log ?? { level: "info" },
    createdBy: options.createdBy ?? "ancora-service",
    org: options.org,
  };
}
