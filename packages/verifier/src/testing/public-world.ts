/**
 * A published world for public-mode tests: records written as a writer would (without the SDK), anchors
 * and manifests in an in-memory registry view, and the blocks in an in-memory fetcher that checks bytes
 * against CIDs.
 */
import { hash } from "node:crypto";
import { chainLink, encodeStreamId, genesisHead, type StreamState } from "@ancora/contracts";
import {
  type AncoraRecord,
  type BlockCid,
  CompactRange,
  commitPlain,
  computeCid,
  encodeRecordBlock,
  type Manifest,
  manifestBlock,
  manifestDigest,
  resolveLabel,
  type Sha256,
  splitManifestRanges,
} from "@ancora/core";
import { type Address, type Hex, toHex } from "viem";
import type { RegistryAnchor, RegistryStream, RegistryView } from "../chain/registry-view.js";
import { SourceError } from "../errors.js";
import { verifyPublic } from "../public/verify-public.js";
import type { BlockFetcher } from "../sources/types.js";

export const sha256: Sha256 = (data) => hash("sha256", data, "buffer");
export const TS = "2025-01-31T12:00:00.000Z";
export const MODEL = { id: "credit-risk", version: "1.0.0", hash: `sha256:${"ab".repeat(32)}` };
export const CHAIN_ID = 31337;
export const REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address;
export const ANCHORER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266" as Address;

/** A stream's records, written the way a writer would (the verifier's tests do not use the SDK). */
export function buildRecords(stream: string, count: number): { bytes: Uint8Array; cid: BlockCid }[] {
  const out: { bytes: Uint8Array; cid: BlockCid }[] = [];
  const push = (record: AncoraRecord) => out.push(encodeRecordBlock(record, sha256));
  const prev = () => (out[out.length - 1] as { cid: BlockCid }).cid;
  const env = () => ({ v: 1 as const, stream, seq: out.length, prev: prev(), ts: TS });
  push({ v: 1, kind: "genesis", stream, seq: 0, ts: TS, body: { createdBy: "ops" } });
  push({ ...env(), kind: "label", body: { id: "L001", name: "refer" } });
  push({ ...env(), kind: "label", body: { id: "L002", name: "approve" } });
  const config = {
    threshold: 0.5,
    aboveLabel: "L002",
    belowLabel: "L001",
    changedBy: "ops",
    changeReason: "launch",
  };
  push({ ...env(), kind: "config", body: config });
  const configCid = prev();
  while (out.length < count) {
    const score = (out.length % 10) / 10;
    const seq = out.length;
    push({
      ...env(),
      kind: "decision",
      body: {
        model: MODEL,
        input: commitPlain({ i: seq }),
        output: commitPlain({ o: seq }),
        score,
        label: resolveLabel(config, score),
        config: configCid,
      },
    });
  }
  return out;
}

export interface Published {
  readonly entry: RegistryStream;
  readonly anchors: RegistryAnchor[];
  /** Manifest CIDs by tree size. */
  readonly manifests: Map<number, BlockCid>;
  readonly records: { bytes: Uint8Array; cid: BlockCid }[];
}

/** The blocks a world publishes, and the streams it anchored. */
export class World {
  readonly blocks = new Map<string, Uint8Array>();
  readonly streams: Published[] = [];

  put(bytes: Uint8Array): BlockCid {
    const cid = computeCid(bytes, sha256);
    this.blocks.set(cid.toString(), bytes);
    return cid;
  }

