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
import { AnchorError, StoreError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import type { AncoraStore } from "../store.js";
import {
  getManifestBytes,
  latestCheckpointSize,
  manifestStored,
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
 * by stream, range and previous manifest. Only CIDs are kept: the bytes are in the store.
 *
 * An anchor sent makes the entries up to its size useless, and only those: the ones past it still chain
 * from it when it closed at the same manifest boundary (the anchor after an outage follows up or replaces
 * the one in flight when the outage began, then covers the backlog with the manifests built ahead).
 */
export class ManifestCache {
  readonly #built = new Map<string, Map<string, { size: number; cid: string }>>();

  static key(from: number, size: number, prev: BlockCid | undefined): string {
    return `${from}\u0000${size}\u0000${prev?.toString() ?? ""}`;
  }

  get(stream: string, key: string): string | undefined {
    return this.#built.get(stream)?.get(key)?.cid;
  }

  set(stream: string, key: string, size: number, cid: string): void {
    const entries = this.#built.get(stream) ?? new Map<string, { size: number; cid: string }>();
    this.#built.set(stream, entries);
    entries.set(key, { size, cid });
  }

  /** Forgets all of a stream's manifests (one of them was found damaged in the store). */
  forget(stream: string): void {
    this.#built.delete(stream);
  }

  /** Forgets a stream's manifests that end at or below `size` (an anchor of that size was sent). */
  forgetThrough(stream: string, size: number): void {
    const entries = this.#built.get(stream);
    if (entries === undefined) return;
    for (const [key, entry] of entries) if (entry.size <= size) entries.delete(key);
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

/**
 * A manifest built ahead, when the store still holds it for that stream and range. Its bytes are not
 * read here: the anchor names only the last manifest's CID, and a sink that wants the bytes gets them
 * checked against the CID ({@link storedBytes}). Reading and hashing every manifest of a 10-minute
 * backlog (about 2,600 of them, 350 MB) took 5.6 s of the first anchor after the outage.
 */
function reuse(
  db: Database.Database,
  cache: ManifestCache | undefined,
  stream: { name: string; id: number },
  key: string,
  range: { from: number; size: number },
): BlockCid | undefined {
  const text = cache?.get(stream.name, key);
  if (text === undefined) return undefined;
  const cid = parseBlockCid(text);
  return cid !== undefined && manifestStored(db, text, stream.id, range) ? cid : undefined;
}

/** A stored manifest's bytes, checked against its CID. */
function storedBytes(db: Database.Database, cid: string): Uint8Array {
  const bytes = getManifestBytes(db, cid);
  if (bytes === undefined || computeCid(bytes, nodeSha256).toString() !== cid) {
    throw new StoreError(
      "STORE_CORRUPT",
      `The stored manifest ${cid} is missing or does not hash to its CID`,
      {
        hint: "Run `ancora verify` on the store; the anchor is retried with manifests rebuilt from the records.",
        evidence: { cid },
      },
    );
  }
  return bytes;
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
    const key = ManifestCache.key(range.from, range.size, prev);
    // Built on an earlier pass: not read again (the store has it; see reuse()).
    const known = ctx.cache.get(stream, key);
    const knownCid = known === undefined ? undefined : parseBlockCid(known);
    if (knownCid !== undefined) {
      prev = knownCid;
      continue;
    }
    if (Date.now() >= deadline) break;
    const root = ctx.store.consistencyProof(stream, range.size, range.size).root2;
    const manifest = oneManifest(ctx, stream, streamId, range, root, prev);
    putManifest(ctx.db, streamId, { cid: manifest.cid.toString(), ...range, bytes: manifest.bytes });
    ctx.cache.set(stream, key, range.size, manifest.cid.toString());
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
  /** How many of them were built ahead (while the chain was unreachable) and reused. */
  reused: number;
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
  rootAtSize: Uint8Array,
  prev: BlockCid | undefined,
): PreparedManifests {
  const { db, store } = ctx;
  const streamId = streamIdOf(db, stream) as number;
  let previous = prev;
  let last: { cid: string; digest: Uint8Array } | undefined;
  // Manifests built now carry their bytes; those built ahead (stored already) do not.
  const built: Array<{ cid: string; from: number; size: number; bytes: Uint8Array | undefined }> = [];
  let reused = 0;
  for (const range of splitManifestRanges(from, size)) {
    const key = ManifestCache.key(range.from, range.size, previous);
    const known = reuse(db, ctx.cache, { name: stream, id: streamId }, key, range);
    let cid: BlockCid;
    let bytes: Uint8Array | undefined;
    if (known !== undefined) {
      cid = known;
      reused++;
    } else {
      const root =
        range.size === size ? rootAtSize : store.consistencyProof(stream, range.size, range.size).root2;
      ({ cid, bytes } = oneManifest(ctx, stream, streamId, range, root, previous));
    }
    built.push({ cid: cid.toString(), from: range.from, size: range.size, bytes });
    previous = cid;
    last = { cid: cid.toString(), digest: cid.multihash.digest };
  }
  if (last === undefined) throw new AnchorError("ANCHOR_INVALID_OPTION", "Empty manifest range");
  let persisted: Promise<void> | undefined;
  const persist = async (): Promise<void> => {
    await writeTurn(
      db,
      db.transaction(() => {
        for (const manifest of built) {
          if (manifest.bytes !== undefined) putManifest(db, streamId, { ...manifest, bytes: manifest.bytes });
        }
      }),
    );
    const sink = ctx.onManifest;
    if (sink === undefined) return;
    for (const { cid, bytes } of built) {
      let checked = bytes;
      try {
        checked ??= storedBytes(db, cid);
      } catch (error) {
        ctx.cache?.forget(stream); // the retry builds them again from the records
        throw error;
      }
      await sink({ stream, cid, bytes: checked });
    }
  };
  return {
    ...last,
    reused,
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
