/**
 * Batch manifest v1: what one anchor adds to a stream. It names the checkpoint the anchor commits
 * (size, root, head), the range of seqs it adds (`from` … `size − 1`), every record CID in that range,
 * and the previous manifest's CID, so the manifests of a stream form a chain walkable over IPFS from the
 * latest one. Its CID (CIDv1 raw sha2-256 over the canonical DAG-JSON bytes, like a record's) is what
 * the anchor transaction commits: the contract stores the 32-byte digest inside it (`manifestDigest`).
 *
 * A manifest has no timestamp: its bytes are a pure function of the log and of the previous manifest,
 * so an anchorer that crashed between building and anchoring rebuilds the very same CID.
 *
 * Size: a manifest is uploaded to pinning services as one file, and its CID equals the raw CID of its
 * bytes only while it fits one 256 KiB chunk (see docs/formats.md, "CIDs"). So a manifest lists at most
 * {@link MAX_MANIFEST_RECORDS} records; a longer range is split into a chain of manifests, each closing
 * at an intermediate checkpoint ({@link splitManifestRanges}), and only the last one is anchored.
 */

import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { decodeCanonical } from "./canonical/decode.js";
import { encodeCanonical } from "./canonical/encode.js";
import { childPath } from "./canonical/path.js";
import { type BlockCid, computeCid, parseBlockCid, RAW_CODEC, SHA2_256_CODE } from "./cid.js";
import { ArgumentError, ManifestError, SchemaError } from "./errors.js";
import type { Sha256 } from "./hash.js";
import {
  expectBlockCid,
  expectBytes,
  expectInteger,
  expectKeys,
  expectObject,
  expectString,
  expectVersion,
  has,
} from "./internal/schema-fields.js";
import { MAX_RECORD_BYTES } from "./records/codec.js";
import { STREAM_ID } from "./records/kinds/rules.js";

/** The current manifest format version. */
export const MANIFEST_VERSION = 1;

/** A manifest must fit one 256 KiB chunk, like a record, so its file CID is its raw CID. */
export const MAX_MANIFEST_BYTES = MAX_RECORD_BYTES;

/**
 * Records per manifest. A link is 68 bytes (`{"/":"bafkrei…"},`), so 3,800 of them plus the other
 * fields (under 450 bytes with a 128-character stream id) stay below {@link MAX_MANIFEST_BYTES}.
 */
export const MAX_MANIFEST_RECORDS = 3_800;

/** A batch manifest. */
export interface Manifest {
  v: typeof MANIFEST_VERSION;
  /** The stream the records belong to. */
  stream: string;
  /** First seq this manifest adds: the tree size of the previous anchor (0 for the first). */
  from: number;
  /** Tree size of the checkpoint this manifest closes at (the records are seqs `from … size − 1`). */
  size: number;
  /** RFC 9162 root of the stream's tree at `size` (32 bytes). */
  root: Uint8Array;
  /** CID of record `size − 1`; always equal to the last entry of `records`. */
  head: BlockCid;
  /** CIDs of records `from … size − 1`, in seq order. */
  records: BlockCid[];
  /** CID of the stream's previous manifest; absent on a stream's first manifest. */
  prev?: BlockCid;
}

/** A manifest with its canonical bytes and CID. */
export interface ManifestBlock {
  manifest: Manifest;
  bytes: Uint8Array;
  cid: BlockCid;
}

const REQUIRED = ["v", "stream", "from", "size", "root", "head", "records"] as const;
const OPTIONAL = ["prev"] as const;

/**
 * Checks that `value` is a valid v1 manifest and returns it typed; throws {@link SchemaError} naming the
 * field, or {@link ManifestError} `MANIFEST_TOO_MANY_RECORDS`.
 *
 * @example
 * ```ts
 * validateManifest({ v: 1, stream: "loans", from: 0, size: 2, root, head: b, records: [a, b] });
 * ```
 */
export function validateManifest(value: unknown, path = "$"): Manifest {
  const fields = expectObject(value, path);
  expectVersion(fields, path, MANIFEST_VERSION, "manifest");
  expectKeys(fields, path, REQUIRED, OPTIONAL);
  expectString(fields, "stream", path, STREAM_ID);
  const from = expectInteger(fields, "from", path, 0);
  const size = expectInteger(fields, "size", path, 1);
  expectBytes(fields, "root", path, 32);
  const head = expectBlockCid(fields, "head", path);
  if (has(fields, "prev")) expectBlockCid(fields, "prev", path);
  const records = fields.records;
  const recordsPath = childPath(path, "records");
  if (!Array.isArray(records)) throw new SchemaError("SCHEMA_INVALID_FIELD", recordsPath, "Expected a list");
  if (records.length > MAX_MANIFEST_RECORDS) throw tooMany(records.length);
  if (size <= from || records.length !== size - from) {
    throw new SchemaError(
      "SCHEMA_INVALID_FIELD",
      recordsPath,
      "Expected exactly size − from records, at least one",
      { evidence: { from, size, records: records.length } },
    );
  }
  for (let i = 0; i < records.length; i++)
    expectBlockCid(records as unknown as Record<number, unknown>, i, recordsPath);
  const last = records[records.length - 1] as BlockCid;
  if (!last.equals(head)) {
    throw new SchemaError(
      "SCHEMA_INVALID_FIELD",
      childPath(path, "head"),
      "head must equal the last record CID",
    );
  }
  return fields as unknown as Manifest;
}

