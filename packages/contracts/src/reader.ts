/**
 * A typed read client for a deployed ProvenanceRegistry: checkpoints and state from storage, the anchor
 * history from events, and the replay check that binds the two.
 */
import {
  type Address,
  BaseError,
  type BlockNumber,
  type BlockTag,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  type Hash,
  type Hex,
  type PublicClient,
} from "viem";
import { type AnchorLinkWithPrevious, genesisHead, verifyAnchorChain } from "./chained-head.js";
import { RegistryError, RegistryUnknownStreamError } from "./errors.js";
import { provenanceRegistryAbi } from "./generated/provenance-registry.js";
import { toRegistryError } from "./internal/revert.js";

/** The latest anchored checkpoint of a stream (`treeSize` 0 and a zero root before the first anchor). */
export interface Checkpoint {
  readonly treeSize: bigint;
  readonly root: Hex;
}

/** Life cycle of a stream, as the contract's `StreamStatus`. */
export type StreamStatus = "active" | "retired";

/** The stored state of a registered stream. */
export interface StreamState {
  readonly status: StreamStatus;
  readonly consistencyRequired: boolean;
  readonly treeSize: bigint;
  readonly root: Hex;
  readonly head: Hex;
  readonly anchorCount: bigint;
  readonly lastAnchorBlock: bigint;
  readonly registeredBlock: bigint;
}

/** One decoded `CheckpointAnchored` event, with where it is on chain. */
export interface AnchorEvent extends AnchorLinkWithPrevious {
  readonly streamId: Hex;
  readonly previousAnchorBlock: bigint;
  readonly transactionHash: Hash;
  readonly logIndex: number;
}

/** Options of {@link RegistryReader.anchorHistory}. */
export interface AnchorHistoryOptions {
  /** First block to search. Default: the stream's registration block (read from state). */
  fromBlock?: bigint;
  /** Last block to search. Default: the latest block. */
  toBlock?: bigint;
  /** Blocks per `eth_getLogs` request; many RPC providers cap the range. Default {@link DEFAULT_MAX_BLOCK_RANGE}. */
  maxBlockRange?: bigint;
}

/** `eth_getLogs` range per request by default: within what common providers accept. */
export const DEFAULT_MAX_BLOCK_RANGE = 10_000n;

/** The result of {@link RegistryReader.verifyHistory}. */
export interface VerifiedHistory {
  /** The block at which state and events were read. */
  readonly blockNumber: bigint;
  readonly head: Hex;
  readonly anchors: readonly AnchorEvent[];
}

/** See {@link createRegistryReader}. */
export interface RegistryReader {
  readonly address: Address;
  /** The latest checkpoint, from storage. @throws {RegistryUnknownStreamError} */
  latestCheckpoint(streamId: Hex, at?: { blockNumber?: bigint }): Promise<Checkpoint>;
  /** The chained head, from storage. @throws {RegistryUnknownStreamError} */
  chainedHead(streamId: Hex, at?: { blockNumber?: bigint }): Promise<Hex>;
  /** The whole stored state. @throws {RegistryUnknownStreamError} */
  streamState(streamId: Hex, at?: { blockNumber?: bigint }): Promise<StreamState>;
  /** The metadata the stream was registered with. @throws {RegistryUnknownStreamError} */
  streamMetadata(streamId: Hex): Promise<string>;
  /**
   * Every registered stream id in registration order, from contract state (`streamCount` and
   * `streamIds`), so the list outlives the node's old event logs (EIP-4444). `undefined` for a registry
   * deployed before Ancora 0.1.0 of December 2026, which has no such views: read the
   * `StreamRegistered` events instead.
   */
  registeredStreamIds(at?: { blockNumber?: bigint }): Promise<Hex[] | undefined>;
  /** The stream's `CheckpointAnchored` events in sequence order. @throws {RegistryUnknownStreamError} */
  anchorHistory(streamId: Hex, options?: AnchorHistoryOptions): Promise<AnchorEvent[]>;
  /**
   * Reads the whole history from events and checks that replaying it from the genesis head gives the
   * chained head in storage, both read at the same block.
   * @throws {AnchorHistoryError} when they disagree (a missing or altered event).
   */
  verifyHistory(streamId: Hex, options?: Omit<AnchorHistoryOptions, "toBlock">): Promise<VerifiedHistory>;
  /** The contract's inclusion check against the latest checkpoint (RFC 9162 §2.1.3). */
  verifyInclusion(
    streamId: Hex,
    proof: { leafHash: Hex; index: bigint; treeSize: bigint; auditPath: readonly Hex[] },
  ): Promise<boolean>;
}

const STATUS: Record<number, StreamStatus | undefined> = { 1: "active", 2: "retired" };

/** Stream ids per `streamIds` call: well within any node's `eth_call` gas limit. */
const STREAM_IDS_PAGE = 512n;

/**
 * True when a call failed because the contract has no such function: it reverted without data or
 * returned nothing (a registry deployed before the function existed). A transport failure is not.
 */
function lacksFunction(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  const found = error.walk(
    (e) =>
      e instanceof ContractFunctionZeroDataError ||
      (e instanceof ContractFunctionRevertedError && e.data === undefined && e.signature === undefined),
  );
  return found !== null && found !== undefined;
}

/**
 * Creates a read client for the registry at `address`. It only reads: no account needed.
 *
 * @example
 * const reader = createRegistryReader(publicClient, deployment.address);
 * const { treeSize, root } = await reader.latestCheckpoint(encodeStreamId("loans"));
 * const { anchors } = await reader.verifyHistory(encodeStreamId("loans"));
 */
