/**
 * An `interface-blockstore` over an Ancora store: records and manifests are served by CID straight from
 * the SQLite file, never copied into a second block store.
 *
 * Lookup by CID goes through `cid_index` (schema v2): the first 8 bytes of the digest as an integer, then
 * the full CID compared on the row it leads to. The index is filled here, off the logging path: a
 * lookup that misses first indexes the records committed since the last catch-up (in batches, one
 * transaction each), then looks again. Blocks that are not Ancora's (put by Helia, e.g. fetched for a
 * caller) live in memory only.
 */

import type { CID } from "@ancora/core";
import type Database from "better-sqlite3";
import type { Blockstore, InputPair, Pair } from "interface-blockstore";
import { BlockNotFoundError } from "../errors.js";

type AbortOptions = { signal?: AbortSignal };

import { indexNewRecords, prefixOf } from "../internal/cid-index.js";
import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";

async function concat(
  bytes: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<Uint8Array> {
  if (bytes instanceof Uint8Array) return bytes;
  const parts: Uint8Array[] = [];
  for await (const part of bytes) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

/** The two lookups a blockstore runs, prepared once per connection (a prepare costs more than the query). */
interface Lookups {
  manifest: Database.Statement<[string], Buffer>;
  record: Database.Statement<[bigint], { cid: string; bytes: Buffer }>;
}
const lookups = new WeakMap<Database.Database, Lookups>();

function lookupsOf(db: Database.Database): Lookups {
  let found = lookups.get(db);
  if (found === undefined) {
    found = {
      manifest: db.prepare<[string], Buffer>("SELECT bytes FROM manifests WHERE cid = ?").pluck(),
      record: db.prepare<[bigint], { cid: string; bytes: Buffer }>(
        `SELECT r.cid, r.bytes FROM cid_index i JOIN records r ON r.stream_id = i.stream_id AND r.seq = i.seq
           WHERE i.prefix = ?`,
      ),
    };
    lookups.set(db, found);
  }
  return found;
}

/**
 * Blocks found by the latest lookups. Helia asks `has` and then `get` for every block it serves (and its
 * storage layer asks `has` again inside `get`): without this, each served block costs three queries.
 */
const RECENT_LOOKUPS = 256;

/**
 * A blockstore serving an Ancora store's records and manifests by CID.
 *
 * @example
 * ```ts
 * const blockstore = new SqliteBlockstore(store);
 * const helia = createHeliaLight({ blockstore, datastore: new MemoryDatastore() });
 * ```
 */
export class SqliteBlockstore implements Blockstore {
  readonly #store: AncoraStore;
  readonly #memory = new Map<string, Uint8Array>();
  readonly #recent = new Map<string, Uint8Array>();

  constructor(store: AncoraStore) {
    this.#store = store;
  }

  get #db(): Database.Database {
    return connectionOf(this.#store);
  }

  /** The bytes of an Ancora block (record or manifest), or undefined. */
  lookup(cid: CID): Uint8Array | undefined {
    const text = cid.toString();
    const recent = this.#recent.get(text);
    if (recent !== undefined) return recent;
    const found = this.#find(cid, text);
    if (found !== undefined) {
      // Records and manifests are immutable: a cached block can never be stale.
      if (this.#recent.size >= RECENT_LOOKUPS)
        this.#recent.delete(this.#recent.keys().next().value as string);
      this.#recent.set(text, found);
    }
    return found;
  }

  #find(cid: CID, text: string): Uint8Array | undefined {
    const db = this.#db;
    const statements = lookupsOf(db);
    const prefix = prefixOf(cid);
    if (prefix === undefined) return undefined;
    const find = (): Uint8Array | undefined => {
      const row = statements.record.all(prefix).find((r) => r.cid === text);
      return row === undefined ? undefined : new Uint8Array(row.bytes);
    };
    const record = find();
    if (record !== undefined) return record;
    const manifest = statements.manifest.get(text);
    if (manifest !== undefined) return new Uint8Array(manifest);
    return indexNewRecords(db) > 0 ? find() : undefined;
  }

  has(cid: CID, _options?: AbortOptions): boolean {
    return this.#memory.has(cid.toString()) || this.lookup(cid) !== undefined;
  }

  async put(cid: CID, bytes: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<CID> {
    if (this.lookup(cid) === undefined) this.#memory.set(cid.toString(), await concat(bytes));
    return cid;
  }

  async *putMany(source: Iterable<InputPair> | AsyncIterable<InputPair>): AsyncGenerator<CID> {
    for await (const { cid, bytes } of source) yield await this.put(cid, bytes);
  }

  *get(cid: CID, _options?: AbortOptions): Generator<Uint8Array> {
    const bytes = this.#memory.get(cid.toString()) ?? this.lookup(cid);
    if (bytes === undefined) throw new BlockNotFoundError(`Block not found: ${cid.toString()}`);
    yield bytes;
  }

  async *getMany(source: Iterable<CID> | AsyncIterable<CID>): AsyncGenerator<Pair> {
    for await (const cid of source) yield { cid, bytes: this.get(cid) };
  }

  delete(cid: CID): void {
    // Records and manifests are immutable and anchored: only foreign blocks held in memory can go.
    this.#memory.delete(cid.toString());
  }

  async *deleteMany(source: Iterable<CID> | AsyncIterable<CID>): AsyncGenerator<CID> {
    for await (const cid of source) {
      this.delete(cid);
      yield cid;
    }
  }

  async *getAll(): AsyncGenerator<Pair> {
    // Enumerating every record of a store is never what a node should do on request; serve by CID only.
  }
}
