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
  /**
   * SHA-256 of a text's UTF-8 bytes, when the platform hashes a string faster than it can make bytes of
   * it (node:crypto does: `nodeSha256Text`). The verifier hashes stored record text with it, never
   * other data; without it, the text's bytes go to `sha256`.
   */
  sha256Text?: TextSha256;
  /** Keep at most this many failures per stream (default {@link DEFAULT_MAX_FAILURES}). */
  maxFailures?: number;
}

/** SHA-256 of the UTF-8 bytes of `text` (see {@link VerifyOptions.sha256Text}). */
export type TextSha256 = (text: string) => Uint8Array;

/** Reads a stored Merkle node above the leaves; see {@link RecordSource.node}. */
export type NodeLookup = (level: number, index: number) => Uint8Array | null | undefined;
