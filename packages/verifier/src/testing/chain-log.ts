/**
 * A log and its anchors for chain-mode tests: records written as a writer would (without the SDK), a
 * registry view that holds the anchors, and the check that runs verifyAgainstChain over both.
 */
/**
 * verifyAgainstChain against in-memory fakes of a local log and a registry view, built with
 * @ancora/core the way a writer and the contract would: every attack of the threat model is caught with
 * its code and the first sequence number concerned, and untouched logs verify with no failure.
 */
import { hash } from "node:crypto";
import { chainLink, encodeStreamId, genesisHead, type StreamState } from "@ancora/contracts";
import {
  type AncoraRecord,
  type BlockCid,
  CompactRange,
  encodeRecordBlock,
  manifestBlock,
  manifestDigest,
  type Sha256,
  splitManifestRanges,
} from "@ancora/core";
import { type Address, type Hex, toHex } from "viem";
import { type VerifyAgainstChainOptions, verifyAgainstChain } from "../chain/local-vs-chain.js";
import type { RegistryAnchor, RegistryStream, RegistryView } from "../chain/registry-view.js";
import { SourceError } from "../errors.js";
import type { VerificationFailure } from "../result.js";
import type { StoredCheckpoint, StoredRecord } from "../source.js";
import type { LocalAnchor, LocalLog, LocalManifest } from "../sources/types.js";

export const sha256: Sha256 = (data) => hash("sha256", data, "buffer");
export const STREAM = "loans";
export const STREAM_ID = encodeStreamId(STREAM);
export const CHAIN_ID = 31337;
export const REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address;
export const ANCHORER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Address;
export const TS = "2025-01-31T12:00:00.000Z";

export interface Log {
  rows: StoredRecord[];
  cids: BlockCid[];
}

/** A stream of `n` records: genesis, then label records (renames of L001), `name` chosen per seq. */
export function buildLog(n: number, name: (seq: number) => string = (seq) => `name${seq}`): Log {
  const rows: StoredRecord[] = [];
  const cids: BlockCid[] = [];
  let prev: BlockCid | undefined;
  for (let seq = 0; seq < n; seq++) {
    const record: AncoraRecord =
      seq === 0
        ? { v: 1, kind: "genesis", stream: STREAM, seq, ts: TS, body: { createdBy: "ops" } }
        : {
            v: 1,
            kind: "label",
            stream: STREAM,
            seq,
            prev: prev as BlockCid,
            ts: TS,
            body: { id: "L001", name: name(seq) },
          };
    const { bytes, cid } = encodeRecordBlock(record, sha256);
    rows.push({ seq, bytes, cid: cid.toString(), kind: record.kind });
    cids.push(cid);
    prev = cid;
  }
  return { rows, cids };
}

export function rootAt(cids: readonly BlockCid[], size: number): Uint8Array {
  const tree = new CompactRange(sha256);
  for (const cid of cids.slice(0, size)) tree.appendLeaf(cid.bytes);
  return tree.root();
}

export interface Chain {
  events: RegistryAnchor[];
  state: StreamState;
  manifests: LocalManifest[];
  anchors: LocalAnchor[];
}

