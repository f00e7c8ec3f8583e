import { concat, type Hex, keccak256, numberToHex, pad, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import {
  type AnchorLink,
  type AnchorLinkWithPrevious,
  chainLink,
  GENESIS_DOMAIN,
  genesisHead,
  recomputeChainedHead,
  verifyAnchorChain,
} from "./chained-head.js";
import { AnchorHistoryError } from "./errors.js";

const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const STREAM = keccak256(stringToBytes("loans"));

/** abi.encode of static types is the concatenation of 32-byte words: an independent encoding. */
const word = (value: bigint | number | boolean | Hex): Hex =>
  typeof value === "string" ? pad(value, { size: 32 }) : pad(numberToHex(BigInt(value)), { size: 32 });

function link(i: number): AnchorLink {
  return {
    sequence: BigInt(i),
    treeSize: BigInt(10 * (i + 1)),
    root: keccak256(stringToBytes(`root ${i}`)),
    manifestDigest: keccak256(stringToBytes(`manifest ${i}`)),
    anchorer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    blockNumber: BigInt(100 + 3 * i),
    consistencyChecked: i % 2 === 1,
  };
}

describe("chained head", () => {
  it("GENESIS_DOMAIN is the contract's constant", () => {
    expect(GENESIS_DOMAIN).toBe(keccak256(stringToBytes("ancora.ProvenanceRegistry.v1.genesis")));
  });

  it("genesisHead binds the domain, chain id, registry and stream", () => {
    const expected = keccak256(concat([GENESIS_DOMAIN, word(31337), word(REGISTRY), STREAM]));
    expect(genesisHead({ chainId: 31337, registry: REGISTRY, streamId: STREAM })).toBe(expected);
    expect(genesisHead({ chainId: 1n, registry: REGISTRY, streamId: STREAM })).not.toBe(expected);
  });

  it("chainLink is keccak256 over the eight words of the link", () => {
    const l = link(3);
    const previous = keccak256(stringToBytes("previous"));
    const expected = keccak256(
      concat([
        previous,
        word(l.sequence),
        word(l.treeSize),
        l.root,
        l.manifestDigest,
        word(l.anchorer),
        word(l.blockNumber),
        word(l.consistencyChecked),
      ]),
    );
    expect(chainLink(previous, l)).toBe(expected);
  });

  it("every field of a link changes the head", () => {
    const base = link(2);
    const start = genesisHead({ chainId: 31337, registry: REGISTRY, streamId: STREAM });
    const h = chainLink(start, base);
    const variants: AnchorLink[] = [
      { ...base, sequence: 3n },
      { ...base, treeSize: 31n },
      { ...base, root: keccak256("0x01") },
      { ...base, manifestDigest: keccak256("0x02") },
      { ...base, anchorer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" },
      { ...base, blockNumber: 107n },
      { ...base, consistencyChecked: !base.consistencyChecked },
    ];
    for (const v of variants) expect(chainLink(start, v)).not.toBe(h);
  });

  it("recomputeChainedHead folds in order, and a suffix replays from its previous head", () => {
    const links = Array.from({ length: 6 }, (_, i) => link(i));
    const start = genesisHead({ chainId: 31337, registry: REGISTRY, streamId: STREAM });
    const full = recomputeChainedHead(start, links);
    const middle = recomputeChainedHead(start, links.slice(0, 3));
    expect(recomputeChainedHead(middle, links.slice(3))).toBe(full);
    expect(recomputeChainedHead(start, [...links].reverse())).not.toBe(full);
    expect(recomputeChainedHead(start, [])).toBe(start);
  });
});

describe("verifyAnchorChain", () => {
  const start = genesisHead({ chainId: 31337, registry: REGISTRY, streamId: STREAM });
  const links: AnchorLinkWithPrevious[] = [];
  let head = start;
  for (let i = 0; i < 5; i++) {
    links.push({ ...link(i), previousHead: head });
    head = chainLink(head, link(i));
  }

  it("accepts the true history", () => {
    expect(() => verifyAnchorChain({ start, links, expectedHead: head })).not.toThrow();
  });

  const codeOf = (f: () => void): string | undefined => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(AnchorHistoryError);
      return (e as AnchorHistoryError).code;
    }
    return undefined;
  };

  it("reports a missing anchor as a gap", () => {
    const withGap = [...links.slice(0, 2), ...links.slice(3)];
    expect(codeOf(() => verifyAnchorChain({ start, links: withGap, expectedHead: head }))).toBe(
      "ANCHOR_HISTORY_GAP",
    );
  });

  it("names the first altered link", () => {
    const altered = links.map((l, i) => (i === 2 ? { ...l, root: keccak256("0xdead") } : l));
    try {
      verifyAnchorChain({ start, links: altered, expectedHead: head });
      expect.unreachable();
    } catch (e) {
      const error = e as AnchorHistoryError;
      expect(error.code).toBe("ANCHOR_HISTORY_MISMATCH");
      expect(error.evidence?.sequence).toBe("3");
    }
  });

  it("detects a truncated history against the on-chain head", () => {
    expect(codeOf(() => verifyAnchorChain({ start, links: links.slice(0, 4), expectedHead: head }))).toBe(
      "ANCHOR_HISTORY_MISMATCH",
    );
  });

  it("detects an altered last link even without previous heads", () => {
    const bare: AnchorLink[] = links.map(({ previousHead: _, ...l }) => l);
    const last = bare.at(-1);
    if (last === undefined) throw new Error("no links");
    const altered = [...bare.slice(0, -1), { ...last, manifestDigest: keccak256("0xbeef") }];
    expect(codeOf(() => verifyAnchorChain({ start, links: altered, expectedHead: head }))).toBe(
      "ANCHOR_HISTORY_MISMATCH",
    );
  });
});
