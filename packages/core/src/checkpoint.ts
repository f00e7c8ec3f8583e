/**
 * Checkpoint v1: a signed-off state of one stream's log — (stream, tree size, root hash, head CID,
 * time). The anchor transaction commits (size, root) on chain; the head CID lets anyone walk the
 * records back from the checkpoint over IPFS through the `prev` links.
 *
 * Two forms: canonical DAG-JSON bytes ({@link encodeCheckpoint}; root as bytes, head as a link) for
 * hashing and storage, and a JSON form ({@link checkpointToJSON}; root as 0x-hex, head as a CID string)
 * that survives JSON.stringify for APIs and files.
 */
import { validatedCodec } from "./canonical/validated-codec.js";
import type { BlockCid } from "./cid.js";
import { toHex } from "./internal/binary-text.js";
import {
  expectBlockCid,
  expectBlockCidString,
  expectBytes,
  expectHex32,
  expectInteger,
  expectKeys,
  expectObject,
  expectString,
  expectTimestamp,
  expectVersion,
} from "./internal/schema-fields.js";
import { STREAM_ID } from "./records/kinds/rules.js";

/** The current checkpoint format version. */
export const CHECKPOINT_VERSION = 1;

/** Encoded checkpoints are a few hundred bytes; anything over this is not a checkpoint. */
export const MAX_CHECKPOINT_BYTES = 4096;

/** A checkpoint of one stream's Merkle tree. */
export interface Checkpoint {
  v: typeof CHECKPOINT_VERSION;
  /** The stream the tree is over. */
  stream: string;
  /** Number of records (leaves) in the tree, at least 1 (the genesis record). */
  size: number;
  /** RFC 9162 Merkle tree head over the first `size` record CIDs (32 bytes). */
  root: Uint8Array;
  /** CID of the last record in the tree, the one with seq `size - 1`. */
  head: BlockCid;
  /** When the checkpoint was made: RFC 3339 UTC with milliseconds. */
  ts: string;
}

/** {@link Checkpoint} in JSON form: `root` as 0x + 64 lowercase hex, `head` as a CID string. */
export interface CheckpointJSON {
  v: typeof CHECKPOINT_VERSION;
  stream: string;
  size: number;
  root: string;
  head: string;
  ts: string;
}

const KEYS = ["v", "stream", "size", "root", "head", "ts"] as const;

/**
 * Checks that `value` is a valid v1 checkpoint and returns it typed; throws {@link SchemaError} naming
 * the field (`path` is where the checkpoint sits, e.g. `$.checkpoint` inside a receipt).
 *
 * @example
 * ```ts
 * const checkpoint = validateCheckpoint({ v: 1, stream: "credit", size: 3, root, head, ts: "2025-01-31T12:00:00.000Z" });
 * ```
 */
export function validateCheckpoint(value: unknown, path = "$"): Checkpoint {
  const fields = expectObject(value, path);
  expectVersion(fields, path, CHECKPOINT_VERSION, "checkpoint");
  expectKeys(fields, path, KEYS);
  expectString(fields, "stream", path, STREAM_ID);
  expectInteger(fields, "size", path, 1);
  expectBytes(fields, "root", path, 32);
  expectBlockCid(fields, "head", path);
  expectTimestamp(fields, "ts", path);
  return fields as unknown as Checkpoint;
}

/**
 * Encodes a checkpoint to canonical DAG-JSON bytes after validating it.
 *
 * @example
 * ```ts
 * const bytes = encodeCheckpoint(checkpoint);
 * ```
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  return checkpointCodec.encode(checkpoint);
}

/**
 * Decodes canonical checkpoint bytes strictly and validates them.
 *
 * @example
 * ```ts
 * const checkpoint = decodeCheckpoint(bytes);
 * ```
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  return checkpointCodec.decode(bytes);
}

const checkpointCodec = validatedCodec(validateCheckpoint, MAX_CHECKPOINT_BYTES);

/**
 * The JSON form of a checkpoint (validated first).
 *
 * @example
 * ```ts
 * JSON.stringify(checkpointToJSON(checkpoint));
 * // {"v":1,"stream":"credit","size":3,"root":"0x…","head":"bafkrei…","ts":"2025-01-31T12:00:00.000Z"}
 * ```
 */
export function checkpointToJSON(checkpoint: Checkpoint): CheckpointJSON {
  validateCheckpoint(checkpoint);
  return {
    v: checkpoint.v,
    stream: checkpoint.stream,
    size: checkpoint.size,
    root: `0x${toHex(checkpoint.root)}`,
    head: checkpoint.head.toString(),
    ts: checkpoint.ts,
  };
}

/**
 * Parses the JSON form of a checkpoint (for example the result of JSON.parse on untrusted input).
 * Throws {@link SchemaError} naming the field; accepts exactly one spelling of each value.
 *
 * @example
 * ```ts
 * const checkpoint = checkpointFromJSON(JSON.parse(text));
 * ```
 */
export function checkpointFromJSON(json: unknown, path = "$"): Checkpoint {
  const fields = expectObject(json, path);
  expectVersion(fields, path, CHECKPOINT_VERSION, "checkpoint");
  expectKeys(fields, path, KEYS);
  return validateCheckpoint(
    {
      v: CHECKPOINT_VERSION,
      stream: fields.stream,
      size: fields.size,
      root: expectHex32(fields, "root", path),
      head: expectBlockCidString(fields, "head", path),
      ts: fields.ts,
    },
    path,
  );
}
