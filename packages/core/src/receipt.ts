/**
 * Receipt v1: what a data subject or an auditor keeps for one decision. It carries the record's exact
 * bytes, its CID, its leaf index and RFC 9162 inclusion proof, the checkpoint the proof leads to, and
 * where that checkpoint is anchored on chain. Everything in it is re-derived from bytes on
 * verification; nothing in it is trusted.
 *
 * Core checks the offline part ({@link verifyReceiptOffline}). That the checkpoint really is anchored
 * at `anchor` needs an RPC endpoint and belongs to `@ancora/verifier`.
 */
import { decodeCanonical } from "./canonical/decode.js";
import { encodeCanonical } from "./canonical/encode.js";
import { childPath } from "./canonical/path.js";
import {
  type Checkpoint,
  type CheckpointJSON,
  checkpointFromJSON,
  checkpointToJSON,
  validateCheckpoint,
} from "./checkpoint.js";
import { type BlockCid, computeCid } from "./cid.js";
import { type AncoraError, SchemaError, VerificationError } from "./errors.js";
import type { Sha256 } from "./hash.js";
import { fromBase64, equalBytesConstantTime as sameBytes, toBase64, toHex } from "./internal/binary-text.js";
import {
  EVM_ADDRESS,
  expectBlockCid,
  expectBlockCidString,
  expectBytes,
  expectHex32,
  expectInteger,
  expectKeys,
  expectObject,
  expectString,
  expectVersion,
  type Fields,
  HEX32,
} from "./internal/schema-fields.js";
import { hashLeaf } from "./merkle/hashing.js";
import { assertInclusion } from "./merkle/verify.js";
import { decodeRecord, MAX_RECORD_BYTES } from "./records/codec.js";
import type { AncoraRecord } from "./records/types.js";

/** The current receipt format version. */
export const RECEIPT_VERSION = 1;

/** A proof for a tree of at most 2^53 leaves has at most 53 hashes; 64 leaves headroom, no more. */
export const MAX_PROOF_HASHES = 64;

/** The largest record (base64 in DAG-JSON: 4/3 of its size) plus proof and checkpoint, rounded up. */
export const MAX_RECEIPT_BYTES = 512 * 1024;

/** Where a checkpoint is anchored: the transaction that committed it to the organisation's registry. */
export interface AnchorLocation {
  /** EIP-155 chain id. */
  chainId: number;
  /** ProvenanceRegistry contract address, lowercase 0x-hex. */
  registry: string;
  /** Anchor transaction hash, lowercase 0x-hex. */
  txHash: string;
  /** Block that includes the transaction. */
  blockNumber: number;
}

/** A receipt for one record. */
export interface Receipt {
  v: typeof RECEIPT_VERSION;
  /** The record's canonical bytes, exactly as hashed. */
  record: Uint8Array;
  /** The record's CID (CIDv1 raw sha2-256 of `record`). */
  cid: BlockCid;
  /** Leaf index of the record in the stream's tree; equals the record's `seq`. */
  index: number;
  /** RFC 9162 §2.1.3.1 inclusion path from the leaf up to `checkpoint.root`. */
  proof: Uint8Array[];
  /** The checkpoint whose root the proof reaches. */
  checkpoint: Checkpoint;
  /** Where that checkpoint is anchored. */
  anchor: AnchorLocation;
}

/**
 * {@link Receipt} in JSON form: `record` as padded base64 (RFC 4648 §4), `cid` as a string, proof
 * hashes as 0x-hex, the checkpoint in its JSON form. Survives JSON.stringify / JSON.parse unchanged.
 */
export interface ReceiptJSON {
  v: typeof RECEIPT_VERSION;
  record: string;
  cid: string;
  index: number;
  proof: string[];
  checkpoint: CheckpointJSON;
  anchor: AnchorLocation;
}

const KEYS = ["v", "record", "cid", "index", "proof", "checkpoint", "anchor"] as const;

function validateAnchor(value: unknown, path: string): AnchorLocation {
  const fields = expectObject(value, path);
  expectKeys(fields, path, ["chainId", "registry", "txHash", "blockNumber"]);
  expectInteger(fields, "chainId", path, 1);
  expectString(fields, "registry", path, {
    max: 42,
    pattern: EVM_ADDRESS,
    describe: "a lowercase 0x-hex address",
  });
  expectString(fields, "txHash", path, { max: 66, pattern: HEX32, describe: "a 0x-hex transaction hash" });
  expectInteger(fields, "blockNumber", path, 0);
  return fields as unknown as AnchorLocation;
}

