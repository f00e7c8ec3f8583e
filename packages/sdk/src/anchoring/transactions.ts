/**
 * The anchorer's transaction sender. It simulates the call first (a revert becomes a typed error before
 * any gas is spent), caps the EIP-1559 fees, takes an explicit nonce, estimates gas against the latest
 * block, and signs; a transaction stuck below the fee market is replaced with its own nonce and fees
 * 12.5 % higher. It also reads receipts and whether a transaction is still pending. It knows nothing of
 * the store: with a local account the caller records the hash between signing and `broadcast()`.
 */
import { describeRegistryRevert, provenanceRegistryAbi } from "@ancora/contracts";
import {
  type Address,
  BaseError,
  encodeFunctionData,
  type Hash,
  type Hex,
  HttpRequestError,
  keccak256,
  type PublicClient,
  TimeoutError,
  TransactionNotFoundError,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  toHex,
} from "viem";
import { AnchorError } from "../errors.js";
import { describeError } from "../internal/describe-error.js";
import type { AnchorRecord } from "./anchor-store.js";
import type { AnchorWalletClient } from "./anchorer-options.js";
import { NonceManager } from "./nonce.js";

/** Gas limit over the estimate: storage costs can shift between estimation and inclusion. */
const GAS_HEADROOM_PERCENT = 120n;

/** A fresh anchor ready to send: what one `AnchorRequest` of `anchorBatch` carries, plus the local row. */
export interface PreparedAnchor {
  stream: string;
  streamId: Hex;
  size: number;
  root: Uint8Array;
  manifestCid: string;
  manifestDigest: Uint8Array;
  proof: Hex[];
  /** Stores the anchor's manifests; done before the transaction is broadcast (see anchor-job.ts). */
  persist?: () => Promise<void>;
  /** How many of its manifests were built ahead while the chain was unreachable. */
  reusedManifests?: number;
}

/** A block as the public client reads it (the fee estimate's base). */
export type ChainBlock = Awaited<ReturnType<PublicClient["getBlock"]>>;

/** A signed transaction (`broadcast` sends it), or one a JSON-RPC account already sent (`broadcast` does nothing). */
export interface SentTransaction {
  hash: Hash;
  nonce: number;
  maxFeePerGas: bigint;
  broadcast: () => Promise<void>;
}

/** What the sender is handed: the clients, the registry, the chain id once known, and the fee caps. */
export interface SenderIo {
  publicClient: PublicClient;
  walletClient: AnchorWalletClient;
  registry: Address;
  /** The chain id once the chain has answered (a wallet client without a chain object would ask for it). */
  chainId: () => number | undefined;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint | undefined;
}

/** Whether a request failed on the way (HTTP, connection, timeout) rather than being answered. */
function isTransportFailure(error: unknown): boolean {
  return (
    error instanceof BaseError &&
    Boolean(error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError))
  );
}

/** The calldata of an anchor transaction: `anchorWithConsistency` for one anchor, `anchorBatch` for several. */
export function anchorCalldata(prepared: readonly PreparedAnchor[]): Hex {
  const [only] = prepared;
  return prepared.length === 1 && only !== undefined
    ? encodeFunctionData({
        abi: provenanceRegistryAbi,
        functionName: "anchorWithConsistency",
        args: [only.streamId, BigInt(only.size), toHex(only.root), toHex(only.manifestDigest), only.proof],
      })
    : encodeFunctionData({
        abi: provenanceRegistryAbi,
        functionName: "anchorBatch",
        args: [
          prepared.map((p) => ({
            streamId: p.streamId,
            treeSize: BigInt(p.size),
            root: toHex(p.root),
            manifestDigest: toHex(p.manifestDigest),
            checkConsistency: true,
            consistencyProof: p.proof,
          })),
        ],
      });
}

/**
 * Attempts of a request that failed on the way (not the node's answer): three, because requests go out
 * several at a time, so more than one pooled keep-alive connection can have been closed by the node
 * (one failure a run of bench/outage.bench.ts was two in a row, 2026-12-07).
 */
const TRANSPORT_ATTEMPTS = 3;

