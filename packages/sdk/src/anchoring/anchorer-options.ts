/**
 * The anchorer's options: their defaults, the handlers' argument types, the tuning that can cross to a
 * worker thread, and the parsing that checks them once, at construction (bad combinations fail there).
 */
import { encodeStreamId } from "@ancora/contracts";
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import { AnchorError } from "../errors.js";
import type { AncoraStore } from "../store.js";
import type { AnchoredCheckpoint } from "./anchor-store.js";

/**
 * Checkpoint every this many records by default. The time bound below caps how long a record waits for
 * its anchor; this bound only sets the batch size of a busy stream, where larger batches cost less gas per
 * record (an anchor costs ~60–65k gas whatever it covers: ~3.2 gas per record at 20,000, 59 at 1,000).
 */
export const DEFAULT_ANCHOR_EVERY_RECORDS = 20_000;
/** …or this long after the oldest un-checkpointed record, whichever comes first. */
export const DEFAULT_ANCHOR_EVERY_MS = 60_000;
/** Confirmations (blocks including the anchor's) before an anchor counts as done. */
export const DEFAULT_ANCHOR_CONFIRMATIONS = 2;
/** Cap on `maxFeePerGas` by default: 200 gwei. */
export const DEFAULT_MAX_FEE_PER_GAS = 200_000_000_000n;
/** How often the background loop runs. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** A sent transaction not mined after this long is replaced (same nonce, fees +12.5 %). */
export const DEFAULT_REPLACE_AFTER_MS = 120_000;
/** Confirmed anchors in this many latest blocks are re-checked for reorgs. */
export const DEFAULT_REORG_DEPTH = 64;

/** Retry backoff: base and ceiling. */
export const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 300_000 } as const;

/** A wallet client with an account (a local account, an ethers signer adapter, or a JSON-RPC account). */
export type AnchorWalletClient = WalletClient<Transport, Chain | undefined, Account>;

/** Options of {@link createAnchorer}. */
export interface AnchorerOptions {
  /** The store whose checkpoints are anchored (a logger's `store`, or `openStore({ path })`). */
  store: AncoraStore;
  /** Streams to checkpoint and anchor (their on-chain id is `encodeStreamId(name)`). */
  streams: string | readonly string[];
  /** ProvenanceRegistry address. The account must hold ANCHORER_ROLE; the streams must be registered. */
  registry: Address;
  publicClient: PublicClient;
  walletClient: AnchorWalletClient;
  /** "Every N records or T ms, whichever first"; `false` disables automatic checkpoints. */
  policy?: { everyRecords?: number; everyMs?: number } | false;
  /** Blocks (including the anchor's) to wait for. Default {@link DEFAULT_ANCHOR_CONFIRMATIONS}. */
  confirmations?: number;
  /** Cap on the EIP-1559 max fee per gas (wei). Above it, anchors wait. Default {@link DEFAULT_MAX_FEE_PER_GAS}. */
  maxFeePerGas?: bigint;
  /** Cap on the priority fee (wei). Default: the node's suggestion, within `maxFeePerGas`. */
  maxPriorityFeePerGas?: bigint;
  pollIntervalMs?: number;
  replaceAfterMs?: number;
  reorgDepth?: number;
  backoff?: { baseMs?: number; maxMs?: number };
  /**
   * Called with every failure (already recorded in the outbox); never with secrets. A job's failure is
   * reported once per attempt, with `nextAttemptAt`; while the chain is unreachable the anchorer does
   * not try its jobs, and reports the outage once per backoff step.
   */
  onError?: (error: unknown, context: AnchorErrorContext) => void;
  /** Called once when the chain answers again after an outage, with what waited (see {@link Recovery}). */
  onRecovered?: (recovery: Recovery) => void;
  /** Called once with what the operator should know but is not a failure (see {@link AnchorNotice}). */
  onNotice?: (notice: AnchorNotice) => void;
  /** Called when an anchor reaches its confirmations. */
  onAnchored?: (anchor: AnchoredCheckpoint) => void;
  /** Called with each new manifest block after it is stored (e.g. to pin it). Errors fail the job. */
  onManifest?: (block: { stream: string; cid: string; bytes: Uint8Array }) => Promise<void> | void;
  /** Clock (ms since the epoch) and randomness for jitter: tests. */
  now?: () => number;
  random?: () => number;
}

/** The options of the anchorer that are plain data, so they can cross to a worker thread. */
const TUNING_KEYS = [
  "policy",
  "confirmations",
  "maxFeePerGas",
  "maxPriorityFeePerGas",
  "pollIntervalMs",
  "replaceAfterMs",
  "reorgDepth",
  "backoff",
] as const satisfies readonly (keyof AnchorerOptions)[];

/** What `onError` is told besides the error. */
export interface AnchorErrorContext {
  stream?: string;
  size?: number;
  jobId?: number;
  /** When the failed job (or, for a failure without a job, the next health probe) is tried again (ISO 8601). */
  nextAttemptAt?: string;
}