function expectList(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new SchemaError("SCHEMA_INVALID_FIELD", path, "Expected a list");
  if (value.length > MAX_PROOF_HASHES) {
    throw new SchemaError("SCHEMA_INVALID_FIELD", path, `Expected at most ${MAX_PROOF_HASHES} proof hashes`);
  }
  return value;
}

/**
 * Checks that `value` is a well-formed v1 receipt and returns it typed; throws {@link SchemaError}
 * naming the field. This checks the format only (types, lengths, index within the checkpoint's size);
 * whether the receipt is *true* is {@link verifyReceiptOffline}'s job.
 *
 * @example
 * ```ts
 * const receipt = validateReceipt(candidate);
 * ```
 */
export function validateReceipt(value: unknown, path = "$"): Receipt {
  const fields = expectObject(value, path);
  expectVersion(fields, path, RECEIPT_VERSION, "receipt");
  expectKeys(fields, path, KEYS);
  const record = expectBytes(fields, "record", path);
  if (record.length > MAX_RECORD_BYTES) {
    throw new SchemaError(
      "SCHEMA_INVALID_FIELD",
      childPath(path, "record"),
      `Record is over ${MAX_RECORD_BYTES} bytes`,
    );
  }
  expectBlockCid(fields, "cid", path);
  const proofPath = childPath(path, "proof");
  const proof = expectList(fields.proof, proofPath);
  for (let i = 0; i < proof.length; i++) expectBytes(proof as unknown as Fields, i, proofPath, 32);
  const checkpoint = validateCheckpoint(fields.checkpoint, childPath(path, "checkpoint"));
  expectInteger(fields, "index", path, 0, checkpoint.size - 1);
  validateAnchor(fields.anchor, childPath(path, "anchor"));
  return fields as unknown as Receipt;
}

/**
 * Encodes a receipt to canonical DAG-JSON bytes after validating it.
 *
 * @example
 * ```ts
 * await writeFile("receipt.dag.json", encodeReceipt(receipt));
 * ```
 */
export function encodeReceipt(receipt: Receipt): Uint8Array {
  const bytes = encodeCanonical(receipt, { maxBytes: MAX_RECEIPT_BYTES });
  validateReceipt(receipt);
  return bytes;
}

/**
 * Decodes canonical receipt bytes strictly and validates the format.
 *
 * @example
 * ```ts
 * const result = verifyReceiptOffline(decodeReceipt(bytes));
 * ```
 */
export function decodeReceipt(bytes: Uint8Array): Receipt {
  return validateReceipt(decodeCanonical(bytes, { maxBytes: MAX_RECEIPT_BYTES }));
}

/**
 * The JSON form of a receipt (validated first).
 *
 * @example
 * ```ts
 * const text = JSON.stringify(receiptToJSON(receipt), null, 2);
 * ```
 */
export function receiptToJSON(receipt: Receipt): ReceiptJSON {
  validateReceipt(receipt);
  return {
    v: receipt.v,
    record: toBase64(receipt.record, true),
    cid: receipt.cid.toString(),
    index: receipt.index,
    proof: receipt.proof.map((hash) => `0x${toHex(hash)}`),
    checkpoint: checkpointToJSON(receipt.checkpoint),
    anchor: {
      chainId: receipt.anchor.chainId,
      registry: receipt.anchor.registry,
      txHash: receipt.anchor.txHash,
      blockNumber: receipt.anchor.blockNumber,
    },
  };
}

/**
 * Parses the JSON form of a receipt (for example JSON.parse of a file a data subject sends in).
 * Throws {@link SchemaError} naming the field; accepts exactly one spelling of each value.
 *
 * @example
 * ```ts
 * const receipt = receiptFromJSON(JSON.parse(text));
 * ```
 */
export function receiptFromJSON(json: unknown, path = "$"): Receipt {
  const fields = expectObject(json, path);
  expectVersion(fields, path, RECEIPT_VERSION, "receipt");
  expectKeys(fields, path, KEYS);
  const recordText = expectString(fields, "record", path, { max: Math.ceil(MAX_RECORD_BYTES / 3) * 4 });
  const record = fromBase64(recordText, true);
  if (record === undefined) {
    throw new SchemaError(
      "SCHEMA_INVALID_FIELD",
      childPath(path, "record"),
      "Expected padded RFC 4648 base64",
    );
  }
  const proofPath = childPath(path, "proof");
  const proofList = expectList(fields.proof, proofPath);
  const proof = proofList.map((_, i) => expectHex32(proofList as unknown as Fields, i, proofPath));
  return validateReceipt(
    {
      v: RECEIPT_VERSION,
      record,
      cid: expectBlockCidString(fields, "cid", path),
      index: fields.index,
      proof,
      checkpoint: checkpointFromJSON(fields.checkpoint, childPath(path, "checkpoint")),
      anchor: fields.anchor,
    },
    path,
  );
}

