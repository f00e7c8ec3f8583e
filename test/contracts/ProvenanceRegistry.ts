/**
 * ProvenanceRegistry behaviour: roles, stream life cycle, monotonic sizes, every custom error with its
 * arguments, events with their arguments, the chained head replayed from events (with an implementation
 * independent of @ancora/contracts), batches, consistency-checked anchoring against forks, the admin's
 * way past a checkpoint that misstates its size, and the inclusion views. Trees come from the RFC 6962 reference in test/support.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { network } from "hardhat";
import { concat, getContract, type Hex, keccak256, numberToHex, pad, stringToBytes, zeroHash } from "viem";
import { provenanceRegistryAbi } from "../../packages/contracts/src/generated/provenance-registry.ts";
import { ReferenceTree, syntheticLeaves } from "../support/rfc6962.ts";

const { viem, networkHelpers } = await network.create();
const publicClient = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
const [adminWallet, anchorerWallet, strangerWallet] = wallets as [
  (typeof wallets)[number],
  (typeof wallets)[number],
  (typeof wallets)[number],
];
if (wallets.length < 3) throw new Error("need three accounts");
const ADMIN = adminWallet.account.address;
const ANCHORER = anchorerWallet.account.address;
const STRANGER = strangerWallet.account.address;

const id = (name: string): Hex => keccak256(stringToBytes(name));
const manifest = (label: string | number): Hex => keccak256(stringToBytes(`manifest ${label}`));
/** abi.encode of static values: each a 32-byte word. Independent of viem's ABI encoder on purpose. */
const word = (v: bigint | number | boolean | Hex): Hex =>
  typeof v === "string" ? pad(v, { size: 32 }) : pad(numberToHex(BigInt(v)), { size: 32 });
const GENESIS_DOMAIN = keccak256(stringToBytes("ancora.ProvenanceRegistry.v1.genesis"));

/**
 * Deploys from the Hardhat artifact and binds the generated `as const` ABI (packages/contracts), which also
 * checks that the generated module matches what is deployed. One handle per signer.
 */
async function deploy() {
  const deployed = await viem.deployContract("ProvenanceRegistry", [ADMIN]);
  const as = (wallet: typeof adminWallet) =>
    getContract({
      address: deployed.address,
      abi: provenanceRegistryAbi,
      client: { public: publicClient, wallet },
    });
  const registry = as(adminWallet);
  await registry.write.grantRole([await registry.read.ANCHORER_ROLE(), ANCHORER]);
  return { registry, asAnchorer: as(anchorerWallet), asStranger: as(strangerWallet) };
}

type Deployed = Awaited<ReturnType<typeof deploy>>;

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
