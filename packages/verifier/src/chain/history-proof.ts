/**
 * Proves a stream's anchor history against the chained head in contract state, from events or, when the
 * node no longer serves them (EIP-4444), from the anchor links a local log kept (schema v3). Either way
 * the links are untrusted: they count only when they replay from the genesis head to `state.head`
 * (docs/contract.md, "Proving a historical checkpoint against current state").
 */
import {
  AnchorHistoryError,
  type AnchorLink,
  genesisHead,
  recomputeChainedHead,
  verifyAnchorChain,
} from "@ancora/contracts";
import { manifestDigest, parseBlockCid } from "@ancora/core";
import { type Address, type Hex, toHex } from "viem";
import { toHex0x } from "../internal/hex.js";
import type { VerificationFailure } from "../result.js";
import type { LocalAnchor } from "../sources/types.js";
import type { HistoryProof } from "./chain-result.js";
import type { RegistryAnchor, RegistryStream, RegistryView } from "./registry-view.js";

/**
 * An anchor the checks may rely on: from a proven history, or the latest checkpoint in contract state
 * (then only `sequence`, `treeSize` and `root` are known).
 */
export interface ProvenAnchor {
  readonly sequence: bigint;
  readonly treeSize: bigint;
  /** Lowercase 0x-hex. */
  readonly root: string;
  /** Lowercase 0x-hex; absent when only contract state is known. */
  readonly manifestDigest?: string;
  readonly consistencyChecked?: boolean;
  readonly blockNumber?: bigint;
  readonly transactionHash?: string;
}

/** What proving a history gave: how, the anchors to check the log against, and what went wrong. */
export interface HistoryOutcome {
  readonly proof: HistoryProof;
  /** Ascending by tree size. */
  readonly anchors: readonly ProvenAnchor[];
  readonly failures: readonly VerificationFailure[];
  readonly warnings: readonly VerificationFailure[];
}

/** The latest checkpoint in contract state as the only anchor known (none before the first anchor). */
export function stateAnchors(entry: RegistryStream): ProvenAnchor[] {
  const { state } = entry;
  if (state.anchorCount === 0n) return [];
  return [{ sequence: state.anchorCount - 1n, treeSize: state.treeSize, root: state.root.toLowerCase() }];
}

function failure(stream: string, seq: bigint | number, expected: string, found: string): VerificationFailure {
  return { code: "ANCHOR_HISTORY_MISMATCH", stream, seq: Number(seq), expected, found };
}

function fromEvent(event: RegistryAnchor): ProvenAnchor {
  return {
    sequence: event.sequence,
    treeSize: event.treeSize,
    root: event.root.toLowerCase(),
    manifestDigest: event.manifestDigest.toLowerCase(),
    consistencyChecked: event.consistencyChecked,
    blockNumber: event.blockNumber,
    transactionHash: event.transactionHash.toLowerCase(),
  };
}

/** Tree size before anchor `sequence` in `anchors` (the first record it adds), 0 when unknown. */
function rangeStartOf(anchors: readonly { sequence: bigint; treeSize: bigint }[], sequence: bigint): bigint {
  const index = anchors.findIndex((a) => a.sequence === sequence);
  return index > 0 ? (anchors[index - 1]?.treeSize ?? 0n) : 0n;
}

/** Checks what a replay does not: the list starts at 0, is complete, grows, and ends at the state. */
function shapeFailure(
  entry: RegistryStream,
  anchors: readonly { sequence: bigint; treeSize: bigint; root: string }[],
  stream: string,
  source: string,
): VerificationFailure | undefined {
  const { state } = entry;
  if (BigInt(anchors.length) !== state.anchorCount) {
    return failure(
      stream,
      0,
      `${state.anchorCount} anchors (state)`,
      `${anchors.length} anchors (${source})`,
    );
  }
  let previous = 0n;
  for (const [i, anchor] of anchors.entries()) {
    if (anchor.sequence !== BigInt(i)) {
      return failure(stream, previous, `anchor sequence ${i}`, `anchor sequence ${anchor.sequence}`);
    }
    if (anchor.treeSize <= previous) {
      return failure(stream, previous, `a tree size above ${previous}`, `tree size ${anchor.treeSize}`);
    }
    previous = anchor.treeSize;
  }
  const last = anchors.at(-1);
  if (last !== undefined && (last.treeSize !== state.treeSize || last.root !== state.root.toLowerCase())) {
    return failure(
      stream,
      last.treeSize - 1n,
      `latest checkpoint ${state.treeSize} ${state.root.toLowerCase()} (state)`,
      `${last.treeSize} ${last.root} (${source})`,
    );
  }
  return undefined;
}

/**
 * Proves `events` (from {@link RegistryView.anchorHistory}) against the stream's state: they must start
 * at sequence 0, be as many as `state.anchorCount`, grow in size, end at the state's checkpoint, and
 * replay from the genesis head to `state.head`. On failure the checks fall back to the state's latest
 * checkpoint alone.
 *
 * @example
 * ```ts
 * const outcome = proveHistoryFromEvents(view, entry, await view.anchorHistory(entry.streamId), "loans");
 * outcome.proof; // "events"
 * ```
 */