/** A service (the chain, or the pinning service) answering again after failures. */
export interface Recovery {
  service: "chain" | "pinning";
  /** From the first failure seen to the first success, ms. */
  unreachableMs: number;
  /** Jobs waiting when it came back (all of them due at once: the outage's backoff ends with it). */
  jobs: number;
  /** Records not yet covered by a confirmed anchor, summed over the streams (anchoring only). */
  unanchoredRecords?: number;
}

/**
 * Something the operator should know that is not a failure. `CHAIN_MINES_ON_DEMAND`: the node mines only
 * on demand (Hardhat's or anvil's automine), so no block follows an anchor's and its latest block is
 * final: 1 confirmation is waited for instead of `requested` (planConfirmations in @ancora/contracts).
 */
export interface AnchorNotice {
  code: "CHAIN_MINES_ON_DEMAND";
  message: string;
  requested: number;
  confirmations: number;
}

/** The anchorer's tuning: {@link TUNING_KEYS} of its options. */
export type AnchorerTuning = Pick<AnchorerOptions, (typeof TUNING_KEYS)[number]>;

/** The tuning options set in `options`, and nothing else (no callbacks, no clients). */
export function tuningOf(options: AnchorerTuning): AnchorerTuning {
  return Object.fromEntries(
    TUNING_KEYS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]),
  ) as AnchorerTuning;
}

/** The options, checked and with their defaults filled in. */
export interface ParsedOptions {
  streams: string[];
  everyRecords: number;
  everyMs: number;
  auto: boolean;
  confirmations: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint | undefined;
  pollIntervalMs: number;
  replaceAfterMs: number;
  reorgDepth: number;
  backoffBase: number;
  backoffMax: number;
}

function positiveInteger(value: number | undefined, fallback: number, name: string, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new AnchorError("ANCHOR_INVALID_OPTION", `${name} must be an integer >= ${min}`, {
      evidence: { [name]: v },
    });
  }
  return v;
}

/** Checks `options` and fills in the defaults; throws ANCHOR_INVALID_OPTION (or StreamNameError) for bad ones. */
export function parseOptions(options: AnchorerOptions): ParsedOptions {
  const streams = typeof options.streams === "string" ? [options.streams] : [...options.streams];
  if (streams.length === 0)
    throw new AnchorError("ANCHOR_INVALID_OPTION", "streams must name at least one stream");
  for (const s of streams) encodeStreamId(s); // throws StreamNameError for a name the registry cannot hold
  if (!/^0x[0-9a-fA-F]{40}$/.test(options.registry)) {
    throw new AnchorError("ANCHOR_INVALID_OPTION", "registry must be a 0x-address");
  }
  const policy = options.policy === false ? {} : (options.policy ?? {});
  const maxFee = options.maxFeePerGas ?? DEFAULT_MAX_FEE_PER_GAS;
  if (typeof maxFee !== "bigint" || maxFee <= 0n) {
    throw new AnchorError("ANCHOR_INVALID_OPTION", "maxFeePerGas must be a positive bigint (wei)");
  }
  if (options.maxPriorityFeePerGas !== undefined && options.maxPriorityFeePerGas > maxFee) {
    throw new AnchorError("ANCHOR_INVALID_OPTION", "maxPriorityFeePerGas must not exceed maxFeePerGas");
  }
  const backoffBase = positiveInteger(options.backoff?.baseMs, DEFAULT_BACKOFF.baseMs, "backoff.baseMs");
  const backoffMax = positiveInteger(options.backoff?.maxMs, DEFAULT_BACKOFF.maxMs, "backoff.maxMs");
  if (backoffMax < backoffBase)
    throw new AnchorError("ANCHOR_INVALID_OPTION", "backoff.maxMs must be >= backoff.baseMs");
  return {
    streams,
    auto: options.policy !== false,
    everyRecords: positiveInteger(policy.everyRecords, DEFAULT_ANCHOR_EVERY_RECORDS, "policy.everyRecords"),
    everyMs: positiveInteger(policy.everyMs, DEFAULT_ANCHOR_EVERY_MS, "policy.everyMs"),
    confirmations: positiveInteger(options.confirmations, DEFAULT_ANCHOR_CONFIRMATIONS, "confirmations"),
    maxFeePerGas: maxFee,
    maxPriorityFeePerGas: options.maxPriorityFeePerGas,
    pollIntervalMs: positiveInteger(options.pollIntervalMs, DEFAULT_POLL_INTERVAL_MS, "pollIntervalMs"),
    replaceAfterMs: positiveInteger(options.replaceAfterMs, DEFAULT_REPLACE_AFTER_MS, "replaceAfterMs"),
    reorgDepth: positiveInteger(options.reorgDepth, DEFAULT_REORG_DEPTH, "reorgDepth"),
    backoffBase,
    backoffMax,
  };
}
