/**
 * Explicit nonce management for one anchoring account.
 *
 * The anchorer sends one transaction at a time per account, so the rule is simple: the next nonce is
 * the larger of the chain's pending count and the last nonce this process used plus one; any doubt (a
 * send that failed, a dropped or reorged transaction) resets the local view, and the next nonce comes
 * from the chain again. A transaction stuck below the fee market is replaced by re-using its own nonce
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
    const pending = await this.#client.getTransactionCount({ address: this.#address, blockTag: "pending" });
    return this.#next === undefined ? pending : Math.max(pending, this.#next);
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
