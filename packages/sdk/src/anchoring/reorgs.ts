/**
 * Reorg watching: confirmed anchors in the last `reorgDepth` blocks are re-checked against their
 * receipts; one re-mined elsewhere is moved to its new block, one a reorg removed is marked dropped and
 * its job re-queued. Also the link fields (sequence, anchorer, consistency checked) of an anchor, read
 * from its receipt, and their backfill for anchors recorded before schema v3.
 */
import { encodeStreamId, provenanceRegistryAbi } from "@ancora/contracts";
import type Database from "better-sqlite3";
import { type Hash, parseEventLogs, type TransactionReceipt } from "viem";
import { AnchorError } from "../errors.js";
import {
  anchorsWithoutLink,
  hasPendingAnchorJob,
  recentConfirmed,
  setAnchorLink,
  streamIdOf,
  updateAnchorState,
} from "./anchor-store.js";
import type { PassContext } from "./pass-context.js";
import type { ChainBlock } from "./transactions.js";

/** Anchors recorded before schema v3 whose link fields are read back from their receipts per pass. */
const LINK_BACKFILL_PER_TICK = 20;

/**
 * Watches the recent confirmed anchors for reorgs. A block's hash commits to every block before it, so
 * while the head of the last check is still on the chain, nothing at or below it moved: the anchors
 * checked then are skipped and only those confirmed since are re-read (one receipt each). Any other
 * change of the chain (the last head gone, or the chain shorter) re-reads every recent anchor.
 */
export class ReorgWatch {
  /** The head of the last check, and the anchors (by transaction) found on the chain at that check. */
  #last: { number: number; hash: Hash; verified: Set<string> } | undefined;
  /** The head block the last check read. */
  #headBlock: ChainBlock | undefined;

  /** The head block the last check read, if it is block `number` (the fee estimate reuses it). */
  headBlock(number: number | undefined): ChainBlock | undefined {
    return number !== undefined && this.#headBlock?.number === BigInt(number) ? this.#headBlock : undefined;
  }

