/**
 * CAR v1 (https://ipld.io/specs/transport/car/carv1/): the one framing of blocks Ancora writes, for the
 * block gateway's batch answers (raw roots) and for the per-manifest pin uploads (a dag-pb root).
 *
 * A CAR is `varint(len) header` then, per block, `varint(len) cid block`. The header is the DAG-CBOR map
 * `{ roots: [cid…], version: 1 }`; Ancora writes one root. {@link readCar} reads what a service or a
 * test double receives, with the verifier's CAR reader: it parses the header strictly (the canonical
 * form above, any number of roots) and the sections, and leaves checking each block against its CID
 * to the caller.
 */

import { CID, encodeVarint } from "@ancora/core";
import { readCar as readCarSections } from "@ancora/verifier/node";
import { CarError } from "../errors.js";

/** A CID as the framing needs it: its binary form. */
interface CidBytes {
  readonly bytes: Uint8Array;
}

/** A CBOR head (major type and length), RFC 8949 §3: lengths up to 65,535 are all a CAR header needs. */
function cborHead(major: number, length: number): number[] {
  if (length < 24) return [(major << 5) | length];
  if (length < 0x100) return [(major << 5) | 24, length];
  return [(major << 5) | 25, length >> 8, length & 0xff];
}

/**
 * A CAR v1 header `{ roots: [root], version: 1 }` in DAG-CBOR (keys sorted by length: `roots`, then
 * `version`; the CID as tag 42 over a byte string with the 0x00 multibase prefix), with its length.
 *
 * @example
 * ```ts
 * res.write(carHeader(directory.cid));
 * ```
 */
export function carHeader(root: CidBytes): Uint8Array {
  const cid = root.bytes;
  const cbor = Buffer.concat([
    Uint8Array.of(
      0xa2,
      0x65,
      ...Buffer.from("roots"),
      0x81,
      0xd8,
      0x2a,
      ...cborHead(2, cid.length + 1),
      0x00,
    ),
    cid,
    Uint8Array.of(0x67, ...Buffer.from("version"), 0x01),
  ]);
  return Buffer.concat([encodeVarint(cbor.length), cbor]);
}

/**
 * One CAR section: length, CID bytes, block bytes.
 *
 * @example
 * ```ts
 * res.write(carSection(cid, bytes));
 * ```
 */
export function carSection(cid: CidBytes, bytes: Uint8Array): Uint8Array {
  return Buffer.concat([encodeVarint(cid.bytes.length + bytes.length), cid.bytes, bytes]);
}

/**
 * A whole CAR v1 in memory: the header naming `root`, then the blocks in the order given.
 *
 * @example
 * ```ts
 * const car = encodeCar(directory.cid, [{ cid: directory.cid, bytes: directory.bytes }, manifest]);
 * ```
 */
export function encodeCar(
  root: CidBytes,
  blocks: Iterable<{ readonly cid: CidBytes; readonly bytes: Uint8Array }>,
): Uint8Array {
  const parts: Uint8Array[] = [carHeader(root)];
  for (const block of blocks) {
    parts.push(encodeVarint(block.cid.bytes.length + block.bytes.length), block.cid.bytes, block.bytes);
  }
  return Buffer.concat(parts);
}

/** Longest CAR header {@link readCar} accepts (a header with a few hundred roots). */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Parses a CAR v1 with the verifier's CAR reader: the header's roots and every section's CID and bytes
 * (views into `car`). Nothing is verified against its CID here.
 *
 * @throws {CarError} `CAR_INVALID` for a truncated stream, a header other than `{ roots, version: 1 }`,
 *   or a section whose CID cannot be decoded.
 * @example
 * ```ts
 * const { roots, blocks } = readCar(body);
 * ```
 */
export function readCar(car: Uint8Array): {
  roots: CID[];
  blocks: Array<{ cid: CID; bytes: Uint8Array }>;
} {
  const invalid = (why: string, offset: number) =>
    new CarError(`Malformed CAR: ${why}`, { evidence: { offset } });
  const { roots, sections } = readCarSections(car, {
    maxHeaderBytes: MAX_HEADER_BYTES,
    roots: true,
    invalid,
  });
  const blocks = sections.map(({ offset, bytes }) => {
    try {
      const [cid, rest] = CID.decodeFirst(bytes);
      return { cid, bytes: rest };
    } catch {
      throw invalid("a section's CID cannot be decoded", offset);
    }
  });
  return { roots, blocks };
}
