/**
 * The registry's chained head, recomputed off chain. The contract folds every anchor of a stream into one
 * stored hash (see docs/contract.md):
 *
 *     head_0 = keccak256(abi.encode(GENESIS_DOMAIN, chainId, registry, streamId))
 *     head_n = keccak256(abi.encode(head_{n-1}, sequence, treeSize, root, manifestDigest, anchorer,
 *                                   blockNumber, consistencyChecked))
 *
 * Replaying the links from any anchor k (starting from its `previousHead`) to the latest and comparing the
 * result with `chainedHead(streamId)` read from contract state proves that anchors k..n are exactly the
 * ones that were made, in that order, by those accounts, in those blocks, even after nodes have dropped
 * the event logs (EIP-4444). The verifier uses these functions; they are pure and do no I/O.
 */
import { type Address, encodeAbiParameters, type Hex, keccak256, stringToBytes } from "viem";
import { AnchorHistoryError } from "./errors.js";

/** `keccak256("ancora.ProvenanceRegistry.v1.genesis")`, the contract's `GENESIS_DOMAIN`. */
export const GENESIS_DOMAIN: Hex = keccak256(stringToBytes("ancora.ProvenanceRegistry.v1.genesis"));

/** The inputs of one link of the chained head: what one `CheckpointAnchored` event carries. */
export interface AnchorLink {
  /** Zero-based sequence number of the anchor within its stream. */
  readonly sequence: bigint;
  /** Tree size of the checkpoint. */
  readonly treeSize: bigint;
  /** RFC 6962 root of the checkpoint. */
  readonly root: Hex;
  /** SHA-256 digest of the batch manifest (the digest inside its CID). */
  readonly manifestDigest: Hex;
  /** The account that anchored. */
  readonly anchorer: Address;
  /** The block the anchor was included in. */
  readonly blockNumber: bigint;
  /** Whether the contract verified a consistency proof for this anchor. */
  readonly consistencyChecked: boolean;
}

/** A link together with the head it claims to extend (events carry it), for pinpointing a bad link. */
export interface AnchorLinkWithPrevious extends AnchorLink {
  readonly previousHead: Hex;
}

const LINK_TYPES = [
  { type: "bytes32" },
  { type: "uint64" },
  { type: "uint64" },
  { type: "bytes32" },
  { type: "bytes32" },
  { type: "address" },
  { type: "uint256" },
  { type: "bool" },
] as const;

/**
 * The genesis head of a stream in one deployment. Binding the chain id and the registry address means a
 * stream's history can never be replayed as another deployment's.
 *
 * @example
 * genesisHead({ chainId: 31337, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", streamId });
 */
export function genesisHead(input: { chainId: number | bigint; registry: Address; streamId: Hex }): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "uint256" }, { type: "address" }, { type: "bytes32" }],
      [GENESIS_DOMAIN, BigInt(input.chainId), input.registry, input.streamId],
    ),
  );
}

/** One step of the chain: the head after `link`, given the head before it. */
export function chainLink(previousHead: Hex, link: AnchorLink): Hex {
  return keccak256(
    encodeAbiParameters(LINK_TYPES, [
      previousHead,
      link.sequence,
      link.treeSize,
      link.root,
      link.manifestDigest,
      link.anchorer,
      link.blockNumber,
      link.consistencyChecked,
    ]),
  );
}

/**
 * Folds `links` (in sequence order) into `start`: the genesis head to replay a whole stream, or the
 * `previousHead` of anchor k to prove anchors k..n against the current head.
 *
 * @example
 * const head = recomputeChainedHead(genesisHead({ chainId, registry, streamId }), anchors);
 * head === (await reader.chainedHead(streamId)); // the history is exactly `anchors`
 */
export function recomputeChainedHead(start: Hex, links: Iterable<AnchorLink>): Hex {
  let head = start;
  for (const link of links) head = chainLink(head, link);
  return head;
}

/**
 * Replays `links` from `start` and checks the result against `expectedHead` (read from contract state).
 * Also checks that the sequence numbers are contiguous and, when the links carry their `previousHead`
 * (as events do), names the first link that does not extend the chain, so the failure can be shown to a
 * third party.
 *
 * @throws {AnchorHistoryError} `ANCHOR_HISTORY_GAP` for missing, repeated or reordered sequence numbers,
 * `ANCHOR_HISTORY_MISMATCH` when the replayed head differs from `expectedHead`.
 */
export function verifyAnchorChain(input: {
  start: Hex;
  links: readonly (AnchorLink | AnchorLinkWithPrevious)[];
  expectedHead: Hex;
}): void {
  const { start, links, expectedHead } = input;
  let head = start;
  let expectedSequence = links[0]?.sequence;
  for (const link of links) {
    if (link.sequence !== expectedSequence) {
      throw new AnchorHistoryError(
        "ANCHOR_HISTORY_GAP",
        `anchor ${link.sequence} where ${expectedSequence} was expected`,
        {
          hint: "Fetch the missing anchors (events, or the operator's anchor archive) and replay again.",
          evidence: { expectedSequence: String(expectedSequence), foundSequence: String(link.sequence) },
        },
      );
    }
    if ("previousHead" in link && link.previousHead.toLowerCase() !== head.toLowerCase()) {
      throw new AnchorHistoryError(
        "ANCHOR_HISTORY_MISMATCH",
        `anchor ${link.sequence} does not extend the chain`,
        {
          evidence: {
            sequence: String(link.sequence),
            expectedPreviousHead: head,
            claimedPreviousHead: link.previousHead,
          },
        },
      );
    }
    head = chainLink(head, link);
    expectedSequence = link.sequence + 1n;
  }
  if (head.toLowerCase() !== expectedHead.toLowerCase()) {
    throw new AnchorHistoryError(
      "ANCHOR_HISTORY_MISMATCH",
      "replayed anchors do not give the on-chain chained head",
      {
        hint: "The anchor list is incomplete or altered: compare it with the events and the manifests.",
        evidence: {
          firstSequence: links[0] === undefined ? undefined : String(links[0].sequence),
          lastSequence: links.at(-1) === undefined ? undefined : String(links.at(-1)?.sequence),
          expectedHead,
          computedHead: head,
        },
      },
    );
  }
}
