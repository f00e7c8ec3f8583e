/**
 * ProvenanceRegistry roles and stream life cycle: who may do what, revocation, registration, unknown
 * streams, consistency required one way, and retirement. Trees come from the RFC 6962 reference in
 * test/support.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { network } from "hardhat";
import { concat, type Hex, keccak256, zeroHash } from "viem";
import { type Deployed, GENESIS_DOMAIN, id, manifest, registryTestbed, word } from "../support/registry.ts";
import { ReferenceTree, syntheticLeaves } from "../support/rfc6962.ts";

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const { ADMIN, ANCHORER, STRANGER, deploy } = await registryTestbed(viem);

describe("ProvenanceRegistry: roles", () => {
  let d: Deployed;
  before(async () => {
    d = await deploy();
  });

  it("rejects the zero admin at deployment", async () => {
    await viem.assertions.revertWithCustomErrorWithArgs(
      viem.deployContract("ProvenanceRegistry", ["0x0000000000000000000000000000000000000000"]),
      d.registry,
      "ProvenanceRegistryInvalidAdmin",
      ["0x0000000000000000000000000000000000000000"],
    );
  });

  it("gives the admin DEFAULT_ADMIN_ROLE and nobody else any role", async () => {
    const anchorerRole = await d.registry.read.ANCHORER_ROLE();
    assert.equal(anchorerRole, id("ANCHORER_ROLE"));
    assert.equal(await d.registry.read.hasRole([zeroHash, ADMIN]), true);
    assert.equal(await d.registry.read.hasRole([zeroHash, ANCHORER]), false);
    assert.equal(await d.registry.read.hasRole([anchorerRole, ADMIN]), false);
    assert.equal(await d.registry.read.hasRole([anchorerRole, ANCHORER]), true);
  });

  it("lets only the admin manage streams and roles", async () => {
    const role = await d.registry.read.ANCHORER_ROLE();
    // Thunks: a call's promise must not exist (and reject unobserved) before the assertion awaits it.
    for (const call of [
      () => d.asAnchorer.write.registerStream([id("x"), "m", false]),
      () => d.asAnchorer.write.grantRole([role, STRANGER]),
      () => d.asStranger.write.retireStream([id("x")]),
      () => d.asStranger.write.requireConsistency([id("x")]),
    ]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        call(),
        d.registry,
        "AccessControlUnauthorizedAccount",
        [
          (a: string) =>
            a.toLowerCase() === ANCHORER.toLowerCase() || a.toLowerCase() === STRANGER.toLowerCase(),
          zeroHash,
        ],
      );
    }
  });

  it("lets only anchorers anchor, and revocation takes effect at once", async () => {
    await d.registry.write.registerStream([id("roles"), "m", false]);
    const role = await d.registry.read.ANCHORER_ROLE();
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asStranger.write.anchor([id("roles"), 1n, manifest("r"), manifest(1)]),
      d.registry,
      "AccessControlUnauthorizedAccount",
      [STRANGER, role],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.registry.write.anchorBatch([[]]),
      d.registry,
      "AccessControlUnauthorizedAccount",
      [ADMIN, role],
    );
    await d.asAnchorer.write.anchor([id("roles"), 1n, manifest("r"), manifest(1)]);
    await d.registry.write.revokeRole([role, ANCHORER]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.asAnchorer.write.anchor([id("roles"), 2n, manifest("r2"), manifest(2)]),
      d.registry,
      "AccessControlUnauthorizedAccount",
      [ANCHORER, role],
    );
  });
});

describe("ProvenanceRegistry: stream life cycle", () => {
  let d: Deployed;
  before(async () => {
    d = await deploy();
  });

  it("registers a stream, emitting StreamRegistered with its genesis head", async () => {
    const genesis = keccak256(concat([GENESIS_DOMAIN, word(31337), word(d.registry.address), id("loans")]));
    await viem.assertions.emitWithArgs(
      d.registry.write.registerStream([id("loans"), '{"name":"loans"}', true]),
      d.registry,
      "StreamRegistered",
      [id("loans"), '{"name":"loans"}', genesis, true],
    );
    assert.equal(await d.registry.read.genesisHead([id("loans")]), genesis);
    assert.equal(await d.registry.read.chainedHead([id("loans")]), genesis);
    assert.equal(await d.registry.read.streamMetadata([id("loans")]), '{"name":"loans"}');
    assert.deepEqual(await d.registry.read.latestCheckpoint([id("loans")]), [0n, zeroHash]);
    const state = await d.registry.read.streamState([id("loans")]);
    assert.equal(state.status, 1);
    assert.equal(state.consistencyRequired, true);
    assert.equal(BigInt(state.registeredBlock), await publicClient.getBlockNumber());
  });

  it("rejects the zero id and an id already taken", async () => {
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.registry.write.registerStream([zeroHash, "", false]),
      d.registry,
      "ProvenanceRegistryInvalidStreamId",
      [zeroHash],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.registry.write.registerStream([id("loans"), "again", false]),
      d.registry,
      "ProvenanceRegistryStreamExists",
      [id("loans")],
    );
  });

  it("reverts with ProvenanceRegistryUnknownStream for every call on an unknown stream", async () => {
    const unknown = id("unknown");
    const calls = [
      () => d.asAnchorer.write.anchor([unknown, 1n, manifest("r"), manifest(1)]),
      () => d.asAnchorer.write.anchorWithConsistency([unknown, 1n, manifest("r"), manifest(1), []]),
      () => d.registry.write.retireStream([unknown]),
      () => d.registry.write.requireConsistency([unknown]),
      () => d.registry.read.latestCheckpoint([unknown]),
      () => d.registry.read.chainedHead([unknown]),
      () => d.registry.read.streamMetadata([unknown]),
      () => d.registry.read.verifyInclusion([unknown, manifest("leaf"), 0n, 1n, []]),
      () =>
        d.registry.read.verifyHistoricalInclusion([unknown, 1n, manifest("r"), [], manifest("leaf"), 0n, []]),
    ];
    for (const call of calls) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        call(),
        d.registry,
        "ProvenanceRegistryUnknownStream",
        [unknown],
      );
    }
    assert.equal((await d.registry.read.streamState([unknown])).status, 0);
  });

  it("makes consistency required one way, emitting StreamConsistencyRequired", async () => {
    await d.registry.write.registerStream([id("lax"), "m", false]);
    await viem.assertions.emitWithArgs(
      d.registry.write.requireConsistency([id("lax")]),
      d.registry,
      "StreamConsistencyRequired",
      [id("lax")],
    );
    assert.equal((await d.registry.read.streamState([id("lax")])).consistencyRequired, true);
  });

  it("retires a stream: StreamRetired, no more anchors or changes, id never reused, history readable", async () => {
    await d.registry.write.registerStream([id("old"), "m", false]);
    const leaves = syntheticLeaves(9, 1);
    const tree = new ReferenceTree(leaves);
    await d.asAnchorer.write.anchor([id("old"), 9n, tree.root(), manifest("old")]);
    await viem.assertions.emitWithArgs(
      d.registry.write.retireStream([id("old")]),
      d.registry,
      "StreamRetired",
      [id("old"), 9n, 1n],
    );
    const retired = [
      () => d.asAnchorer.write.anchor([id("old"), 10n, manifest("r"), manifest(2)]),
      () => d.asAnchorer.write.anchorWithConsistency([id("old"), 10n, manifest("r"), manifest(2), []]),
      () =>
        d.asAnchorer.write.anchorBatch([
          [
            {
              streamId: id("old"),
              treeSize: 10n,
              root: manifest("r"),
              manifestDigest: manifest(2),
              checkConsistency: false,
              consistencyProof: [],
            },
          ],
        ]),
      () => d.registry.write.retireStream([id("old")]),
      () => d.registry.write.requireConsistency([id("old")]),
    ];
    for (const call of retired) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        call(),
        d.registry,
        "ProvenanceRegistryStreamRetired",
        [id("old")],
      );
    }
    await viem.assertions.revertWithCustomErrorWithArgs(
      d.registry.write.registerStream([id("old"), "reuse", false]),
      d.registry,
      "ProvenanceRegistryStreamExists",
      [id("old")],
    );
    assert.equal((await d.registry.read.streamState([id("old")])).status, 2);
    assert.deepEqual(await d.registry.read.latestCheckpoint([id("old")]), [9n, tree.root()]);
    assert.equal(
      await d.registry.read.verifyInclusion([id("old"), leaves[4] as Hex, 4n, 9n, tree.inclusionProof(4)]),
      true,
    );
  });
});
