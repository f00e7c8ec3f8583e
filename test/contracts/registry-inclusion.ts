/**
 * ProvenanceRegistry inclusion views (a receipt checked on chain) and the chained head replayed from
 * events with an implementation independent of @ancora/contracts. Trees come from the RFC 6962 reference in
 * test/support.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { network } from "hardhat";
import { concat, type Hex, keccak256 } from "viem";
import { type Deployed, GENESIS_DOMAIN, id, manifest, registryTestbed, word } from "../support/registry.ts";
import { ReferenceTree, syntheticLeaves } from "../support/rfc6962.ts";

const { networkHelpers, viem } = await network.create();
const publicClient = await viem.getPublicClient();
const { STRANGER, deploy } = await registryTestbed(viem);

describe("ProvenanceRegistry: inclusion views", () => {
  let d: Deployed;
  const stream = id("inclusion");
  const tree = new ReferenceTree(syntheticLeaves(37, 3));
  before(async () => {
    d = await deploy();
    await d.registry.write.registerStream([stream, "m", false]);
    await d.asAnchorer.write.anchor([stream, 21n, tree.root(21), manifest(0)]);
    await d.asAnchorer.write.anchor([stream, 37n, tree.root(37), manifest(1)]);
  });

  it("accepts every leaf's proof against the latest checkpoint", async () => {
    for (let i = 0; i < 37; i++) {
      assert.equal(
        await d.registry.read.verifyInclusion([
          stream,
          tree.leaves[i] as Hex,
          BigInt(i),
          37n,
          tree.inclusionProof(i),
        ]),
        true,
        `leaf ${i}`,
      );
    }
  });

  it("rejects tampered proofs, leaves, indices and checkpoints that are not the latest", async () => {
    const leaf = tree.leaves[12] as Hex;
    const proof = tree.inclusionProof(12);
    const cases: [Hex, bigint, bigint, Hex[]][] = [
      [keccak256(leaf), 12n, 37n, proof],
      [leaf, 13n, 37n, proof],
      [leaf, 12n, 37n, proof.map((h, i) => (i === 2 ? keccak256(h) : h))],
      [leaf, 12n, 37n, proof.slice(0, -1)],
      [leaf, 12n, 37n, [...proof, proof[0] as Hex]],
      [leaf, 37n, 37n, proof],
      [leaf, 12n, 21n, tree.inclusionProof(12, 21)], // valid for the older checkpoint, not the latest
    ];
    for (const [l, index, size, p] of cases) {
      assert.equal(await d.registry.read.verifyInclusion([stream, l, index, size, p]), false);
    }
  });

  it("verifies a receipt's proof to an older checkpoint through a consistency proof", async () => {
    const leaf = tree.leaves[12] as Hex;
    const args = (size1: bigint, root1: Hex, consistency: Hex[], p: Hex[]) =>
      [stream, size1, root1, consistency, leaf, 12n, p] as const;
    assert.equal(
      await d.registry.read.verifyHistoricalInclusion(
        args(21n, tree.root(21), tree.consistencyProof(21, 37), tree.inclusionProof(12, 21)),
      ),
      true,
    );
    // The latest checkpoint itself, with an empty consistency proof.
    assert.equal(
      await d.registry.read.verifyHistoricalInclusion(
        args(37n, tree.root(37), [], tree.inclusionProof(12, 37)),
      ),
      true,
    );
    // Any checkpoint size that is a prefix of the latest works, anchored or not.
    assert.equal(
      await d.registry.read.verifyHistoricalInclusion(
        args(13n, tree.root(13), tree.consistencyProof(13, 37), tree.inclusionProof(12, 13)),
      ),
      true,
    );
    const forked = new ReferenceTree(tree.leaves.map((h, i) => (i === 5 ? keccak256(h) : h)));
    const rejected = [
      args(21n, forked.root(21), forked.consistencyProof(21, 37), forked.inclusionProof(12, 21)),
      args(21n, tree.root(21), tree.consistencyProof(21, 37), tree.inclusionProof(11, 21)),
      args(21n, tree.root(21), tree.consistencyProof(20, 37), tree.inclusionProof(12, 21)),
      args(0n, tree.root(21), [], tree.inclusionProof(12, 21)),
      args(38n, tree.root(21), [], tree.inclusionProof(12, 21)),
    ];
    for (const a of rejected) assert.equal(await d.registry.read.verifyHistoricalInclusion(a), false);
  });
});

describe("ProvenanceRegistry: history provable from state after many anchors", () => {
  it("replays 60 anchors from events (three entry points, two anchorers) to the stored head", async () => {
    const d = await deploy();
    const stream = id("history");
    const other = id("history-other");
    await d.registry.write.registerStream([stream, "m", false]);
    await d.registry.write.registerStream([other, "m", false]);
    await d.registry.write.grantRole([await d.registry.read.ANCHORER_ROLE(), STRANGER]);
    const tree = new ReferenceTree(syntheticLeaves(400, 4));
    let size = 0;
    for (let i = 0; i < 60; i++) {
      const previous = size;
      size += 1 + ((i * 7) % 5);
      const root = tree.root(size);
      const who = i % 4 === 3 ? d.asStranger : d.asAnchorer;
      if (i % 3 === 0) await who.write.anchor([stream, BigInt(size), root, manifest(i)]);
      else if (i % 3 === 1 || previous === 0) {
        const proof = previous === 0 ? [] : tree.consistencyProof(previous, size);
        await who.write.anchorWithConsistency([stream, BigInt(size), root, manifest(i), proof]);
      } else {
        await who.write.anchorBatch([
          [
            {
              streamId: other,
              treeSize: BigInt(i),
              root,
              manifestDigest: manifest(`o${i}`),
              checkConsistency: false,
              consistencyProof: [],
            },
            {
              streamId: stream,
              treeSize: BigInt(size),
              root,
              manifestDigest: manifest(i),
              checkConsistency: true,
              consistencyProof: tree.consistencyProof(previous, size),
            },
          ],
        ]);
      }
      if (i % 10 === 0) await networkHelpers.mine(1 + (i % 4));
    }
    const events = await publicClient.getContractEvents({
      address: d.registry.address,
      abi: d.registry.abi,
      eventName: "CheckpointAnchored",
      args: { streamId: stream },
      fromBlock: 0n,
      strict: true,
    });
    assert.equal(events.length, 60);
    // Independent replay: keccak256 over the eight 32-byte words of each link.
    let head = keccak256(concat([GENESIS_DOMAIN, word(31337), word(d.registry.address), stream]));
    const heads: Hex[] = [];
    for (const [i, e] of events.entries()) {
      assert.equal(e.args.sequence, BigInt(i));
      assert.equal(e.args.previousHead, head);
      heads.push(head);
      head = keccak256(
        concat([
          head,
          word(e.args.sequence),
          word(e.args.treeSize),
          e.args.root,
          e.args.manifestDigest,
          word(e.args.anchorer),
          word(e.blockNumber),
          word(e.args.consistencyChecked),
        ]),
      );
    }
    assert.equal(head, await d.registry.read.chainedHead([stream]));
    assert.deepEqual(await d.registry.read.latestCheckpoint([stream]), [BigInt(size), tree.root(size)]);
    // A historical checkpoint (anchor 17) is proven by replaying from its previous head; altering it fails.
    const replay = (from: Hex, list: typeof events) =>
      list.reduce(
        (h, e) =>
          keccak256(
            concat([
              h,
              word(e.args.sequence),
              word(e.args.treeSize),
              e.args.root,
              e.args.manifestDigest,
              word(e.args.anchorer),
              word(e.blockNumber),
              word(e.args.consistencyChecked),
            ]),
          ),
        from,
      );
    assert.equal(replay(heads[17] as Hex, events.slice(17)), head);
    const altered = events
      .slice(17)
      .map((e, i) => (i === 0 ? { ...e, args: { ...e.args, treeSize: e.args.treeSize + 1n } } : e));
    assert.notEqual(replay(heads[17] as Hex, altered), head);
  });
});
