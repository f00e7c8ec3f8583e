/**
 * A {@link RegistryView} over a viem public client: every read is made at one pinned block, so streams,
 * states and events all describe the same moment. Transport failures become `SourceError`s
 * (`SOURCE_UNREACHABLE`); a node that refuses or prunes old event logs (EIP-4444) makes
 * `anchorHistory` reject with `HISTORY_UNAVAILABLE`, which the checks answer by proving the history
 * from another source of links. Errors never carry the RPC URL (it often holds an API key).
 */

import {
  createRegistryReader,
  DEFAULT_MAX_BLOCK_RANGE,
  provenanceRegistryAbi,
  RegistryError,
  type RegistryReader,
} from "@ancora/contracts";
import { AncoraError } from "@ancora/core";
import { type Address, type Hex, isAddress, type PublicClient } from "viem";
import { SourceError } from "../errors.js";
import type { RegistryAnchor, RegistryStream, RegistryView } from "./registry-view.js";
import { describeRpcError, readChain as read, refusedByNode, unreachable } from "./rpc-errors.js";

/** Options of {@link registryView}. */
export interface RegistryViewOptions {
  /** The block to read at; default the latest. */
  readonly blockNumber?: bigint;
  /** Blocks per `eth_getLogs` request (default {@link DEFAULT_MAX_BLOCK_RANGE}, what providers accept). */
  readonly maxBlockRange?: bigint;
  /** Where to start looking for `StreamRegistered` events: the registry's deployment block (default 0). */
  readonly fromBlock?: bigint;
}

/**
 * Reads the ProvenanceRegistry at `address` through `publicClient`, pinned to one block (the latest
 * unless `blockNumber` is given). Streams come from the registry's stream list in storage (registries
 * deployed before that list existed: from `StreamRegistered` events, read in chunks of `maxBlockRange`
 * blocks) and their state from storage; anchor histories from `CheckpointAnchored`
 * events from the stream's registration block on.
 *
 * @throws {RegistryError} `REGISTRY_BAD_ARGUMENT` for a malformed address or options, or a block after
 *   the latest; `REGISTRY_NOT_DEPLOYED` when no contract is at the address at that block.
 * @throws {SourceError} `SOURCE_UNREACHABLE` when the node cannot be reached.
 * @example
 * ```ts
 * const view = await registryView(publicClient, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
 * const [first] = await view.streams(); // { streamId, metadata, state }
 * const anchors = await view.anchorHistory(first.streamId); // or SourceError HISTORY_UNAVAILABLE
 * ```
 */
