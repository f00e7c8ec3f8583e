/**
 * A wrong-size anchor end to end (docs/threat-model.md, "A wrong-size anchor"; docs/operations.md, "A
 * misstated anchor"), on Hardhat's in-process network served over loopback HTTP for the CLIs: an honest
 * SDK log is anchored; whoever holds the anchorer key anchors a size the log never had with the root of
 * another size and the honest proof for that one, and the registry accepts it; the SDK's anchorer stops
 * with ANCHOR_SIZE_MISSTATED (not ANCHOR_FORK) and names the command; the verifier (library and
 * `ancora-verify`, text and JSON) names it ANCHOR_SIZE_MISSTATED and nothing else; the anchorer key
 * cannot use the way past it; the admin runs `ancora anchor --after-misstated-anchor`; anchoring goes on
 * with consistency proofs; the verifier still names the bad anchor and nothing else.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  deployRegistry,
  encodeStreamId,
  grantAnchorer,
  provenanceRegistryAbi,
  registerStream,
} from "@ancora/contracts";
import { consistencyProofSizes } from "@ancora/core";
import { AnchorError, type Anchorer, createAnchorer, createLogger, type ProvenanceLogger } from "@ancora/sdk";
import { registryView, verifyAgainstChain } from "@ancora/verifier";
import { nodeSha256, openLocalLog } from "@ancora/verifier/node";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { network } from "hardhat";
import {
  type Address,
  createWalletClient,
  custom,
  type Hex,
  keccak256,
  type PublicClient,
  stringToBytes,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RpcEndpoint, rpcOverHttp } from "../../packages/sdk/src/testing/rpc-over-http.ts";
import { cliRun } from "../../packages/service/src/testing/cli.ts";
import { HARDHAT_DEV_KEY } from "../../scripts/lib/local-chain.ts";
import { CONFIG, MODEL, STREAM } from "./support/anchored-log.ts";
import { runVerifyBin } from "./support/verify-bin.ts";

/** Hardhat's well-known development keys #0 (the admin) and #1 (the anchorer), local chain only. */
const ADMIN_KEY = HARDHAT_DEV_KEY;
const ANCHORER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
let dir: string;
let path: string;
let publicClient: PublicClient;
let provider: { request(args: { method: string; params?: unknown }): Promise<unknown> };
let rpc: RpcEndpoint;
let registry: Address;
let logged = 0;
/** The registry's admin (Hardhat's key #0). */
let admin: Parameters<typeof registerStream>[0];
/** The misstated anchor: the size before it, the size it states, the size whose root it commits. */
const bad = { previous: 0, stated: 0, true: 0, tx: "" as Hex };

function openLogger(stream = STREAM): ProvenanceLogger {
  const logger = createLogger({ path, stream, model: MODEL, commitment: "plain" });
  if (logger.config() === undefined) logger.setConfig(CONFIG);
  return logger;
}

async function log(count: number, stream = STREAM): Promise<number> {
  const logger = openLogger(stream);
  try {
    for (let i = 0; i < count; i++, logged++) {
      await logger.record({ features: { i: logged }, output: { ok: logged % 2 }, score: (logged % 10) / 10 });
    }
    return logger.store.stream(stream).size;
  } finally {
    await logger.close();
  }
}

/** One honest anchoring pass, as `ancora serve` or `ancora anchor` does it; returns the errors reported. */
async function anchorOnce(stream = STREAM): Promise<unknown[]> {
  const logger = openLogger(stream);
  const errors: unknown[] = [];
  let anchorer: Anchorer | undefined;
  try {
    logger.store.checkpoint(stream);
    anchorer = createAnchorer({
      store: logger.store,
      streams: stream,
      registry,
      publicClient,
      walletClient: createWalletClient({
        account: privateKeyToAccount(ANCHORER_KEY),
        chain: hardhat,
        transport: custom(provider, { retryCount: 0 }),
      }),
      policy: false,
      confirmations: 1,
      backoff: { baseMs: 1, maxMs: 1 },
      pollIntervalMs: 1,
      onError: (error) => errors.push(error),
    });
    for (let i = 0; i < 40 && anchorer.backlog().jobs > 0 && errors.length === 0; i++) {
      await anchorer.tick();
      await provider.request({ method: "hardhat_mine", params: ["0x1"] });
    }
    return errors;
  } finally {
    await anchorer?.stop();
    await logger.close();
  }
}

async function verifyLibrary(stream = STREAM) {
  const local = openLocalLog(path);
  try {
    const view = await registryView(publicClient, registry);
    const result = await verifyAgainstChain({ local, registry: view, sha256: nodeSha256 });
    return result.streams.find((s) => s.stream === stream);
  } finally {
    local.close();
  }
}

