/**
 * How a failed JSON-RPC read is reported: a node that answered with a JSON-RPC error (reachable, but it
 * refuses, e.g. pruned logs) versus a transport failure (`SourceError` `SOURCE_UNREACHABLE`). The viem
 * error is never kept as the cause, because its message names the RPC URL, which often holds an API key.
 */
import { AncoraError } from "@ancora/core";
import { BaseError, RpcError, RpcRequestError, UnknownRpcError } from "viem";
import { SourceError } from "../errors.js";

/** True when the node answered with a JSON-RPC error (it is reachable but refuses), not a transport failure. */
export function refusedByNode(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  const found = error.walk(
    (e) => e instanceof RpcRequestError || (e instanceof RpcError && !(e instanceof UnknownRpcError)),
  );
  return found !== null && found !== undefined;
}

/** The error's class and JSON-RPC code, without its message (which may name the URL). */
export function describeRpcError(error: unknown): string {
  if (error instanceof BaseError) {
    const rpc = error.walk((e) => e instanceof RpcError || e instanceof RpcRequestError);
    if (rpc instanceof RpcError || rpc instanceof RpcRequestError) return `${rpc.name} (code ${rpc.code})`;
  }
  return error instanceof Error ? error.name : "unknown error";
}

/** `SOURCE_UNREACHABLE` for a read of `what` that failed. */
export function unreachable(what: string, error: unknown): SourceError {
  return new SourceError("SOURCE_UNREACHABLE", `The chain node could not be read (${what})`, {
    hint: "Check the RPC URL and that the node is up and synced, then run the verification again.",
    details: describeRpcError(error),
    evidence: { read: what },
  });
}

/** Runs a read; typed Ancora errors pass through, anything else is the node being unreachable. */
export async function readChain<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AncoraError) throw error;
    throw unreachable(what, error);
  }
}