/**
 * Result of {@link verifyReceiptOffline}. `anchorVerified` is always `false`: core never talks to a
 * chain, so a passing receipt is proven consistent with its checkpoint, and the caller must still check
 * that the checkpoint (stream, size, root) is anchored at `anchor` (`@ancora/verifier` does).
 */
export type OfflineReceiptVerification =
  | {
      ok: true;
      anchorVerified: false;
      record: AncoraRecord;
      cid: BlockCid;
      checkpoint: Checkpoint;
      anchor: AnchorLocation;
    }
  | { ok: false; anchorVerified: false; error: AncoraError };

function receiptInvalid(check: string, message: string, evidence: Record<string, unknown>, cause?: unknown) {
  return new VerificationError("RECEIPT_INVALID", message, {
    evidence: { check, ...evidence },
    ...(cause === undefined ? {} : { cause }),
  });
}

function check(receipt: unknown, sha256: Sha256 | undefined): OfflineReceiptVerification {
  let valid: Receipt;
  try {
    valid = validateReceipt(receipt);
  } catch (error) {
    throw receiptInvalid("format", "Receipt is not a well-formed v1 receipt", {}, error);
  }
  const cid = computeCid(valid.record, sha256);
  if (!sameBytes(cid.bytes, valid.cid.bytes)) {
    throw new VerificationError("CID_MISMATCH", "The record bytes do not hash to the receipt's CID", {
      evidence: { expected: valid.cid.toString(), found: cid.toString() },
    });
  }
  let record: AncoraRecord;
  try {
    record = decodeRecord(valid.record);
  } catch (error) {
    throw receiptInvalid(
      "record",
      "The receipt's record is not a valid canonical record",
      { cid: cid.toString() },
      error,
    );
  }
  const { checkpoint } = valid;
  if (record.stream !== checkpoint.stream) {
    throw receiptInvalid("stream", "The record and the checkpoint belong to different streams", {
      record: record.stream,
      checkpoint: checkpoint.stream,
    });
  }
  // The tree is over the stream's records in seq order, so a record's leaf index is its seq.
  if (valid.index !== record.seq) {
    throw receiptInvalid("index", "The leaf index is not the record's seq", {
      index: valid.index,
      seq: record.seq,
    });
  }
  if (valid.index === checkpoint.size - 1 && !sameBytes(checkpoint.head.bytes, cid.bytes)) {
    throw receiptInvalid("head", "The record is the checkpoint's last leaf but not its head", {
      head: checkpoint.head.toString(),
      cid: cid.toString(),
    });
  }
  assertInclusion(
    {
      leafHash: hashLeaf(cid.bytes, sha256),
      index: valid.index,
      size: checkpoint.size,
      proof: valid.proof,
      root: checkpoint.root,
    },
    sha256,
  );
  return { ok: true, anchorVerified: false, record, cid, checkpoint, anchor: valid.anchor };
}

/**
 * Verifies everything about a receipt that needs no network: the record bytes hash to the CID; they
 * are a canonical, valid record; the record's stream is the checkpoint's; the leaf index equals the
 * record's seq (and, for the last leaf, the record is the checkpoint's head); the inclusion proof leads
 * from hashLeaf(CID bytes) to the checkpoint's root (RFC 9162 §2.1.3.2).
 *
 * Never throws for bad input: a failure is `{ ok: false, error }` with a {@link VerificationError}
 * (`RECEIPT_INVALID` with `evidence.check`, `CID_MISMATCH` or `INCLUSION_PROOF_INVALID`) whose cause
 * chain holds the underlying schema or encoding error.
 *
 * It does NOT check that the checkpoint is anchored on chain (`anchorVerified: false`).
 *
 * @param sha256 SHA-256 implementation (inject node:crypto's in Node; identical result).
 * @example
 * ```ts
 * const result = verifyReceiptOffline(receiptFromJSON(JSON.parse(text)));
 * if (!result.ok) throw result.error;
 * // then: check result.checkpoint is anchored at result.anchor (@ancora/verifier)
 * ```
 */
export function verifyReceiptOffline(receipt: Receipt, sha256?: Sha256): OfflineReceiptVerification {
  try {
    return check(receipt, sha256);
  } catch (error) {
    if (error instanceof VerificationError) return { ok: false, anchorVerified: false, error };
    return {
      ok: false,
      anchorVerified: false,
      error: receiptInvalid("unexpected", "Receipt verification failed unexpectedly", {}, error),
    };
  }
}
