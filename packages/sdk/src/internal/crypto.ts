import { randomFillSync } from "node:crypto";

/**
 * node:crypto's one-shot SHA-256, injected into every core function that hashes: the verifier's, so
 * writer and verifier hash the same way (same bytes as core's default; a differential test holds them).
 */
export { nodeSha256, nodeSha256Text } from "@ancora/verifier/node";

/** The bytes of a Buffer as a plain Uint8Array (no copy), so results compare equal to core's. */
export function plain(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

const POOL_BYTES = 64 * 1024;
let pool = new Uint8Array(0);
let offset = 0;

/**
 * `length` bytes from the OS CSPRNG, served from a pooled buffer so that a batch of salted
 * commitments costs one system call, not one per record. Each call gets a fresh copy.
 */
export function randomBytes(length: number): Uint8Array {
  if (length > POOL_BYTES) return randomFillSync(new Uint8Array(length));
  if (offset + length > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES));
    offset = 0;
  }
  const out = pool.slice(offset, offset + length);
  // Wipe what was handed out, so the pool never holds a salt that is already in use.
  pool.fill(0, offset, offset + length);
  offset += length;
  return out;
}
