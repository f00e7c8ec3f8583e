/**
 * The batch manifests of a local log, checked against the anchors on chain: each anchored manifest digest
 * must be the hash of a manifest the log holds, and the manifests must chain through `prev` from one
 * anchored checkpoint to the previous one. A manifest whose digest is anchored, and every manifest its
 * `prev` links reach, is *trusted*: its record CIDs are what was anchored, so they pinpoint the first
 * record a rewritten log changed. Comparing the listed CIDs with the log's records happens in the
 * single pass over the records (local-vs-chain.ts).
 */
import {
  AncoraError,
  bytesEqual,
  computeCid,
  decodeManifest,
  fromHex,
  manifestCidFromDigest,
  type Sha256,
} from "@ancora/core";
import { toHex0x } from "../internal/hex.js";
import type { VerificationFailure } from "../result.js";
import type { LocalManifest } from "../sources/types.js";
import type { ProvenAnchor } from "./history-proof.js";

/** Bytes of a block CID (CIDv1, raw, sha2-256): 4 prefix bytes and the 32-byte digest. */
export const BLOCK_CID_BYTES = 36;

/** A decoded local manifest, reduced to what the checks need (its CIDs packed, 36 bytes each). */
export interface ManifestSummary {
  /** CID recomputed from the manifest's bytes. */
  readonly cid: string;
  readonly from: number;
  readonly size: number;
  readonly root: Uint8Array;
  readonly prev: string | undefined;
  /** CID bytes of records `from … size − 1`, {@link BLOCK_CID_BYTES} each. */
  readonly cids: Uint8Array;
}

/** CID bytes the manifest lists at position `seq` (which must be in its range). */
export function listedCid(manifest: ManifestSummary, seq: number): Uint8Array {
  const at = (seq - manifest.from) * BLOCK_CID_BYTES;
  return manifest.cids.subarray(at, at + BLOCK_CID_BYTES);
}

function describe(error: unknown): string {
  if (error instanceof AncoraError) {
    const path = (error as { path?: unknown }).path;
    return typeof path === "string" ? `${error.code} at ${path}` : error.code;
  }
  return error instanceof Error ? error.name : "unknown error";
}

/**
 * Decodes a stream's local manifests. One that does not decode strictly, names another stream, or is
 * stored under a CID that is not its bytes' is reported `MANIFEST_INVALID` and left out.
 *
 * @example
 * ```ts
 * const { manifests, failures } = summariseManifests("loans", log.manifests("loans"));
 * ```
 */
export function summariseManifests(
  stream: string,
  local: readonly LocalManifest[],
  sha256?: Sha256,
): { manifests: ManifestSummary[]; failures: VerificationFailure[] } {
  const manifests: ManifestSummary[] = [];
  const failures: VerificationFailure[] = [];
  const invalid = (seq: number, expected: string, found: string) =>
    failures.push({ code: "MANIFEST_INVALID", stream, seq, expected, found });
  for (const item of local) {
    const cid = computeCid(item.bytes, sha256).toString();
    let manifest: ReturnType<typeof decodeManifest>;
    try {
      manifest = decodeManifest(item.bytes);
    } catch (error) {
      invalid(0, `manifest ${item.cid}: a canonical v1 manifest`, describe(error));
      continue;
    }
    if (manifest.stream !== stream) {
      invalid(manifest.from, `manifest ${cid} of stream ${stream}`, `stream ${manifest.stream}`);
      continue;
    }
    if (item.cid !== cid) invalid(manifest.from, `manifest stored as ${cid}`, `stored as ${item.cid}`);
    const cids = new Uint8Array(manifest.records.length * BLOCK_CID_BYTES);
    manifest.records.forEach((record, i) => {
      cids.set(record.bytes, i * BLOCK_CID_BYTES);
    });
    manifests.push({
      cid,
      from: manifest.from,
      size: manifest.size,
      root: manifest.root,
      prev: manifest.prev?.toString(),
      cids,
    });
  }
  manifests.sort((a, b) => a.from - b.from || a.size - b.size);
  return { manifests, failures };
}

