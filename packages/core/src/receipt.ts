/**
 * Receipt v2: what a data subject or an auditor keeps for one decision. It carries the record's exact
 * bytes, its CID, its leaf index and RFC 9162 inclusion proof, the checkpoint the proof leads to as the
 * chain commits it (stream, size, root), and where that checkpoint is anchored on chain. Every field is
 * bound to the record's bytes, the proof's root or the anchor (docs/formats.md lists each), so a changed
 * field fails verification; nothing in it is trusted. Version 1 receipts, which also carried the
 * checkpoint's head and time (bound by nothing for most records), are still read; those fields are
 * ignored and named in the result.
 *
 * Core checks the offline part ({@link verifyReceiptOffline}). That the checkpoint really is anchored
 * at `anchor` needs an RPC endpoint and belongs to `@ancora/verifier`.
 */

import { childPath } from "./canonical/path.js";
import { validatedCodec } from "./canonical/validated-codec.js";
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
  type Fields,
  HEX32,
  has,
} from "./internal/schema-fields.js";
import { hashLeaf } from "./merkle/hashing.js";
import { assertInclusion } from "./merkle/verify.js";
import { decodeRecord, MAX_RECORD_BYTES } from "./records/codec.js";
import { STREAM_ID } from "./records/kinds/rules.js";
import type { AncoraRecord } from "./records/types.js";

/** The receipt format version written now. Version 1 is still read and verified (see {@link ReceiptV1}). */
export const RECEIPT_VERSION = 2;

/** Every receipt format version this code reads. */
export const RECEIPT_VERSIONS = [1, 2] as const;

/**
 * The fields a v1 receipt carries that nothing binds: its checkpoint's `ts` (the anchorer's local clock,
 * not on chain), and its `head` unless the record is the checkpoint's last leaf (then it must be the
 * record's CID). Verification ignores them and names them in its result; version 2 does not carry them.
 */
export const RECEIPT_V1_UNBOUND_FIELDS = ["checkpoint.head", "checkpoint.ts"] as const;

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

/**
 * The checkpoint a v2 receipt's proof leads to, exactly as the anchor's `CheckpointAnchored` event states
 * it: the stream, the tree size and the root. Nothing else of a {@link Checkpoint} is committed on
 * chain, so nothing else is carried.
 */
export interface ReceiptCheckpoint {
  /** The stream (its id on chain is `encodeStreamId(stream)`); equals the record's `stream`. */
  stream: string;
  /** Tree size at the anchor. */
  size: number;
  /** RFC 9162 root of the first `size` records (32 bytes). */
  root: Uint8Array;
}

/** {@link ReceiptCheckpoint} in JSON form: `root` as 0x + 64 lowercase hex. */
export interface ReceiptCheckpointJSON {
  stream: string;
  size: number;
  root: string;
}

/** A receipt for one record, format version 2: every field is bound to the record or to the anchor. */
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
  /** The anchored checkpoint whose root the proof reaches. */
  checkpoint: ReceiptCheckpoint;
  /** Where that checkpoint is anchored. */
  anchor: AnchorLocation;
}

/**
 * A receipt of format version 1 (written until 2026-12): as {@link Receipt} but with a whole
 * {@link Checkpoint}, whose `head` (for any record but the last) and `ts` nothing binds. Still read and
 * verified; those fields are ignored and named ({@link RECEIPT_V1_UNBOUND_FIELDS}).
 */
export interface ReceiptV1 {
  v: 1;
  record: Uint8Array;
  cid: BlockCid;
  index: number;
  proof: Uint8Array[];
  checkpoint: Checkpoint;
  anchor: AnchorLocation;
}

/** A receipt of any version this code reads. */
export type AnyReceipt = Receipt | ReceiptV1;

/**
 * {@link Receipt} in JSON form: `record` as padded base64 (RFC 4648 §4), `cid` as a string, proof
 * hashes and the root as 0x-hex. Survives JSON.stringify / JSON.parse unchanged.
 */
export interface ReceiptJSON {
  v: typeof RECEIPT_VERSION;
  record: string;
  cid: string;
  index: number;
  proof: string[];
  checkpoint: ReceiptCheckpointJSON;
  anchor: AnchorLocation;
}

/** {@link ReceiptV1} in JSON form (the checkpoint in its own JSON form). */
export interface ReceiptV1JSON {
  v: 1;
  record: string;
  cid: string;
  index: number;
  proof: string[];
  checkpoint: CheckpointJSON;
  anchor: AnchorLocation;
}