export async function registryView(
  publicClient: PublicClient,
  address: Address,
  options: RegistryViewOptions = {},
): Promise<RegistryView> {
  if (typeof address !== "string" || !isAddress(address, { strict: false })) {
    throw new RegistryError("REGISTRY_BAD_ARGUMENT", "The registry address is not a 0x-hex address", {
      hint: "Pass the ProvenanceRegistry's address, 0x followed by 40 hex digits.",
    });
  }
  const maxBlockRange = options.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE;
  const fromBlock = options.fromBlock ?? 0n;
  if (
    maxBlockRange < 1n ||
    fromBlock < 0n ||
    (options.blockNumber !== undefined && options.blockNumber < 0n)
  ) {
    throw new RegistryError("REGISTRY_BAD_ARGUMENT", "maxBlockRange must be >= 1 and blocks >= 0", {
      evidence: { maxBlockRange: String(maxBlockRange), fromBlock: String(fromBlock) },
    });
  }
  const registry = address.toLowerCase() as Address;
  const [latest, chainId] = await Promise.all([
    read("eth_blockNumber", () => publicClient.getBlockNumber({ cacheTime: 0 })),
    read("eth_chainId", () => publicClient.getChainId()),
  ]);
  const blockNumber = options.blockNumber ?? latest;
  if (blockNumber > latest) {
    throw new RegistryError(
      "REGISTRY_BAD_ARGUMENT",
      `Block ${blockNumber} is after the latest block ${latest}`,
      {
        hint: "Pin a block the node has already seen, or leave it out to read at the latest.",
      },
    );
  }
  const code = await read("eth_getCode", () => publicClient.getCode({ address: registry, blockNumber }));
  if (code === undefined || code === "0x") {
    throw new RegistryError("REGISTRY_NOT_DEPLOYED", `No contract at ${registry} at block ${blockNumber}`, {
      hint: "Check the registry address and the chain the RPC endpoint serves.",
      evidence: { registry, blockNumber: String(blockNumber), chainId },
    });
  }
  const reader: RegistryReader = createRegistryReader(publicClient, registry);
  const entries = new Map<string, Promise<RegistryStream>>();

  function stream(streamId: Hex): Promise<RegistryStream> {
    const key = streamId.toLowerCase();
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = read("streamState", async () => {
        const state = await reader.streamState(streamId, { blockNumber });
        const metadata = await reader.streamMetadata(streamId);
        return { streamId, metadata, state };
      });
      entries.set(key, entry);
      // A failed read is not cached: the caller may retry.
      entry.catch(() => entries.delete(key));
    }
    return entry;
  }

  async function streams(): Promise<RegistryStream[]> {
    // Contract state first: it lists every stream however old its registration event is.
    const fromState = await read("streamIds", () => reader.registeredStreamIds({ blockNumber }));
    if (fromState !== undefined) return Promise.all(fromState.map((id) => stream(id)));
    const ids: Hex[] = [];
    for (let start = fromBlock; start <= blockNumber; start += maxBlockRange) {
      const end = start + maxBlockRange - 1n < blockNumber ? start + maxBlockRange - 1n : blockNumber;
      const logs = await read("StreamRegistered events", () =>
        publicClient.getContractEvents({
          address: registry,
          abi: provenanceRegistryAbi,
          eventName: "StreamRegistered",
          fromBlock: start,
          toBlock: end,
          strict: true,
        }),
      );
      for (const log of logs) ids.push(log.args.streamId);
    }
    return Promise.all(ids.map((id) => stream(id)));
  }

  async function anchorHistory(streamId: Hex): Promise<RegistryAnchor[]> {
    const { state } = await stream(streamId);
    let events: Awaited<ReturnType<RegistryReader["anchorHistory"]>>;
    try {
      events = await reader.anchorHistory(streamId, {
        fromBlock: state.registeredBlock,
        toBlock: blockNumber,
        maxBlockRange,
      });
    } catch (error) {
      if (error instanceof AncoraError) throw error;
      if (!refusedByNode(error)) throw unreachable("CheckpointAnchored events", error);
      throw new SourceError(
        "HISTORY_UNAVAILABLE",
        "The chain node does not serve this stream's anchor events",
        {
          hint: "Use an archive node, or verify from the log's own anchors (schema v3), which are proven against contract state.",
          details: describeRpcError(error),
          evidence: { streamId, fromBlock: String(state.registeredBlock), toBlock: String(blockNumber) },
        },
      );
    }
    if (BigInt(events.length) < state.anchorCount) {
      throw new SourceError(
        "HISTORY_UNAVAILABLE",
        "The chain node served fewer anchor events than the stream has",
        {
          hint: "The node has pruned old logs (EIP-4444): use an archive node, or the log's own anchors.",
          evidence: { streamId, events: events.length, anchorCount: String(state.anchorCount) },
        },
      );
    }
    return events.map((e) => ({
      streamId: e.streamId,
      sequence: e.sequence,
      treeSize: e.treeSize,
      root: e.root,
      manifestDigest: e.manifestDigest,
      anchorer: e.anchorer,
      blockNumber: e.blockNumber,
      consistencyChecked: e.consistencyChecked,
      previousHead: e.previousHead,
      transactionHash: e.transactionHash,
    }));
  }

  return { chainId, address: registry, blockNumber, streams, stream, anchorHistory };
}
