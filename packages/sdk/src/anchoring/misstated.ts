/**
 * A misstated anchor (docs/operations.md, "A misstated anchor"): the chain's anchor states one tree size
 * but commits the log's root at another. RFC 6962 proofs cannot bind a size, so whoever holds the
 * anchorer key can make one with a valid consistency proof (docs/threat-model.md); afterwards no proof
 * from it to the log exists and a stream that requires consistency cannot be anchored again. This module
 * tells that case from a fork (the chain's root is the log's root at no size), and anchors past it with
 * the admin key (`anchorAfterMisstatedCheckpoint`), keeping the misstated anchor in the history.
 */
import {
  type AnchorEvent,
  createRegistryReader,
  encodeStreamId,
  planConfirmations,
  provenanceRegistryAbi,
  type RegistryReader,
  waitForConfirmations,
} from "@ancora/contracts";
import { type BlockCid, manifestCidFromDigest } from "@ancora/core";
import { findTrueSizes, type ProvenAnchor } from "@ancora/verifier";
import { sqliteRecordSource } from "@ancora/verifier/node";
import type Database from "better-sqlite3";
import {
  type Account,
  type Address,
  type Chain,
  type Hash,
  hexToBytes,
  type PublicClient,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { AnchorError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";
import { streamIdOf } from "./anchor-store.js";
import { buildManifests, type ManifestSink } from "./manifests.js";

/** The anchor before `event` (sequence − 1), read from the block `event` names; undefined for the first. */
export async function previousAnchor(
  reader: RegistryReader,
  event: AnchorEvent,
): Promise<AnchorEvent | undefined> {
  if (event.sequence === 0n || event.previousAnchorBlock === 0n) return undefined;
  const block = event.previousAnchorBlock;
  const events = await reader.anchorHistory(event.streamId, { fromBlock: block, toBlock: block });
  return events.find((e) => e.sequence === event.sequence - 1n);
}

function proven(event: AnchorEvent): ProvenAnchor {
  return {
    sequence: event.sequence,
    treeSize: event.treeSize,
    root: event.root.toLowerCase(),
    consistencyChecked: event.consistencyChecked,
    transactionHash: event.transactionHash.toLowerCase(),
  };
}

/**
 * The size whose root in the local log is the root `event` commits, when `event` states another size;
 * undefined when the root is the log's root at no size up to the log's (a fork, or records not written
 * yet). Looks where the registry would have accepted the same proof (the verifier's
 * `misstatementCandidates`), one pass over the records.
 *
 * @example
 * ```ts
 * const trueSize = await misstatedSize(db, reader, "loans", latestEvent); // 705 for "704 with the root of 705"
 * ```
 */
export async function misstatedSize(
  db: Database.Database,
  reader: RegistryReader,
  stream: string,
  event: AnchorEvent,
): Promise<number | undefined> {
  const sid = streamIdOf(db, stream);
  if (sid === undefined) return undefined;
  const size = db.prepare<[number], number>("SELECT size FROM streams WHERE id = ?").pluck().get(sid) ?? 0;
  const before = await previousAnchor(reader, event);
  const anchors = before === undefined ? [proven(event)] : [proven(before), proven(event)];
  const records = sqliteRecordSource(db, new Map([[stream, sid]])).records(stream);
  const found = findTrueSizes(records, anchors, [anchors.length - 1], size, nodeSha256);
  return found.get(event.sequence);
}

/** The anchor event of the stream's latest checkpoint. */
export async function latestAnchor(reader: RegistryReader, streamId: `0x${string}`): Promise<AnchorEvent> {
  const state = await reader.streamState(streamId);
  const block = state.lastAnchorBlock;
  const events =
    state.anchorCount === 0n
      ? []
      : await reader.anchorHistory(streamId, { fromBlock: block, toBlock: block });
  const latest = events.find((e) => e.sequence === state.anchorCount - 1n);
  if (latest === undefined) {
    throw new AnchorError("ANCHOR_NOT_MISSTATED", "The stream has no anchor the node can show", {
      hint: "Check the registry address and that the RPC node serves the anchor's block and logs.",
      evidence: { streamId, anchors: String(state.anchorCount) },
    });
  }
  return latest;
}

/** Options of {@link anchorAfterMisstatedAnchor}. */
export interface AfterMisstatedOptions {
  store: AncoraStore;
  stream: string;
  registry: Address;
  publicClient: PublicClient;
  /** Signs with the registry's admin key (DEFAULT_ADMIN_ROLE); the anchorer role cannot do this. */
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  /** Blocks to wait for (default 2; 1 on a node that mines only on demand, see `planConfirmations`). */
  confirmations?: number;
  /** How long to wait for them (default contracts' `DEFAULT_CONFIRMATION_TIMEOUT_MS`). */
  timeoutMs?: number;
  /** Told when the confirmations asked for are not the ones waited for (a node that mines on demand). */
  onNotice?: (message: string) => void;
  /** Called with each manifest block after it is stored (e.g. to pin it). */
  onManifest?: ManifestSink;
}

/** What {@link anchorAfterMisstatedAnchor} did. */
export interface AfterMisstatedResult {
  stream: string;
  /** The misstated anchor: its sequence, stated size, the size whose root it commits, its transaction. */
  skipped: { sequence: number; statedSize: number; trueSize: number; txHash: Hash };
  /** The new anchor: the log's checkpoint, extending the anchor before the misstated one. */
  size: number;
  root: Hash;
  manifestCid: string;
  txHash: Hash;
  blockNumber: number;
}

/**
 * Anchors the stream's current checkpoint past a misstated latest anchor, with the admin key: checks
 * that the latest anchor commits the log's root at another size (else `ANCHOR_NOT_MISSTATED`: a fork
 * is never skipped), that the anchor before it is the log's (else `ANCHOR_FORK`), that the log has grown
 * past the stated size (else `ANCHOR_LOG_TOO_SHORT`); then builds the manifests from the anchor before
 * the misstated one and calls `anchorAfterMisstatedCheckpoint`. Afterwards the anchorer goes on as usual
 * (it recognises this anchor and proves consistency from it).
 *
 * @throws {AnchorError} as above, and `ANCHOR_REVERTED` when the registry refuses (no admin role).
 * @example
 * ```ts
 * const done = await anchorAfterMisstatedAnchor({ store, stream: "loans", registry, publicClient, walletClient: admin });
 * done.skipped; // { sequence: 1, statedSize: 704, trueSize: 705, txHash: "0x…" }
 * ```
 */
export async function anchorAfterMisstatedAnchor(
  options: AfterMisstatedOptions,
): Promise<AfterMisstatedResult> {
  const { store, stream, registry, publicClient, walletClient } = options;
  const db = connectionOf(store);
  const streamId = encodeStreamId(stream);
  const reader = createRegistryReader(publicClient, registry);
  const latest = await latestAnchor(reader, streamId);
  const trueSize = await misstatedSize(db, reader, stream, latest);
  const skipped = {
    sequence: Number(latest.sequence),
    statedSize: Number(latest.treeSize),
    txHash: latest.transactionHash,
  };
  if (trueSize === undefined) {
    throw new AnchorError(
      "ANCHOR_NOT_MISSTATED",
      `The chain's latest anchor of "${stream}" commits the log's root at no size: it is not a misstated size`,
      {
        hint: "Do not skip it: the log and the anchored history disagree (a fork, or a log missing records). Run ancora-verify against the registry and investigate.",
        evidence: { stream, ...skipped },
      },
    );
  }
  const before = await previousAnchor(reader, latest);
  const from = before === undefined ? 0 : Number(before.treeSize);
  if (before !== undefined) {
    const local = toHex(store.consistencyProof(stream, from, from).root1);
    if (local !== before.root.toLowerCase()) {
      throw new AnchorError(
        "ANCHOR_FORK",
        `The chain's root at size ${from} of "${stream}" is not the local one`,
        {
          hint: "The local log and the anchored history disagree before the misstated anchor: stop and investigate (verify both).",
          evidence: { stream, size: from, localRoot: local, chainRoot: before.root },
        },
      );
    }
  }
  const checkpoint = store.checkpoint(stream);
  if (checkpoint.size <= skipped.statedSize) {
    throw new AnchorError(
      "ANCHOR_LOG_TOO_SHORT",
      `The misstated anchor states size ${skipped.statedSize}; the log has ${checkpoint.size} records`,
      {
        hint: `Log past ${skipped.statedSize} records first (the registry only accepts a larger size), then run this again.`,
        evidence: { stream, statedSize: skipped.statedSize, size: checkpoint.size },
      },
    );
  }
  const prev: BlockCid | undefined =
    before === undefined ? undefined : manifestCidFromDigest(hexToBytes(before.manifestDigest));
  const manifest = await buildManifests(
    { db, store, onManifest: options.onManifest },
    stream,
    from,
    checkpoint.size,
    checkpoint.root,
    prev,
  );
  const root = toHex(checkpoint.root);
  const args = [streamId, BigInt(checkpoint.size), root, toHex(manifest.digest)] as const;
  let txHash: Hash;
  try {
    const { request } = await publicClient.simulateContract({
      address: registry,
      abi: provenanceRegistryAbi,
      functionName: "anchorAfterMisstatedCheckpoint",
      args,
      account: walletClient.account,
    });
    txHash = await walletClient.writeContract(request);
  } catch (error) {
    throw new AnchorError("ANCHOR_REVERTED", "The registry refused to anchor past the misstated anchor", {
      hint: "Sign with the registry's admin key (ANCORA_DEPLOYER_KEY holds DEFAULT_ADMIN_ROLE), and check the stream is active.",
      evidence: { stream, size: checkpoint.size },
      cause: error,
    });
  }
  // Hardhat's and anvil's automine make no block after the transaction's: waiting for a second would
  // never end there (contracts' planConfirmations).
  const plan = await planConfirmations(publicClient, options.confirmations ?? 2);
  if (plan.notice !== undefined) options.onNotice?.(plan.notice);
  const receipt = await waitForConfirmations(publicClient, {
    hash: txHash,
    confirmations: plan.confirmations,
    what: "the anchor past the misstated one",
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  if (receipt.status !== "success") {
    throw new AnchorError("ANCHOR_REVERTED", "The transaction anchoring past the misstated anchor reverted", {
      evidence: { stream, txHash },
    });
  }
  return {
    stream,
    skipped: { ...skipped, trueSize },
    size: checkpoint.size,
    root,
    manifestCid: manifest.cid,
    txHash,
    blockNumber: Number(receipt.blockNumber),
  };
}
