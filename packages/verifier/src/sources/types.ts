/**
 * The I/O contracts of the verifier beyond a stream's records (see ../source.ts): where blocks, a local
 * log's anchors and manifests, and the registry's view come from. Every implementation is untrusted:
 * the checks re-derive or prove everything they are handed (blocks against their CIDs, anchor links
 * against the registry's chained head, manifests against the digests anchored on chain).
 */
import type { AsyncRecordSource, RecordSource } from "../source.js";

/**
 * Fetches one block by CID string. Implementations MUST check the bytes against the CID before
 * returning (so a check never sees unverified bytes) and reject with a `SourceError`
 * (`BLOCK_NOT_FOUND`, `BLOCK_CID_MISMATCH`, `SOURCE_UNREACHABLE`, `SOURCE_TIMEOUT`).
 */
export type BlockFetcher = (cid: string, options?: { signal?: AbortSignal }) => Promise<Uint8Array>;

/** An anchor as a local log records it (the SDK's `anchors` table), a claim to be checked on chain. */
export interface LocalAnchor {
  readonly stream: string;
  readonly chainId: number;
  /** Registry address, lowercase 0x-hex. */
  readonly registry: string;
  readonly size: number;
  /** 32 bytes. */
  readonly root: Uint8Array;
  readonly manifestCid: string;
  readonly txHash: string;
  readonly status: "submitted" | "confirmed" | "dropped";
  readonly blockNumber: number | null;
  /**
   * The fields of the anchor's `CheckpointAnchored` event that the chained head folds in and that a
   * schema-v2 store does not keep; `undefined` when the store predates schema v3.
   */
  readonly sequence?: number;
  readonly anchorer?: string;
  readonly consistencyChecked?: boolean;
}

/** A batch manifest as a local log keeps it: its CID string and canonical bytes (checked by the reader). */
export interface LocalManifest {
  readonly stream: string;
  readonly cid: string;
  readonly bytes: Uint8Array;
}

/** A local log opened for verification: its records plus what it says about anchoring. */
export interface LocalLog {
  /** Names of the streams the log holds, sorted. */
  streams(): string[];
  /** The records, leaves, checkpoints and head of each stream. */
  readonly source: RecordSource;
  /** The log's anchors of a stream, ascending by size (all statuses; checks use `confirmed`). */
  anchors(stream: string): LocalAnchor[];
  /** The log's manifests of a stream, ascending by size. */
  manifests(stream: string): LocalManifest[];
  /** Releases the file. */
  close(): void;
}

/**
 * A local log whose reads may be asynchronous (a PostgreSQL log, `openPostgresLog`): what the chain
 * checks take besides a {@link LocalLog}, which is one. Every read of one verification should come
 * from one snapshot of the log.
 */
export interface AsyncLocalLog {
  /** Names of the streams the log holds, sorted. */
  streams(): string[];
  /** The records, checkpoints and head of each stream. */
  readonly source: AsyncRecordSource;
  /** The log's anchors of a stream, ascending by size (all statuses; checks use `confirmed`). */
  anchors(stream: string): Promise<readonly LocalAnchor[]> | readonly LocalAnchor[];
  /** The log's manifests of a stream, ascending by size. */
  manifests(stream: string): Promise<readonly LocalManifest[]> | readonly LocalManifest[];
  /** Releases the connection or file. */
  close(): Promise<void> | void;
}
