/**
 * ProvenanceRegistry anchoring: events with every field a verifier needs, strictly increasing sizes,
 * batches (all or nothing), and consistency-checked anchoring against forks. Trees come from the RFC 6962 reference in
 * test/support.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { network } from "hardhat";
import { type Hex, keccak256, stringToBytes, zeroHash } from "viem";
import { type Deployed, id, manifest, registryTestbed } from "../support/registry.ts";
import { ReferenceTree, syntheticLeaves } from "../support/rfc6962.ts";

const { networkHelpers, viem } = await network.create();
const publicClient = await viem.getPublicClient();
const { ANCHORER, deploy } = await registryTestbed(viem);

describe("ProvenanceRegistry: anchoring", () => {
  let d: Deployed;
  const stream = id("anchoring");
  before(async () => {
    d = await deploy();
    await d.registry.write.registerStream([stream, "m", false]);
  });

  it("emits CheckpointAnchored with every field a verifier needs", async () => {
    const genesis = await d.registry.read.chainedHead([stream]);
    const hash = await d.asAnchorer.write.anchor([stream, 10n, manifest("root 10"), manifest(0)]);
    await viem.assertions.emitWithArgs(hash, d.registry, "CheckpointAnchored", [
      stream,
      0n,
      ANCHORER,
      10n,
      manifest("root 10"),
      manifest(0),
      genesis,
      0n,
      false,
    ]);
    const firstBlock = (await publicClient.getTransactionReceipt({ hash })).blockNumber;
    const head1 = await d.registry.read.chainedHead([stream]);
    await networkHelpers.mine(3);
    await viem.assertions.emitWithArgs(
      d.asAnchorer.write.anchor([stream, 11n, manifest("root 11"), manifest(1)]),
      d.registry,
      "CheckpointAnchored",
      [stream, 1n, ANCHORER, 11n, manifest("root 11"), manifest(1), head1, firstBlock, false],
    );
    const state = await d.registry.read.streamState([stream]);
    assert.equal(state.anchorCount, 2n);
    assert.equal(state.treeSize, 11n);
    assert.equal(state.root, manifest("root 11"));
    assert.equal(state.lastAnchorBlock, await publicClient.getBlockNumber());
  });

  it("rejects a tree size that does not strictly increase, with both sizes", async () => {
    for (const size of [11n, 10n, 0n]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        d.asAnchorer.write.anchor([stream, size, manifest("r"), manifest("m")]),
        d.registry,
        "ProvenanceRegistryStaleTreeSize",
        [stream, size, 11n],
      );
    }
  });

  it("rejects a zero root and a zero manifest digest", async () => {
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchor([stream, 12n, zeroHash, manifest("m")]),
      d.registry,
      "ProvenanceRegistryEmptyRoot",
      [stream],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchor([stream, 12n, manifest("r"), zeroHash]),
      d.registry,
      "ProvenanceRegistryEmptyManifest",
      [stream],
    );
  });

  it("anchors several streams in one batch, all or nothing", async () => {
    const a = id("batch-a");
    const b = id("batch-b");
    await d.registry.write.registerStream([a, "a", false]);
    await d.registry.write.registerStream([b, "b", false]);
    const req = (streamId: Hex, treeSize: bigint) => ({
      streamId,
      treeSize,
      root: manifest(`root ${treeSize}`),
      manifestDigest: manifest(`${streamId} ${treeSize}`),
      checkConsistency: false,
      consistencyProof: [] as Hex[],
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchorBatch([[]]),
      d.registry,
      "ProvenanceRegistryEmptyBatch",
      [],
    );
    // The second checkpoint of `a` is stale: nothing of the batch is applied.
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchorBatch([[req(a, 5n), req(b, 3n), req(a, 5n)]]),
      d.registry,
      "ProvenanceRegistryStaleTreeSize",
      [a, 5n, 5n],
    );
    assert.equal((await d.registry.read.streamState([b])).anchorCount, 0n);

    const hash = await d.asAnchorer.write.anchorBatch([[req(a, 5n), req(b, 3n), req(a, 8n)]]);
    const events = await publicClient.getContractEvents({
      address: d.registry.address,
      abi: d.registry.abi,
      eventName: "CheckpointAnchored",
      blockHash: (await publicClient.getTransactionReceipt({ hash })).blockHash,
      strict: true,
    });
    assert.deepEqual(
      events.map((e) => [e.args.streamId, e.args.sequence, e.args.treeSize]),
      [
        [a, 0n, 5n],
        [b, 0n, 3n],
        [a, 1n, 8n],
      ],
    );
    assert.deepEqual(await d.registry.read.latestCheckpoint([a]), [8n, manifest("root 8")]);
    assert.deepEqual(await d.registry.read.latestCheckpoint([b]), [3n, manifest("root 3")]);
  });
});

describe("ProvenanceRegistry: consistency-checked anchoring", () => {
  let d: Deployed;
  const stream = id("checked");
  const tree = new ReferenceTree(syntheticLeaves(40, 2));
  before(async () => {
    d = await deploy();
    await d.registry.write.registerStream([stream, "m", true]);
  });

  it("accepts the first anchor with an empty proof and rejects a non-empty one", async () => {
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchorWithConsistency([stream, 7n, tree.root(7), manifest(0), [tree.root(7)]]),
      d.registry,
      "ProvenanceRegistryInconsistentCheckpoint",
      [stream, 0n, zeroHash, 7n, tree.root(7)],
    );
    await d.asAnchorer.write.anchorWithConsistency([stream, 7n, tree.root(7), manifest(0), []]);
  });

  it("accepts a valid consistency proof and records that it was checked", async () => {
    await viem.assertions.emitWithArgs(
      d.asAnchorer.write.anchorWithConsistency([
        stream,
        20n,
        tree.root(20),
        manifest(1),
        tree.consistencyProof(7, 20),
      ]),
      d.registry,
      "CheckpointAnchored",
      [
        stream,
        1n,
        ANCHORER,
        20n,
        tree.root(20),
        manifest(1),
        (x: Hex) => x.length === 66,
        (b: bigint) => b > 0n,
        true,
      ],
    );
  });

  it("rejects a forked root: the same size, history rewritten before the previous checkpoint", async () => {
    const forkedLeaves = [...tree.leaves];
    forkedLeaves[3] = keccak256(stringToBytes("forged decision"));
    const fork = new ReferenceTree(forkedLeaves);
    // The forger's own proof links its fork of 20 leaves to its tree of 30, but not the anchored root.
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchorWithConsistency([
        stream,
        30n,
        fork.root(30),
        manifest(2),
        fork.consistencyProof(20, 30),
      ]),
      d.registry,
      "ProvenanceRegistryInconsistentCheckpoint",
      [stream, 20n, tree.root(20), 30n, fork.root(30)],
    );
    // The honest proof with the forged root fails too, and so does a mutated honest proof.
    const honest = tree.consistencyProof(20, 30);
    await viem.assertions.revertWithCustomError(
      d.asAnchorer.write.anchorWithConsistency([stream, 30n, fork.root(30), manifest(2), honest]),
      d.registry,
      "ProvenanceRegistryInconsistentCheckpoint",
    );
    const mutated = honest.map((h, i) => (i === 0 ? keccak256(h) : h));
    await viem.assertions.revertWithCustomError(
      d.asAnchorer.write.anchorWithConsistency([stream, 30n, tree.root(30), manifest(2), mutated]),
      d.registry,
      "ProvenanceRegistryInconsistentCheckpoint",
    );
  });

  it("refuses unchecked anchors on a stream that requires proofs, in anchor and in batches", async () => {
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchor([stream, 30n, tree.root(30), manifest(3)]),
      d.registry,
      "ProvenanceRegistryConsistencyProofRequired",
      [stream],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchorBatch([
        [
          {
            streamId: stream,
            treeSize: 30n,
            root: tree.root(30),
            manifestDigest: manifest(3),
            checkConsistency: false,
            consistencyProof: [],
          },
        ],
      ]),
      d.registry,
      "ProvenanceRegistryConsistencyProofRequired",
      [stream],
    );
    await d.asAnchorer.write.anchorBatch([
      [
        {
          streamId: stream,
          treeSize: 30n,
          root: tree.root(30),
          manifestDigest: manifest(3),
          checkConsistency: true,
          consistencyProof: tree.consistencyProof(20, 30),
        },
      ],
    ]);
    assert.deepEqual(await d.registry.read.latestCheckpoint([stream]), [30n, tree.root(30)]);
  });
});
