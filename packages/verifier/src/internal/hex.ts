const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase 0x-hex of `bytes`, the JSON spelling of hashes in results. */
export function toHex0x(bytes: Uint8Array): string {
  let out = "0x";
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/** Byte equality (not constant time: everything compared here is public). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
