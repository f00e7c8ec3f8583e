/**
 * Receipts from a real SDK log anchored on Hardhat's in-process network, checked on chain by
 * `verifyReceiptOnChain`: a genuine receipt verifies (latest or older checkpoint, with confirmations);
 * a changed byte, a wrong proof, another registry, another chain, an unknown or a reverted transaction
 * each fail with their code; an unreachable endpoint is a SOURCE_UNREACHABLE error.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  deployRegistry,
  encodeStreamId,
  grantAnchorer,
  provenanceRegistryAbi,
  registerStream,
} from "@ancora/contracts";
import { type ReceiptJSON, receiptToJSON } from "@ancora/core";
import { createAnchorer, createLogger, type ProvenanceLogger } from "@ancora/sdk";
import { verifyReceiptOnChain } from "@ancora/verifier";
import { runVerify } from "@ancora/verifier/cli";
import { nodeSha256 } from "@ancora/verifier/node";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { network } from "hardhat";
import { type Address, createWalletClient, custom, type Hash, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rpcOverHttp } from "../../packages/sdk/src/testing/rpc-over-http.ts";
import { unreachableClient } from "./support/unreachable.ts";

const KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
const STREAM = "loans";
const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` } as const;
const CONFIG = {
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "risk-team@example.org",
  changeReason: "initial calibration",
} as const;

let dir: string;
let logger: ProvenanceLogger;
let publicClient: PublicClient;
let provider: { request(args: { method: string; params?: unknown }): Promise<unknown> };
let registry: Address;
let otherRegistry: Address;
/** A receipt to the first (older) anchored checkpoint and one to the latest. */
let older: ReceiptJSON;
let latest: ReceiptJSON;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-verify-receipt-"));
  const connection = await network.create();
  provider = connection.provider;
  publicClient = (await connection.viem.getPublicClient()) as unknown as PublicClient;
  const [admin] = await connection.viem.getWalletClients();
  if (admin === undefined) throw new Error("no wallet");
  ({ address: registry } = await deployRegistry(admin, publicClient, { admin: admin.account.address }));
  ({ address: otherRegistry } = await deployRegistry(admin, publicClient, { admin: admin.account.address }));
  await registerStream(admin, publicClient, { registry, streamId: encodeStreamId(STREAM), metadata: "{}" });
  await grantAnchorer(admin, publicClient, { registry, account: privateKeyToAccount(KEY_1).address });

  logger = createLogger({ path: join(dir, "ancora.db"), stream: STREAM, model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  const anchorer = createAnchorer({
    store: logger.store,
    streams: STREAM,
    registry,
    publicClient,
    walletClient: createWalletClient({
      account: privateKeyToAccount(KEY_1),
      chain: hardhat,
      transport: custom(provider, { retryCount: 0 }),
    }),
    policy: false,
    confirmations: 1,
    backoff: { baseMs: 1, maxMs: 5 },
    pollIntervalMs: 1,
  });
  const settle = async () => {
    for (let i = 0; i < 100; i++) {
      await anchorer.tick();
      if (anchorer.backlog().jobs === 0) return;
      await provider.request({ method: "hardhat_mine", params: ["0x1"] });
    }
    throw new Error("anchor backlog did not drain");
  };
  for (let i = 0; i < 20; i++) await logger.record({ features: { i }, output: { i }, score: (i % 10) / 10 });
  logger.checkpoint();
  await settle();
  older = receiptToJSON(logger.receipt(10));
  for (let i = 20; i < 40; i++) await logger.record({ features: { i }, output: { i }, score: (i % 10) / 10 });
  logger.checkpoint();
  await settle();
  latest = receiptToJSON(logger.receipt(30));
  await anchorer.stop();
}, 120_000);

