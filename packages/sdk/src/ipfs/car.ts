/**
 * CAR v1 (https://ipld.io/specs/transport/car/carv1/): the one framing of blocks Ancora writes, for the
 * block gateway's batch answers (raw roots) and for the per-manifest pin uploads (a dag-pb root).
 *
 * A CAR is `varint(len) header` then, per block, `varint(len) cid block`. The header is the DAG-CBOR map
 * `{ roots: [cid…], version: 1 }`; Ancora writes one root. {@link readCar} reads what a service or a
 * test double receives: it parses the header strictly (the canonical form above, any number of roots)
 * and the sections, and leaves checking each block against its CID to the caller.
 */
import { AncoraError, type AncoraErrorOptions, CID, encodeVarint } from "@ancora/core";

/** Codes of {@link CarError}. */
export type CarErrorCode = "CAR_INVALID";

/** A malformed CAR: what is wrong and where (`evidence.offset`). */
export class CarError extends AncoraError<CarErrorCode> {
  override name = "CarError";
  constructor(shortMessage: string, options: AncoraErrorOptions = {}) {
    super("CAR_INVALID", shortMessage, {
      hint: "The bytes are not a CAR v1 stream (header { roots, version: 1 }, then length-prefixed sections).",
      ...options,
    });
  }
}

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
 * Parses a CAR v1: the header's roots and every section's CID and bytes (views into `car`). Nothing is
 * verified against its CID here.
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
  let at = 0;
  const fail = (why: string): never => {
    throw new CarError(`Malformed CAR: ${why}`, { evidence: { offset: at } });
  };
  const byte = (): number => car[at++] ?? fail("truncated");
  const readVarint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 49; shift += 7) {
      const b = byte();
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return fail("varint too long");
  };
  const expect = (bytes: readonly number[], what: string) => {
    for (const b of bytes) if (byte() !== b) fail(`header: expected ${what}`);
  };
  /** A CBOR head of `major`, returning its length argument (at most 16 bits, as a header needs). */
  const head = (major: number, what: string): number => {
    const initial = byte();
    if (initial >> 5 !== major) fail(`header: expected ${what}`);
    const info = initial & 0x1f;
    if (info < 24) return info;
    if (info === 24) return byte();
    if (info === 25) return byte() * 256 + byte();
    return fail(`header: ${what} too long`);
  };

  const headerLength = readVarint();
  if (headerLength > MAX_HEADER_BYTES || at + headerLength > car.length) fail("bad header length");
  const headerEnd = at + headerLength;
  expect([0xa2, 0x65, ...Buffer.from("roots")], "a map { roots, version }");
  const count = head(4, "an array of roots");
  const roots: CID[] = [];
  for (let i = 0; i < count; i++) {
    expect([0xd8, 0x2a], "a CID (tag 42)");
    const length = head(2, "CID bytes");
    if (length < 2 || byte() !== 0x00) fail("header: a CID without its 0x00 prefix");
    const end = at + length - 1;
    if (end > headerEnd) fail("header: truncated CID");
    roots.push(decodeCid(car.subarray(at, end), fail));
    at = end;
  }
  expect([0x67, ...Buffer.from("version"), 0x01], "version 1");
  if (at !== headerEnd) fail("header: trailing bytes");

  const blocks: Array<{ cid: CID; bytes: Uint8Array }> = [];
  while (at < car.length) {
    const length = readVarint();
    const start = at;
    if (length === 0 || start + length > car.length) fail("bad section length");
    const section = car.subarray(start, start + length);
    let cid: CID;
    let rest: Uint8Array;
    try {
      [cid, rest] = CID.decodeFirst(section);
    } catch {
      return fail("a section's CID cannot be decoded");
    }
    blocks.push({ cid, bytes: rest });
    at = start + length;
  }
  return { roots, blocks };
}

function decodeCid(bytes: Uint8Array, fail: (why: string) => never): CID {
  try {
    return CID.decode(bytes);
  } catch {
    return fail("header: a root CID cannot be decoded");
  }
}