/** `request()`, again (up to {@link TRANSPORT_ATTEMPTS} in all) while the request itself fails. */
async function retryTransport<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!isTransportFailure(error) || attempt >= TRANSPORT_ATTEMPTS) throw error;
    }
  }
}

/** Sends the registry's transactions from one account, with explicit nonces (./nonce.ts). */
export class TransactionSender {
  readonly #io: SenderIo;
  readonly #nonces: NonceManager;

  constructor(io: SenderIo) {
    this.#io = io;
    this.#nonces = new NonceManager(io.publicClient, io.walletClient.account.address);
  }

  /**
   * Prepares and signs the transaction with an explicit nonce and capped EIP-1559 fees. With a local
   * account the signed bytes' hash is known before broadcasting, so it is stored first; a JSON-RPC
   * account signs on the node and the hash is known only after sending.
   */
  async send(data: Hex, replacing?: AnchorRecord, latest?: ChainBlock): Promise<SentTransaction> {
    const { publicClient, walletClient } = this.#io;
    const account = walletClient.account;
    // Simulate first: a revert (stale size, missing role) becomes a typed error before any gas is spent.
    // The fees and the gas estimate do not depend on it: the three requests go out together (one round
    // trip instead of four in a row; each took 70–150 ms on a node sharing two busy cores), and a
    // revert is still reported from the simulation. Each is retried when the request itself failed:
    // after the seconds a large backlog's manifests take to build, the node has usually closed the idle
    // keep-alive connections (Node's server: 5 s), and the first request on each fails; failing every
    // attempt is the chain being unreachable.
    const [simulated, fees, estimate] = await Promise.allSettled([
      retryTransport(() => publicClient.call({ account, to: this.#io.registry, data })),
      retryTransport(() => this.#fees(replacing, latest)),
      // Against the latest block, never "pending" (some nodes' default): a replacement would be
      // estimated on top of the very transaction it replaces and revert as a stale tree size.
      retryTransport(() =>
        publicClient.estimateGas({ account, to: this.#io.registry, data, blockTag: "latest" }),
      ),
    ]);
    if (simulated.status === "rejected") {
      const error = simulated.reason;
      // Retried with the backoff of an outage, and reported as ANCHOR_CHAIN_UNAVAILABLE, never as a revert.
      if (isTransportFailure(error)) throw error;
      // A raw `call` has no ABI, so viem leaves the revert data undecoded: decode it with the registry's,
      // so the log names the custom error and its arguments (AccessControlUnauthorizedAccount(0x…,
      // ANCHORER_ROLE), ProvenanceRegistryStaleTreeSize(…)). The error itself is not kept as the cause:
      // a transport error's message carries the RPC URL.
      const revert = describeRegistryRevert(error);
      throw new AnchorError(
        "ANCHOR_REVERTED",
        `The registry rejects the anchor (simulation)${revert === undefined ? "" : `: ${revert}`}`,
        {
          hint: "Check ANCHORER_ROLE (`ancora roles list`) and the stream's registration (`ancora stream list`); a stale size means another anchorer was faster.",
          ...(revert === undefined ? { details: describeError(error) } : {}),
        },
      );
    }
    if (fees.status === "rejected") throw fees.reason;
    if (estimate.status === "rejected") throw estimate.reason;
    const nonce = replacing?.nonce ?? (await this.#nonces.next());
    const chainId = this.#io.chainId();
    const request = await walletClient.prepareTransactionRequest({
      account,
      chain: walletClient.chain,
      // Known since the probe: a wallet client without a chain object would ask the node each time.
      ...(chainId === undefined ? {} : { chainId }),
      to: this.#io.registry,
      data,
      nonce,
      gas: (estimate.value * GAS_HEADROOM_PERCENT) / 100n,
      type: "eip1559",
      maxFeePerGas: fees.value.maxFeePerGas,
      maxPriorityFeePerGas: fees.value.maxPriorityFeePerGas,
    });
    // A wallet client without a chain object (e.g. the anchoring worker's, made before the node answered)
    // signs for the chain id the request was prepared with; `null` tells viem not to compare it with one.
    const signable = { ...request, chain: walletClient.chain ?? null };
    if (account.type === "local") {
      const serializedTransaction = await walletClient.signTransaction(signable as never);
      const hash = keccak256(serializedTransaction);
      return {
        hash,
        nonce,
        maxFeePerGas: fees.value.maxFeePerGas,
        broadcast: async () => {
          try {
            // Retried when the request itself failed (a keep-alive connection the node had just
            // closed): the same signed bytes, so an attempt that did arrive makes the next one fail as
            // "already known", never a second transaction.
            await retryTransport(() => publicClient.sendRawTransaction({ serializedTransaction }));
            this.#nonces.consumed(nonce);
          } catch (error) {
            this.#nonces.reset();
            throw error;
          }
        },
      };
    }
    let hash: Hash;
    try {
      hash = await walletClient.sendTransaction(signable as never);
      this.#nonces.consumed(nonce);
    } catch (error) {
      this.#nonces.reset();
      throw error;
    }
    return { hash, nonce, maxFeePerGas: fees.value.maxFeePerGas, broadcast: async () => {} };
  }

  /**
   * EIP-1559 fees from the node, capped; a replacement bumps the previous fees by 12.5 % (geth's minimum
   * is 10 %). The base fee comes from `latest` when the caller has just read the head block (the
   * anchorer's pass has, for its reorg check: one round trip less per anchor), else from a fresh read.
   */
  async #fees(
    replacing?: AnchorRecord,
    latest?: ChainBlock,
  ): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const { publicClient } = this.#io;
    const cap = this.#io.maxFeePerGas;
    const block = latest ?? (await publicClient.getBlock({ blockTag: "latest" }));
    const baseFee = block.baseFeePerGas ?? 0n;
    if (baseFee > cap) {
      throw new AnchorError("ANCHOR_FEE_CAP", "The base fee is above the configured maxFeePerGas: waiting", {
        evidence: { baseFeePerGas: baseFee.toString(), maxFeePerGas: cap.toString() },
      });
    }
    // The block just read is handed on so viem does not read it again: its estimateFeesPerGas takes a
    // `block` (viem 2.x, internal_estimateFeesPerGas) and reads the latest block only without one. One
    // round trip less per anchor, the same fees (chain-specific fee rules included); a viem that ignored
    // the argument would read the block itself, as before.
    const estimateWithBlock = publicClient.estimateFeesPerGas as unknown as (args: {
      block: typeof block;
      type: "eip1559";
    }) => Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }>;
    const estimate = await estimateWithBlock({ block, type: "eip1559" });
    let priority = estimate.maxPriorityFeePerGas;
    if (this.#io.maxPriorityFeePerGas !== undefined && priority > this.#io.maxPriorityFeePerGas) {
      priority = this.#io.maxPriorityFeePerGas;
    }
    let maxFee = estimate.maxFeePerGas;
    if (replacing?.maxFee != null) {
      const bumped = (replacing.maxFee * 1125n) / 1000n + 1n;
      if (bumped > maxFee) maxFee = bumped;
      priority = (priority * 1125n) / 1000n + 1n;
    }
    if (maxFee > cap) maxFee = cap;
    if (priority > maxFee) priority = maxFee;
    return { maxFeePerGas: maxFee, maxPriorityFeePerGas: priority };
  }

  /** The transaction's receipt, or undefined while it is not mined. */
  async receipt(hash: Hash): Promise<TransactionReceipt | undefined> {
    try {
      return await this.#io.publicClient.getTransactionReceipt({ hash });
    } catch (error) {
      if (error instanceof TransactionReceiptNotFoundError) return undefined;
      throw error;
    }
  }

  /** Whether the node knows the transaction and it is not mined yet. */
  async isPending(hash: Hash): Promise<boolean> {
    try {
      const tx = await this.#io.publicClient.getTransaction({ hash });
      return tx.blockNumber === null;
    } catch (error) {
      if (error instanceof TransactionNotFoundError) return false;
      throw error;
    }
  }

  /** Forgets the nonces used: the next comes from the chain (after a send failed, or a drop or a reorg). */
  resetNonces(): void {
    this.#nonces.reset();
  }
}
