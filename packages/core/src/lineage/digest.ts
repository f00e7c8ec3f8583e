/** The `sha256:<64 lowercase hex>` digests that lineage records carry for off-log documents. */
import { sha256 as defaultSha256, type Sha256 } from "../hash.js";
import { toHex } from "../internal/binary-text.js";
import type { Sha256Digest } from "../records/kinds/rules.js";

/**
 * The digest of `bytes` as lineage records write it: `sha256:` + 64 lowercase hex (the OCI form).
 * The SDK exports it as `sha256Digest` too.
 *
 * @example
 * ```ts
 * documentDigest(new TextEncoder().encode("abc")); // "sha256:ba7816bf…f20015ad"
 * ```
 */
export function documentDigest(bytes: Uint8Array, sha256: Sha256 = defaultSha256): Sha256Digest {
  return `sha256:${toHex(sha256(bytes))}`;
}
