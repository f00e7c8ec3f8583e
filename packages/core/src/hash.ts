/**
 * The one SHA-256 seam of `@ancora/core`.
 *
 * The core is pure (it runs in a browser), so its default is @noble/hashes' audited JavaScript SHA-256.
 * Code that runs in Node can inject `node:crypto`'s native one-shot hash, which is several times faster
 * for the short inputs a Merkle tree hashes; both give identical bytes (a differential test checks this),
 * so the choice only affects speed, never results.
 */
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

/**
 * A SHA-256 function: returns the 32-byte digest of `data` (FIPS 180-4).
 *
 * Implementations must be synchronous, must not keep or modify `data` after returning (callers reuse
 * scratch buffers), and must return a fresh array that the caller may keep.
 *
 * @example
 * ```ts
 * import { hash } from "node:crypto";
 * const nodeSha256: Sha256 = (data) => hash("sha256", data, "buffer");
 * ```
 */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/**
 * SHA-256 from @noble/hashes: the default of every core function that hashes.
 *
 * @example
 * ```ts
 * sha256(new TextEncoder().encode("abc")); // ba7816bf…f20015ad
 * ```
 */
export const sha256: Sha256 = (data) => nobleSha256(data);
