/**
 * The batch pin directory: what makes one upload pin a manifest and every record it lists.
 *
 * Records and manifests are raw blocks (their CIDs equal what a pinning service reports for a file),
 * and raw blocks have no links: a CAR rooted at the manifest would pin the manifest alone. So each
 * manifest gets a linking root, a UnixFS directory (dag-pb, CIDv1, sha2-256) whose entries are
 *
 * - `manifest`: the manifest block;
 * - one entry per record, named by its seq in decimal, zero-padded to {@link MANIFEST_ENTRY_DIGITS}
 *   digits (`0000000000000042`), so that byte order (which dag-pb requires of link names) is seq order,
 *
 * each a link to the raw block with the block's size as `Tsize`. The directory is a function of the
 * manifest and its records only (no mode, no mtime), so the same manifest always gives the same CID,
 * computed locally and compared with the one the service reports. Any gateway serves
 * `/ipfs/<dir>/manifest` and `/ipfs/<dir>/<seq>`: a raw block under a UnixFS path is a file.
 *
 * Size: about 61 bytes per entry, so a manifest of `MAX_MANIFEST_RECORDS` (3,800) records gives one
 * block of about 232 KB (at most 235,660 bytes, with records of 256 KiB), under the 256 KiB at which
 * Kubo would shard a directory it builds and well under the 1 MiB block limit of `ipfs dag import`.
 * See docs/formats.md, "Batch pin directory".
 */
import {
  ArgumentError,
  type BlockCid,
  CID,
  MAX_MANIFEST_RECORDS,
  varintLength,
  writeVarint,
} from "@ancora/core";
import { UnixFS } from "ipfs-unixfs";
import { nodeSha256 } from "../internal/crypto.js";
import { encodeCar } from "../ipfs/car.js";

/** Multicodec code of dag-pb, the codec of the directory block. */
export const DAG_PB_CODEC = 0x70;
/** Name of the directory entry that links the manifest. */
export const MANIFEST_ENTRY = "manifest";
/** Digits of a record entry's name: every safe integer seq (2^53 − 1 has 16) fits. */
export const MANIFEST_ENTRY_DIGITS = 16;
/** Largest directory block accepted: `ipfs dag import` refuses blocks over 1 MiB. */
export const MAX_MANIFEST_DIRECTORY_BYTES = 1_048_576;

/** UnixFS `Data` of a plain directory: `Type = Directory` and nothing else (no mode, no mtime). */
const DIRECTORY_DATA = new UnixFS({ type: "directory" }).marshal();

interface Link {
  name: string;
  cid: Uint8Array;
  size: number;
}

/** Length of a PBLink message: Hash (field 1), Name (field 2, ASCII here), Tsize (field 3). */
function linkLength(link: Link): number {
  return (
    1 +
    varintLength(link.cid.length) +
    link.cid.length +
    1 +
    varintLength(link.name.length) +
    link.name.length +
    1 +
    varintLength(link.size)
  );
}

/**
 * The dag-pb encoding of a node with `links` (already in name order) and `data`, as the dag-pb spec
 * (https://ipld.io/specs/codecs/dag-pb/spec/) fixes it: each link as PBNode field 2, then Data as
 * field 1. Written directly rather than through @ipld/dag-pb's generic encoder, which costs ~6 µs a
 * link (a large share of a record's logging cost); the tests check both give the same bytes.
 */
function encodeDagPb(links: readonly Link[], data: Uint8Array): Uint8Array {
  let total = 1 + varintLength(data.length) + data.length;
  const lengths = links.map((link) => {
    const length = linkLength(link);
    total += 1 + varintLength(length) + length;
    return length;
  });
  const out = new Uint8Array(total);
  let at = 0;
  links.forEach((link, i) => {
    out[at++] = 0x12; // PBNode.Links, length-delimited
    at = writeVarint(out, at, lengths[i] as number);
    out[at++] = 0x0a; // PBLink.Hash
    at = writeVarint(out, at, link.cid.length);
    out.set(link.cid, at);
    at += link.cid.length;
    out[at++] = 0x12; // PBLink.Name
    at = writeVarint(out, at, link.name.length);
    for (let c = 0; c < link.name.length; c++) out[at++] = link.name.charCodeAt(c);
    out[at++] = 0x18; // PBLink.Tsize, varint
    at = writeVarint(out, at, link.size);
  });
  out[at++] = 0x0a; // PBNode.Data
  at = writeVarint(out, at, data.length);
  out.set(data, at);
  return out;
}

