/**
 * The batch manifests an anchor commits (core's manifest v1, docs/formats.md): the records it adds,
 * split where one manifest would list too many, chained through `prev` from the previous anchor's.
 * Shared by the anchorer and by anchoring past a misstated anchor (./misstated.ts).
 */
import {
  type BlockCid,
  computeCid,
  MAX_MANIFEST_RECORDS,
  manifestBlock,
  parseBlockCid,
  splitManifestRanges,
} from "@ancora/core";
import type Database from "better-sqlite3";
import { AnchorError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import type { AncoraStore } from "../store.js";
import {
  getManifestBytes,
  latestCheckpointSize,
  putManifest,
  recordCids,
  streamIdOf,
} from "./anchor-store.js";
import { writeTurn } from "./write-turn.js";

/** Receives each manifest block after it is stored (e.g. to pin it); its errors fail the anchor. */
export type ManifestSink = (block: {
  stream: string;
  cid: string;
  bytes: Uint8Array;
}) => Promise<void> | void;

/**
 * Manifests built ahead of their anchor (while the chain was unreachable, see {@link prebuildManifests}),
 * by stream, range and previous manifest. Only CIDs are kept: the bytes are in the store, and a reused
 * manifest's bytes are checked against its CID before use.
 */
export class ManifestCache {
  readonly #built = new Map<string, string>();

  static key(stream: string, from: number, size: number, prev: BlockCid | undefined): string {
    return `${stream}\u0000${from}\u0000${size}\u0000${prev?.toString() ?? ""}`;
  }

  get(key: string): string | undefined {
    return this.#built.get(key);
  }

  set(key: string, cid: string): void {
    this.#built.set(key, cid);
  }

  /** Forgets a stream's manifests (after its anchor, or when the chain moved elsewhere). */
  forget(stream: string): void {
    for (const key of this.#built.keys()) if (key.startsWith(`${stream}\u0000`)) this.#built.delete(key);
  }
}

/** One manifest of records `from` … `size` − 1 (not stored). */
function oneManifest(
  ctx: { db: Database.Database; store: AncoraStore },
  stream: string,
  streamId: number,
  range: { from: number; size: number },
  root: Uint8Array,
  prev: BlockCid | undefined,
): { cid: BlockCid; bytes: Uint8Array } {
  const cids = recordCids(ctx.db, streamId, range.from, range.size).map((text) => {
    const cid = parseBlockCid(text);
    if (cid === undefined) throw new AnchorError("ANCHOR_INVALID_OPTION", "A stored record CID is malformed");
    return cid;
  });
  const block = manifestBlock(
    {
      v: 1,
      stream,
      from: range.from,
      size: range.size,
      root,
      head: cids[cids.length - 1] as BlockCid,
      records: cids,
      ...(prev === undefined ? {} : { prev }),
    },
    nodeSha256,
  );
  return { cid: block.cid, bytes: block.bytes };
}

/** A manifest built ahead and stored, when its stored bytes still hash to its CID. */
function reuse(db: Database.Database, cache: ManifestCache | undefined, key: string) {
  const text = cache?.get(key);
  if (text === undefined) return undefined;
  const bytes = getManifestBytes(db, text);
  if (bytes === undefined) return undefined;
  const cid = computeCid(bytes, nodeSha256);
  return cid.toString() === text ? { cid, bytes } : undefined;
}

/**
 * While the chain is unreachable: builds and stores, until `deadline` (a `Date.now()` time), the full manifests (exactly
 * {@link MAX_MANIFEST_RECORDS} records each) that the stream's next anchor will need, chained from its
 * last confirmed anchor, so that after an outage of any length the first anchor only builds its last,
 * partial manifest. Nothing is pinned or announced until an anchor names them; if the chain moved on
 * elsewhere in the meantime, they are not used.
 */
export function prebuildManifests(
  ctx: { db: Database.Database; store: AncoraStore; cache: ManifestCache },
  stream: string,
  anchored: { size: number; manifestCid: string } | undefined,
  checkpointed: number,
  deadline: number,
): number {
  const streamId = streamIdOf(ctx.db, stream);
  if (streamId === undefined) return 0;
  const from = anchored?.size ?? 0;
  if (checkpointed <= from) return 0;
  let prev = anchored === undefined ? undefined : parseBlockCid(anchored.manifestCid);
  if (anchored !== undefined && prev === undefined) return 0;
  let built = 0;
  for (const range of splitManifestRanges(from, checkpointed)) {
    if (range.size - range.from < MAX_MANIFEST_RECORDS) break; // the last, partial one changes
    const key = ManifestCache.key(stream, range.from, range.size, prev);
    // Built on an earlier pass: its bytes are checked against its CID when an anchor uses it, not on
    // every pass (that would re-read and re-hash the whole backlog's manifests each second).
    const known = ctx.cache.get(key);
    const knownCid = known === undefined ? undefined : parseBlockCid(known);
    if (knownCid !== undefined) {
      prev = knownCid;
      continue;
    }
    if (Date.now() >= deadline) break;
    const root = ctx.store.consistencyProof(stream, range.size, range.size).root2;
    const manifest = oneManifest(ctx, stream, streamId, range, root, prev);
    putManifest(ctx.db, streamId, { cid: manifest.cid.toString(), ...range, bytes: manifest.bytes });
    ctx.cache.set(key, manifest.cid.toString());
    prev = manifest.cid;
    built++;
  }
  return built;
}

/** Manifests built for an anchor, and how to store them (see {@link prepareManifests}). */
export interface PreparedManifests {
  /** The last manifest, which the anchor names. */
  cid: string;
  digest: Uint8Array;
  /**
   * Stores every manifest in one transaction (one turn of the write lock, one fsync: the logger holds
   * the lock most of the time) and hands each to the sink. Runs once however often it is called.
   */
  persist: () => Promise<void>;
}

/**
 * Builds the manifests for seqs `from` … `size` − 1, chained from `prev`: one, or several when the range
 * is longer than one manifest may list (each closing at an intermediate checkpoint). Nothing is stored
 * until `persist()`: the anchorer stores them while its transaction's simulation is in flight, so the
 * wait for the write lock overlaps the round trip instead of adding to it.
 */
export function prepareManifests(
  ctx: {
    db: Database.Database;
    store: AncoraStore;
    onManifest?: ManifestSink | undefined;
    cache?: ManifestCache | undefined;
  },
  stream: string,
  from: number,
  size: number,
  root: Uint8Array,
  prev: BlockCid | undefined,
): PreparedManifests {
  const { db, store } = ctx;
  const streamId = streamIdOf(db, stream) as number;
  let previous = prev;
  let last: { cid: string; digest: Uint8Array } | undefined;
  const built: Array<{ cid: string; from: number; size: number; bytes: Uint8Array }> = [];
  for (const range of splitManifestRanges(from, size)) {
    const key = ManifestCache.key(stream, range.from, range.size, previous);
    const rangeRoot = () =>
      range.size === size ? root : store.consistencyProof(stream, range.size, range.size).root2;
    const block =
      reuse(db, ctx.cache, key) ?? oneManifest(ctx, stream, streamId, range, rangeRoot(), previous);
    const cid = block.cid.toString();
    built.push({ cid, from: range.from, size: range.size, bytes: block.bytes });
    previous = block.cid;
    last = { cid, digest: block.cid.multihash.digest };
  }
  if (last === undefined) throw new AnchorError("ANCHOR_INVALID_OPTION", "Empty manifest range");
  let persisted: Promise<void> | undefined;
  const persist = async (): Promise<void> => {
    await writeTurn(
      db,
      db.transaction(() => {
        for (const manifest of built) putManifest(db, streamId, manifest);
      }),
    );
    for (const { cid, bytes } of built) await ctx.onManifest?.({ stream, cid, bytes });
  };
  return {
    ...last,
    persist: () => {
      persisted ??= persist();
      return persisted;
    },
  };
}

/**
 * Builds and stores the manifests for seqs `from` … `size` − 1 ({@link prepareManifests}, then
 * `persist()`); returns the last one, which the anchor names.
 *
 * @example
 * ```ts
 * const { cid, digest } = await buildManifests({ db, store }, "loans", 600, 800, root800, manifestOf600);
 * ```
 */
export async function buildManifests(
  ctx: Parameters<typeof prepareManifests>[0],
  stream: string,
  from: number,
  size: number,
  root: Uint8Array,
  prev: BlockCid | undefined,
): Promise<{ cid: string; digest: Uint8Array }> {
  const prepared = prepareManifests(ctx, stream, from, size, root, prev);
  await prepared.persist();
  return { cid: prepared.cid, digest: prepared.digest };
}

/**
 * How long a pass may build manifests ahead while the chain is unreachable: short, so that passes keep
 * checkpointing on time (about 50,000 records' manifests on a loaded 2-core machine, several times the
 * fastest logging rate measured there).
 */
const PREBUILD_MS_PER_PASS = 250;

/**
 * While the chain is unreachable: builds each stream's manifests ahead, from its latest anchor sent (or,
 * when that one was dropped, its latest confirmed one) up to its latest checkpoint, for at most
 * {@link PREBUILD_MS_PER_PASS}, so that the anchor after the outage only builds the last one.
 */
export function prebuildWhileUnreachable(
  ctx: { db: Database.Database; store: AncoraStore; cache: ManifestCache },
  streams: readonly string[],
  latest: (
    stream: string,
    status?: "confirmed",
  ) => { size: number; manifestCid: string; status: string } | undefined,
  report: (error: unknown, stream: string) => void,
): void {
  for (const stream of streams) {
    const id = streamIdOf(ctx.db, stream);
    if (id === undefined) continue;
    try {
      const sent = latest(stream);
      const anchored = sent === undefined || sent.status !== "dropped" ? sent : latest(stream, "confirmed");
      prebuildManifests(
        ctx,
        stream,
        anchored,
        latestCheckpointSize(ctx.db, id),
        Date.now() + PREBUILD_MS_PER_PASS,
      );
    } catch (error) {
      report(error, stream);
    }
  }
}
