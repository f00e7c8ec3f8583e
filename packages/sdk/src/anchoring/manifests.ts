/**
 * The batch manifests an anchor commits (core's manifest v1, docs/formats.md): the records it adds,
 * split where one manifest would list too many, chained through `prev` from the previous anchor's.
 * Shared by the anchorer and by anchoring past a misstated anchor (./misstated.ts).
 */
import { type BlockCid, manifestBlock, parseBlockCid, splitManifestRanges } from "@ancora/core";
import type Database from "better-sqlite3";
import { AnchorError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import type { AncoraStore } from "../store.js";
import { putManifest, recordCids, streamIdOf } from "./anchor-store.js";

/** Receives each manifest block after it is stored (e.g. to pin it); its errors fail the anchor. */
export type ManifestSink = (block: {
  stream: string;
  cid: string;
  bytes: Uint8Array;
}) => Promise<void> | void;

/**
 * Builds (and stores) the manifests for seqs `from` … `size` − 1, chained from `prev`: one, or several
 * when the range is longer than one manifest may list (each closing at an intermediate checkpoint).
 * Returns the last one, which the anchor names.
 *
 * @example
 * ```ts
 * const { cid, digest } = await buildManifests({ db, store }, "loans", 600, 800, root800, manifestOf600);
 * ```
 */
export async function buildManifests(
  ctx: { db: Database.Database; store: AncoraStore; onManifest?: ManifestSink | undefined },
  stream: string,
  from: number,
  size: number,
  root: Uint8Array,
  prev: BlockCid | undefined,
): Promise<{ cid: string; digest: Uint8Array }> {
  const { db, store } = ctx;
  const streamId = streamIdOf(db, stream) as number;
  let previous = prev;
  let last: { cid: string; digest: Uint8Array } | undefined;
  const built: Array<{ cid: string; from: number; size: number; bytes: Uint8Array }> = [];
  for (const range of splitManifestRanges(from, size)) {
    const cids = recordCids(db, streamId, range.from, range.size).map((text) => {
      const cid = parseBlockCid(text);
      if (cid === undefined)
        throw new AnchorError("ANCHOR_INVALID_OPTION", "A stored record CID is malformed");
      return cid;
    });
    const rangeRoot =
      range.size === size ? root : store.consistencyProof(stream, range.size, range.size).root2;
    const block = manifestBlock(
      {
        v: 1,
        stream,
        from: range.from,
        size: range.size,
        root: rangeRoot,
        head: cids[cids.length - 1] as BlockCid,
        records: cids,
        ...(previous === undefined ? {} : { prev: previous }),
      },
      nodeSha256,
    );
    const cid = block.cid.toString();
    built.push({ cid, from: range.from, size: range.size, bytes: block.bytes });
    previous = block.cid;
    last = { cid, digest: block.cid.multihash.digest };
  }
  // Every manifest of the anchor in one transaction: one turn of the write lock (and one fsync), not
  // one per manifest, which matters when the logger holds the lock most of the time.
  db.transaction(() => {
    for (const manifest of built) putManifest(db, streamId, manifest);
  })();
  for (const { cid, bytes } of built) await ctx.onManifest?.({ stream, cid, bytes });
  if (last === undefined) throw new AnchorError("ANCHOR_INVALID_OPTION", "Empty manifest range");
  return last;
}
