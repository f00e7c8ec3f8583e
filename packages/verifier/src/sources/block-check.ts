/**
 * What every block fetcher does before and after asking anyone for bytes: accept only the canonical
 * spelling of an Ancora block CID, cap the size, and check the bytes against the CID, so no check
 * ever sees bytes that do not hash to what was asked for. Pure (no node: import): the browser's receipt
 * page checks what an IPFS gateway serves with the same code; Node callers inject node:crypto's SHA-256.
 */
import { type BlockCid, computeCid, parseBlockCid, type Sha256 } from "@ancora/core";
import { SourceError } from "../errors.js";

/**
 * Largest block a fetcher accepts: 1 MiB, the IPFS block size that every implementation exchanges.
 * Ancora's records and manifests are at most 256 KiB (`MAX_RECORD_BYTES`), so anything larger is not
 * an Ancora block and is refused before it is read whole.
 */
export const MAX_BLOCK_BYTES = 1024 * 1024;

/**
 * Parses `cid` with core's strict parser: CIDv1, raw codec, sha2-256, canonical base32 lower only.
 *
 * @throws {SourceError} `SOURCE_UNSUPPORTED_CID` for anything else (another version, codec, hash or
 *   spelling of a CID), before any request is made.
 */
export function requireBlockCid(cid: string): BlockCid {
  const parsed = parseBlockCid(cid);
  if (parsed === undefined) {
    throw new SourceError("SOURCE_UNSUPPORTED_CID", "Not an Ancora block CID", {
      details: "Ancora blocks are named by CIDv1, raw codec, sha2-256, in base32 lower case (bafkrei…).",
      hint: "Pass the CID exactly as the log, the manifest or the receipt spells it.",
      evidence: { cid: String(cid).slice(0, 100) },
    });
  }
  return parsed;
}

/** A `BLOCK_TOO_LARGE` error for `cid` from `source`. */
export function tooLarge(cid: string, source: string, size?: number): SourceError {
  return new SourceError("BLOCK_TOO_LARGE", "The block served is larger than any Ancora block", {
    hint: "The source serves something else under this CID; use another gateway or peer.",
    evidence: { cid, source, limit: MAX_BLOCK_BYTES, ...(size === undefined ? {} : { size }) },
  });
}

/**
 * Returns `bytes` when they hash to `cid` (with `sha256`, core's default when not given).
 *
 * @throws {SourceError} `BLOCK_TOO_LARGE`, or `BLOCK_CID_MISMATCH` with the expected CID and the CID
 *   of the bytes as evidence.
 */
export function checkBlock(cid: BlockCid, bytes: Uint8Array, source: string, sha256?: Sha256): Uint8Array {
  const expected = cid.toString();
  if (bytes.length > MAX_BLOCK_BYTES) throw tooLarge(expected, source, bytes.length);
  const found = computeCid(bytes, sha256).toString();
  if (found !== expected) {
    throw new SourceError("BLOCK_CID_MISMATCH", "The bytes served for a CID hash to another CID", {
      hint: "The source is corrupt or lying; fetch the block from another gateway or peer.",
      evidence: { expected, found, source },
    });
  }
  return bytes;
}

/** Rejects with the caller's abort reason when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
