import type {
  Address,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  PublicClient,
  SimulateContractParameters,
} from "viem";
import { waitForConfirmations } from "../confirmations.js";
import type { RegistryWalletClient } from "../deploy.js";
import { RegistryError } from "../errors.js";
import { provenanceRegistryAbi } from "../generated/provenance-registry.js";
import { toRegistryError } from "./revert.js";

type Abi = typeof provenanceRegistryAbi;
export type WriteFunctionName = ContractFunctionName<Abi, "nonpayable">;

/** What a confirmed registry transaction returns. */
export interface TransactionResult {
  readonly transactionHash: Hash;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
}

/**
 * Simulates, sends and waits for one registry transaction. Simulating first turns a revert into a typed
 * error (with the custom error's name and arguments) before any gas is spent.
 */
export async function transact<F extends WriteFunctionName>(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  registry: Address,
  functionName: F,
  args: ContractFunctionArgs<Abi, "nonpayable", F>,
): Promise<TransactionResult> {
  let hash: Hash;
  try {
    const { request } = await publicClient.simulateContract({
      address: registry,
      abi: provenanceRegistryAbi,
      functionName,
      args,
      account: walletClient.account,
      chain: walletClient.chain,
      // The arguments are typed per function by `transact`'s signature; viem's generic parameter type for
      // a generic function name does not resolve, so the object is widened here.
    } as unknown as SimulateContractParameters);
    hash = await walletClient.writeContract(request as Parameters<RegistryWalletClient["writeContract"]>[0]);
  } catch (error) {
    throw toRegistryError(error, functionName);
  }
  // One block: a timeout names the transaction instead of waiting in silence (see confirmations.ts).
  const receipt = await waitForConfirmations(publicClient, {
    hash,
    confirmations: 1,
    what: `the ${functionName} transaction`,
  });
  if (receipt.status !== "success") {
    throw new RegistryError("REGISTRY_REVERTED", `ProvenanceRegistry.${functionName} reverted on chain`, {
      hint: "The state changed between simulation and inclusion (another anchorer?); read it and retry.",
      evidence: { transactionHash: hash, blockNumber: String(receipt.blockNumber) },
    });
  }
  return { transactionHash: hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}
