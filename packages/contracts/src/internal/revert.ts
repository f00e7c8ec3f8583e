import { BaseError, ContractFunctionRevertedError } from "viem";
import { RegistryRevertError, UnknownStreamError } from "../errors.js";

/**
 * Turns a viem error from a registry call into a typed error when the contract reverted with one of its
 * custom errors; other failures (transport, timeouts) are returned unchanged for the caller to rethrow.
 */
export function toRegistryError(error: unknown, functionName: string): unknown {
  if (!(error instanceof BaseError)) return error;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return error;
  const errorName = reverted.data?.errorName;
  const args = reverted.data?.args ?? [];
  if (errorName === "ProvenanceRegistryUnknownStream" && typeof args[0] === "string") {
    return new UnknownStreamError(args[0], { cause: error });
  }
  return new RegistryRevertError(functionName, errorName, args, { cause: error });
}
