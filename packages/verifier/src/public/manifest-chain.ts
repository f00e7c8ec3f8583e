/**
 * The batch manifests of a stream, rebuilt from its proven anchors. Each anchor commits the digest of
 * one manifest; a range longer than a manifest holds is a chain of manifests linked by `prev`, of which
 * only the last is anchored (docs/formats.md, "Batch manifest v1"). Walking `prev` back from each
 * anchored manifest to the previous anchored one gives every manifest in order, each checked for its
 * stream, its range (`from` is the previous manifest's `size`), its `prev` link, and, for the anchored
 * one, the anchor's tree size and root. Only the manifests' small facts are kept (a CID, a range, a
 * root and a head per 3,800 records); their record lists are read again when the records are fetched.
 */
import { encodeStreamId, isBytes32 } from "@ancora/contracts";
import {
  AncoraError,
  type BlockCid,
  bytesEqual,
  computeCid,
  decodeManifest,
  type Manifest,
  manifestCidFromDigest,
  type Sha256,
} from "@ancora/core";
import { type Hex, hexToBytes } from "viem";
import { toHex0x } from "../internal/hex.js";
import type { VerificationFailure } from "../result.js";
import type { BlockFetcher } from "../sources/types.js";

/** What the walk needs of a proven anchor (hashes as 0x-hex). */
export interface AnchorFacts {
  readonly sequence: bigint;
  readonly treeSize: bigint;
  readonly root: string;
  readonly manifestDigest: string;
}

/** One manifest of a stream, as the walk proved it. */
export interface ManifestLink {
  readonly cid: BlockCid;
  /** First seq it lists. */
  readonly from: number;
  /** Tree size it closes at. */
  readonly size: number;
  /** Root at `size` (32 bytes). */
  readonly root: Uint8Array;
  /** CID string of record `size - 1`. */
  readonly head: string;
  /** Whether an anchor commits this manifest (else an intermediate one, reached through `prev`). */
  readonly anchored: boolean;
}

/** The outcome of fetching one block: its verified bytes, or what the source answered instead. */
export type BlockOutcome =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly code: "BLOCK_NOT_FOUND" | "BLOCK_CID_MISMATCH"; readonly detail: string };

/**
 * Fetches one block. "The source does not have it" and "the source served other bytes" are outcomes
 * (the organisation did not publish what it anchored); any other error, such as an unreachable or
 * timed-out source, is rethrown: nothing can be concluded about the organisation from it.
 */
export async function fetchOutcome(
  fetchBlock: BlockFetcher,
  cid: string,
  signal?: AbortSignal,
): Promise<BlockOutcome> {
  try {
    return { ok: true, bytes: await fetchBlock(cid, signal === undefined ? {} : { signal }) };
  } catch (error) {
    if (
      error instanceof AncoraError &&
      (error.code === "BLOCK_NOT_FOUND" || error.code === "BLOCK_CID_MISMATCH")
    ) {
      const found = error.evidence?.found;
      return { ok: false, code: error.code, detail: typeof found === "string" ? found : error.code };
    }
    throw error;
  }
}

/** What the source answered instead of a block, as a failure of `code` at `seq`. */
export function blockFailure(
  outcome: Exclude<BlockOutcome, { ok: true }>,
  missingCode: "BLOCK_MISSING" | "MANIFEST_MISSING",
  stream: string,
  seq: number,
  cid: string,
): VerificationFailure {
  return outcome.code === "BLOCK_NOT_FOUND"
    ? { code: missingCode, stream, seq, expected: cid, found: "not found at the source" }
    : { code: "CID_MISMATCH", stream, seq, expected: cid, found: `bytes hashing to ${outcome.detail}` };
}

