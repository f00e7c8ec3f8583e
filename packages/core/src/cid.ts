/**
 * Content identifiers for Ancora blocks: CIDv1, codec `raw` (0x55), multihash sha2-256 (0x12).
 *
 * Why raw and not dag-json (0x0129): pinning services such as Pinata store an upload as a UnixFS file,
 * and for a file that fits one chunk (≤ 256 KiB) the file's CID *is* the raw CID of its bytes
 * (`bafkrei...`). A dag-json CID (`baguqee...`) of the same bytes would never match what the service
 * reports. The bytes are still DAG-JSON, so IPLD tools decode them; the CID just does not say so.
 * See docs/formats.md, "CIDs".
 */
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { sha256 as defaultSha256, type Sha256 } from "./hash.js";

/** Multicodec code of the `raw` codec: the block is opaque bytes. */
export const RAW_CODEC = 0x55;
/** Multihash code of sha2-256. */
export const SHA2_256_CODE = 0x12;

/** The CID of an Ancora block: version 1, raw codec, sha2-256. */
export type BlockCid = CID<unknown, typeof RAW_CODEC, typeof SHA2_256_CODE, 1>;

/** The first four bytes of every block CID: version 1, raw, sha2-256, digest length 32. */
const CID_PREFIX = Uint8Array.of(0x01, RAW_CODEC, SHA2_256_CODE, 0x20);

/**
 * Computes the CID of `bytes`: CIDv1, raw codec, sha2-256. This is the CID `ipfs add --cid-version=1`
 * (and Pinata) reports for a file with these bytes when it fits one 256 KiB chunk.
 *
 * @param sha256 SHA-256 implementation; inject node:crypto's in Node for speed (identical result).
 * @example
 * ```ts
 * const cid = computeCid(new TextEncoder().encode("hello"));
 * cid.toString(); // "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
 * ```
 */
export function computeCid(bytes: Uint8Array, sha256: Sha256 = defaultSha256): BlockCid {
  // The binary CID is fixed-layout for a 32-byte sha2-256 digest: 0x01 (CIDv1) 0x55 (raw) 0x12 0x20
  // (sha2-256, 32 bytes) then the digest. Writing it once and handing views of it to the CID and
  // multihash constructors saves the varint encoding and two copies of CID.createV1 (records are
  // hashed on the SDK's hot path); cid.test.ts checks the result against an independent construction.
  const cidBytes = new Uint8Array(36);
  cidBytes.set(CID_PREFIX, 0);
  cidBytes.set(sha256(bytes), 4);
  const multihash = cidBytes.subarray(2);
  return new CID(
    1,
    RAW_CODEC,
    new Digest.Digest(SHA2_256_CODE, 32, multihash.subarray(2), multihash),
    cidBytes,
  );
}

/**
 * True when `cid` has the form of an Ancora block CID (v1, raw, sha2-256, 32-byte digest). It says
 * nothing about which bytes it names; use {@link computeCid} and compare for that.
 *
 * @example
 * ```ts
 * isBlockCid(computeCid(bytes)); // true
 * isBlockCid(CID.parse("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")); // false (v0, dag-pb)
 * ```
 */
export function isBlockCid(cid: CID): cid is BlockCid {
  return (
    cid.version === 1 &&
    cid.code === RAW_CODEC &&
    cid.multihash.code === SHA2_256_CODE &&
    cid.multihash.digest.length === 32
  );
}

/**
 * Parses the canonical string form of a block CID (base32 lower, `bafkrei...`). Returns `undefined`
 * for anything else: another base spelling of the same CID, another version, codec or hash.
 *
 * @example
 * ```ts
 * parseBlockCid("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"); // CID
 * parseBlockCid("BAFKREIBM6JG3UX5QUMHCN2B3FLC3TYU6DMLB4XA7U5BF44YEGNRJHC4YEQ"); // undefined
 * ```
 */
export function parseBlockCid(text: string): BlockCid | undefined {
  let cid: CID;
  try {
    cid = CID.parse(text);
  } catch {
    return undefined;
  }
  return isBlockCid(cid) && cid.toString() === text ? cid : undefined;
}

export { CID };