/** Anchors `log` at `sizes` as the SDK's anchorer and the contract would; manifests split every `split`. */
export function anchor(log: Log, sizes: readonly number[], split = 3800): Chain {
  const events: RegistryAnchor[] = [];
  const manifests: LocalManifest[] = [];
  const anchors: LocalAnchor[] = [];
  let head = genesisHead({ chainId: CHAIN_ID, registry: REGISTRY, streamId: STREAM_ID });
  let from = 0;
  let prevManifest: BlockCid | undefined;
  for (const [i, size] of sizes.entries()) {
    for (const range of splitManifestRanges(from, size, split)) {
      const block = manifestBlock(
        {
          v: 1,
          stream: STREAM,
          from: range.from,
          size: range.size,
          root: rootAt(log.cids, range.size),
          head: log.cids[range.size - 1] as BlockCid,
          records: log.cids.slice(range.from, range.size),
          ...(prevManifest === undefined ? {} : { prev: prevManifest }),
        },
        sha256,
      );
      manifests.push({ stream: STREAM, cid: block.cid.toString(), bytes: block.bytes });
      prevManifest = block.cid;
    }
    const root = rootAt(log.cids, size);
    const link = {
      sequence: BigInt(i),
      treeSize: BigInt(size),
      root: toHex(root),
      manifestDigest: toHex(manifestDigest(prevManifest as BlockCid)),
      anchorer: ANCHORER,
      blockNumber: BigInt(10 + i),
      consistencyChecked: false,
    };
    const txHash = `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex;
    events.push({ ...link, streamId: STREAM_ID, previousHead: head, transactionHash: txHash });
    head = chainLink(head, link);
    anchors.push({
      stream: STREAM,
      chainId: CHAIN_ID,
      registry: REGISTRY,
      size,
      root,
      manifestCid: (prevManifest as BlockCid).toString(),
      txHash,
      status: "confirmed",
      blockNumber: 10 + i,
      sequence: i,
      anchorer: ANCHORER,
      consistencyChecked: false,
    });
    from = size;
  }
  const last = events.at(-1);
  const state: StreamState = {
    status: "active",
    consistencyRequired: false,
    treeSize: last?.treeSize ?? 0n,
    root: last?.root ?? `0x${"00".repeat(32)}`,
    head,
    anchorCount: BigInt(events.length),
    lastAnchorBlock: last?.blockNumber ?? 0n,
    registeredBlock: 5n,
  };
  return { events, state, manifests, anchors };
}

export interface Fixture {
  log: Log;
  chain: Chain;
  /** What the local log holds (defaults: the chain's manifests and anchors, no stored checkpoints). */
  localManifests?: LocalManifest[];
  localAnchors?: LocalAnchor[];
  checkpoints?: StoredCheckpoint[];
  historyUnavailable?: boolean;
  /** More streams the registry holds (the log has only STREAM). */
  otherStreams?: RegistryStream[];
}

export function localLog(f: Fixture): LocalLog {
  return {
    streams: () => [STREAM],
    source: { records: () => f.log.rows, checkpoints: () => f.checkpoints ?? [] },
    anchors: () => f.localAnchors ?? f.chain.anchors,
    manifests: () => f.localManifests ?? f.chain.manifests,
    close: () => undefined,
  };
}

export function view(f: Fixture): RegistryView {
  const entry = { streamId: STREAM_ID, metadata: "{}", state: f.chain.state };
  return {
    chainId: CHAIN_ID,
    address: REGISTRY,
    blockNumber: 1000n,
    streams: async () => [entry, ...(f.otherStreams ?? [])],
    stream: async (id) => {
      const found = [entry, ...(f.otherStreams ?? [])].find((e) => e.streamId === id);
      if (found === undefined) throw new SourceError("SOURCE_NOT_FOUND", "unknown");
      return found;
    },
    anchorHistory: async () => {
      if (f.historyUnavailable) throw new SourceError("HISTORY_UNAVAILABLE", "pruned");
      return f.chain.events;
    },
  };
}

export async function check(f: Fixture, options: Partial<VerifyAgainstChainOptions> = {}) {
  const result = await verifyAgainstChain({ local: localLog(f), registry: view(f), sha256, ...options });
  const stream = result.streams[0];
  if (stream === undefined) throw new Error("no stream result");
  return stream;
}

export const codes = (failures: readonly VerificationFailure[]) => failures.map((x) => `${x.code}@${x.seq}`);

export function replaceRow(log: Log, seq: number, row: StoredRecord): Log {
  return { ...log, rows: log.rows.map((r) => (r.seq === seq ? row : r)) };
}