/** `ancora anchor --after-misstated-anchor` with `key` as ANCORA_DEPLOYER_KEY. */
function afterMisstated(key: Hex, extra: readonly string[] = [], stream = STREAM) {
  const argv = ["anchor", "--after-misstated-anchor", "--stream", stream, "--db", path, "--rpc", rpc.url];
  return cliRun([...argv, "--registry", registry, ...extra], { cwd: dir, env: { ANCORA_DEPLOYER_KEY: key } });
}

async function chainState(stream = STREAM) {
  return await publicClient.readContract({
    address: registry,
    abi: provenanceRegistryAbi,
    functionName: "streamState",
    args: [encodeStreamId(stream)],
  });
}

/** The anchorer key anchors size `stated` with the root of `trueSize` and the honest proof for it. */
async function misstate(stream: string, previous: number, stated: number, trueSize: number): Promise<Hex> {
  const logger = openLogger(stream);
  let proof: Hex[];
  let root: Hex;
  try {
    const info = logger.store.consistencyProof(stream, previous, trueSize);
    proof = info.proof.map((h) => toHex(h));
    root = toHex(info.root2);
  } finally {
    await logger.close();
  }
  const attacker = createWalletClient({
    account: privateKeyToAccount(ANCHORER_KEY),
    chain: hardhat,
    transport: custom(provider, { retryCount: 0 }),
  });
  const tx = await attacker.writeContract({
    address: registry,
    abi: provenanceRegistryAbi,
    functionName: "anchorWithConsistency",
    args: [encodeStreamId(stream), BigInt(stated), root, keccak256(stringToBytes("a manifest")), proof],
  });
  expect((await publicClient.waitForTransactionReceipt({ hash: tx })).status).toBe("success");
  return tx;
}

/** A size after `size` (`ahead`) or before it whose proof from `previous` is the proof for `size`. */
function sharing(previous: number, size: number, ahead: boolean): number | undefined {
  const other = ahead ? size + 1 : size - 1;
  return consistencyProofSizes(previous, size).some((r) => r.from <= other && other <= r.to)
    ? other
    : undefined;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-misstated-"));
  path = join(dir, "ancora.db");
  const connection = await network.create();
  provider = connection.provider;
  publicClient = (await connection.viem.getPublicClient()) as unknown as PublicClient;
  rpc = await rpcOverHttp(provider);
  admin = createWalletClient({
    account: privateKeyToAccount(ADMIN_KEY),
    chain: hardhat,
    transport: custom(provider, { retryCount: 0 }),
  });
  ({ address: registry } = await deployRegistry(admin, publicClient, { admin: admin.account.address }));
  // The default: every anchor after the first must carry a consistency proof.
  await registerStream(admin, publicClient, { registry, streamId: encodeStreamId(STREAM), metadata: "{}" });
  await grantAnchorer(admin, publicClient, { registry, account: privateKeyToAccount(ANCHORER_KEY).address });

  // The honest history: one anchor.
  bad.previous = await log(40);
  expect(await anchorOnce()).toEqual([]);
  expect((await chainState()).treeSize).toBe(BigInt(bad.previous));

  // The log grows to a size whose consistency proof from the anchored one also verifies for the size
  // below it (the audit's "704 with the root of 705"); the anchorer key misstates it.
  let size = await log(20);
  while (sharing(bad.previous, size, false) === undefined) size = await log(1);
  bad.true = size;
  bad.stated = size - 1;
  bad.tx = await misstate(STREAM, bad.previous, bad.stated, bad.true);
}, 180_000);