/** Fetches and decodes a manifest; a failure when it is missing, not a manifest, or of another stream. */
export async function fetchManifest(
  fetchBlock: BlockFetcher,
  cid: BlockCid,
  streamId: string,
  label: string,
  seq: number,
  options: { signal?: AbortSignal | undefined; sha256?: Sha256 | undefined } = {},
): Promise<{ ok: true; manifest: Manifest } | { ok: false; failure: VerificationFailure }> {
  const text = cid.toString();
  const outcome = await fetchOutcome(fetchBlock, text, options.signal);
  if (!outcome.ok) return { ok: false, failure: blockFailure(outcome, "MANIFEST_MISSING", label, seq, text) };
  // Fetchers promise to check bytes against CIDs; a manifest decides what every later check reads,
  // so the verifier does not take that promise on trust.
  const actual = computeCid(outcome.bytes, options.sha256).toString();
  if (actual !== text) {
    return {
      ok: false,
      failure: blockFailure(
        { ok: false, code: "BLOCK_CID_MISMATCH", detail: actual },
        "MANIFEST_MISSING",
        label,
        seq,
        text,
      ),
    };
  }
  let manifest: Manifest;
  try {
    manifest = decodeManifest(outcome.bytes);
  } catch (error) {
    const code = error instanceof AncoraError ? error.code : "undecodable";
    return {
      ok: false,
      failure: {
        code: "MANIFEST_INVALID",
        stream: label,
        seq,
        expected: `a v1 manifest at ${text}`,
        found: code,
      },
    };
  }
  // The manifest names its stream; its hash must be the anchored stream id (a manifest copied from
  // another stream, even of the same registry, is refused here).
  const id = encodeStreamId(manifest.stream);
  if (id.toLowerCase() !== streamId.toLowerCase()) {
    return {
      ok: false,
      failure: {
        code: "MANIFEST_INVALID",
        stream: label,
        seq,
        expected: `a manifest of stream ${streamId}`,
        found: `a manifest of stream "${manifest.stream}" (${id}) at ${text}`,
      },
    };
  }
  return { ok: true, manifest };
}

function linkOf(cid: BlockCid, manifest: Manifest, anchored: boolean): ManifestLink {
  return {
    cid,
    from: manifest.from,
    size: manifest.size,
    root: manifest.root,
    head: manifest.head.toString(),
    anchored,
  };
}

/**
 * Walks the manifests one anchor adds, from the anchored one back to the previous anchored one, and
 * returns them in seq order; or the failure that stops the stream. `previous` is the anchor before
 * (undefined for the stream's first anchor).
 *
 * @example
 * ```ts
 * const walk = await manifestsOfAnchor(fetchBlock, "0x…", "loans", anchors[1], anchors[0]);
 * if (walk.ok) walk.links.map((l) => [l.from, l.size]); // [[2000, 4000]]
 * ```
 */
export async function manifestsOfAnchor(
  fetchBlock: BlockFetcher,
  streamId: string,
  label: string,
  anchor: AnchorFacts,
  previous: AnchorFacts | undefined,
  options: { signal?: AbortSignal | undefined; sha256?: Sha256 | undefined } = {},
): Promise<{ ok: true; links: ManifestLink[]; name: string } | { ok: false; failure: VerificationFailure }> {
  const start = previous === undefined ? 0 : Number(previous.treeSize);
  const end = Number(anchor.treeSize);
  const fail = (code: VerificationFailure["code"], seq: number, expected: string, found: string) =>
    ({ ok: false, failure: { code, stream: label, seq, expected, found } }) as const;
  if (!isBytes32(anchor.manifestDigest) || (previous !== undefined && !isBytes32(previous.manifestDigest))) {
    return fail("MANIFEST_INVALID", start, "a 32-byte manifest digest in the anchor", "none");
  }
  const previousCid =
    previous === undefined
      ? undefined
      : manifestCidFromDigest(hexToBytes(previous.manifestDigest as Hex)).toString();
  let cid = manifestCidFromDigest(hexToBytes(anchor.manifestDigest as Hex));
  const links: ManifestLink[] = [];
  let name: string | undefined;
  // Each manifest adds at least one record, so the walk takes at most end - start steps.
  for (let step = 0; step < end - start; step++) {
    const anchored = step === 0;
    const fetched = await fetchManifest(fetchBlock, cid, streamId, label, start, options);
    if (!fetched.ok) return fetched;
    const manifest = fetched.manifest;
    name = manifest.stream;
    const later = links[links.length - 1];
    if (anchored) {
      if (manifest.size !== end || !bytesEqual(manifest.root, hexToBytes(anchor.root as Hex))) {
        return fail(
          "MANIFEST_INVALID",
          start,
          `size ${end} root ${anchor.root} (anchor ${anchor.sequence})`,
          `size ${manifest.size} root ${toHex0x(manifest.root)} (manifest ${cid.toString()})`,
        );
      }
    } else if (later !== undefined && manifest.size !== later.from) {
      return fail(
        "MANIFEST_CHAIN_BROKEN",
        Math.min(manifest.size, later.from),
        `a previous manifest closing at ${later.from}`,
        `manifest ${cid.toString()} closing at ${manifest.size}`,
      );
    }
    links.push(linkOf(cid, manifest, anchored));
    if (manifest.from < start) {
      return fail(
        "MANIFEST_CHAIN_BROKEN",
        manifest.from,
        `a manifest starting at ${start} (the previous anchor's size) or later`,
        `manifest ${cid.toString()} starting at ${manifest.from}`,
      );
    }
    if (manifest.from === start) {
      // The walk has reached the previous anchor: the link must be exactly its manifest.
      const prev = manifest.prev?.toString();
      if (prev !== previousCid) {
        return fail(
          "MANIFEST_CHAIN_BROKEN",
          start,
          previousCid === undefined ? "no prev on the stream's first manifest" : `prev ${previousCid}`,
          `prev ${prev ?? "absent"} in manifest ${cid.toString()}`,
        );
      }
      links.reverse();
      return { ok: true, links, name };
    }
    if (manifest.prev === undefined) {
      return fail(
        "MANIFEST_CHAIN_BROKEN",
        manifest.from,
        `a prev link back to the manifest closing at ${manifest.from}`,
        `no prev in manifest ${cid.toString()}`,
      );
    }
    cid = manifest.prev;
  }
  return fail("MANIFEST_CHAIN_BROKEN", start, `manifests back to size ${start}`, "a longer chain");
}