const KEYS = ["v", "record", "cid", "index", "proof", "checkpoint", "anchor"] as const;
const CHECKPOINT_KEYS = ["stream", "size", "root"] as const;

/** The receipt's format version, read before any other field; refuses versions this code does not read. */
function receiptVersion(fields: Fields, path: string): AnyReceipt["v"] {
  const { v } = fields;
  if (v === 1 || v === RECEIPT_VERSION) return v;
  if (!has(fields, "v")) {
    throw new SchemaError("SCHEMA_MISSING_FIELD", childPath(path, "v"), "Required field is missing");
  }
  throw new SchemaError(
    "SCHEMA_UNSUPPORTED_VERSION",
    childPath(path, "v"),
    "Unsupported receipt format version",
    {
      evidence: { supported: [...RECEIPT_VERSIONS] },
      hint: "Upgrade @ancora/core to read receipts of this version.",
    },
  );
}

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

function validateReceiptCheckpoint(value: unknown, path: string): ReceiptCheckpoint {
  const fields = expectObject(value, path);
  expectKeys(fields, path, CHECKPOINT_KEYS);
  expectString(fields, "stream", path, STREAM_ID);
  expectInteger(fields, "size", path, 1);
  expectBytes(fields, "root", path, 32);
  return fields as unknown as ReceiptCheckpoint;
}

function expectList(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new SchemaError("SCHEMA_INVALID_FIELD", path, "Expected a list");
  if (value.length > MAX_PROOF_HASHES) {
    throw new SchemaError("SCHEMA_INVALID_FIELD", path, `Expected at most ${MAX_PROOF_HASHES} proof hashes`);
  }
  return value;
}

/**
 * Checks that `value` is a well-formed receipt (version 2, or version 1) and returns it typed; throws
 * {@link SchemaError} naming the field. This checks the format only (types, lengths, index within the
 * checkpoint's size); whether the receipt is *true* is {@link verifyReceiptOffline}'s job.
 *
 * @example
 * ```ts
 * const receipt = validateReceipt(candidate);
 * if (receipt.v === 1) console.log("an old receipt: its checkpoint head and time are not evidence");
 * ```
 */
export function validateReceipt(value: unknown, path = "$"): AnyReceipt {
  const fields = expectObject(value, path);
  const version = receiptVersion(fields, path);
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
  const checkpointPath = childPath(path, "checkpoint");
  const checkpoint =
    version === 1
      ? validateCheckpoint(fields.checkpoint, checkpointPath)
      : validateReceiptCheckpoint(fields.checkpoint, checkpointPath);
  expectInteger(fields, "index", path, 0, checkpoint.size - 1);
  validateAnchor(fields.anchor, childPath(path, "anchor"));
  return fields as unknown as AnyReceipt;
}

/**
 * Encodes a receipt to canonical DAG-JSON bytes after validating it.
 *
 * @example
 * ```ts
 * await writeFile("receipt.dag.json", encodeReceipt(receipt));
 * ```
 */
export function encodeReceipt(receipt: AnyReceipt): Uint8Array {
  return receiptCodec.encode(receipt);
}

/**
 * Decodes canonical receipt bytes strictly and validates the format.
 *
 * @example
 * ```ts
 * const result = verifyReceiptOffline(decodeReceipt(bytes));
 * ```
 */
export function decodeReceipt(bytes: Uint8Array): AnyReceipt {
  return receiptCodec.decode(bytes);
}

const receiptCodec = validatedCodec<AnyReceipt>(validateReceipt, MAX_RECEIPT_BYTES);

/**
 * The JSON form of a receipt (validated first), in the receipt's own version.
 *
 * @example
 * ```ts
 * const text = JSON.stringify(receiptToJSON(receipt), null, 2);
 * ```
 */
export function receiptToJSON(receipt: Receipt): ReceiptJSON;
export function receiptToJSON(receipt: ReceiptV1): ReceiptV1JSON;
export function receiptToJSON(receipt: AnyReceipt): ReceiptJSON | ReceiptV1JSON;
export function receiptToJSON(receipt: AnyReceipt): ReceiptJSON | ReceiptV1JSON {
  validateReceipt(receipt);
  const common = {
    record: toBase64(receipt.record, true),
    cid: receipt.cid.toString(),
    index: receipt.index,
    proof: receipt.proof.map((hash) => `0x${toHex(hash)}`),
  };
  const anchor = {
    chainId: receipt.anchor.chainId,
    registry: receipt.anchor.registry,
    txHash: receipt.anchor.txHash,
    blockNumber: receipt.anchor.blockNumber,
  };
  if (receipt.v === 1) return { v: 1, ...common, checkpoint: checkpointToJSON(receipt.checkpoint), anchor };
  const { stream, size, root } = receipt.checkpoint;
  return { v: RECEIPT_VERSION, ...common, checkpoint: { stream, size, root: `0x${toHex(root)}` }, anchor };
}

