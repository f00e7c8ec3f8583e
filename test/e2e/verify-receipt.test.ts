/**
 * Receipts from a real SDK log anchored on Hardhat's in-process network, checked on chain by
 * `verifyReceiptOnChain`: a genuine receipt verifies (latest or older checkpoint, with confirmations);
 * a changed byte, a wrong proof, another registry, another chain, an unknown or a reverted transaction
 * each fail with their code; an unreachable endpoint is a SOURCE_UNREACHABLE error.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeStreamId, provenanceRegistryAbi } from "@ancora/contracts";
import type { ReceiptJSON } from "@ancora/core";
import { verifyReceiptOnChain } from "@ancora/verifier";
import { runVerify } from "@ancora/verifier/cli";
import { nodeSha256 } from "@ancora/verifier/node";
import type { Hash, PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rpcOverHttp } from "../../packages/sdk/src/testing/rpc-over-http.ts";
import { type AnchoredReceipts, STREAM, startAnchoredReceipts } from "./support/anchored-receipts.ts";
import { unreachableClient } from "./support/unreachable.ts";

let setup: AnchoredReceipts;
let dir: string;
let publicClient: PublicClient;
let provider: AnchoredReceipts["provider"];
let registry: AnchoredReceipts["registry"];
let otherRegistry: AnchoredReceipts["otherRegistry"];
/** A receipt to the first (older) anchored checkpoint and one to the latest. */
let older: ReceiptJSON;
let latest: ReceiptJSON;

beforeAll(async () => {
  setup = await startAnchoredReceipts();
  ({ dir, publicClient, provider, registry, otherRegistry, older, latest } = setup);
}, 120_000);

afterAll(async () => {
  await setup?.close();
});

const verify = (receipt: unknown, client: PublicClient = publicClient) =>
  verifyReceiptOnChain(receipt, { publicClient: client, sha256: nodeSha256 });

describe("verifyReceiptOnChain", () => {
  it("verifies a receipt to the latest checkpoint and one to an older checkpoint", async () => {
    const now = await verify(latest);
    expect(now).toMatchObject({ ok: true, anchorVerified: true, latest: true });
    if (!now.ok) return;
    expect(now.confirmations).toBeGreaterThanOrEqual(1);
    // The time a verifier states comes from the chain (the anchor block), not from the receipt.
    const block = await publicClient.getBlock({ blockNumber: BigInt(latest.anchor.blockNumber) });
    expect(now.anchoredAt).toBe(new Date(Number(block.timestamp) * 1000).toISOString());
    expect(now).toMatchObject({ version: 2, ignored: [] });
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
    const wallet = setup.anchorerWallet();
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
