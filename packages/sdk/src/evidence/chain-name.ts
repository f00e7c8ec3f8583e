/** A chain's human name from viem's list of chains, for packs an assessor reads. */
import * as chains from "viem/chains";

let names: Map<number, string> | undefined;

/**
 * The name(s) viem knows chain `id` by, joined with " / " when several share the id (31337 is
 * Anvil, Foundry and Hardhat); `null` for an id viem does not list.
 *
 * @example
 * ```ts
 * chainName(1); // "Ethereum"
 * ```
 */
export function chainName(id: number): string | null {
  if (names === undefined) {
    const byId = new Map<number, Set<string>>();
    for (const chain of Object.values(chains) as { id?: unknown; name?: unknown }[]) {
      if (typeof chain?.id !== "number" || typeof chain.name !== "string") continue;
      const set = byId.get(chain.id) ?? new Set<string>();
      set.add(chain.name);
      byId.set(chain.id, set);
    }
    names = new Map([...byId].map(([k, v]) => [k, [...v].sort().join(" / ")]));
  }
  return names.get(id) ?? null;
}