  /**
   * Publishes `count` records of `stream` with anchors at `anchorSizes`, manifests of at most
   * `perManifest` records; `tamper` may rewrite a manifest before it is published and anchored.
   */
  publish(
    stream: string,
    count: number,
    anchorSizes: number[],
    perManifest = 3_800,
    tamper: (m: Manifest) => Manifest = (m) => m,
    rewrite: (records: { bytes: Uint8Array; cid: BlockCid }[]) => { bytes: Uint8Array; cid: BlockCid }[] = (
      r,
    ) => r,
  ): Published {
    const records = rewrite(buildRecords(stream, count));
    for (const r of records) this.blocks.set(r.cid.toString(), r.bytes);
    const tree = new CompactRange(sha256);
    const roots = new Map<number, Uint8Array>();
    for (const r of records) {
      tree.appendLeaf(r.cid.bytes);
      roots.set(tree.size, tree.root());
    }
    const streamId = encodeStreamId(stream);
    let head = genesisHead({ chainId: CHAIN_ID, registry: REGISTRY, streamId });
    const anchors: RegistryAnchor[] = [];
    const manifests = new Map<number, BlockCid>();
    let prevManifest: BlockCid | undefined;
    let from = 0;
    for (const size of anchorSizes) {
      for (const range of splitManifestRanges(from, size, perManifest)) {
        const manifest = tamper({
          v: 1,
          stream,
          from: range.from,
          size: range.size,
          root: roots.get(range.size) as Uint8Array,
          head: (records[range.size - 1] as { cid: BlockCid }).cid,
          records: records.slice(range.from, range.size).map((r) => r.cid),
          ...(prevManifest === undefined ? {} : { prev: prevManifest }),
        });
        const block = manifestBlock(manifest, sha256);
        this.blocks.set(block.cid.toString(), block.bytes);
        manifests.set(range.size, block.cid);
        prevManifest = block.cid;
      }
      const link = {
        sequence: BigInt(anchors.length),
        treeSize: BigInt(size),
        root: toHex(roots.get(size) as Uint8Array),
        manifestDigest: toHex(manifestDigest(prevManifest as BlockCid)),
        anchorer: ANCHORER,
        blockNumber: BigInt(10 + anchors.length),
        consistencyChecked: anchors.length > 0,
      };
      anchors.push({
        ...link,
        streamId,
        previousHead: head,
        transactionHash: `0x${"aa".repeat(31)}${anchors.length.toString(16).padStart(2, "0")}`,
      });
      head = chainLink(head, link);
      from = size;
    }
    const last = anchors[anchors.length - 1];
    const state: StreamState = {
      status: "active",
      consistencyRequired: true,
      treeSize: last?.treeSize ?? 0n,
      root: last?.root ?? `0x${"00".repeat(32)}`,
      head,
      anchorCount: BigInt(anchors.length),
      lastAnchorBlock: last?.blockNumber ?? 0n,
      registeredBlock: 1n,
    };
    const published = {
      entry: { streamId, metadata: JSON.stringify({ name: stream }), state },
      anchors,
      manifests,
      records,
    };
    this.streams.push(published);
    return published;
  }

  view(overrides: { anchorHistory?: (id: Hex) => RegistryAnchor[] } = {}): RegistryView {
    const find = (id: Hex) => this.streams.find((s) => s.entry.streamId === id.toLowerCase());
    return {
      chainId: CHAIN_ID,
      address: REGISTRY,
      blockNumber: 100n,
      streams: async () => this.streams.map((s) => s.entry),
      stream: async (id) => {
        const found = find(id);
        if (found === undefined) throw Object.assign(new Error("unknown"), { code: "UNKNOWN_STREAM" });
        return found.entry;
      },
      anchorHistory: async (id) => overrides.anchorHistory?.(id) ?? find(id)?.anchors ?? [],
    };
  }

  /** An in-memory fetcher that checks bytes against CIDs, as real fetchers must. */
  fetcher(): BlockFetcher {
    return async (cid) => {
      const bytes = this.blocks.get(cid);
      if (bytes === undefined) {
        throw new SourceError("BLOCK_NOT_FOUND", "not found", { evidence: { cid } });
      }
      return bytes;
    };
  }
}

export function run(world: World, extra: Partial<Parameters<typeof verifyPublic>[0]> = {}) {
  return verifyPublic({ registry: world.view(), fetchBlock: world.fetcher(), sha256, ...extra });
}
