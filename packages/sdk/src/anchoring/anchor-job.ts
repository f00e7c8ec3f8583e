/**
 * One anchor job's work in a pass: re-derived from the chain, never from memory. A transaction in flight
 * is followed up (confirmed, still waiting, replaced when stuck, or dropped); what the chain already
 * holds is recognised and recorded, never anchored twice; a different root at a size we have is a fork
 * (ANCHOR_FORK), or a misstated anchor (ANCHOR_SIZE_MISSTATED); otherwise the records since the chain's
 * latest checkpoint get their manifests and a fresh anchor, sent at once (a replacement) or handed back
 * to join the pass's batch.
 */
import {
  type AnchorEvent,
  encodeStreamId,
  type RegistryReader,
  RegistryUnknownStreamError,
  type StreamState,
} from "@ancora/contracts";
import { type BlockCid, manifestCidFromDigest, parseBlockCid } from "@ancora/core";
import { type Hash, type Hex, hexToBytes, toHex } from "viem";
import { AnchorError } from "../errors.js";
import {
  type AnchorRecord,
  getAnchor,
  type OpenAnchorJob,
  setAnchorLink,
  streamIdOf,
  updateAnchorState,
  upsertAnchor,
} from "./anchor-store.js";
import { prepareManifests } from "./manifests.js";
import { misstatedSize } from "./misstated.js";
import type { PassContext } from "./pass-context.js";
import { linkFromReceipt } from "./reorgs.js";
import { anchorCalldata, type PreparedAnchor } from "./transactions.js";
import { writeTurn } from "./write-turn.js";

/** What happened to a job in one pass. */
export type Outcome = "submitted" | "waiting" | "confirmed" | "recognised" | "superseded" | "prepared";

/**
 * Works on one anchor job (the checkpoint of `size`): already confirmed, its transaction followed up,
 * or, when none is in flight (or it was dropped), a fresh anchor: a replacement is sent at once, any
 * other is handed to `collect` to join the pass's batch ("prepared").
 */
export async function processJob(
  ctx: PassContext,
  job: OpenAnchorJob,
  stream: string,
  size: number,
  collect: (prepared: PreparedAnchor) => void,
): Promise<Outcome> {
  const chainId = ctx.chainId;
  const local = ctx.store.checkpointAt(stream, size);
  if (local === undefined || !Number.isSafeInteger(size)) {
    throw new AnchorError("ANCHOR_INVALID_OPTION", `No local checkpoint of size ${size}`, {
      evidence: { stream, size, job: job.id },
    });
  }
  const existing = getAnchor(ctx.db, chainId, ctx.registryKey, stream, size);
  // A state read before this anchor was followed up could predate its confirmation.
  if (existing !== undefined) void ctx.takeStreamState(stream);
  if (existing?.status === "confirmed") return "confirmed";
  if (existing?.status === "submitted") {
    const outcome = await followUp(ctx, existing);
    if (outcome !== undefined) return outcome;
  }
  return await anchorFresh(ctx, stream, size, local.root, undefined, collect);
}

/**
 * Right after a send: the anchor's receipt read once, and the anchor confirmed when it is mined with
 * enough confirmations. A node that mines at once (a local chain, some rollups) has it already, so the
 * anchor is confirmed in the pass that sent it instead of the next one, a poll interval later; anywhere
 * else this costs one request and the next pass follows the anchor up as usual.
 */
export async function confirmIfMined(
  ctx: PassContext,
  stream: string,
  size: number,
  alsoOnConfirm?: () => void,
): Promise<Outcome> {
  const anchor = getAnchor(ctx.db, ctx.chainId, ctx.registryKey, stream, size);
  if (anchor?.status !== "submitted") return "waiting";
  return (
    (await followUp(ctx, anchor, {
      minedOnly: true,
      ...(alsoOnConfirm === undefined ? {} : { alsoOnConfirm }),
    })) ?? "waiting"
  );
}

/**
 * A submitted anchor: confirmed, still waiting, replaced when stuck, or dropped (→ undefined). With
 * `minedOnly`, an anchor without a receipt is "waiting" (nothing more is asked).
 */