afterAll(async () => {
  await logger?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const verify = (receipt: unknown, client: PublicClient = publicClient) =>
  verifyReceiptOnChain(receipt, { publicClient: client, sha256: nodeSha256 });

describe("verifyReceiptOnChain", () => {
  it("verifies a receipt to the latest checkpoint and one to an older checkpoint", async () => {
    const now = await verify(latest);
    expect(now).toMatchObject({ ok: true, anchorVerified: true, latest: true });
    if (!now.ok) return;
    expect(now.confirmations).toBeGreaterThanOrEqual(1);
    const before = await verify(JSON.stringify(older));
    expect(before).toMatchObject({ ok: true, anchorVerified: true, latest: false });
    if (before.ok) expect(before.anchoredSize).toBe(latest.checkpoint.size);
  });

  it("fails a receipt with a changed byte, a wrong proof or garbage, without throwing", async () => {
    const record = Buffer.from(latest.record, "base64");
    record[20] = (record[20] as number) ^ 0x01;
    const changed = await verify({ ...latest, record: record.toString("base64") });
    expect(changed).toMatchObject({ ok: false, failure: { code: "RECEIPT_CID_MISMATCH" } });
    const proof = [...latest.proof];
    proof[0] = `0x${"11".repeat(32)}`;
    expect(await verify({ ...latest, proof })).toMatchObject({ failure: { code: "RECEIPT_PROOF_INVALID" } });
    expect(await verify("{not json")).toMatchObject({ failure: { code: "RECEIPT_INVALID" } });
    expect(await verify(null)).toMatchObject({ failure: { code: "RECEIPT_INVALID" } });
  });

  it("fails a receipt naming another registry, chain or transaction", async () => {
    const other = { ...latest, anchor: { ...latest.anchor, registry: otherRegistry.toLowerCase() } };
    expect(await verify(other)).toMatchObject({ failure: { code: "RECEIPT_ANCHOR_NOT_FOUND" } });
    const chain = { ...latest, anchor: { ...latest.anchor, chainId: 1 } };
    expect(await verify(chain)).toMatchObject({
      failure: { code: "RECEIPT_CHAIN_MISMATCH", expected: "chain 1" },
    });
    const tx = { ...latest, anchor: { ...latest.anchor, txHash: `0x${"ab".repeat(32)}` } };
    expect(await verify(tx)).toMatchObject({ failure: { code: "RECEIPT_TX_NOT_FOUND" } });
    const block = { ...latest, anchor: { ...latest.anchor, blockNumber: latest.anchor.blockNumber - 1 } };
    expect(await verify(block)).toMatchObject({ failure: { code: "RECEIPT_TX_NOT_FOUND" } });
    // The older receipt's transaction does not anchor the latest checkpoint.
    expect(await verify({ ...latest, anchor: older.anchor })).toMatchObject({
      failure: { code: "RECEIPT_ANCHOR_NOT_FOUND" },
    });
  });

  it("fails a receipt whose transaction reverted", async () => {
    const wallet = createWalletClient({
      account: privateKeyToAccount(KEY_1),
      chain: hardhat,
      transport: custom(provider, { retryCount: 0 }),
    });
    // A stale tree size reverts; an explicit gas limit skips estimation, so the transaction is mined.
    const hash: Hash = await wallet
      .writeContract({
        address: registry,
        abi: provenanceRegistryAbi,
        functionName: "anchor",
        args: [encodeStreamId(STREAM), 1n, `0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`],
        gas: 200_000n,
      })
      .catch(async () => {
        const block = await publicClient.getBlock({ blockTag: "latest" });
        return block.transactions[0] as Hash;
      });
    const tx = await publicClient.getTransactionReceipt({ hash });
    expect(tx.status).toBe("reverted");
    const reverted = {
      ...latest,
      anchor: { ...latest.anchor, txHash: hash, blockNumber: Number(tx.blockNumber) },
    };
    expect(await verify(reverted)).toMatchObject({ failure: { code: "RECEIPT_TX_FAILED" } });
  });

  it("rejects with SOURCE_UNREACHABLE when the endpoint is down", async () => {
    const down = unreachableClient();
    await expect(verify(latest, down)).rejects.toMatchObject({ code: "SOURCE_UNREACHABLE" });
  });
});

describe("ancora-verify --receipt over several RPC endpoints, one of them keyed by a header", () => {
  it("falls back past a dead endpoint, sends ANCORA_RPC_HEADERS, and never prints them", async () => {
    const live = await rpcOverHttp(provider);
    const dead = await rpcOverHttp(provider);
    dead.down = true;
    live.requireHeaders = { "x-api-key": "k-e2e-secret" };
    const file = join(dir, "receipt.json");
    writeFileSync(file, JSON.stringify(latest));
    const run = async (env: Record<string, string>) => {
      let out = "";
      const code = await runVerify(["node", "ancora-verify", "--receipt", file, "--json"], {
        stdout: { write: (text: string) => (out += text) },
        stderr: { write: (text: string) => (out += text), isTTY: false },
        env,
      });
      return { code, out };
    };
    try {
      const urls = `${dead.url} ${live.url}/v3/URL-KEY`;
      const keyed = await run({ ANCORA_RPC_URL: urls, ANCORA_RPC_HEADERS: '{"x-api-key":"k-e2e-secret"}' });
      expect(keyed.code, keyed.out).toBe(0);
      expect(JSON.parse(keyed.out)).toMatchObject({ ok: true });
      // Without the header the provider refuses: unreachable (exit 3), and nothing secret is printed.
      const refused = await run({ ANCORA_RPC_URL: urls });
      expect(refused.code).toBe(3);
      for (const { out } of [keyed, refused]) {
        expect(out).not.toContain("k-e2e-secret");
        expect(out).not.toContain("URL-KEY");
        expect(out).not.toContain(dead.url);
      }
      expect(live.calls.size).toBeGreaterThan(0);
    } finally {
      await live.stop();
      await dead.stop();
    }
  });
});