/** An anchor whose manifests a later anchor's chain goes around (see {@link manifestsOfStream}). */
export interface SkippedAnchor {
  /** Its index in the anchors. */
  readonly index: number;
  /** Why its manifests do not link: reported if it turns out not to be misstated. */
  readonly failure: VerificationFailure;
}

/**
 * Every manifest of a stream in order, anchor by anchor; a broken one stops the walk (later ones cannot
 * be linked), with one exception: the admin's way past a misstated anchor (docs/operations.md, "A
 * misstated anchor") makes the next anchor's manifests extend the anchor *before* the misstated one.
 * When an anchor's manifests do not link and the next anchor's extend the last linked one, or they do
 * not link to the last linked anchor but do to the one before it, the anchor in between is `skipped`:
 * the records then say whether it is misstated (public verification names it `ANCHOR_SIZE_MISSTATED`)
 * or its failure stands. One anchor at most is skipped.
 *
 * @example
 * ```ts
 * const walk = await manifestsOfStream(fetchBlock, "0x…", "loans", anchors);
 * walk.skipped; // { index: 1, failure: { code: "MANIFEST_MISSING", … } }
 * ```
 */
export async function manifestsOfStream(
  fetchBlock: BlockFetcher,
  streamId: string,
  label: string,
  anchors: readonly AnchorFacts[],
  options: { signal?: AbortSignal | undefined; sha256?: Sha256 | undefined } = {},
): Promise<{ links: ManifestLink[]; name: string; failure?: VerificationFailure; skipped?: SkippedAnchor }> {
  const links: ManifestLink[] = [];
  let name = label;
  /** Linked anchors' indexes, with the number of links before each. */
  const linked: { index: number; before: number }[] = [];
  let skipped: SkippedAnchor | undefined;
  const walkOf = (k: number, previous: number | undefined) =>
    manifestsOfAnchor(
      fetchBlock,
      streamId,
      name,
      anchors[k] as AnchorFacts,
      previous === undefined ? undefined : anchors[previous],
      options,
    );
  const link = (k: number, walk: { links: ManifestLink[]; name: string }) => {
    linked.push({ index: k, before: links.length });
    links.push(...walk.links);
    name = walk.name;
  };
  for (let k = 0; k < anchors.length; k++) {
    const base = linked.at(-1);
    const walk = await walkOf(k, base?.index);
    if (walk.ok) {
      link(k, walk);
      continue;
    }
    if (skipped === undefined && k + 1 < anchors.length) {
      // This anchor is misstated and the next one extends the last linked one.
      const next = await walkOf(k + 1, base?.index);
      if (next.ok) {
        skipped = { index: k, failure: walk.failure };
        link(k + 1, next);
        k++;
        continue;
      }
    }
    if (skipped === undefined && base !== undefined) {
      // The last linked anchor is misstated (its manifest looked right) and this one extends the one before.
      const retry = await walkOf(k, linked.at(-2)?.index);
      if (retry.ok) {
        skipped = { index: base.index, failure: walk.failure };
        links.length = base.before;
        linked.pop();
        link(k, retry);
        continue;
      }
    }
    return { links, name, failure: walk.failure, ...(skipped === undefined ? {} : { skipped }) };
  }
  return { links, name, ...(skipped === undefined ? {} : { skipped }) };
}
