/**
 * A receipt checked against the chain: core's offline checks (the record hashes to its CID, the proof
 * reaches the checkpoint's root), then that the checkpoint really was anchored where the receipt says
 * and is still part of the stream's history. Every read is independent, so they go out in parallel: one
 * round trip to the RPC endpoint. Every field of a v2 receipt is bound by one of these checks
 * (docs/formats.md, "Receipt v2"); a v1 receipt's unbound fields are ignored and named in `ignored`.
 */
import {
  createRegistryReader,
  encodeStreamId,
  provenanceRegistryAbi,
  RegistryUnknownStreamError,
} from "@ancora/contracts";
import {
  type AnchorLocation,
  type AncoraRecord,
  type AnyReceipt,
  type BlockCid,
  parseJson,
  type ReceiptCheckpoint,
  receiptFromJSON,
  type Sha256,
  verifyReceiptOffline,
} from "@ancora/core";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  decodeEventLog,
  type Hash,
  type Hex,
  type PublicClient,
  TransactionReceiptNotFoundError,
} from "viem";
import { unreachable } from "../chain/rpc-errors.js";
import { toHex0x } from "../internal/hex.js";
import type { ReceiptFailureCode, VerificationFailure } from "../result.js";

/** Options of {@link verifyReceiptOnChain}. */
export interface ReceiptOnChainOptions {
  /** A client of the chain the receipt names. */
  readonly publicClient: PublicClient;
  /** SHA-256 implementation (inject node:crypto's in Node). */
  readonly sha256?: Sha256;
}

/** A receipt failure: `stream` and `seq` are the receipt's when it parsed that far ("" and 0 otherwise). */
export interface ReceiptFailure extends VerificationFailure {
  readonly code: ReceiptFailureCode;
}

/** The result of {@link verifyReceiptOnChain}. */
export type ReceiptVerification =
  | {
      readonly ok: true;
      /** The checkpoint is anchored where the receipt says, by the registry it names. */
      readonly anchorVerified: true;
      /** The receipt's format version. */
      readonly version: AnyReceipt["v"];
      readonly record: AncoraRecord;
      readonly cid: BlockCid;
      /** The anchored checkpoint, as the anchor's event states it (a v1 receipt's head and time dropped). */
      readonly checkpoint: ReceiptCheckpoint;
      readonly anchor: AnchorLocation;
      /** The anchor block's timestamp, from the chain (RFC 3339 UTC): the record existed by then. */
      readonly anchoredAt: string;
      /**
       * Fields the receipt carries that nothing binds, so they are not evidence and were not checked:
       * empty for a v2 receipt; `checkpoint.ts` and (unless the record is the last leaf)
       * `checkpoint.head` for a v1 receipt.
       */
      readonly ignored: readonly string[];
      /** Blocks on top of the anchor's, its own included (1 = in the latest block). */
      readonly confirmations: number;
      /**
       * True when the checkpoint is the stream's latest anchored one (same size and root in contract
       * state). An older checkpoint was anchored as shown, but the receipt alone cannot prove the later
       * anchors extend it: a consistency proof to the latest does (the contract's
       * `verifyHistoricalInclusion`), or the checks of a whole log against the chain.
       */
      readonly latest: boolean;
      /** The stream's anchored tree size in contract state now. */
      readonly anchoredSize: number;
    }
  | { readonly ok: false; readonly anchorVerified: false; readonly failure: ReceiptFailure };

function fail(
  code: ReceiptFailureCode,
  stream: string,
  seq: number,
  expected: string,
  found: string,
): ReceiptVerification {
  return { ok: false, anchorVerified: false, failure: { code, stream, seq, expected, found } };
}

/** Parses what a caller handed in: a Receipt, its JSON form, or JSON text. Never throws. */
function parse(input: unknown): { receipt: AnyReceipt } | { error: string } {
  let value = input;
  if (typeof value === "string") {
    try {
      value = parseJson(value);
    } catch {
      return { error: "not JSON" };
    }
  }
  if (
    typeof value === "object" &&
    value !== null &&
    (value as { record?: unknown }).record instanceof Uint8Array
  ) {
    return { receipt: value as AnyReceipt };
  }
  try {
    return { receipt: receiptFromJSON(value) };
  } catch (error) {
    const code = error instanceof BaseError ? error.name : (error as { code?: unknown }).code;
    const path = (error as { path?: unknown }).path;
    return {
      error: `${typeof code === "string" ? code : "invalid"}${typeof path === "string" ? ` at ${path}` : ""}`,
    };
  }
}

