/**
 * The pack's chain cross-check: exactly the checks `ancora-verify --db FILE --rpc URL --registry
 * ADDRESS` runs (the verifier's `verifyAgainstChain`, registry read at one block), plus the times of
 * the anchors' blocks as the chain reports them.
 */

import { InvariantError } from "@ancora/core";
import { registryView, verifyAgainstChain } from "@ancora/verifier";
import { nodeSha256, openLocalLog } from "@ancora/verifier/node";
import type { Address, PublicClient } from "viem";
import type { EvidenceChainCheck } from "./types.js";

/** What {@link checkAgainstChain} found. */
export interface ChainCheckOutcome {
  check: Extract<EvidenceChainCheck, { checked: true }>;
  /** The chain id the RPC endpoint serves. */
  chainId: number;
  /** The block the registry was read at. */
  blockNumber: bigint;
  /** ISO time of each block asked for in `blocks`. */
  blockTimes: Map<number, string>;
}

/** Blocks whose times are read at once (an RPC provider's burst limit, not a tuning knob). */
const BLOCK_READS_IN_FLIGHT = 8;

/**
 * Checks `stream` of the log at `path` against the registry at `registry` through `publicClient`.
 *
 * @throws {SourceError} `SOURCE_UNREACHABLE` when the node cannot be reached.
 * @throws {RegistryError} `REGISTRY_NOT_DEPLOYED` when no contract is at the address.
 */
export async function checkAgainstChain(options: {
  path: string;
  stream: string;
  publicClient: PublicClient;
  registry: string;
  deploymentBlock?: bigint;
  blocks: readonly number[];
}): Promise<ChainCheckOutcome> {
  const view = await registryView(options.publicClient, options.registry as Address, {
    ...(options.deploymentBlock === undefined ? {} : { fromBlock: options.deploymentBlock }),
  });
  const local = openLocalLog(options.path);
  let result: Awaited<ReturnType<typeof verifyAgainstChain>>;
  try {
    result = await verifyAgainstChain({
      local,
      registry: view,
      streams: [options.stream],
      sha256: nodeSha256,
    });
  } finally {
    local.close();
  }
  const stream = result.streams[0];
  if (stream === undefined) {
    throw new InvariantError("The chain check returned no result for the stream", {
      evidence: { stream: options.stream },
    });
  }
  const blockTimes = new Map<number, string>();
  const wanted = [...new Set(options.blocks)].filter((b) => BigInt(b) <= view.blockNumber);
  for (let i = 0; i < wanted.length; i += BLOCK_READS_IN_FLIGHT) {
    await Promise.all(
      wanted.slice(i, i + BLOCK_READS_IN_FLIGHT).map(async (blockNumber) => {
        const block = await options.publicClient.getBlock({ blockNumber: BigInt(blockNumber) });
        blockTimes.set(blockNumber, new Date(Number(block.timestamp) * 1000).toISOString());
      }),
    );
  }
  return {
    chainId: view.chainId,
    blockNumber: view.blockNumber,
    blockTimes,
    check: {
      checked: true,
      ok: stream.ok,
      blockNumber: result.blockNumber,
      history: stream.history,
      anchors: stream.anchors,
      anchoredSize: stream.anchoredSize,
      unanchored: stream.unanchored,
      consistency: stream.consistency,
      failureCount: stream.failureCount,
      failures: stream.failures,
      warnings: stream.warnings,
    },
  };
}
