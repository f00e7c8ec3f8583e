/**
 * Receipts from a real SDK log anchored on Hardhat's in-process network, for the receipt tests: a
 * registry (and a second, empty one), stream `loans` (genesis, labels, config, then 40 decisions)
 * anchored at two checkpoints, after the 20th decision and after the 40th, and the JSON receipts of
 * record 10 at the first checkpoint (`older`) and of record 30 at the second (`latest`). The logger
 * stays open so a test can build more receipts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import { type ReceiptJSON, receiptToJSON } from "@ancora/core";
import { createAnchorer, createLogger, type ProvenanceLogger } from "@ancora/sdk";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { network } from "hardhat";
import {
  type Account,
  type Address,
  type Chain,
  createWalletClient,
  custom,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { CONFIG, MODEL, STREAM } from "./anchored-log.ts";

/** Hardhat's second well-known development key, on the in-process chain only: the anchorer. */
const ANCHORER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;

export { STREAM };

export interface Eip1193 {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

/** A wallet with the anchorer's key, on the in-process chain. */
type AnchorerWallet = WalletClient<Transport, Chain, Account>;

function walletOf(provider: Eip1193): AnchorerWallet {
  return createWalletClient({
    account: privateKeyToAccount(ANCHORER_KEY),
    chain: hardhat,
    transport: custom(provider, { retryCount: 0 }),
  });
}

export interface AnchoredReceipts {
  readonly dir: string;
  /** The SQLite file of the log. */
  readonly db: string;
  readonly logger: ProvenanceLogger;
  readonly publicClient: PublicClient;
  readonly provider: Eip1193;
  readonly registry: Address;
  /** A registry where nothing is anchored. */
  readonly otherRegistry: Address;
  /** Record 10's receipt to the first anchored checkpoint. */
  readonly older: ReceiptJSON;
  /** Record 30's receipt to the latest anchored checkpoint. */
  readonly latest: ReceiptJSON;
  /** A wallet holding the anchorer role. */
  anchorerWallet(): AnchorerWallet;
  close(): Promise<void>;
}

export async function startAnchoredReceipts(): Promise<AnchoredReceipts> {
  const dir = mkdtempSync(join(tmpdir(), "ancora-receipts-"));
  const connection = await network.create();
  const provider = connection.provider as Eip1193;
  const publicClient = (await connection.viem.getPublicClient()) as unknown as PublicClient;
  const [admin] = await connection.viem.getWalletClients();
  if (admin === undefined) throw new Error("no wallet");
  const { address: registry } = await deployRegistry(admin, publicClient, { admin: admin.account.address });
  const { address: otherRegistry } = await deployRegistry(admin, publicClient, {
    admin: admin.account.address,
  });
  await registerStream(admin, publicClient, { registry, streamId: encodeStreamId(STREAM), metadata: "{}" });
  await grantAnchorer(admin, publicClient, { registry, account: privateKeyToAccount(ANCHORER_KEY).address });

  const anchorerWallet = () => walletOf(provider);
  const db = join(dir, "ancora.db");
  const logger = createLogger({ path: db, stream: STREAM, model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  const anchorer = createAnchorer({
    store: logger.store,
    streams: STREAM,
    registry,
    publicClient,
    walletClient: anchorerWallet(),
    policy: false,
    confirmations: 1,
    backoff: { baseMs: 1, maxMs: 5 },
    pollIntervalMs: 1,
  });
  // Ticks the anchorer by hand and mines a block between ticks: no timers, so no timing dependence.
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
  const older = receiptToJSON(logger.receipt(10));
  for (let i = 20; i < 40; i++) await logger.record({ features: { i }, output: { i }, score: (i % 10) / 10 });
  logger.checkpoint();
  await settle();
  const latest = receiptToJSON(logger.receipt(30));
  await anchorer.stop();
  return {
    dir,
    db,
    logger,
    publicClient,
    provider,
    registry,
    otherRegistry,
    older,
    latest,
    anchorerWallet,
    async close() {
      await logger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
