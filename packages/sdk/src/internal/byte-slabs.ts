/**
 * Where a stream writer puts the bytes of the records it encodes: views of 64 KiB buffers, about a
 * hundred decision records each, instead of a new array per record. V8 gives every typed array over
 * 64 bytes its own backing store, which costs 1.0–1.6 µs here, a third to half of encoding the record
 * (docs/benchmarks.md); a view of a shared buffer costs a small fraction of that.
 *
 * Sharing is safe here because of how the writer uses the bytes: they are written once by the encoder,
 * read when the transaction's rows are inserted (better-sqlite3 copies them into SQLite), and then
 * dropped. They never leave the SDK, so no caller can see a neighbour through `bytes.buffer` or
 * transfer the buffer away.
 */
import type { RecordBytesAllocator } from "@ancora/core";

/** Size of each shared buffer. A record larger than this gets an array of its own. */
export const SLAB_BYTES = 64 * 1024;

/** A new allocator with its own buffers (one per writer: buffers are never handed out twice). */
export function slabAllocator(slabBytes = SLAB_BYTES): RecordBytesAllocator {
  let slab = new ArrayBuffer(0);
  let offset = 0;
  return (length) => {
    if (length > slabBytes) return new Uint8Array(length);
    if (offset + length > slab.byteLength) {
      slab = new ArrayBuffer(slabBytes);
      offset = 0;
    }
    const bytes = new Uint8Array(slab, offset, length);
    offset += length;
    return bytes;
  };
}