  /** Re-checks confirmed anchors in the last `reorgDepth` blocks; re-queues those a reorg removed. */
  async check(ctx: PassContext, head: number): Promise<number> {
    const { chainId } = ctx;
    const candidates = recentConfirmed(ctx.db, chainId, ctx.registryKey, head - ctx.reorgDepth).filter((a) =>
      ctx.streams.includes(a.stream),
    );
    if (candidates.length === 0) return 0;
    const last = this.#last;
    // The head's hash, the last check's head's hash and the receipts of the anchors confirmed since that
    // check are independent requests: they go out together (one round trip, not three or more in a
    // row, each 30-150 ms on a node sharing two busy cores). The other receipts are read only if the
    // last check's head turns out to be gone.
    const receipts = new Map<string, Promise<TransactionReceipt | undefined>>();
    const receiptOf = (txHash: string): Promise<TransactionReceipt | undefined> => {
      const tx = txHash.toLowerCase();
      let receipt = receipts.get(tx);
      if (receipt === undefined) {
        receipt = ctx.sender.receipt(txHash as Hash);
        receipt.catch(() => undefined); // awaited below; a failure there fails the check
        receipts.set(tx, receipt);
      }
      return receipt;
    };
    for (const anchor of candidates) {
      const checked =
        last?.verified.has(anchor.txHash.toLowerCase()) === true &&
        anchor.blockNumber !== null &&
        anchor.blockNumber <= last.number;
      if (!checked) void receiptOf(anchor.txHash);
    }
    const [headBlock, lastBlock] = await Promise.all([
      ctx.publicClient.getBlock({ blockNumber: BigInt(head) }),
      last !== undefined && last.number < head
        ? ctx.publicClient.getBlock({ blockNumber: BigInt(last.number) })
        : undefined,
    ]);
    this.#headBlock = headBlock;
    const headHash = headBlock.hash;
    let unchangedUpTo = -1;
    if (last !== undefined && last.number <= head) {
      const then = last.number === head ? headHash : lastBlock?.hash;
      if (then === last.hash) unchangedUpTo = last.number;
    }
    const verified = new Set<string>();
    let reorged = 0;
    for (const anchor of candidates) {
      const tx = anchor.txHash.toLowerCase();
      const seen =
        last?.verified.has(tx) === true && anchor.blockNumber !== null && anchor.blockNumber <= unchangedUpTo;
      if (seen) {
        verified.add(tx);
        continue;
      }
      const receipt = await receiptOf(anchor.txHash);
      if (receipt !== undefined && receipt.blockHash === anchor.blockHash) {
        verified.add(tx);
        continue;
      }
      const key = { chainId, registry: ctx.registryKey, stream: anchor.stream, size: anchor.size };
      if (receipt !== undefined && receipt.status === "success") {
        // Re-mined in another block: still anchored, confirmations count from the new block.
        updateAnchorState(
          ctx.db,
          key,
          {
            status: "confirmed",
            blockNumber: Number(receipt.blockNumber),
            blockHash: receipt.blockHash,
            confirmations: Math.max(0, head - Number(receipt.blockNumber) + 1),
          },
          ctx.isoNow(),
        );
        linkFromReceipt(ctx.db, key, receipt);
        verified.add(tx);
        continue;
      }
      updateAnchorState(
        ctx.db,
        key,
        { status: "dropped", blockNumber: anchor.blockNumber, blockHash: anchor.blockHash, confirmations: 0 },
        ctx.isoNow(),
      );
      ctx.sender.resetNonces();
      const id = streamIdOf(ctx.db, anchor.stream);
      if (id !== undefined && !hasPendingAnchorJob(ctx.db, id, anchor.size)) {
        ctx.store.enqueueJob(
          "anchor",
          { stream: anchor.stream, size: anchor.size, reason: "reorg" },
          { stream: anchor.stream, at: new Date(ctx.now()) },
        );
      }
      ctx.report(
        new AnchorError(
          "ANCHOR_REVERTED",
          `The anchor of size ${anchor.size} was removed by a reorg; re-queued`,
          {
            evidence: { stream: anchor.stream, size: anchor.size, txHash: anchor.txHash },
          },
        ),
        { stream: anchor.stream, size: anchor.size },
      );
      reorged++;
    }
    this.#last = headHash === null ? undefined : { number: head, hash: headHash, verified };
    return reorged;
  }
}

/**
 * Reads the link fields (sequence, anchorer, consistency checked) of a confirmed anchor from the
 * `CheckpointAnchored` event in its transaction receipt, so the local log can replay the stream's
 * chained head without the node's event logs. `key.registry` is lowercase.
 */
export function linkFromReceipt(
  db: Database.Database,
  key: { chainId: number; registry: string; stream: string; size: number },
  receipt: TransactionReceipt,
): boolean {
  const streamId = encodeStreamId(key.stream);
  const event = parseEventLogs({
    abi: provenanceRegistryAbi,
    eventName: "CheckpointAnchored",
    logs: receipt.logs,
  }).find(
    (log) =>
      log.address.toLowerCase() === key.registry &&
      log.args.streamId === streamId &&
      log.args.treeSize === BigInt(key.size),
  );
  if (event === undefined) return false;
  setAnchorLink(db, key, {
    sequence: Number(event.args.sequence),
    anchorer: event.args.anchorer,
    consistencyChecked: event.args.consistencyChecked,
  });
  return true;
}

/** Fills the link fields of confirmed anchors recorded before schema v3, a few per pass. */
export async function backfillLinks(ctx: PassContext): Promise<void> {
  const { chainId } = ctx;
  for (const anchor of anchorsWithoutLink(ctx.db, chainId, ctx.registryKey, LINK_BACKFILL_PER_TICK)) {
    const receipt = await ctx.sender.receipt(anchor.txHash as Hash);
    if (receipt === undefined || receipt.status !== "success") continue; // the reorg check handles it
    const key = { chainId, registry: ctx.registryKey, stream: anchor.stream, size: anchor.size };
    linkFromReceipt(ctx.db, key, receipt);
  }
}