async function followUp(
  ctx: PassContext,
  anchor: AnchorRecord,
  options: { minedOnly?: boolean; alsoOnConfirm?: () => void } = {},
): Promise<Outcome | undefined> {
  const client = ctx.publicClient;
  const chainId = ctx.chainId;
  const key = { chainId, registry: ctx.registryKey, stream: anchor.stream, size: anchor.size };
  const receipt = await ctx.sender.receipt(anchor.txHash as Hash);
  if (receipt !== undefined) {
    if (receipt.status !== "success") {
      // Reverted on chain (e.g. another anchorer got there first): re-derive from the chain.
      updateAnchorState(
        ctx.db,
        key,
        {
          status: "dropped",
          blockNumber: Number(receipt.blockNumber),
          blockHash: receipt.blockHash,
          confirmations: 0,
        },
        ctx.isoNow(),
      );
      ctx.sender.resetNonces();
      return undefined;
    }
    // The pass's probe read the head moments ago; ask again only if the receipt is from a later block
    // and more than the receipt's own block is needed (one confirmation is the block itself).
    const mined = Number(receipt.blockNumber);
    const head =
      ctx.head !== undefined && ctx.head >= mined
        ? ctx.head
        : ctx.confirmations <= 1
          ? mined
          : Number(await client.getBlockNumber({ cacheTime: 0 }));
    const confirmations = Math.max(0, head - Number(receipt.blockNumber) + 1);
    const done = confirmations >= ctx.confirmations;
    const state = {
      status: done ? ("confirmed" as const) : ("submitted" as const),
      blockNumber: Number(receipt.blockNumber),
      blockHash: receipt.blockHash,
      confirmations,
    };
    if (!done) {
      // Written only when something changed: a pass that finds the same block writes nothing.
      if (
        anchor.blockHash !== state.blockHash ||
        anchor.blockNumber !== state.blockNumber ||
        anchor.confirmations !== confirmations
      ) {
        updateAnchorState(ctx.db, key, state, ctx.isoNow());
      }
      return "waiting";
    }
    // The confirmation, the event's link fields and the caller's own write (completing the job) in one
    // transaction: one turn of the write lock, one fsync.
    await writeTurn(
      ctx.db,
      ctx.db.transaction(() => {
        updateAnchorState(ctx.db, key, state, ctx.isoNow());
        linkFromReceipt(ctx.db, key, receipt);
        options.alsoOnConfirm?.();
      }),
    );
    const confirmed = getAnchor(ctx.db, chainId, ctx.registryKey, anchor.stream, anchor.size);
    if (confirmed !== undefined) ctx.onAnchored(confirmed);
    return anchor.origin === "recognised" ? "recognised" : "confirmed";
  }
  if (options.minedOnly === true) return "waiting";
  if (await ctx.sender.isPending(anchor.txHash as Hash)) {
    if (ctx.now() - anchor.submittedAt < ctx.replaceAfterMs) return "waiting";
    // Stuck below the fee market: replace it with the same nonce (handled by anchorFresh's reuse).
    return await anchorFresh(ctx, anchor.stream, anchor.size, anchor.root, anchor);
  }
  // Neither mined nor pending: dropped from the mempool, or removed by a reorg.
  updateAnchorState(
    ctx.db,
    key,
    { status: "dropped", blockNumber: null, blockHash: null, confirmations: 0 },
    ctx.isoNow(),
  );
  ctx.sender.resetNonces();
  return undefined;
}