afterAll(async () => {
  await rpc?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function expectOnlyMisstated(failures: readonly { code: string; expected: string; found: string }[]) {
  expect(failures.map((f) => f.code)).toEqual(["ANCHOR_SIZE_MISSTATED"]);
  const [failure] = failures;
  expect(failure?.expected).toContain(`anchor 1 (tx ${bad.tx.toLowerCase()})`);
  expect(failure?.expected).toContain(`size ${bad.stated}`);
  expect(failure?.found).toContain(`size ${bad.true}`);
}

describe("a misstated anchor", () => {
  it("stops the SDK's anchorer with ANCHOR_SIZE_MISSTATED and the command to run, not ANCHOR_FORK", async () => {
    await log(10);
    const errors = await anchorOnce();
    expect(errors.length).toBeGreaterThan(0);
    const error = errors[0];
    expect(error).toBeInstanceOf(AnchorError);
    expect((error as AnchorError).code).toBe("ANCHOR_SIZE_MISSTATED");
    expect((error as AnchorError).hint).toContain(
      `ancora anchor --after-misstated-anchor --stream ${STREAM}`,
    );
    expect((error as AnchorError).evidence).toMatchObject({
      statedSize: bad.stated,
      trueSize: bad.true,
      sequence: 1,
      txHash: bad.tx,
    });
  });

  it("is named by the verifier, library and bin (text and JSON), and nothing else: exit 1", async () => {
    const result = await verifyLibrary();
    expect(result?.ok).toBe(false);
    expectOnlyMisstated(result?.failures ?? []);

    const json = await runVerifyBin(["--db", path, "--rpc", rpc.url, "--registry", registry, "--json"]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as {
      ok: boolean;
      failures: { code: string; expected: string; found: string }[];
    };
    expect(doc.ok).toBe(false);
    expectOnlyMisstated(doc.failures);
    const text = await runVerifyBin(["--db", path, "--rpc", rpc.url, "--registry", registry]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `Anchorer misbehaviour in ${STREAM} (the log is intact): ANCHOR_SIZE_MISSTATED`,
    );
    expect(text.stdout).not.toContain("ANCHOR_ROOT_MISMATCH");
    expect(text.stdout).not.toContain("First bad record");
  }, 120_000);

  it("cannot be skipped with the anchorer key", async () => {
    const before = await chainState();
    const run = await afterMisstated(ANCHORER_KEY);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("ANCHOR_REVERTED");
    expect(run.stderr).not.toContain(ANCHORER_KEY.slice(2));
    expect((await chainState()).anchorCount).toBe(before.anchorCount);
  });

  it("is skipped by the admin with `ancora anchor --after-misstated-anchor`, and anchoring goes on", async () => {
    // The default 2 confirmations on a node that mines only on demand: 1 stands for them, said once.
    const run = await afterMisstated(ADMIN_KEY, ["--json"]);
    expect(run.stderr).toMatch(/^notice: the chain mines only on demand \(automine\).*\n$/);
    expect(run.code).toBe(0);
    const done = JSON.parse(run.stdout) as { skipped: Record<string, unknown>; size: number };
    expect(done.skipped).toMatchObject({
      sequence: 1,
      statedSize: bad.stated,
      trueSize: bad.true,
      txHash: bad.tx,
    });
    const state = await chainState();
    expect(state.anchorCount).toBe(3n);
    expect(state.treeSize).toBe(BigInt(done.size));

    // The anchorer key goes on as usual, with consistency proofs from the admin's checkpoint.
    const size = await log(15);
    expect(await anchorOnce()).toEqual([]);
    const after = await chainState();
    expect(after.anchorCount).toBe(4n);
    expect(after.treeSize).toBe(BigInt(size));
    const events = await publicClient.getContractEvents({
      address: registry,
      abi: provenanceRegistryAbi,
      eventName: "CheckpointAnchored",
      fromBlock: 0n,
    });
    expect(events.slice(1).map((e) => [e.args.sequence, e.args.consistencyChecked])).toEqual([
      [1n, true],
      [2n, false],
      [3n, true],
    ]);
  }, 120_000);

  it("refuses to skip an anchor that is not misstated (ANCHOR_NOT_MISSTATED, exit 1, nothing sent)", async () => {
    const before = await chainState();
    const run = await afterMisstated(ADMIN_KEY, ["--confirmations", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ANCHOR_NOT_MISSTATED");
    expect((await chainState()).anchorCount).toBe(before.anchorCount);
  });

  it("stays named in the history, and nothing else fails", async () => {
    const result = await verifyLibrary();
    expectOnlyMisstated(result?.failures ?? []);
    const json = await runVerifyBin(["--db", path, "--rpc", rpc.url, "--registry", registry, "--json"]);
    expect(json.code).toBe(1);
    expectOnlyMisstated((JSON.parse(json.stdout) as { failures: never[] }).failures);
  }, 120_000);
});

describe("a misstated anchor that states more records than the log has", () => {
  const FRAUD = "fraud";

  it("is named with its true size, and anchoring past it waits for the log (ANCHOR_LOG_TOO_SHORT)", async () => {
    await registerStream(admin, publicClient, { registry, streamId: encodeStreamId(FRAUD), metadata: "{}" });
    const previous = await log(30, FRAUD);
    expect(await anchorOnce(FRAUD)).toEqual([]);
    let size = await log(20, FRAUD);
    while (sharing(previous, size, true) === undefined) size = await log(1, FRAUD);
    const tx = await misstate(FRAUD, previous, size + 1, size);

    const result = await verifyLibrary(FRAUD);
    expect(result?.failures.map((f) => f.code)).toEqual(["ANCHOR_SIZE_MISSTATED"]);
    expect(result?.failures[0]?.expected).toContain(`anchor 1 (tx ${tx.toLowerCase()}) of size ${size + 1}`);
    expect(result?.failures[0]?.found).toContain(`size ${size}:`);

    const before = await chainState(FRAUD);
    const run = await afterMisstated(ADMIN_KEY, ["--confirmations", "1"], FRAUD);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("ANCHOR_LOG_TOO_SHORT");
    expect((await chainState(FRAUD)).anchorCount).toBe(before.anchorCount);
  });
});