/**
 * Parses the JSON form of a receipt of any version this code reads (for example JSON.parse of a file a
 * data subject sends in). Throws {@link SchemaError} naming the field; accepts exactly one spelling of
 * each value.
 *
 * @example
 * ```ts
 * const receipt = receiptFromJSON(JSON.parse(text));
 * ```
 */
export function receiptFromJSON(json: unknown, path = "$"): AnyReceipt {
  const fields = expectObject(json, path);
  const version = receiptVersion(fields, path);
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
  const checkpointPath = childPath(path, "checkpoint");
  let checkpoint: Checkpoint | ReceiptCheckpoint;
  if (version === 1) {
    checkpoint = checkpointFromJSON(fields.checkpoint, checkpointPath);
  } else {
    const cp = expectObject(fields.checkpoint, checkpointPath);
    expectKeys(cp, checkpointPath, CHECKPOINT_KEYS);
    checkpoint = {
      stream: cp.stream,
      size: cp.size,
      root: expectHex32(cp, "root", checkpointPath),
    } as ReceiptCheckpoint;
  }
  return validateReceipt(
    {
      v: version,
      record,
      cid: expectBlockCidString(fields, "cid", path),
      index: fields.index,
      proof,
      checkpoint,
      anchor: fields.anchor,
    },
    path,
  );
}

/**
 * Result of {@link verifyReceiptOffline}. `anchorVerified` is always `false`: core never talks to a
 * chain, so a passing receipt is proven consistent with its checkpoint, and the caller must still check
 * that the checkpoint (stream, size, root) is anchored at `anchor` (`@ancora/verifier` does).
 *
 * `checkpoint` is what the proof reached (stream, size, root), never more: a v1 receipt's head and time
 * are not returned. `ignored` names the fields the receipt carries that nothing binds (empty for
 * version 2; see {@link RECEIPT_V1_UNBOUND_FIELDS}): they are not evidence.
 */
export type OfflineReceiptVerification =
  | {
      ok: true;
      anchorVerified: false;
      version: AnyReceipt["v"];
      record: AncoraRecord;
      cid: BlockCid;
      checkpoint: ReceiptCheckpoint;
      anchor: AnchorLocation;
      ignored: readonly string[];
    }
  | { ok: false; anchorVerified: false; error: AncoraError };

function receiptInvalid(check: string, message: string, evidence: Record<string, unknown>, cause?: unknown) {
  return new VerificationError("RECEIPT_INVALID", message, {
    evidence: { check, ...evidence },
    ...(cause === undefined ? {} : { cause }),
  });
}

function check(receipt: unknown, sha256: Sha256 | undefined): OfflineReceiptVerification {
  let valid: AnyReceipt;
  try {
    valid = validateReceipt(receipt);
  } catch (error) {
    throw receiptInvalid("format", "Receipt is not a well-formed receipt", {}, error);
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
  const last = valid.index === checkpoint.size - 1;
  // A v1 head is bound only when it is the record itself; for any other record it is ignored below.
  if (valid.v === 1 && last && !sameBytes(valid.checkpoint.head.bytes, cid.bytes)) {
    throw receiptInvalid("head", "The record is the checkpoint's last leaf but not its head", {
      head: valid.checkpoint.head.toString(),
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
  const ignored: readonly string[] =
    valid.v === 2 ? [] : RECEIPT_V1_UNBOUND_FIELDS.filter((field) => !(last && field === "checkpoint.head"));
  return {
    ok: true,
    anchorVerified: false,
    version: valid.v,
    record,
    cid,
    checkpoint: { stream: checkpoint.stream, size: checkpoint.size, root: checkpoint.root },
    anchor: valid.anchor,
    ignored,
  };
}

/**
 * Verifies everything about a receipt that needs no network: the record bytes hash to the CID; they
 * are a canonical, valid record; the record's stream is the checkpoint's; the leaf index equals the
 * record's seq; the inclusion proof leads from hashLeaf(CID bytes) to the checkpoint's root
 * (RFC 9162 §2.1.3.2). For a v1 receipt of the checkpoint's last leaf, its `head` must be the record.
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
export function verifyReceiptOffline(receipt: AnyReceipt, sha256?: Sha256): OfflineReceiptVerification {
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
