import * as chains from "viem/chains";
import { describe, expect, it } from "vitest";
import { CHAIN_NAMES } from "../generated/chain-names.js";
import { chainName } from "./chain-name.js";

describe("chainName", () => {
  it("names chains as viem lists them, several names of one id together", () => {
    expect(chainName(1)).toBe("Ethereum");
    expect(chainName(11155111)).toBe("Sepolia");
    expect(chainName(31337)).toBe("Anvil / Foundry / Hardhat");
    expect(chainName(987_654_321_123)).toBeNull();
  });

  it("its table is viem's chain list (run node scripts/generate-chain-names.ts after upgrading viem)", () => {
    const byId = new Map<number, Set<string>>();
    for (const chain of Object.values(chains) as { id?: unknown; name?: unknown }[]) {
      if (typeof chain?.id !== "number" || typeof chain.name !== "string") continue;
      byId.set(chain.id, (byId.get(chain.id) ?? new Set<string>()).add(chain.name));
    }
    const expected = new Map([...byId].map(([id, names]) => [id, [...names].sort().join(" / ")]));
    expect(new Map(CHAIN_NAMES)).toEqual(expected);
  });
});