/** Reads the chain, recognises what it already holds, otherwise builds the manifest and sends the anchor. */
async function anchorFresh(
  ctx: PassContext,
  stream: string,
  size: number,
  root: Uint8Array,
  replacing?: AnchorRecord,
  collect?: (prepared: PreparedAnchor) => void,
): Promise<Outcome> {
  const chainId = ctx.chainId;
  const streamId = encodeStreamId(stream);
  let state: StreamState;
  try {
    state = await (ctx.takeStreamState(stream) ?? ctx.reader.streamState(streamId));
  } catch (error) {
    if (error instanceof RegistryUnknownStreamError) {
      throw new AnchorError(
        "ANCHOR_STREAM_NOT_REGISTERED",
        `Stream "${stream}" is not registered in the registry`,
        {
          hint: "Register it with registerStream (admin) first.",
          evidence: { stream, streamId },
          cause: error,
        },
      );
    }
    throw error;
  }
  if (state.status !== "active") {
    throw new AnchorError("ANCHOR_STREAM_NOT_REGISTERED", `Stream "${stream}" is retired in the registry`, {
      evidence: { stream, streamId },
    });
  }
  const chainSize = Number(state.treeSize);
  const rootHex = toHex(root);
  if (chainSize >= size) {
    const event = await findAnchorEvent(ctx.reader, streamId, size, state.lastAnchorBlock);
    if (event === undefined) return "superseded"; // covered by a later anchor, provable by consistency
    if (event.root !== rootHex) {
      await throwIfMisstated(ctx, stream, event);
      throw new AnchorError("ANCHOR_FORK", `The chain holds another root at size ${size} of "${stream}"`, {
        hint: "The local log and the anchored history disagree: stop and investigate (verify both).",
        evidence: {
          stream,
          size,
          localRoot: rootHex,
          chainRoot: event.root,
          txHash: event.transactionHash,
        },
      });
    }
    const head = Number(await ctx.publicClient.getBlockNumber({ cacheTime: 0 }));
    const confirmations = Math.max(0, head - Number(event.blockNumber) + 1);
    const done = confirmations >= ctx.confirmations;
    const sid = streamIdOf(ctx.db, stream) as number;
    const previous = getAnchor(ctx.db, chainId, ctx.registryKey, stream, size);
    const ours = previous?.txHash.toLowerCase() === event.transactionHash.toLowerCase();
    upsertAnchor(
      ctx.db,
      {
        streamId: sid,
        size,
        root,
        manifestCid: manifestCidFromDigest(hexToBytes(event.manifestDigest)).toString(),
        chainId,
        registry: ctx.registryKey,
        status: done ? "confirmed" : "submitted",
        origin: ours ? (previous?.origin ?? "submitted") : "recognised",
        txHash: event.transactionHash,
        nonce: ours ? (previous?.nonce ?? null) : null,
        maxFee: ours ? (previous?.maxFee ?? null) : null,
        blockNumber: Number(event.blockNumber),
        blockHash: null,
        confirmations,
        submittedAt: previous?.submittedAt ?? ctx.now(),
      },
      ctx.isoNow(),
    );
    // Store the block hash for reorg checks.
    const receipt = await ctx.sender.receipt(event.transactionHash);
    if (receipt !== undefined) {
      updateAnchorState(
        ctx.db,
        { chainId, registry: ctx.registryKey, stream, size },
        {
          status: done ? "confirmed" : "submitted",
          blockNumber: Number(receipt.blockNumber),
          blockHash: receipt.blockHash,
          confirmations,
        },
        ctx.isoNow(),
      );
    }
    if (!done) return "waiting";
    setAnchorLink(
      ctx.db,
      { chainId, registry: ctx.registryKey, stream, size },
      {
        sequence: Number(event.sequence),
        anchorer: event.anchorer,
        consistencyChecked: event.consistencyChecked,
      },
    );
    const confirmed = getAnchor(ctx.db, chainId, ctx.registryKey, stream, size);
    if (confirmed !== undefined) ctx.onAnchored(confirmed);
    return ours ? "confirmed" : "recognised";
  }

  // The chain is behind: anchor the records since its latest checkpoint, proving consistency with it.
  let prevManifest: BlockCid | undefined;
  if (chainSize > 0) {
    const localAtChain = ctx.store.consistencyProof(stream, chainSize, size);
    if (toHex(localAtChain.root1) !== state.root) {
      const latest = await findAnchorEvent(ctx.reader, streamId, chainSize, state.lastAnchorBlock);
      if (latest !== undefined) await throwIfMisstated(ctx, stream, latest);
      throw new AnchorError(
        "ANCHOR_FORK",
        `The chain's root at size ${chainSize} of "${stream}" is not the local one`,
        {
          hint: "The local log and the anchored history disagree: stop and investigate (verify both).",
          evidence: {
            stream,
            size: chainSize,
            localRoot: toHex(localAtChain.root1),
            chainRoot: state.root,
          },
        },
      );
    }
    prevManifest = await previousManifest(ctx, stream, streamId, chainSize, state);
  }
  const sink = { db: ctx.db, store: ctx.store, onManifest: ctx.onManifest, cache: ctx.manifests };
  const manifest = prepareManifests(sink, stream, chainSize, size, root, prevManifest);
  const prepared: PreparedAnchor = {
    stream,
    streamId,
    size,
    root,
    manifestCid: manifest.cid,
    manifestDigest: manifest.digest,
    persist: manifest.persist,
    reusedManifests: manifest.reused,
    proof:
      chainSize > 0 ? ctx.store.consistencyProof(stream, chainSize, size).proof.map((h) => toHex(h)) : [],
  };
  // A replacement keeps its own transaction (same nonce); anything else may join this pass's batch.
  if (replacing === undefined && collect !== undefined) {
    collect(prepared);
    return "prepared";
  }
  await submitAnchors(ctx, [prepared], replacing);
  return "submitted";
}

/**
 * The manifest of the chain's latest anchor, which the new manifest links to. When that anchor is this
 * log's own, confirmed, with the sequence number the registry gave the latest anchor (`anchorCount − 1`)
 * and the same size and root, its manifest is the one recorded locally: no event search. Otherwise it
 * is read from the anchor's `CheckpointAnchored` event.
 */
