/**
 * node:crypto's one-shot SHA-256 for the node-side sources: the same bytes as @ancora/core's default
 * (@noble/hashes), several times faster for the short inputs a Merkle tree and a CID hash. The digest
 * is read back as a "binary" string (one code unit per byte), which for 32 bytes is cheaper than
 * allocating a native Buffer.
 */
import { hash } from "node:crypto";
import type { Sha256 } from "@ancora/core";

/**
 * SHA-256 through node:crypto, to inject wherever core or the verifier takes a `sha256` option.
 *
 * @example
 * ```ts
 * verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
 * ```
 */
export const nodeSha256: Sha256 = (data) => {
  const digest = hash("sha256", data, "binary");
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = digest.charCodeAt(i);
  return out;
};
