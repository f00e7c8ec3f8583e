/**
 * What an append writes, whatever the database: the records built from a stream's locked head (seq,
 * prev, ts, stream around each draft, encoded and hashed), the stream's new state, and the Merkle tiles
 * that fill. The SQLite writer (stream-writer.ts) and the PostgreSQL writer (postgres/pg-writer.ts) both
 * write exactly what this plans, so the same decisions give the same bytes and CIDs on either backend.
 * Also the one reading of a stream's stored head into a {@link StreamState}.
 */

import type { RecordBytesAllocator } from "@ancora/core";
import {
  type AncoraRecord,
  type BlockCid,
  CompactRange,
  type CompactRangeState,
  type ConfigBody,
  computeCid,
  decodeRecord,
  encodeRecordBlock,
  type PartialTile,
  parseBlockCid,
  type RecordKind,
  TILE_WIDTH,
  TileBuilder,
  tileMids,
} from "@ancora/core";
import { type IndexColumns, indexColumns } from "@ancora/verifier";
import { StoreError } from "../errors.js";
import { nodeSha256 } from "./crypto.js";
import { leafTile } from "./tile-reader.js";

/** The stream as of the last committed transaction this connection has seen. */
export interface StreamState {
  readonly id: number;
  readonly name: string;
  size: number;
  head: BlockCid | undefined;
  headText: string | null;
  tree: CompactRange;
  /** The tiles of the Merkle tree being filled (see core's merkle/tiles.ts). */
  tiles: TileBuilder;
  config: CurrentConfig | undefined;
  /** Label id → current display name. */
  labels: Map<string, string>;
}

export interface CurrentConfig {
  readonly cid: BlockCid;
  readonly seq: number;
  readonly body: ConfigBody;
}

/** A record to write, before the writer gives it its envelope (seq, prev, ts, stream). */
export type Draft = {
  [K in RecordKind]: {
    kind: K;
    body: Extract<AncoraRecord, { kind: K }>["body"];
    /** Salts of `salted` commitments, stored in the record's row apart from its bytes. */
    salts?: { input?: Uint8Array; output?: Uint8Array };
  };
}[RecordKind];

/** A written record. */
export interface Written {
  readonly seq: number;
  readonly cid: BlockCid;
  readonly record: AncoraRecord;
}

