/**
 * Explicit nonce management for one anchoring account.
 *
 * The first nonce comes from the chain's pending count; after that, each accepted send moves the local
 * view on by one, without asking the node (one round trip less per anchor, as ethers' NonceManager
 * does). Any doubt (a send that failed, say "nonce too low" because another process used the key; a
 * dropped, reverted or reorged transaction) resets the local view, and the next nonce comes from the
 * chain again. A transaction stuck below the fee market is replaced by re-using its own nonce
 * (see transactions.ts), never by skipping ahead.
 */
import type { Address, PublicClient } from "viem";

export class NonceManager {
  readonly #client: PublicClient;
  readonly #address: Address;
  #next: number | undefined;

  constructor(client: PublicClient, address: Address) {
    this.#client = client;
    this.#address = address;
  }

  /** The nonce for a new transaction (not yet consumed: call {@link NonceManager.consumed} once sent). */
  async next(): Promise<number> {
    if (this.#next !== undefined) return this.#next;
    return await this.#client.getTransactionCount({ address: this.#address, blockTag: "pending" });
  }

  /** Marks `nonce` as used by a transaction the node accepted. */
  consumed(nonce: number): void {
    this.#next = Math.max(this.#next ?? 0, nonce + 1);
  }

  /** Forgets the local view: the next nonce is read from the chain. */
  reset(): void {
    this.#next = undefined;
  }
}
