/**
 * node:crypto's one-shot SHA-256 for the node-side sources: the same bytes as @ancora/core's default
 * (@noble/hashes), several times faster for the short inputs a Merkle tree and a CID hash. The digest
 * is read back as a "binary" string (one code unit per byte), which for 32 bytes is cheaper than
 * allocating a native Buffer.
 */
import { hash } from "node:crypto";
import type { Sha256 } from "@ancora/core";
import type { TextSha256 } from "../verify-options.js";

/**
 * SHA-256 through node:crypto, to inject wherever core or the verifier takes a `sha256` option.
 *
 * @example
 * ```ts
 * verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
 * ```
 */
export const nodeSha256: Sha256 = (data) => digestBytes(hash("sha256", data, "binary"));

/**
 * node:crypto's SHA-256 of a text's UTF-8 bytes, hashed from the string itself (faster than encoding
 * it first). Pass it as `sha256Text` beside {@link nodeSha256}.
 *
 * @example
 * ```ts
 * verifyStreams(log.source, log.streams(), { sha256: nodeSha256, sha256Text: nodeSha256Text });
 * ```
 */
export const nodeSha256Text: TextSha256 = (text) => digestBytes(hash("sha256", text, "binary"));

/** A digest read back as a "binary" string (one code unit per byte), as bytes. */
function digestBytes(digest: string): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = digest.charCodeAt(i);
  return out;
}