/** One unit of work: builds its drafts from the locked head, then maps what was written to a result. */
export interface Entry<T> {
  build(state: Readonly<StreamState>): Draft[];
  done(written: readonly Written[]): T;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Clock used for record timestamps; injectable for deterministic fixtures. */
export type Clock = () => Date;

/** Receives one record row to insert (positional: no object per record on the hot path). */
export type RowSink = (
  seq: number,
  cidText: string,
  columns: IndexColumns,
  bytes: Uint8Array,
  saltInput: Uint8Array | null,
  saltOutput: Uint8Array | null,
) => void;

/** One record row to insert. */
export interface PlannedRow {
  readonly seq: number;
  readonly cidText: string;
  readonly columns: IndexColumns;
  readonly bytes: Uint8Array;
  readonly saltInput: Uint8Array | null;
  readonly saltOutput: Uint8Array | null;
}

/**
 * Builds every entry's records on `state` (advancing it: size, head, config, labels, tree, tiles) and
 * hands each row to `row` in seq order. An entry whose drafts fail to build or encode gets a failed
 * outcome and writes nothing; the others are unaffected. The filled tiles are in `state.tiles.take()`.
 */
export function planAppend<T>(
  entries: readonly Entry<T>[],
  state: StreamState,
  ts: string,
  allocate: RecordBytesAllocator | undefined,
  row: RowSink,
): Outcome<T>[] {
  const outcomes: Outcome<T>[] = [];
  /** The transaction's new leaves (record CIDs), appended to the tree in one batch below. */
  const leaves: Uint8Array[] = [];
  for (const entry of entries) {
    let planned: { draft: Draft; record: AncoraRecord; bytes: Uint8Array; cid: BlockCid }[];
    try {
      const drafts = entry.build(state);
      planned = [];
      let seq = state.size;
      let prev = state.head;
      for (const draft of drafts) {
        const record = {
          v: 1,
          kind: draft.kind,
          stream: state.name,
          seq,
          ...(prev === undefined ? {} : { prev }),
          ts,
          body: draft.body,
        } as AncoraRecord;
        const { bytes, cid } = encodeRecordBlock(record, nodeSha256, allocate);
        planned.push({ draft, record, bytes, cid });
        prev = cid;
        seq++;
      }
    } catch (error) {
      outcomes.push({ ok: false, error });
      continue;
    }
    const written: Written[] = [];
    for (const { draft, record, bytes, cid } of planned) {
      const seq = state.size;
      const cidText = cid.toString();
      row(seq, cidText, indexColumns(record), bytes, draft.salts?.input ?? null, draft.salts?.output ?? null);
      leaves.push(cid.bytes);
      if (record.kind === "label") state.labels.set(record.body.id, record.body.name);
      if (record.kind === "config") state.config = { cid, seq, body: record.body };
      state.size = seq + 1;
      state.head = cid;
      state.headText = cidText;
      written.push({ seq, cid, record });
    }
    outcomes.push({ ok: true, value: entry.done(written) });
  }
  state.tiles.add(state.tree.appendLeaves(leaves).nodes);
  return outcomes;
}

/** A record copied as it is from another store of the same log (see postgres/pg-mirror.ts). */
export interface RecordCopy {
  seq: number;
  cid: string;
  bytes: Uint8Array;
}

/**
 * Advances `state` by records copied from another store, handing each row to `row` exactly as
 * {@link planAppend} would have written it (index columns derived from the bytes, no salts). Nothing
 * the other store claims is taken on trust: each copy must decode, hash to its CID, and carry the
 * stream's name, the next seq and the previous record's CID. The first that does not is a
 * STORE_CORRUPT StoreError, and the caller's transaction (which holds every row handed out) is rolled
 * back.
 */
export function planCopies(copies: readonly RecordCopy[], state: StreamState, row: RowSink): void {
  const leaves: Uint8Array[] = [];
  for (const copy of copies) {
    let record: AncoraRecord | undefined;
    let cid: BlockCid | undefined;
    try {
      record = decodeRecord(copy.bytes);
      cid = computeCid(copy.bytes, nodeSha256);
    } catch {
      record = undefined;
    }
    const problem =
      record === undefined || cid === undefined
        ? "does not decode as a record"
        : cid.toString() !== copy.cid
          ? "does not hash to its CID"
          : record.stream !== state.name || record.seq !== state.size || copy.seq !== state.size
            ? "is not the next record of the stream"
            : record.prev?.toString() !== state.head?.toString()
              ? "does not link to the previous record"
              : undefined;
    if (problem !== undefined || record === undefined || cid === undefined) {
      throw new StoreError("STORE_CORRUPT", `The copied record ${copy.seq} of "${state.name}" ${problem}`, {
        hint: "The log being copied was changed outside Ancora: run ancora-verify on it; nothing was copied from this batch.",
        evidence: { stream: state.name, seq: copy.seq, cid: copy.cid, expectedSeq: state.size },
      });
    }
    row(copy.seq, copy.cid, indexColumns(record), copy.bytes, null, null);
    leaves.push(cid.bytes);
    if (record.kind === "label") state.labels.set(record.body.id, record.body.name);
    if (record.kind === "config") state.config = { cid, seq: copy.seq, body: record.body };
    state.size = copy.seq + 1;
    state.head = cid;
    state.headText = copy.cid;
  }
  state.tiles.add(state.tree.appendLeaves(leaves).nodes);
}

/** A stream's head row, as either database stores it. */
export interface HeadRow {
  size: number;
  head_cid: string | null;
  tree_state: string;
  config_seq: number | null;
}

/** Where the rightmost partial tile of each level lies at `size` (level 0's is never stored). */
export function partialTileSpots(size: number): { level: number; index: number; width: number }[] {
  const spots: { level: number; index: number; width: number }[] = [];
  for (let level = 0, count = size; count > 0; level++, count = Math.floor(count / TILE_WIDTH)) {
    const width = count % TILE_WIDTH;
    if (width !== 0) spots.push({ level, index: Math.floor(count / TILE_WIDTH), width });
  }
  return spots;
}

/** What the database returned for a stream's state besides its head row. */
export interface StoredStateParts {
  /** Bytes of the record at `config_seq`, if there is one. */
  configBytes: Uint8Array | undefined;
  /** Bytes of the stream's label records, in seq order. */
  labelRecords: Iterable<Uint8Array>;
  /** For each of {@link partialTileSpots}: level 0's record CIDs (from its first seq), or the stored tile. */
  partials: ({ cids: readonly string[] } | { hashes: Uint8Array; mids: Uint8Array } | undefined)[];
}

/** A stream's {@link StreamState} from its stored head and parts; STORE_CORRUPT when they disagree. */
export function streamState(id: number, name: string, row: HeadRow, parts: StoredStateParts): StreamState {
  let tree: CompactRange;
  try {
    tree = CompactRange.fromState(JSON.parse(row.tree_state) as CompactRangeState, nodeSha256);
  } catch (error) {
    throw new StoreError("STORE_CORRUPT", `Stream "${name}" has an unreadable tree state`, { cause: error });
  }
  const head = row.head_cid === null ? undefined : parseBlockCid(row.head_cid);
  if (tree.size !== row.size || row.size > 0 !== (head !== undefined)) {
    throw new StoreError("STORE_CORRUPT", `Stream "${name}" has an inconsistent head`, {
      evidence: { size: row.size, treeSize: tree.size },
      hint: "Run verify() to find what was changed.",
    });
  }
  let config: CurrentConfig | undefined;
  if (row.config_seq !== null) {
    const bytes = parts.configBytes;
    const record = bytes === undefined ? undefined : decodeRecord(bytes);
    if (bytes === undefined || record?.kind !== "config") {
      throw new StoreError("STORE_CORRUPT", `Stream "${name}" points to a config record that is not there`, {
        evidence: { seq: row.config_seq },
      });
    }
    config = { cid: computeCid(bytes, nodeSha256), seq: row.config_seq, body: record.body };
  }
  const spots = partialTileSpots(row.size);
  const partials: PartialTile[] = spots.map(({ level, index, width }, i) => {
    const part = parts.partials[i];
    let tile: { hashes: Uint8Array; mids: Uint8Array } | undefined;
    if (part !== undefined && "cids" in part) {
      const hashes = leafTile(part.cids);
      tile = hashes === undefined ? undefined : { hashes, mids: tileMids(hashes, nodeSha256) };
    } else {
      tile = part;
    }
    if (tile === undefined || tile.hashes.length !== width * 32) {
      throw new StoreError("STORE_CORRUPT", `Stream "${name}" lacks the Merkle hashes of its last records`, {
        evidence: { level, index, width, found: tile === undefined ? 0 : tile.hashes.length / 32 },
        hint: "Run verify() to find what was changed.",
      });
    }
    return { tileLevel: level, index, hashes: new Uint8Array(tile.hashes), mids: new Uint8Array(tile.mids) };
  });
  const labels = new Map<string, string>();
  for (const bytes of parts.labelRecords) {
    const record = decodeRecord(bytes);
    if (record.kind === "label") labels.set(record.body.id, record.body.name);
  }
  return {
    id,
    name,
    size: row.size,
    head,
    headText: row.head_cid,
    tree,
    tiles: new TileBuilder(row.size, partials),
    config,
    labels,
  };
}