export function proveHistoryFromEvents(
  view: Pick<RegistryView, "chainId" | "address">,
  entry: RegistryStream,
  events: readonly RegistryAnchor[],
  stream: string,
): HistoryOutcome {
  const sorted = [...events].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
  const anchors = sorted.map(fromEvent);
  const fallback = (f: VerificationFailure): HistoryOutcome => ({
    proof: "events",
    anchors: stateAnchors(entry),
    failures: [f],
    warnings: [],
  });
  const foreign = sorted.find((e) => e.streamId.toLowerCase() !== entry.streamId.toLowerCase());
  if (foreign !== undefined) {
    return fallback(failure(stream, 0, `anchors of ${entry.streamId}`, `an anchor of ${foreign.streamId}`));
  }
  const shape = shapeFailure(entry, anchors, stream, "events");
  if (shape !== undefined) return fallback(shape);
  try {
    verifyAnchorChain({
      start: genesisHead({ chainId: view.chainId, registry: view.address, streamId: entry.streamId }),
      links: sorted,
      expectedHead: entry.state.head,
    });
  } catch (error) {
    if (!(error instanceof AnchorHistoryError)) throw error;
    const evidence = error.evidence ?? {};
    const sequence = typeof evidence.sequence === "string" ? BigInt(evidence.sequence) : undefined;
    const expected = evidence.expectedPreviousHead ?? evidence.expectedHead ?? entry.state.head;
    const found = evidence.claimedPreviousHead ?? evidence.computedHead ?? "another head";
    return fallback(
      failure(
        stream,
        sequence === undefined ? 0n : rangeStartOf(anchors, sequence),
        `chained head ${String(expected)}`,
        `${String(found)} replayed from events`,
      ),
    );
  }
  return { proof: "events", anchors, failures: [], warnings: [] };
}

/** The link a local anchor row stands for, or `undefined` when it lacks a field (pre-v3 store). */
function linkOf(anchor: LocalAnchor): AnchorLink | undefined {
  const { sequence, anchorer, consistencyChecked, blockNumber } = anchor;
  if (sequence === undefined || anchorer === undefined || consistencyChecked === undefined) return undefined;
  if (blockNumber === null || !Number.isSafeInteger(sequence) || sequence < 0) return undefined;
  const cid = parseBlockCid(anchor.manifestCid);
  if (cid === undefined || anchor.root.length !== 32 || !/^0x[0-9a-fA-F]{40}$/.test(anchorer))
    return undefined;
  return {
    sequence: BigInt(sequence),
    treeSize: BigInt(anchor.size),
    root: toHex0x(anchor.root) as Hex,
    manifestDigest: toHex(manifestDigest(cid)),
    anchorer: anchorer as Address,
    blockNumber: BigInt(blockNumber),
    consistencyChecked,
  };
}

/**
 * Proves the history from a local log's confirmed anchors of this registry (`own`: already filtered to
 * this chain, registry and stream, and to blocks up to the view's): their links must be complete
 * (`state.anchorCount` of them, sequences 0…n−1) and replay from the genesis head to `state.head`.
 * A log without the schema-v3 link fields, or without every link, cannot prove the history: a
 * `HISTORY_UNPROVEN` warning, and the checks use the state's latest checkpoint alone.
 *
 * @example
 * ```ts
 * const outcome = proveHistoryFromLocalAnchors(view, entry, confirmed, "loans");
 * outcome.proof; // "local-anchors", or "state" with a HISTORY_UNPROVEN warning
 * ```
 */
export function proveHistoryFromLocalAnchors(
  view: Pick<RegistryView, "chainId" | "address">,
  entry: RegistryStream,
  own: readonly LocalAnchor[],
  stream: string,
): HistoryOutcome {
  const { state } = entry;
  if (state.anchorCount === 0n) return { proof: "local-anchors", anchors: [], failures: [], warnings: [] };
  const unproven = (found: string): HistoryOutcome => ({
    proof: "state",
    anchors: stateAnchors(entry),
    failures: [],
    warnings: [
      {
        code: "HISTORY_UNPROVEN",
        stream,
        seq: 0,
        expected: `${state.anchorCount} anchor links (events or schema-v3 anchors)`,
        found,
      },
    ],
  });
  const links: AnchorLink[] = [];
  for (const anchor of own) {
    const link = linkOf(anchor);
    if (link === undefined) return unproven(`anchor of size ${anchor.size} without its link fields`);
    links.push(link);
  }
  if (BigInt(links.length) < state.anchorCount) {
    return unproven(`${links.length} confirmed anchors in the log`);
  }
  links.sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
  const anchors: ProvenAnchor[] = links.map((l) => ({
    sequence: l.sequence,
    treeSize: l.treeSize,
    root: l.root.toLowerCase(),
    manifestDigest: l.manifestDigest.toLowerCase(),
    consistencyChecked: l.consistencyChecked,
    blockNumber: l.blockNumber,
  }));
  const fallback = (f: VerificationFailure): HistoryOutcome => ({
    proof: "local-anchors",
    anchors: stateAnchors(entry),
    failures: [f],
    warnings: [],
  });
  const shape = shapeFailure(entry, anchors, stream, "local anchors");
  if (shape !== undefined) return fallback(shape);
  const start = genesisHead({ chainId: view.chainId, registry: view.address, streamId: entry.streamId });
  const head = recomputeChainedHead(start, links);
  if (head.toLowerCase() !== state.head.toLowerCase()) {
    return fallback(failure(stream, 0, `chained head ${state.head}`, `${head} replayed from local anchors`));
  }
  return { proof: "local-anchors", anchors, failures: [], warnings: [] };
}