export function createRegistryReader(publicClient: PublicClient, address: Address): RegistryReader {
  const blockOption = (at?: { blockNumber?: bigint }): { blockNumber?: BlockNumber; blockTag?: BlockTag } =>
    at?.blockNumber === undefined ? {} : { blockNumber: at.blockNumber };

  async function streamState(streamId: Hex, at?: { blockNumber?: bigint }): Promise<StreamState> {
    const s = await publicClient.readContract({
      address,
      abi: provenanceRegistryAbi,
      functionName: "streamState",
      args: [streamId],
      ...blockOption(at),
    });
    const status = STATUS[s.status];
    if (status === undefined) throw new RegistryUnknownStreamError(streamId);
    return {
      status,
      consistencyRequired: s.consistencyRequired,
      treeSize: s.treeSize,
      root: s.root,
      head: s.head,
      anchorCount: s.anchorCount,
      lastAnchorBlock: s.lastAnchorBlock,
      registeredBlock: BigInt(s.registeredBlock),
    };
  }

  async function read<T>(functionName: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toRegistryError(error, functionName);
    }
  }

  async function anchorHistory(streamId: Hex, options: AnchorHistoryOptions = {}): Promise<AnchorEvent[]> {
    const maxRange = options.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE;
    if (maxRange < 1n) throw new RegistryError("REGISTRY_BAD_ARGUMENT", "maxBlockRange must be at least 1");
    const toBlock = options.toBlock ?? (await publicClient.getBlockNumber());
    const fromBlock =
      options.fromBlock ?? (await streamState(streamId, { blockNumber: toBlock })).registeredBlock;
    const events: AnchorEvent[] = [];
    for (let start = fromBlock; start <= toBlock; start += maxRange) {
      const end = start + maxRange - 1n < toBlock ? start + maxRange - 1n : toBlock;
      const logs = await publicClient.getContractEvents({
        address,
        abi: provenanceRegistryAbi,
        eventName: "CheckpointAnchored",
        args: { streamId },
        fromBlock: start,
        toBlock: end,
        strict: true,
      });
      for (const log of logs) {
        if (log.blockNumber === null || log.transactionHash === null || log.logIndex === null) continue;
        events.push({
          streamId: log.args.streamId,
          sequence: log.args.sequence,
          anchorer: log.args.anchorer,
          treeSize: log.args.treeSize,
          root: log.args.root,
          manifestDigest: log.args.manifestDigest,
          previousHead: log.args.previousHead,
          previousAnchorBlock: log.args.previousAnchorBlock,
          consistencyChecked: log.args.consistencyChecked,
          blockNumber: log.blockNumber,
          transactionHash: log.transactionHash,
          logIndex: log.logIndex,
        });
      }
    }
    // Logs come in chain order already; sorting by sequence makes the order explicit for callers.
    events.sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
    return events;
  }

  return {
    address,
    latestCheckpoint: (streamId, at) =>
      read("latestCheckpoint", async () => {
        const [treeSize, root] = await publicClient.readContract({
          address,
          abi: provenanceRegistryAbi,
          functionName: "latestCheckpoint",
          args: [streamId],
          ...blockOption(at),
        });
        return { treeSize, root };
      }),
    chainedHead: (streamId, at) =>
      read("chainedHead", () =>
        publicClient.readContract({
          address,
          abi: provenanceRegistryAbi,
          functionName: "chainedHead",
          args: [streamId],
          ...blockOption(at),
        }),
      ),
    streamState,
    streamMetadata: (streamId) =>
      read("streamMetadata", () =>
        publicClient.readContract({
          address,
          abi: provenanceRegistryAbi,
          functionName: "streamMetadata",
          args: [streamId],
        }),
      ),
    anchorHistory,
    async registeredStreamIds(at) {
      const block = blockOption(at);
      let count: bigint;
      try {
        count = await publicClient.readContract({
          address,
          abi: provenanceRegistryAbi,
          functionName: "streamCount",
          ...block,
        });
      } catch (error) {
        if (lacksFunction(error)) return undefined;
        throw toRegistryError(error, "streamCount");
      }
      const ids: Hex[] = [];
      for (let start = 0n; start < count; start += STREAM_IDS_PAGE) {
        const page = await read("streamIds", () =>
          publicClient.readContract({
            address,
            abi: provenanceRegistryAbi,
            functionName: "streamIds",
            args: [start, STREAM_IDS_PAGE],
            ...block,
          }),
        );
        ids.push(...page);
      }
      return ids;
    },
    async verifyHistory(streamId, options = {}) {
      const blockNumber = await publicClient.getBlockNumber();
      const state = await streamState(streamId, { blockNumber });
      const anchors = await anchorHistory(streamId, {
        ...options,
        fromBlock: options.fromBlock ?? state.registeredBlock,
        toBlock: blockNumber,
      });
      const chainId = await publicClient.getChainId();
      verifyAnchorChain({
        start: genesisHead({ chainId, registry: address, streamId }),
        links: anchors,
        expectedHead: state.head,
      });
      if (BigInt(anchors.length) !== state.anchorCount) {
        // Unreachable when the replay matched (the head commits to the count); kept as a cheap invariant.
        throw new RegistryError("REGISTRY_BAD_ARGUMENT", "anchor count differs from the replayed history");
      }
      return { blockNumber, head: state.head, anchors };
    },
    verifyInclusion: (streamId, proof) =>
      read("verifyInclusion", () =>
        publicClient.readContract({
          address,
          abi: provenanceRegistryAbi,
          functionName: "verifyInclusion",
          args: [streamId, proof.leafHash, proof.index, proof.treeSize, proof.auditPath],
        }),
      ),
  };
}
