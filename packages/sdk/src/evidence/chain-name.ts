/** A chain's human name from viem's list of chains, for packs an assessor reads. */
import { CHAIN_NAMES } from "../generated/chain-names.js";

/**
 * The name(s) viem knows chain `id` by, joined with " / " when several share the id (31337 is
 * Anvil, Foundry and Hardhat); `null` for an id viem does not list. From a table generated from
 * `viem/chains` (generated/chain-names.ts), so that naming a chain does not load viem's whole list.
 *
 * @example
 * ```ts
 * chainName(1); // "Ethereum"
 * ```
 */
export function chainName(id: number): string | null {
  return CHAIN_NAMES.get(id) ?? null;
}
