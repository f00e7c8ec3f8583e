/**
 * The one CAR v1 reader (https://ipld.io/specs/transport/car/carv1/): `varint(len) header`, then per
 * section `varint(len) cid block`. The CAR gateway source reads the gateway's answers with it (header
 * skipped, sections checked as block CIDs there), and the SDK reads the CARs it writes with it (header
 * parsed, sections' CIDs decoded there). Nothing is checked against a CID here.
 *
 * Pure (no Buffer, no node: imports), so it runs wherever the verifier does.
 */
import { CID } from "@ancora/core";

/** Limits of {@link readCar} and the error it throws. */
export interface CarReadOptions {
  /** Longest header accepted, in bytes. */
  readonly maxHeaderBytes: number;
  /** Shortest section (CID and block) accepted, in bytes (default 1). */
  readonly minSectionBytes?: number;
  /** Longest section accepted, in bytes (default: no limit but the stream's end). */
  readonly maxSectionBytes?: number;
  /**
   * Parse the header strictly as `{ roots: [cid…], version: 1 }` in canonical DAG-CBOR (what Ancora
   * writes) and return its roots. Default false: the header is skipped unread (nothing in it is trusted).
   */
  readonly roots?: boolean;
  /** The error thrown for a malformed stream: what is wrong (`why`) and the byte offset it was found at. */
  readonly invalid: (why: string, offset: number) => Error;
}

/** One section of a CAR: its CID and block bytes together (a view into the stream), and where it starts. */
export interface CarSection {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** What {@link readCar} read: the header's roots (empty when the header was skipped) and the sections. */
export interface CarContents {
  readonly roots: CID[];
  readonly sections: CarSection[];
}

/** Varint bytes read at most: 49 bits, a safe integer, far beyond any length a stream can hold. */
const MAX_VARINT_BYTES = 7;
const ROOTS_KEY = [0xa2, 0x65, ...new TextEncoder().encode("roots")];
const VERSION_1 = [0x67, ...new TextEncoder().encode("version"), 0x01];

/**
 * Reads the framing of a CAR v1: the header (parsed or skipped, see {@link CarReadOptions.roots}) and
 * every section, in order.
 *
 * @throws the error of `options.invalid` for a truncated stream, a length out of bounds, or (with
 *   `roots`) a header other than `{ roots, version: 1 }` or a root that is not a CID.
 * @example
 * ```ts
 * const { sections } = readCar(body, { maxHeaderBytes: 1024, invalid: (why) => new Error(why) });
 * ```
 */
export function readCar(car: Uint8Array, options: CarReadOptions): CarContents {
  let at = 0;
  const fail = (why: string): never => {
    throw options.invalid(why, at);
  };
  const byte = (): number => car[at++] ?? fail("truncated");
  const varint = (): number => {
    let value = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = car[at++] ?? fail("truncated length");
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    return fail("length too long");
  };

  const headerLength = varint();
  if (headerLength > options.maxHeaderBytes || at + headerLength > car.length) fail("bad header length");
  const headerEnd = at + headerLength;
  const roots: CID[] = [];
  if (options.roots === true) {
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
    expect(ROOTS_KEY, "a map { roots, version }");
    const count = head(4, "an array of roots");
    for (let i = 0; i < count; i++) {
      expect([0xd8, 0x2a], "a CID (tag 42)");
      const length = head(2, "CID bytes");
      if (length < 2 || byte() !== 0x00) fail("header: a CID without its 0x00 prefix");
      const end = at + length - 1;
      if (end > headerEnd) fail("header: truncated CID");
      try {
        roots.push(CID.decode(car.subarray(at, end)));
      } catch {
        fail("header: a root CID cannot be decoded");
      }
      at = end;
    }
    expect(VERSION_1, "version 1");
    if (at !== headerEnd) fail("header: trailing bytes");
  }
  at = headerEnd;

  const minSection = options.minSectionBytes ?? 1;
  const maxSection = options.maxSectionBytes ?? Number.POSITIVE_INFINITY;
  const sections: CarSection[] = [];
  while (at < car.length) {
    const length = varint();
    const start = at;
    if (length < minSection || length > maxSection || start + length > car.length) fail("bad section length");
    sections.push({ offset: start, bytes: car.subarray(start, start + length) });
    at = start + length;
  }
  return { roots, sections };
}
