import { toHex } from "@ancora/core";

/** Lowercase 0x-hex of `bytes`, the JSON spelling of hashes in results (core's hex with the prefix). */
export function toHex0x(bytes: Uint8Array): string {
  return `0x${toHex(bytes)}`;
}
