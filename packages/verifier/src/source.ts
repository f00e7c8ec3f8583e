/**
 * What the verifier reads: a "record source". The verifier never opens a database, a socket or a file
 * itself (sigstore-js's and tessera's rule): a store, an IPFS node, an export file or a test hands it
 * the records of a stream as bytes plus whatever the store *claims* about them (CID, index columns,
 * leaf hashes, head, checkpoints), and every claim is re-derived from the bytes and compared.
 */

/** One record as a store holds it. Everything except `bytes` is a claim the verifier checks. */
export interface StoredRecord {
  /** The record's position as the store indexes it (its `seq` column). */
  readonly seq: number;
  /** The record's canonical bytes, exactly as stored. */
  readonly bytes: Uint8Array;
  /** The CID the store keeps for these bytes, in its string form (`bafkrei...`). */
  readonly cid: string;
  /**
   * The bytes read as text (UTF-8, invalid sequences as U+FFFD), when a source can read them so more
   * cheaply than as bytes (SQLite can). A decision whose text is its canonical plain form, all
   * ASCII, is then checked from the text without decoding it; anything else reads `bytes` and takes
   * every check (record-checks.ts, `checkPlainDecision`).
   */
  readonly text?: string | undefined;
  /**
   * Index columns the store keeps beside the bytes for search. Each is checked against the bytes when
   * present; leave a field out (undefined) when the source has no such column. `null` means the store
   * holds NULL there (which is right for the fields a kind does not have).
   */
  readonly kind?: string;
  readonly label?: string | null;
  readonly modelId?: string | null;
  readonly modelVersion?: string | null;
  readonly ts?: string;
  /**
   * The stored Merkle leaf node (level 0) for this record, when the source keeps a node store:
   * checked against SHA-256(0x00 || CID bytes). `null` means the node is missing; leave it out
   * (undefined) when the store keeps no leaf for this record.
   */
  readonly leafHash?: Uint8Array | null | undefined;
  /**
   * The record's row in the store's search index (schema v5 `record_index`), when the index claims to
   * cover this seq: each column is checked against the bytes like the row's own columns. `null` means
   * the index claims to cover the seq but has no row for it (a record hidden from searches); leave it
   * out (undefined) when the store keeps no index or has not indexed this record yet.
   */
  readonly indexed?: IndexedColumns | null | undefined;
}

/** A record's search columns as a store's search index holds them. */
export interface IndexedColumns {
  readonly kind: string;
  readonly ts: string;
  readonly label: string | null;
  readonly modelId: string | null;
  readonly modelVersion: string | null;
}

/** A stored checkpoint of a stream: (size, root, head CID, time). */
export interface StoredCheckpoint {
  /** Tree size the checkpoint commits to (number of records, genesis included). */
  readonly size: number;
  /** RFC 9162 Merkle tree head over the first `size` record CIDs (32 bytes). */
  readonly root: Uint8Array;
  /** CID string of record `size - 1`. */
  readonly head: string;
  /** When it was made (informational). */
  readonly ts?: string;
}

/** What the store claims is the current end of a stream. */
export interface StoredHead {
  /** Number of records. */
  readonly size: number;
  /** CID string of the last record, `null` for an empty stream. */
  readonly head: string | null;
  /** The tree head the store derives from its own state, when it keeps one (32 bytes). */
  readonly root?: Uint8Array;
}

/**
 * A synchronous record source (an SQLite store, an in-memory array, a parsed export).
 *
 * @example
 * ```ts
 * const source: RecordSource = {
 *   records: (stream) => rows.filter((r) => r.stream === stream),
 *   checkpoints: () => [],
 * };
 * ```
 */
export interface RecordSource {
  /** The stream's records in ascending `seq` order, as stored. */
  records(stream: string): Iterable<StoredRecord>;
  /** The stream's stored checkpoints, in any order. */
  checkpoints(stream: string): Iterable<StoredCheckpoint>;
  /** The stream's stored head, when the store keeps one. */
  head?(stream: string): StoredHead | undefined;
  /**
   * A stored Merkle node above the leaves (level >= 1), when the store keeps a node store: every
   * node the recomputed tree completes is compared with it. `undefined` means the node is missing;
   * `null` means the store does not keep nodes of that position (a tiled store keeps levels 8, 16, …
   * only), so there is nothing to compare.
   */
  node?(stream: string, level: number, index: number): Uint8Array | null | undefined;
}

/** A record source that may be asynchronous (IPFS, HTTP, a file read in chunks). */
export interface AsyncRecordSource {
  records(stream: string): AsyncIterable<StoredRecord> | Iterable<StoredRecord>;
  checkpoints(stream: string): Promise<Iterable<StoredCheckpoint>> | Iterable<StoredCheckpoint>;
  head?(stream: string): Promise<StoredHead | undefined> | StoredHead | undefined;
}
