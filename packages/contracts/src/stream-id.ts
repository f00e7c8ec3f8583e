import { type Hex, keccak256, stringToBytes } from "viem";
import { StreamNameError } from "./errors.js";

/**
 * Stream names: 1 to 64 characters of lower-case ASCII letters, digits, `.`, `_` and `-`, starting with a
 * letter or a digit. Restricting the alphabet means two names that look alike on screen (Unicode
 * confusables, case, surrounding spaces) can never be two different streams.
 */
export const STREAM_NAME_PATTERN: RegExp = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Maps a human stream name to the registry's `bytes32` stream id: `keccak256(utf8(name))`, the way
 * OpenZeppelin derives role ids (`keccak256("ANCHORER_ROLE")`). The name itself goes in the stream's
 * metadata; the id is what every event and call carries.
 *
 * @example
 * encodeStreamId("loans"); // keccak256("loans")
 * // = 0x… (32 bytes); the same on every chain and in every deployment
 * @throws {StreamNameError} when the name does not match {@link STREAM_NAME_PATTERN}.
 */
export function encodeStreamId(name: string): Hex {
  if (typeof name !== "string" || !STREAM_NAME_PATTERN.test(name)) {
    throw new StreamNameError(`invalid stream name ${JSON.stringify(String(name).slice(0, 80))}`, {
      hint: "Use 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or a digit.",
    });
  }
  return keccak256(stringToBytes(name));
}

/** True when `value` is a `0x`-prefixed 32-byte hex string (a stream id, a root, a digest). */
export function isBytes32(value: unknown): value is Hex {
  return typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value);
}