const OFFLINE_CODES: Record<string, ReceiptFailureCode> = {
  CID_MISMATCH: "RECEIPT_CID_MISMATCH",
  INCLUSION_PROOF_INVALID: "RECEIPT_PROOF_INVALID",
};

/** The checkpoint's anchor event in the transaction's logs, or what the registry's logs there say. */
function findAnchorLog(
  logs: readonly { address: string; data: Hex; topics: readonly Hex[] }[],
  registry: string,
  streamId: Hex,
  checkpoint: ReceiptCheckpoint,
): { found: true } | { found: false; seen: string } {
  const root = toHex0x(checkpoint.root);
  const seen: string[] = [];
  for (const log of logs) {
    if (log.address.toLowerCase() !== registry) continue;
    let decoded: ReturnType<typeof decodeEventLog<typeof provenanceRegistryAbi>>;
    try {
      decoded = decodeEventLog({
        abi: provenanceRegistryAbi,
        data: log.data,
        topics: log.topics as [Hex, ...Hex[]],
        strict: true,
      });
    } catch {
      continue;
    }
    if (decoded.eventName !== "CheckpointAnchored") continue;
    const { args } = decoded;
    if (
      args.streamId.toLowerCase() === streamId.toLowerCase() &&
      args.treeSize === BigInt(checkpoint.size) &&
      args.root.toLowerCase() === root
    ) {
      return { found: true };
    }
    seen.push(`stream ${args.streamId} size ${args.treeSize} root ${args.root.toLowerCase()}`);
  }
  return {
    found: false,
    seen: seen.length === 0 ? `no CheckpointAnchored log from ${registry}` : seen.join("; "),
  };
}

function settled<T>(result: PromiseSettledResult<T>, what: string): T {
  if (result.status === "rejected") throw unreachable(what, result.reason);
  return result.value;
}

/**
 * Verifies a receipt (a core `Receipt`, its JSON form, or JSON text) against the chain: first core's
 * offline checks ({@link verifyReceiptOffline}), then, in parallel, that the client's chain is the
 * receipt's, that the anchor transaction exists in the named block and succeeded and emitted a
 * `CheckpointAnchored` log from the named registry with this stream, tree size and root, and that the
 * stream's state has not gone below the checkpoint (`latest` says whether it is still the latest).
 * Attacker input never makes it throw: a failure is a result with a {@link ReceiptFailureCode}.
 *
 * @throws {SourceError} `SOURCE_UNREACHABLE` when the RPC endpoint cannot be read.
 * @example
 * ```ts
 * const result = await verifyReceiptOnChain(JSON.parse(text), { publicClient });
 * if (result.ok) console.log(result.confirmations, result.latest);
 * else console.log(result.failure.code); // e.g. "RECEIPT_TX_NOT_FOUND"
 * ```
 */
