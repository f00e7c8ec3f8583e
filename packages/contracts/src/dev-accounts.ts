/**
 * The public development accounts of Hardhat and Anvil, and the rule that keeps them off real chains:
 * their private keys are derived from a published mnemonic, so on any chain but the local one they
 * belong to everybody. Deployment scripts, the CLI and the anchorer setup all ask the same question.
 */
import { type Address, isAddressEqual } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** The chain id of Hardhat's and Anvil's local networks: the only one where development keys are fine. */
export const LOCAL_CHAIN_ID = 31337;

/** The public mnemonic behind the pre-funded development accounts (addresses are derived; no key here). */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEV_ACCOUNT_COUNT = 20;

let cached: Address[] | undefined;

/** The addresses of the first 20 development accounts. */
export function developmentAddresses(): Address[] {
  cached ??= Array.from(
    { length: DEV_ACCOUNT_COUNT },
    (_, i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).address,
  );
  return [...cached];
}

/**
 * The first development account that would hold a role on a chain other than the local one, or
 * `undefined` when there is none (always `undefined` on chain 31337). Callers raise their own typed error.
 *
 * @example
 * const found = findDevelopmentAccount(chainId, { deployer: [deployer], anchorer: [anchorer] });
 * if (found) throw new Error(`${found.account} is a public development account (${found.role})`);
 */
export function findDevelopmentAccount(
  chainId: number,
  roles: Readonly<Record<string, readonly Address[]>>,
): { role: string; account: Address } | undefined {
  if (chainId === LOCAL_CHAIN_ID) return undefined;
  const dev = developmentAddresses();
  for (const [role, accounts] of Object.entries(roles)) {
    for (const account of accounts) {
      if (dev.some((d) => isAddressEqual(d, account))) return { role, account };
    }
  }
  return undefined;
}