/**
 * Checks the manifests against the anchors and each other, and returns the trusted ones:
 *
 * - every manifest's `prev` names a manifest of the log ending where it starts (none when it starts at
 *   0), else `MANIFEST_CHAIN_BROKEN` at its first seq;
 * - every anchor with a known digest has its manifest in the log (`ANCHOR_MANIFEST_MISMATCH` at the
 *   anchored range's start, naming the log's manifest of that size if any), of the anchored size and
 *   root (`MANIFEST_INVALID`), whose `prev` chain reaches the previous anchor's manifest exactly
 *   (`MANIFEST_CHAIN_BROKEN`).
 *
 * @example
 * ```ts
 * const { trusted, failures } = checkManifests("loans", manifests, history.anchors);
 * ```
 */
export function checkManifests(
  stream: string,
  manifests: readonly ManifestSummary[],
  anchors: readonly ProvenAnchor[],
): { trusted: ManifestSummary[]; failures: VerificationFailure[] } {
  const failures: VerificationFailure[] = [];
  const byCid = new Map(manifests.map((m) => [m.cid, m]));
  for (const m of manifests) {
    const prev = m.prev === undefined ? undefined : byCid.get(m.prev);
    const linked = m.from === 0 ? m.prev === undefined : prev !== undefined && prev.size === m.from;
    if (!linked) {
      failures.push({
        code: "MANIFEST_CHAIN_BROKEN",
        stream,
        seq: m.from,
        expected: m.from === 0 ? "no prev on the first manifest" : `prev: a manifest ending at ${m.from}`,
        found:
          m.prev === undefined
            ? "no prev"
            : prev === undefined
              ? `prev ${m.prev} (not in the log)`
              : `prev ending at ${prev.size}`,
      });
    }
  }
  const trusted = new Set<ManifestSummary>();
  let previousCid: string | undefined;
  let previousSize = 0n;
  for (const anchor of anchors) {
    const rangeStart = Number(previousSize);
    const digest = anchor.manifestDigest;
    previousSize = anchor.treeSize;
    if (digest === undefined) {
      previousCid = undefined;
      continue;
    }
    // A digest that is not hex is no 32 bytes: manifestCidFromDigest refuses it.
    const expectedCid = manifestCidFromDigest(
      fromHex(digest.replace(/^0x/, "")) ?? new Uint8Array(),
    ).toString();
    const checkLink = previousCid;
    previousCid = expectedCid;
    const manifest = byCid.get(expectedCid);
    if (manifest === undefined) {
      const local = manifests.find((m) => BigInt(m.size) === anchor.treeSize);
      failures.push({
        code: "ANCHOR_MANIFEST_MISMATCH",
        stream,
        seq: rangeStart,
        expected: `manifest ${expectedCid} (anchor ${anchor.sequence})`,
        found: local === undefined ? "missing" : `manifest ${local.cid}`,
      });
      continue;
    }
    if (BigInt(manifest.size) !== anchor.treeSize || toHex0x(manifest.root) !== anchor.root) {
      failures.push({
        code: "MANIFEST_INVALID",
        stream,
        seq: manifest.from,
        expected: `size ${anchor.treeSize} root ${anchor.root} (anchor ${anchor.sequence})`,
        found: `size ${manifest.size} root ${toHex0x(manifest.root)}`,
      });
    }
    // Walk back through `prev` to the previous anchored range's end; prev links are inside the hashed
    // bytes, so everything reached is what was anchored.
    let current: ManifestSummary = manifest;
    trusted.add(current);
    while (current.from > rangeStart && current.prev !== undefined) {
      const prev = byCid.get(current.prev);
      if (prev === undefined || prev.size !== current.from) break;
      current = prev;
      trusted.add(current);
    }
    // A walk that stopped early (a prev the log lacks, or ending elsewhere) was reported above.
    const linksBack = rangeStart === 0 || checkLink === undefined ? true : current.prev === checkLink;
    if (current.from < rangeStart || (current.from === rangeStart && !linksBack)) {
      failures.push({
        code: "MANIFEST_CHAIN_BROKEN",
        stream,
        seq: current.from,
        expected: `prev ${checkLink ?? "none"} ending at ${rangeStart}`,
        found: `manifest ${current.cid} from ${current.from}, prev ${current.prev ?? "none"}`,
      });
    }
  }
  return { trusted: [...trusted].sort((a, b) => a.from - b.from), failures };
}

/** True when the manifest lists `cid` at `seq`. */
export function listsCid(manifest: ManifestSummary, seq: number, cid: Uint8Array): boolean {
  return bytesEqual(listedCid(manifest, seq), cid);
}