export async function verifyReceiptOnChain(
  input: AnyReceipt | unknown,
  options: ReceiptOnChainOptions,
): Promise<ReceiptVerification> {
  const parsed = parse(input);
  if ("error" in parsed) {
    return fail("RECEIPT_INVALID", "", 0, "a receipt v2 or v1 (object or JSON)", parsed.error);
  }
  const offline = verifyReceiptOffline(parsed.receipt, options.sha256);
  if (!offline.ok) {
    const { error } = offline;
    const checkpoint = (parsed.receipt as { checkpoint?: { stream?: unknown } }).checkpoint;
    const stream = typeof checkpoint?.stream === "string" ? checkpoint.stream.slice(0, 128) : "";
    const index = (parsed.receipt as { index?: unknown }).index;
    const seq = typeof index === "number" && Number.isSafeInteger(index) && index >= 0 ? index : 0;
    const evidence = error.evidence ?? {};
    const expected =
      typeof evidence.expected === "string"
        ? evidence.expected
        : `check ${String(evidence.check ?? error.code)}`;
    const found = typeof evidence.found === "string" ? evidence.found : error.shortMessage;
    return fail(OFFLINE_CODES[error.code] ?? "RECEIPT_INVALID", stream, seq, expected, found);
  }
  const { record, cid, checkpoint, anchor, version, ignored } = offline;
  const stream = checkpoint.stream;
  const seq = record.seq;
  const { publicClient } = options;
  const registry = anchor.registry.toLowerCase() as Address;
  const streamId = encodeStreamId(stream);
  const reader = createRegistryReader(publicClient, registry);

  const [chainId, transaction, latest, state, block] = await Promise.allSettled([
    publicClient.getChainId(),
    publicClient.getTransactionReceipt({ hash: anchor.txHash as Hash }),
    publicClient.getBlockNumber({ cacheTime: 0 }),
    reader.streamState(streamId),
    publicClient.getBlock({ blockNumber: BigInt(anchor.blockNumber) }),
  ]);
  const servedChain = settled(chainId, "eth_chainId");
  if (servedChain !== anchor.chainId) {
    return fail("RECEIPT_CHAIN_MISMATCH", stream, seq, `chain ${anchor.chainId}`, `chain ${servedChain}`);
  }
  if (transaction.status === "rejected" && transaction.reason instanceof TransactionReceiptNotFoundError) {
    return fail("RECEIPT_TX_NOT_FOUND", stream, seq, `transaction ${anchor.txHash}`, "no such transaction");
  }
  const tx = settled(transaction, "eth_getTransactionReceipt");
  const head = settled(latest, "eth_blockNumber");
  if (tx.blockNumber !== BigInt(anchor.blockNumber)) {
    return fail(
      "RECEIPT_TX_NOT_FOUND",
      stream,
      seq,
      `transaction ${anchor.txHash} in block ${anchor.blockNumber}`,
      `in block ${tx.blockNumber}`,
    );
  }
  if (tx.status !== "success") {
    return fail("RECEIPT_TX_FAILED", stream, seq, `transaction ${anchor.txHash} succeeded`, "reverted");
  }
  const log = findAnchorLog(tx.logs, registry, streamId, checkpoint);
  const wanted = `CheckpointAnchored(stream ${streamId} size ${checkpoint.size} root ${toHex0x(checkpoint.root)}) from ${registry}`;
  if (!log.found) return fail("RECEIPT_ANCHOR_NOT_FOUND", stream, seq, wanted, log.seen);
  // The state is read at the latest block; the anchor was found, so the registry exists.
  if (state.status === "rejected") {
    const reason = state.reason;
    const noStream =
      reason instanceof RegistryUnknownStreamError ||
      (reason instanceof BaseError &&
        reason.walk(
          (e) => e instanceof ContractFunctionZeroDataError || e instanceof ContractFunctionRevertedError,
        ) !== null);
    if (noStream)
      return fail("RECEIPT_ANCHOR_NOT_FOUND", stream, seq, `stream ${streamId} registered`, "unknown stream");
  }
  const current = settled(state, "streamState");
  // The transaction is in this block, so the block exists: a failed read is the endpoint's fault.
  const anchoredBlock = settled(block, "eth_getBlockByNumber");
  const size = BigInt(checkpoint.size);
  if (
    current.treeSize < size ||
    (current.treeSize === size && current.root.toLowerCase() !== toHex0x(checkpoint.root))
  ) {
    return fail(
      "RECEIPT_ANCHOR_NOT_FOUND",
      stream,
      seq,
      `the stream's history to include size ${size} root ${toHex0x(checkpoint.root)}`,
      `latest size ${current.treeSize} root ${current.root.toLowerCase()}`,
    );
  }
  return {
    ok: true,
    anchorVerified: true,
    version,
    record,
    cid,
    checkpoint,
    anchor,
    anchoredAt: new Date(Number(anchoredBlock.timestamp) * 1000).toISOString(),
    ignored,
    confirmations: Number(head - tx.blockNumber + 1n),
    latest: current.treeSize === size,
    anchoredSize: Number(current.treeSize),
  };
}
