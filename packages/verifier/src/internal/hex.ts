import { toHex } from "@ancora/core";

/** Lowercase 0x-hex of `bytes`, the JSON spelling of hashes in results (core's hex with the prefix). */
export function toHex0x(bytes: Uint8Array): string {
  return `0x${toHex(bytes)}`;
}

/** Byte equality (not constant time: everything compared here is public). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
