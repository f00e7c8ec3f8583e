/**
 * The few parts of POSIX ustar (IEEE Std 1003.1, "pax" interchange format, ustar header) an evidence
 * bundle needs: regular files with short relative names. The writer emits only that; the reader
 * accepts only that, checks every header checksum, and refuses anything else (links, devices, absolute
 * or `..` names, duplicates) as malformed: a bundle is attacker-controlled input. Pure (no I/O), so the
 * SDK writes with the same header code the auditor reads with.
 */
import { TarFormatError } from "../errors.js";

/** Tar's unit: headers and file contents are padded to 512-byte blocks. */
export const TAR_BLOCK = 512;
const NAME_BYTES = 100;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function putOctal(header: Uint8Array, at: number, width: number, value: number): void {
  const text = value.toString(8).padStart(width - 1, "0");
  header.set(encoder.encode(text), at);
  header[at + width - 1] = 0;
}

/**
 * The 512-byte ustar header of a regular file `name` (relative, at most 100 bytes) of `size` bytes,
 * mode 0644, modified at `mtime` (seconds since 1970).
 *
 * @example
 * ```ts
 * const header = tarHeader("evidence-pack/SHA256SUMS", 1234, 1764547200);
 * ```
 */
export function tarHeader(name: string, size: number, mtime: number): Uint8Array {
  const nameBytes = encoder.encode(name);
  if (
    nameBytes.length === 0 ||
    nameBytes.length > NAME_BYTES ||
    name.startsWith("/") ||
    name.split("/").includes("..")
  ) {
    throw new TarFormatError(`tar member name not allowed: ${JSON.stringify(name.slice(0, 120))}`, 0);
  }
  if (!Number.isSafeInteger(size) || size < 0 || size >= 8 ** 11) {
    throw new TarFormatError(`tar member size out of range: ${size}`, 0);
  }
  const header = new Uint8Array(TAR_BLOCK);
  header.set(nameBytes, 0);
  putOctal(header, 100, 8, 0o644);
  putOctal(header, 108, 8, 0);
  putOctal(header, 116, 8, 0);
  putOctal(header, 124, 12, size);
  putOctal(header, 136, 12, Math.max(0, Math.floor(mtime)));
  header.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  header[156] = 0x30; // '0': regular file
  header.set(encoder.encode("ustar\u000000"), 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  putOctal(header, 148, 7, sum);
  header[155] = 0x20;
  return header;
}

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** The end of an archive: two zero blocks. */
export const TAR_END = new Uint8Array(2 * TAR_BLOCK);

function readOctal(header: Uint8Array, at: number, width: number, offset: number): number {
  const text = String.fromCharCode(...header.subarray(at, at + width))
    .replace(/[\0 ]+$/, "")
    .replace(/^ +/, "");
  if (!/^[0-7]{1,12}$/.test(text))
    throw new TarFormatError("tar header field is not an octal number", offset + at);
  return Number.parseInt(text, 8);
}

function text(bytes: Uint8Array, offset: number): string {
  const end = bytes.indexOf(0);
  try {
    return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
  } catch {
    throw new TarFormatError("tar member name is not UTF-8", offset);
  }
}

/**
 * The regular files of a ustar archive, by name, in archive order.
 *
 * @throws {TarFormatError} for a bad checksum, a truncated archive, a member that is not a regular
 *   file, an absolute or `..` name, or a name given twice.
 * @example
 * ```ts
 * const files = readTar(new Uint8Array(readFileSync("evidence.tar")));
 * files.get("evidence-pack/SHA256SUMS");
 * ```
 */
export function readTar(archive: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let offset = 0;
  for (;;) {
    if (offset + TAR_BLOCK > archive.length)
      throw new TarFormatError("the archive ends without its end blocks", offset);
    const header = archive.subarray(offset, offset + TAR_BLOCK);
    if (header.every((b) => b === 0)) return files;
    const stored = readOctal(header, 148, 8, offset);
    let sum = 0;
    for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
    if (sum !== stored) throw new TarFormatError("tar header checksum mismatch", offset);
    const type = header[156];
    if (type !== 0x30 && type !== 0)
      throw new TarFormatError("tar member is not a regular file", offset + 156);
    const prefix = text(header.subarray(345, 500), offset + 345);
    const base = text(header.subarray(0, NAME_BYTES), offset);
    const name = prefix.length > 0 ? `${prefix}/${base}` : base;
    if (name.length === 0 || name.startsWith("/") || name.split("/").includes("..")) {
      throw new TarFormatError(`tar member name not allowed: ${JSON.stringify(name.slice(0, 120))}`, offset);
    }
    if (files.has(name)) throw new TarFormatError(`tar member given twice: ${name}`, offset);
    const size = readOctal(header, 124, 12, offset);
    const start = offset + TAR_BLOCK;
    if (start + size > archive.length) throw new TarFormatError(`tar member ${name} is truncated`, offset);
    files.set(name, archive.subarray(start, start + size));
    offset = start + size + ((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
  }
}
