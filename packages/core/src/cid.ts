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
import { base32Length, decodeBase32Into, multibaseBase32, writeMultibaseBase32 } from "./internal/base32.js";

/** Multicodec code of the `raw` codec: the block is opaque bytes. */
export const RAW_CODEC = 0x55;
/** Multihash code of sha2-256. */
export const SHA2_256_CODE = 0x12;

/** The CID of an Ancora block: version 1, raw codec, sha2-256. */
export type BlockCid = CID<unknown, typeof RAW_CODEC, typeof SHA2_256_CODE, 1>;

/** Length of a block CID's binary form: the four prefix bytes and a 32-byte digest. */
const BLOCK_CID_BYTES = 36;
/** Length of a block CID's string form: `b` and 58 base32 characters (`bafkrei…`). */
const BLOCK_CID_TEXT_LENGTH = 1 + base32Length(BLOCK_CID_BYTES);

/**
 * Block CIDs' bytes are carved out of small shared buffers. A CID's fields must be views over an
 * `ArrayBuffer` (multiformats checks `bytes.buffer`), and giving each 36-byte CID its own ArrayBuffer
 * costs V8 a separate backing store, about as much as the rest of building the CID. 32 CIDs share one
 * slab, so a CID that outlives its neighbours keeps at most 1,152 bytes alive.
 */
const SLAB_CIDS = 32;
let slab = new ArrayBuffer(0);
let slabOffset = 0;

function allocateCidBytes(): Uint8Array {
  if (slabOffset === slab.byteLength) {
    slab = new ArrayBuffer(SLAB_CIDS * BLOCK_CID_BYTES);
    slabOffset = 0;
  }
  const bytes = new Uint8Array(slab, slabOffset, BLOCK_CID_BYTES);
  slabOffset += BLOCK_CID_BYTES;
  bytes[0] = 0x01; // CIDv1
  bytes[1] = RAW_CODEC;
  bytes[2] = SHA2_256_CODE;
  bytes[3] = 0x20; // digest length 32
  return bytes;
}

/**
 * The CIDs core creates (computeCid, the decoders, parseBlockCid). It is a multiformats `CID` in every
 * respect but one: `toString()` with no argument answers from a private field, computed at most once by
 * a fast encoder for the fixed layout (or known up front when parsed), instead of multiformats' global
 * `WeakMap` cache and generic base32 encoder (together several microseconds per CID, most of the cost
 * of a record's CID string). `constructor` is `CID`, so `cid.constructor === CID` and equality helpers
 * that compare constructors (vitest's `toStrictEqual`) treat it like any other CID.
 */
class FastBlockCid extends CID<unknown, typeof RAW_CODEC, typeof SHA2_256_CODE, 1> {
  #text: string | undefined;

  constructor(bytes: Uint8Array, text: string | undefined) {
    // The binary CID is fixed-layout for a 32-byte sha2-256 digest: 0x01 (CIDv1) 0x55 (raw) 0x12 0x20
    // (sha2-256, 32 bytes) then the digest. The multihash and digest are views of it, which saves the
    // varint encoding and the copies of CID.createV1; cid.test.ts checks the result against an
    // independent construction.
    super(1, RAW_CODEC, new Digest.Digest(SHA2_256_CODE, 32, bytes.subarray(4), bytes.subarray(2)), bytes);
    this.#text = text;
  }

  // biome-ignore lint/suspicious/noExplicitAny: mirrors CID.toString's generic signature
  override toString(base?: any): any {
    if (base !== undefined) return super.toString(base);
    if (this.#text === undefined) this.#text = multibaseBase32(this.bytes);
    return this.#text;
  }

  // biome-ignore lint/suspicious/noExplicitAny: mirrors CID.toJSON's signature
  override toJSON(): any {
    return { "/": this.toString() };
  }
}
Object.defineProperty(FastBlockCid.prototype, "constructor", {
  value: CID,
  writable: true,
  configurable: true,
  enumerable: false,
});

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
  const digest = sha256(bytes);
  const cidBytes = allocateCidBytes();
  cidBytes.set(digest, 4);
  return new FastBlockCid(cidBytes, undefined);
}

/** The binary CID and its text, written by {@link isBlockCidTextOf}. */
const textCheckBytes = new Uint8Array(BLOCK_CID_BYTES);
const textCheckCodes = new Uint8Array(BLOCK_CID_TEXT_LENGTH);
textCheckBytes.set([0x01, RAW_CODEC, SHA2_256_CODE, 0x20]);

/**
 * Whether `text` is the string of the block CID of the 32-byte `digest`: what
 * `computeCid(bytes).toString() === text` answers for bytes with that SHA-256, without building the
 * CID or its string (a verifier's check of a stored CID, once per record).
 *
 * @example
 * ```ts
 * isBlockCidTextOf(sha256(bytes), "bafkrei…"); // true when the text names the bytes
 * ```
 */
export function isBlockCidTextOf(digest: Uint8Array, text: string): boolean {
  if (digest.length !== 32 || text.length !== BLOCK_CID_TEXT_LENGTH) return false;
  textCheckBytes.set(digest, 4);
  writeMultibaseBase32(textCheckBytes, textCheckCodes, 0);
  for (let i = 0; i < BLOCK_CID_TEXT_LENGTH; i++) {
    if (text.charCodeAt(i) !== textCheckCodes[i]) return false;
  }
  return true;
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
 * Parses the canonical string form of a block CID (`b` + 58 base32 characters, `bafkrei…`) found in
 * `text` at `start`, reading exactly {@link BLOCK_CID_TEXT_LENGTH} characters. Returns `undefined` for
 * anything else. Internal: the decoder's fast path reads links in place with it.
 */
export function parseBlockCidAt(text: string, start: number): BlockCid | undefined {
  if (text.charCodeAt(start) !== 0x62) return undefined; // "b"
  const bytes = allocateCidBytes();
  // Decoding the prefix too (rather than comparing "afkrei") also checks the two bits of the fourth
  // byte that its seventh character shares with the digest.
  if (!decodeBase32Into(text, start + 1, BLOCK_CID_TEXT_LENGTH - 1, bytes, 0)) return undefined;
  if (bytes[0] !== 0x01 || bytes[1] !== RAW_CODEC || bytes[2] !== SHA2_256_CODE || bytes[3] !== 0x20) {
    return undefined;
  }
  const known = start === 0 && text.length === BLOCK_CID_TEXT_LENGTH ? text : undefined;
  return new FastBlockCid(bytes, known);
}

/**
 * Parses the canonical string form of a block CID (base32 lower, `bafkrei...`). Returns `undefined`
 * for anything else: another base spelling of the same CID (upper or mixed case, padding, another
 * multibase), another version, codec or hash. Exactly one string is accepted per block CID.
 *
 * @example
 * ```ts
 * parseBlockCid("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"); // CID
 * parseBlockCid("BAFKREIBM6JG3UX5QUMHCN2B3FLC3TYU6DMLB4XA7U5BF44YEGNRJHC4YEQ"); // undefined
 * ```
 */
export function parseBlockCid(text: string): BlockCid | undefined {
  if (typeof text !== "string" || text.length !== BLOCK_CID_TEXT_LENGTH) return undefined;
  return parseBlockCidAt(text, 0);
}

export { CID };
