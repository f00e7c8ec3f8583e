/**
 * ProvenanceRegistry and a checkpoint that misstates its size: what RFC 6962 cannot bind, and the
 * admin's way past it. Trees come from the RFC 6962 reference in
 * test/support.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { network } from "hardhat";
import { concat, keccak256, zeroHash } from "viem";
import { type Deployed, id, manifest, registryTestbed, word } from "../support/registry.ts";
import { ReferenceTree, syntheticLeaves } from "../support/rfc6962.ts";

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const { ADMIN, ANCHORER, STRANGER, deploy } = await registryTestbed(viem);

describe("ProvenanceRegistry: a misstated checkpoint and the admin's way past it", () => {
  let d: Deployed;
  const stream = id("misstated");
  const tree = new ReferenceTree(syntheticLeaves(830, 5));
  before(async () => {
    d = await deploy();
    await d.registry.write.registerStream([stream, "m", true]);
    await d.asAnchorer.write.anchorWithConsistency([stream, 600n, tree.root(600), manifest(0), []]);
  });

  it("accepts, from the anchorer, size 704 with the root of 705 and the proof for 705 (RFC 6962 cannot bind a size)", async () => {
    await d.asAnchorer.write.anchorWithConsistency([
      stream,
      704n,
      tree.root(705),
      manifest(1),
      tree.consistencyProof(600, 705),
    ]);
    assert.deepEqual(await d.registry.read.latestCheckpoint([stream]), [704n, tree.root(705)]);
  });

  it("then refuses every honest anchor: no proof from (704, root of 705) to the log exists", async () => {
    for (const proof of [tree.consistencyProof(705, 800), tree.consistencyProof(704, 800)]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        d.asAnchorer.write.anchorWithConsistency([stream, 800n, tree.root(800), manifest(2), proof]),
        d.registry,
        "ProvenanceRegistryInconsistentCheckpoint",
        [stream, 704n, tree.root(705), 800n, tree.root(800)],
      );
    }
  });

  it("lets neither the anchorer nor a stranger skip a checkpoint", async () => {
    for (const [handle, who] of [
      [d.asAnchorer, ANCHORER],
      [d.asStranger, STRANGER],
    ] as const) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        handle.write.anchorAfterMisstatedCheckpoint([stream, 800n, tree.root(800), manifest(2)]),
        d.registry,
        "AccessControlUnauthorizedAccount",
        [who, zeroHash],
      );
    }
  });

  it("checks the new checkpoint's own fields, and needs a checkpoint to skip", async () => {
    const fresh = id("misstated, never anchored");
    await d.registry.write.registerStream([fresh, "m", true]);
    const cases = [
      [[fresh, 10n, tree.root(10), manifest(9)], "ProvenanceRegistryNoCheckpoint", [fresh]],
      [[stream, 704n, tree.root(704), manifest(9)], "ProvenanceRegistryStaleTreeSize", [stream, 704n, 704n]],
      [[stream, 800n, zeroHash, manifest(9)], "ProvenanceRegistryEmptyRoot", [stream]],
      [[stream, 800n, tree.root(800), zeroHash], "ProvenanceRegistryEmptyManifest", [stream]],
      [[id("nobody"), 800n, tree.root(800), manifest(9)], "ProvenanceRegistryUnknownStream", [id("nobody")]],
    ] as const;
    for (const [args, error, errorArgs] of cases) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        d.registry.write.anchorAfterMisstatedCheckpoint(args),
        d.registry,
        error,
        [...errorArgs],
      );
    }
  });

  it("anchors the honest tree from the admin: unchecked in the chained head, the skipped sequence named", async () => {
    const before = await d.registry.read.streamState([stream]);
    const hash = await d.registry.write.anchorAfterMisstatedCheckpoint([
      stream,
      800n,
      tree.root(800),
      manifest(2),
    ]);
    await viem.assertions.emitWithArgs(Promise.resolve(hash), d.registry, "MisstatedCheckpointSkipped", [
      stream,
      2n,
      1n,
    ]);
    await viem.assertions.emitWithArgs(Promise.resolve(hash), d.registry, "CheckpointAnchored", [
      stream,
      2n,
      ADMIN,
      800n,
      tree.root(800),
      manifest(2),
      before.head,
      before.lastAnchorBlock,
      false,
    ]);
    const receipt = await publicClient.getTransactionReceipt({ hash });
    const after = await d.registry.read.streamState([stream]);
    const expectedHead = keccak256(
      concat([
        before.head,
        word(2n),
        word(800n),
        tree.root(800),
        manifest(2),
        word(ADMIN),
        word(receipt.blockNumber),
        word(false),
      ]),
    );
    assert.equal(after.head, expectedHead);
    assert.equal(after.anchorCount, 3n);
    assert.deepEqual(await d.registry.read.latestCheckpoint([stream]), [800n, tree.root(800)]);
  });

  it("lets the anchorer go on with consistency proofs from the new checkpoint", async () => {
    await d.asAnchorer.write.anchorWithConsistency([
      stream,
      830n,
      tree.root(830),
      manifest(3),
      tree.consistencyProof(800, 830),
    ]);
    assert.deepEqual(await d.registry.read.latestCheckpoint([stream]), [830n, tree.root(830)]);
  });

  it("refuses a retired stream", async () => {
    await d.registry.write.retireStream([stream]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.registry.write.anchorAfterMisstatedCheckpoint([stream, 900n, tree.root(830), manifest(4)]),
      d.registry,
      "ProvenanceRegistryStreamRetired",
      [stream],
    );
  });
});