/**
 * The entry name of record `seq` in a batch directory.
 *
 * @example
 * ```ts
 * manifestEntryName(42); // "0000000000000042"
 * ```
 */
export function manifestEntryName(seq: number): string {
  return String(seq).padStart(MANIFEST_ENTRY_DIGITS, "0");
}

/** What a batch directory is built from: the manifest and its records, with their sizes in bytes. */
export interface ManifestDirectoryInput {
  manifest: { cid: BlockCid; size: number };
  /** Seq of the first record (the manifest's `from`). */
  from: number;
  /** The manifest's records, in seq order (the manifest's `records`). */
  records: ReadonlyArray<{ cid: BlockCid; size: number }>;
}

/** A batch directory block: dag-pb bytes and their CID (v1, dag-pb, sha2-256). */
export interface ManifestDirectory {
  cid: CID;
  bytes: Uint8Array;
}

function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new ArgumentError(`${what} must be a byte count`, { evidence: { size } });
  }
}

/**
 * Builds the batch directory of a manifest (see the module comment for the layout).
 *
 * @throws {ArgumentError} `INVALID_ARGUMENT` for a negative or unsafe `from`, a size that is not a byte
 *   count, or more records than a manifest may list.
 * @example
 * ```ts
 * const m = decodeManifest(bytes);
 * const dir = manifestDirectory({
 *   manifest: { cid: manifestCid, size: bytes.length },
 *   from: m.from,
 *   records: m.records.map((cid, i) => ({ cid, size: recordBytes[i].length })),
 * });
 * dir.cid.toString(); // "bafybei…"
 * ```
 */
export function manifestDirectory(input: ManifestDirectoryInput): ManifestDirectory {
  const { from, records } = input;
  if (records.length > MAX_MANIFEST_RECORDS) {
    throw new ArgumentError(`A manifest lists at most ${MAX_MANIFEST_RECORDS} records`, {
      evidence: { records: records.length },
    });
  }
  if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(from + records.length)) {
    throw new ArgumentError("from must be a seq (a safe integer ≥ 0)", { evidence: { from } });
  }
  checkSize(input.manifest.size, "The manifest's size");
  const links: Link[] = records.map((r, i) => {
    checkSize(r.size, "A record's size");
    return { name: manifestEntryName(from + i), cid: r.cid.bytes, size: r.size };
  });
  // dag-pb orders links by name bytes: fixed-width digits sort by seq, and before "m" (the manifest).
  links.push({ name: MANIFEST_ENTRY, cid: input.manifest.cid.bytes, size: input.manifest.size });
  const bytes = encodeDagPb(links, DIRECTORY_DATA);
  if (bytes.length > MAX_MANIFEST_DIRECTORY_BYTES) {
    throw new ArgumentError("The batch directory would exceed the block size services accept", {
      evidence: { bytes: bytes.length, max: MAX_MANIFEST_DIRECTORY_BYTES },
    });
  }
  const digest = nodeSha256(bytes);
  // CIDv1, dag-pb, sha2-256 (0x12), 32-byte digest.
  const cid = CID.decode(Uint8Array.from([0x01, DAG_PB_CODEC, 0x12, 0x20, ...digest]));
  return { cid, bytes };
}

/** One raw block: its CID and exact bytes. */
export interface RawBlock {
  cid: BlockCid;
  bytes: Uint8Array;
}

/** A manifest's pin upload: the CAR and the directory it is rooted at. */
export interface ManifestCar {
  directory: ManifestDirectory;
  /** The CAR v1 bytes: header (root = directory), directory, manifest, records in seq order. */
  bytes: Uint8Array;
  /** Blocks in the CAR (records + 2). */
  blocks: number;
}

/**
 * The CAR that pins a manifest and its records in one upload: rooted at the batch directory, whose
 * links make a recursive pin of the root keep every block.
 *
 * @throws {ArgumentError} as {@link manifestDirectory}.
 * @example
 * ```ts
 * const car = manifestCar({ manifest: { cid, bytes }, from: m.from, records });
 * await pinCar(service, { root: car.directory.cid.toString(), bytes: car.bytes });
 * ```
 */
export function manifestCar(input: {
  manifest: RawBlock;
  from: number;
  records: readonly RawBlock[];
}): ManifestCar {
  const directory = manifestDirectory({
    manifest: { cid: input.manifest.cid, size: input.manifest.bytes.length },
    from: input.from,
    records: input.records.map((r) => ({ cid: r.cid, size: r.bytes.length })),
  });
  const bytes = encodeCar(directory.cid, [directory, input.manifest, ...input.records]);
  return { directory, bytes, blocks: input.records.length + 2 };
}
