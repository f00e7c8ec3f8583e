import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex } from "viem";
import { RegistryRevertError, RegistryUnknownStreamError } from "../errors.js";
import { provenanceRegistryAbi } from "../generated/provenance-registry.js";
import { ANCHORER_ROLE, DEFAULT_ADMIN_ROLE } from "../roles.js";

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
    return new RegistryUnknownStreamError(args[0], { cause: error });
  }
  return new RegistryRevertError(functionName, errorName, args, { cause: error });
}

/** A custom error of the registry, decoded. */
export interface DecodedRevert {
  errorName: string;
  args: readonly unknown[];
}

/** Role ids by the contract's names, so a decoded AccessControl error reads as it does in Solidity. */
const ROLE_NAMES: Record<string, string> = {
  [ANCHORER_ROLE]: "ANCHORER_ROLE",
  [DEFAULT_ADMIN_ROLE]: "DEFAULT_ADMIN_ROLE",
};

function decodeData(data: unknown): DecodedRevert | undefined {
  if (typeof data !== "string" || !/^0x[0-9a-fA-F]{8,}$/.test(data)) return undefined;
  try {
    const decoded = decodeErrorResult({ abi: provenanceRegistryAbi, data: data as Hex });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined; // not one of the registry's errors
  }
}

/**
 * The registry's custom error behind `error`, searched along its `cause` chain: a
 * {@link RegistryRevertError}, viem's `ContractFunctionRevertedError` (simulations and reads with the
 * ABI), or raw revert data (an `eth_call` without the ABI, as the anchorer simulates), decoded with the
 * generated ABI. `undefined` when no revert of the registry is found.
 *
 * @example
 * ```ts
 * const revert = decodeRegistryRevert(error); // { errorName: "ProvenanceRegistryStaleTreeSize", args: [id, 5n, 7n] }
 * ```
 */
export function decodeRegistryRevert(error: unknown): DecodedRevert | undefined {
  const seen = new Set<unknown>();
  for (let e = error; e !== undefined && e !== null && !seen.has(e) && seen.size < 16; ) {
    seen.add(e);
    if (e instanceof RegistryRevertError && e.errorName !== undefined) {
      return { errorName: e.errorName, args: e.args };
    }
    if (e instanceof ContractFunctionRevertedError && e.data !== undefined) {
      return { errorName: e.data.errorName, args: e.data.args ?? [] };
    }
    const raw = decodeData((e as { data?: unknown }).data);
    if (raw !== undefined) return raw;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function argument(value: unknown): string {
  if (typeof value === "string") return ROLE_NAMES[value] ?? value;
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean")
    return String(value);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)) ?? "?";
}

/**
 * The registry's custom error behind `error` as Solidity would write it, `Name(arg, …)`, with role ids
 * by name (`AccessControlUnauthorizedAccount(0x…, ANCHORER_ROLE)`); `undefined` when there is none.
 * Arguments are ids, sizes, roots and addresses: nothing secret.
 */
export function describeRegistryRevert(error: unknown): string | undefined {
  const revert = decodeRegistryRevert(error);
  return revert === undefined ? undefined : `${revert.errorName}(${revert.args.map(argument).join(", ")})`;
}
