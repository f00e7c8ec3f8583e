/**
 * Receipts (core's Receipt v2) from a store: the record's bytes and CID, its inclusion proof to the
 * latest confirmed anchored checkpoint that covers it, that checkpoint as the chain commits it (stream,
 * size, root), and where it is on chain.
 */
import { type Checkpoint, parseBlockCid, RECEIPT_VERSION, type Receipt, validateReceipt } from "@ancora/core";
import type Database from "better-sqlite3";
import { NotAnchoredError, StoreError } from "../errors.js";
import type { InclusionProofInfo, StoredRecordInfo } from "../store-types.js";
import { listAnchors } from "./anchor-store.js";

/** Options of `store.receipt` / `logger.receipt`. */
export interface ReceiptOptions {
  /** Only anchors in this registry (0x-address) … */
  registry?: string;
  /** … and on this chain. Default: any registry the store has anchored to. */
  chainId?: number;
}

/** What a receipt is read from: the store's checkpoints, records and proofs (an AncoraStore). */
export interface ReceiptReader {
  checkpointAt(stream: string, size: number): Checkpoint | undefined;
  get(stream: string, seq: number): StoredRecordInfo | undefined;
  inclusionProof(stream: string, seq: number, size?: number): InclusionProofInfo;
}

/**
 * Builds the receipt of record `seq`. Throws {@link NotAnchoredError} when no confirmed anchor covers it.
 *
 * @example
 * ```ts
 * const receipt = store.receipt("loans", 42);
 * verifyReceiptOffline(receipt).ok; // true
 * ```
 */
export function buildReceipt(
  db: Database.Database,
  store: ReceiptReader,
  stream: string,
  seq: number,
  options: ReceiptOptions = {},
): Receipt {
  return db.transaction((): Receipt => {
    const anchors = listAnchors(db, stream, {
      status: "confirmed",
      ...(options.registry === undefined ? {} : { registry: options.registry.toLowerCase() }),
      ...(options.chainId === undefined ? {} : { chainId: options.chainId }),
    });
    // The latest confirmed anchor (largest size) covering seq: its root is the one the contract holds
    // (or the nearest to it), so the contract's verifyInclusion view accepts the proof as long as no
    // later anchor landed.
    const anchor = anchors.filter((a) => a.size > seq && a.blockNumber !== null).at(-1);
    if (anchor === undefined) throw new NotAnchoredError(stream, seq);
    const checkpoint = store.checkpointAt(stream, anchor.size);
    const record = store.get(stream, seq);
    const cid = record === undefined ? undefined : parseBlockCid(record.cid);
    if (checkpoint === undefined || record === undefined || cid === undefined) {
      throw new StoreError("STORE_CORRUPT", `The checkpoint or record behind a receipt is missing`, {
        evidence: { stream, seq, size: anchor.size },
      });
    }
    const proof = store.inclusionProof(stream, seq, anchor.size);
    const receipt: Receipt = {
      v: RECEIPT_VERSION,
      record: new Uint8Array(record.bytes),
      cid,
      index: seq,
      proof: proof.proof,
      // Only what the anchor commits: the checkpoint's head and time are not on chain (docs/formats.md).
      checkpoint: { stream: checkpoint.stream, size: checkpoint.size, root: checkpoint.root },
      anchor: {
        chainId: anchor.chainId,
        registry: anchor.registry,
        txHash: anchor.txHash.toLowerCase(),
        blockNumber: anchor.blockNumber as number,
      },
    };
    validateReceipt(receipt);
    return receipt;
  })();
}
