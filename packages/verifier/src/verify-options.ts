/**
 * The options every verify function takes, and what a verifier reads stored Merkle nodes with. Plain
 * types and one default, shared by the stream verifier, the drivers and the range stitching.
 */
import type { Sha256 } from "@ancora/core";

/** Failures kept per stream unless told otherwise; the count of all failures is kept regardless. */
export const DEFAULT_MAX_FAILURES = 100;

/** Options of every verify function. */
export interface VerifyOptions {
  /** SHA-256 implementation (inject node:crypto's in Node: several times faster, identical bytes). */
  sha256?: Sha256;
  /** Keep at most this many failures per stream (default {@link DEFAULT_MAX_FAILURES}). */
  maxFailures?: number;
}

/** Reads a stored Merkle node above the leaves; see {@link RecordSource.node}. */
export type NodeLookup = (level: number, index: number) => Uint8Array | null | undefined;