function tooMany(count: number): ManifestError {
  return new ManifestError(
    "MANIFEST_TOO_MANY_RECORDS",
    `A manifest lists at most ${MAX_MANIFEST_RECORDS} records, got ${count}`,
    {
      hint: "Split the range with splitManifestRanges() and chain the manifests through `prev`.",
      evidence: { records: count, max: MAX_MANIFEST_RECORDS },
    },
  );
}

/**
 * Validates a manifest and encodes it to canonical DAG-JSON bytes (at most {@link MAX_MANIFEST_BYTES}).
 *
 * @example
 * ```ts
 * const bytes = encodeManifest(manifest);
 * ```
 */
export function encodeManifest(manifest: Manifest): Uint8Array {
  validateManifest(manifest);
  return encodeCanonical(manifest, { maxBytes: MAX_MANIFEST_BYTES });
}

/**
 * Decodes canonical manifest bytes strictly (the bytes must be the canonical encoding) and validates them.
 *
 * @example
 * ```ts
 * const manifest = decodeManifest(await ipfs.get(cid));
 * ```
 */
export function decodeManifest(bytes: Uint8Array): Manifest {
  return validateManifest(decodeCanonical(bytes, { maxBytes: MAX_MANIFEST_BYTES }));
}

/**
 * Builds a manifest's block: validated fields, canonical bytes and CID (CIDv1 raw sha2-256).
 *
 * @example
 * ```ts
 * const { bytes, cid } = manifestBlock({ v: 1, stream, from, size, root, head, records, prev });
 * const digest = manifestDigest(cid); // what the anchor transaction commits
 * ```
 */
export function manifestBlock(manifest: Manifest, sha256?: Sha256): ManifestBlock {
  const bytes = encodeManifest(manifest);
  return { manifest, bytes, cid: computeCid(bytes, sha256) };
}

/** The 32-byte SHA-256 digest inside a manifest CID: the contract's `manifestDigest`. */
export function manifestDigest(cid: BlockCid): Uint8Array {
  return cid.multihash.digest;
}

/**
 * The manifest CID an on-chain `manifestDigest` stands for (CIDv1, raw, sha2-256 of the manifest bytes).
 *
 * @example
 * ```ts
 * manifestCidFromDigest(hexToBytes(event.manifestDigest)).toString(); // "bafkrei…"
 * ```
 */
export function manifestCidFromDigest(digest: Uint8Array): BlockCid {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new ArgumentError("A manifest digest is 32 bytes");
  }
  const text = CID.createV1(RAW_CODEC, Digest.create(SHA2_256_CODE, digest)).toString();
  const cid = parseBlockCid(text);
  if (cid === undefined) throw new ArgumentError("Not a block CID digest");
  return cid;
}

/**
 * Splits the seqs `from … size − 1` into consecutive ranges of at most `max` records, each ending at a
 * checkpoint size; the last ends at `size`. One manifest per range, chained through `prev`.
 *
 * @example
 * ```ts
 * splitManifestRanges(100, 8000); // [{ from: 100, size: 3900 }, { from: 3900, size: 7700 }, { from: 7700, size: 8000 }]
 * ```
 */
export function splitManifestRanges(
  from: number,
  size: number,
  max: number = MAX_MANIFEST_RECORDS,
): Array<{ from: number; size: number }> {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(size) || from < 0 || size <= from) {
    throw new ArgumentError("Expected integers 0 <= from < size", { evidence: { from, size } });
  }
  if (!Number.isSafeInteger(max) || max < 1 || max > MAX_MANIFEST_RECORDS) {
    throw new ArgumentError(`max must be an integer from 1 to ${MAX_MANIFEST_RECORDS}`, {
      evidence: { max },
    });
  }
  const ranges: Array<{ from: number; size: number }> = [];
  for (let start = from; start < size; start += max)
    ranges.push({ from: start, size: Math.min(size, start + max) });
  return ranges;
}