async function previousManifest(
  ctx: PassContext,
  stream: string,
  streamId: Hex,
  chainSize: number,
  state: StreamState,
): Promise<BlockCid | undefined> {
  const local = getAnchor(ctx.db, ctx.chainId, ctx.registryKey, stream, chainSize);
  if (
    local?.status === "confirmed" &&
    local.sequence !== null &&
    BigInt(local.sequence) === state.anchorCount - 1n &&
    toHex(local.root) === state.root
  ) {
    const cid = parseBlockCid(local.manifestCid);
    if (cid !== undefined) return cid;
  }
  const last = await findAnchorEvent(ctx.reader, streamId, chainSize, state.lastAnchorBlock);
  return last === undefined ? undefined : manifestCidFromDigest(hexToBytes(last.manifestDigest));
}

/**
 * A chain root that is not the log's at the anchor's size, but is the log's root at another size, is
 * a misstated anchor (./misstated.ts), not a fork: the log is intact and the operator can anchor past
 * it with the admin key, so it gets its own code and a hint naming the command.
 */
async function throwIfMisstated(ctx: PassContext, stream: string, event: AnchorEvent): Promise<void> {
  const trueSize = await misstatedSize(ctx.db, ctx.reader, stream, event);
  if (trueSize === undefined) return;
  throw new AnchorError(
    "ANCHOR_SIZE_MISSTATED",
    `Anchor ${event.sequence} of "${stream}" states size ${event.treeSize} but commits the log's root at size ${trueSize}`,
    {
      hint: `The anchorer key misstated the size; the log is intact. With the registry's admin key (ANCORA_DEPLOYER_KEY), run \`ancora anchor --after-misstated-anchor --stream ${stream}\` to anchor past it (docs/operations.md, "A misstated anchor").`,
      evidence: {
        stream,
        sequence: Number(event.sequence),
        statedSize: Number(event.treeSize),
        trueSize,
        chainRoot: event.root,
        txHash: event.transactionHash,
      },
    },
  );
}

/** Walks the stream's anchors backwards (through `previousAnchorBlock`) to the one of `size`. */
async function findAnchorEvent(
  reader: RegistryReader,
  streamId: Hex,
  size: number,
  fromBlock: bigint,
): Promise<AnchorEvent | undefined> {
  let block = fromBlock;
  for (let hops = 0; hops < 100_000 && block > 0n; hops++) {
    const events = await reader.anchorHistory(streamId, { fromBlock: block, toBlock: block });
    if (events.length === 0) return undefined;
    const match = events.find((e) => Number(e.treeSize) === size);
    if (match !== undefined) return match;
    const first = events[0] as AnchorEvent;
    if (Number(first.treeSize) < size) return undefined; // skipped: no anchor of exactly this size
    block = first.previousAnchorBlock;
  }
  return undefined;
}

/** Sends one transaction for `prepared` and records a `submitted` row per anchor before broadcasting. */
export async function submitAnchors(
  ctx: PassContext,
  prepared: PreparedAnchor[],
  replacing?: AnchorRecord,
): Promise<void> {
  const sending = ctx.sender.send(anchorCalldata(prepared), replacing, ctx.latestBlock());
  sending.catch(() => undefined); // awaited below, after the manifests are stored
  // The manifests are stored while the simulation and the estimates are in flight (the requests go out
  // first): the wait for the write lock overlaps the round trip instead of adding to it. Always before
  // the broadcast, so that an anchor never names a manifest the store does not hold.
  await new Promise((resolve) => setImmediate(resolve));
  for (const p of prepared) await p.persist?.();
  const sent = await sending;
  const chainId = ctx.chainId;
  // The rows of every anchor the transaction carries in one write, before the network sees it.
  const record = () => {
    for (const p of prepared) {
      upsertAnchor(
        ctx.db,
        {
          streamId: streamIdOf(ctx.db, p.stream) as number,
          size: p.size,
          root: p.root,
          manifestCid: p.manifestCid,
          chainId,
          registry: ctx.registryKey,
          status: "submitted",
          origin: "submitted",
          txHash: sent.hash,
          nonce: sent.nonce,
          maxFee: sent.maxFeePerGas,
          blockNumber: null,
          blockHash: null,
          confirmations: 0,
          submittedAt: ctx.now(),
        },
        ctx.isoNow(),
      );
    }
  };
  await writeTurn(ctx.db, ctx.db.transaction(record));
  await sent.broadcast();
}
