/**
 * Confirmations that match the chain, and a wait for them that shows progress and ends.
 *
 * A development node that mines only on demand (Hardhat's and anvil's automine: one block per
 * transaction, none otherwise) never makes the block after an anchor's, so waiting for 2 confirmations
 * there waits for ever. Such a node is a single machine with no other miner: a mined block cannot be
 * reorganised away, so its latest block is final and one confirmation is all there is. On such a chain
 * {@link planConfirmations} counts one confirmation as final and says so (the caller shows the notice);
 * on any other chain the requested number stands and {@link waitForConfirmations} waits for it, with
 * progress, up to a timeout whose error names the transaction and the blocks seen.
 */
import {
  type Hash,
  HttpRequestError,
  type PublicClient,
  TimeoutError,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from "viem";
import { RegistryError } from "./errors.js";

/** How long {@link waitForConfirmations} waits by default: 5 minutes (25 blocks of 12 s). */
export const DEFAULT_CONFIRMATION_TIMEOUT_MS = 300_000;
/** How often it looks at the chain by default. */
export const DEFAULT_CONFIRMATION_POLL_MS = 1_000;

/** What a chain's confirmations will be: those requested, or 1 on a chain that mines only on demand. */
export interface ConfirmationPlan {
  /** Confirmations asked for. */
  readonly requested: number;
  /** Confirmations that will be waited for. */
  readonly confirmations: number;
  /** The node reported automine: it mines one block per transaction and no other. */
  readonly minesOnDemand: boolean;
  /** Set when `confirmations` is not `requested`: one line saying why, for the operator. */
  readonly notice?: string;
}

type RawRequest = (args: { method: string }) => Promise<unknown>;

/** Methods that report automine: Hardhat's, then anvil's (anvil answers either on recent versions). */
const AUTOMINE_METHODS = ["hardhat_getAutomine", "anvil_getAutomine"] as const;

/**
 * Whether the node mines only on demand (Hardhat's or anvil's automine). A node that does not know
 * the methods (every production node) answers with an error: false. A node that cannot be reached
 * throws, so a transient outage is not taken for an answer.
 */
export async function minesOnDemand(client: Pick<PublicClient, "request">): Promise<boolean> {
  const request = client.request as unknown as RawRequest;
  for (const method of AUTOMINE_METHODS) {
    try {
      return (await request({ method })) === true;
    } catch (error) {
      if (unreachable(error)) throw error;
      // An answer that the method is unknown: try the next one.
    }
  }
  return false;
}

/** A timeout, a refused connection or a 5xx: the node did not answer the question. */
function unreachable(error: unknown): boolean {
  if (error instanceof TimeoutError) return true;
  if (error instanceof HttpRequestError) return error.status === undefined || error.status >= 500;
  return false;
}

/**
 * The confirmations to wait for on this chain: `requested`, or 1 on a chain that mines only on demand
 * (see the module comment), with a notice.
 *
 * @example
 * const plan = await planConfirmations(publicClient, 2);
 * if (plan.notice !== undefined) console.error(`notice: ${plan.notice}`);
 */
export async function planConfirmations(
  client: Pick<PublicClient, "request">,
  requested: number,
): Promise<ConfirmationPlan> {
  if (!Number.isSafeInteger(requested) || requested < 1) {
    throw new RegistryError("REGISTRY_BAD_ARGUMENT", "confirmations must be a positive integer", {
      evidence: { confirmations: requested },
    });
  }
  const onDemand = await minesOnDemand(client);
  if (!onDemand || requested === 1) return { requested, confirmations: requested, minesOnDemand: onDemand };
  return {
    requested,
    confirmations: 1,
    minesOnDemand: true,
    notice:
      `the chain mines only on demand (automine): no block follows a transaction's, and a single ` +
      `development node cannot reorganise, so its latest block is final: 1 confirmation stands for the ${requested} asked`,
  };
}

/** One look at a transaction's confirmations. */
export interface ConfirmationProgress {
  readonly transactionHash: Hash;
  /** Blocks including the transaction's (0 while it is not mined). */
  readonly confirmations: number;
  readonly required: number;
  readonly elapsedMs: number;
}

/** Options of {@link waitForConfirmations}. */
export interface WaitForConfirmationsOptions {
  hash: Hash;
  /** Blocks including the transaction's; plan them with {@link planConfirmations}. */
  confirmations: number;
  /** What the transaction is, for the progress and the error ("the deployment transaction"). */
  what?: string;
  /** Default {@link DEFAULT_CONFIRMATION_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Default {@link DEFAULT_CONFIRMATION_POLL_MS}. */
  pollMs?: number;
  /** Called on the first look and whenever the count changes. */
  onProgress?: (progress: ConfirmationProgress) => void;
}

/**
 * Waits until the transaction has `confirmations` blocks (its own included) and returns its receipt.
 * Fails with `REGISTRY_CONFIRMATION_TIMEOUT` at `timeoutMs`, naming the transaction and the blocks seen.
 *
 * @example
 * const plan = await planConfirmations(publicClient, 2);
 * const receipt = await waitForConfirmations(publicClient, { hash, confirmations: plan.confirmations,
 *   what: "the deployment transaction", onProgress: (p) => console.error(`${p.confirmations}/${p.required}`) });
 */
export async function waitForConfirmations(
  client: Pick<PublicClient, "getTransactionReceipt" | "getBlockNumber">,
  options: WaitForConfirmationsOptions,
): Promise<TransactionReceipt> {
  const { hash, confirmations: required } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONFIRMATION_TIMEOUT_MS;
  const pollMs = options.pollMs ?? DEFAULT_CONFIRMATION_POLL_MS;
  const what = options.what ?? "the transaction";
  const start = Date.now();
  let reported = -1;
  let seen = 0;
  for (;;) {
    const receipt = await receiptOf(client, hash);
    if (receipt !== undefined) {
      const head = await client.getBlockNumber({ cacheTime: 0 });
      seen = Math.max(0, Number(head - receipt.blockNumber) + 1);
    } else {
      seen = 0;
    }
    const elapsedMs = Date.now() - start;
    if (seen !== reported) {
      reported = seen;
      options.onProgress?.({ transactionHash: hash, confirmations: seen, required, elapsedMs });
    }
    if (receipt !== undefined && seen >= required) return receipt;
    if (elapsedMs >= timeoutMs) {
      throw new RegistryError(
        "REGISTRY_CONFIRMATION_TIMEOUT",
        `Timed out after ${duration(timeoutMs)} waiting for ${what} ${hash} to reach ${required} confirmation${required === 1 ? "" : "s"} (${seen === 0 ? "not mined yet" : `${seen} seen`})`,
        {
          hint:
            seen === 0
              ? "Check that the node mines (a local node with automine off needs evm_mine or --block-time) and that the fees are enough; the transaction may still be mined later."
              : "The chain makes blocks more slowly than expected: ask for fewer confirmations or a longer timeout.",
          evidence: { transactionHash: hash, confirmations: seen, required, timeoutMs },
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, timeoutMs - elapsedMs))));
  }
}

/** "5 s", or "50 ms" below a second. */
function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

async function receiptOf(
  client: Pick<PublicClient, "getTransactionReceipt">,
  hash: Hash,
): Promise<TransactionReceipt | undefined> {
  try {
    return await client.getTransactionReceipt({ hash });
  } catch (error) {
    if (error instanceof TransactionReceiptNotFoundError) return undefined;
    throw error;
  }
}
