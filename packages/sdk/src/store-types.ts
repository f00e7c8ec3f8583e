/**
 * The shapes a store hands out and takes: stream descriptions, stored records, proofs, outbox jobs and
 * the options of opening and verifying a store (store.ts holds the store itself).
 */
import type { AncoraRecord } from "@ancora/core";
import type { VerifyOptions } from "@ancora/verifier";

/** Options of {@link openStore}. */
export interface StoreOptions {
  /** Path of the SQLite file. */
  path: string;
  /** Open read-only (an auditor's copy). The store must exist and be at the current schema version. */
  readonly?: boolean;
  /** How long to wait for another writer's lock (default 10 s). */
  busyTimeoutMs?: number;
  /** Clock for checkpoint and job timestamps (tests). */
  clock?: () => Date;
}

/** A stream as the store describes it. */
export interface StreamInfo {
  name: string;
  /** Number of records, genesis included (the Merkle tree size). */
  size: number;
  /** CID of the last record. */
  head: string | null;
  createdAt: string;
}

/** A stored record. */
export interface StoredRecordInfo {
  stream: string;
  seq: number;
  cid: string;
  bytes: Uint8Array;
  record: AncoraRecord;
}

/** An RFC 9162 inclusion proof of record `index` in the stream's tree of `size` records. */
export interface InclusionProofInfo {
  stream: string;
  index: number;
  size: number;
  /** The record's CID (the leaf input). */
  cid: string;
  /** SHA-256(0x00 || CID bytes). */
  leafHash: Uint8Array;
  proof: Uint8Array[];
  /** The tree head the proof leads to. */
  root: Uint8Array;
}

/** An RFC 9162 consistency proof between two sizes of a stream's tree. */
export interface ConsistencyProofInfo {
  stream: string;
  size1: number;
  size2: number;
  root1: Uint8Array;
  root2: Uint8Array;
  proof: Uint8Array[];
}

/** A job in the durable outbox. */
export interface OutboxJob {
  id: number;
  kind: string;
  stream: string | null;
  payload: unknown;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

/** Options of {@link AncoraStore.verify}. */
export interface StoreVerifyOptions extends Omit<VerifyOptions, "sha256"> {
  /** Streams to verify (default: every stream in the store). */
  stream?: string | readonly string[];
  /**
   * Threads to verify a long stream on, the calling one included (default: the available cores, at
   * most 4; 1 = this thread only). Results are identical either way: a parallel run that finds
   * anything wrong is redone serially for exact failure reports.
   */
  threads?: number;
}
