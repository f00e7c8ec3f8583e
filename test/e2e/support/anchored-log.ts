/**
 * A real organisation for the verifier's end-to-end tests: `hardhat node` on loopback with a deployed
 * ProvenanceRegistry, an SDK log (real SQLite file) whose decisions are anchored in batches by the
 * SDK's anchorer (batch manifests, consistency proofs), and the SDK's embedded IPFS node serving the
 * records and manifests over bitswap. The chain is a separate process so that a child process (the
 * `ancora-verify` bin) can reach it too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import { createAnchorer, createLogger, type IpfsNode, openStore, startIpfsNode } from "@ancora/sdk";
import type { Address, PublicClient } from "viem";
import { type LocalChain, localClients, startLocalChain } from "../../../scripts/lib/local-chain.ts";

export const STREAM = "loans";
/** The model and the decision threshold the test organisations log with. */
export const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` } as const;
export const CONFIG = {
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "risk-team@example.org",
  changeReason: "initial calibration",
} as const;

export interface AnchoredLog {
  readonly dir: string;
  /** The SDK log, closed by the writer (an auditor's copy can be taken with copyFileSync). */
  readonly db: string;
  readonly chain: LocalChain;
  readonly publicClient: PublicClient;
  readonly registry: Address;
  /** The IPFS node serving the log, and its multiaddrs. */
  readonly ipfs: IpfsNode;
  /** Records in the log, all anchored. */
  readonly records: number;
  readonly anchors: number;
  stop(): Promise<void>;
}

/**
 * Starts the chain, logs `batches` batches of `perBatch` decisions and anchors each batch, then serves
 * the log over IPFS.
 */
export async function startAnchoredLog(
  options: { batches?: number; perBatch?: number } = {},
): Promise<AnchoredLog> {
  const batches = options.batches ?? 2;
  const perBatch = options.perBatch ?? 50;
  const dir = mkdtempSync(join(tmpdir(), "ancora-verify-e2e-"));
  const db = join(dir, "ancora.db");
  const chain = await startLocalChain();
  let ipfs: IpfsNode | undefined;
  try {
    // Hardhat's well-known development key, on the local chain only.
    const { account, publicClient, walletClient: wallet } = localClients(chain);
    const { address: registry } = await deployRegistry(wallet, publicClient, { admin: account.address });
    await registerStream(wallet, publicClient, {
      registry,
      streamId: encodeStreamId(STREAM),
      metadata: JSON.stringify({ name: STREAM }),
    });
    await grantAnchorer(wallet, publicClient, { registry, account: account.address });

    const logger = createLogger({ path: db, stream: STREAM, model: MODEL, commitment: "plain" });
    logger.setConfig(CONFIG);
    const anchorer = createAnchorer({
      store: logger.store,
      streams: STREAM,
      registry,
      publicClient,
      walletClient: wallet,
      policy: false,
      confirmations: 1,
      pollIntervalMs: 50,
    });
    for (let b = 0; b < batches; b++) {
      const logged: Promise<unknown>[] = [];
      for (let i = 0; i < perBatch; i++) {
        const score = ((b * perBatch + i) % 100) / 100;
        logged.push(logger.log({ features: { applicant: b * perBatch + i }, output: { score }, score }));
      }
      await Promise.all(logged);
      logger.checkpoint();
      if (!(await anchorer.drain({ timeoutMs: 60_000 }))) throw new Error("anchoring did not finish");
    }
    await anchorer.stop();
    const records = logger.store.streams().find((s) => s.name === STREAM)?.size ?? 0;
    await logger.close();
    // The organisation's node serves the closed log (read through a store of its own).
    const store = openStore({ path: db });
    ipfs = await startIpfsNode({ store, gateway: true });
    const node = ipfs;
    return {
      dir,
      db,
      chain,
      publicClient,
      registry: registry.toLowerCase() as Address,
      ipfs: node,
      records,
      anchors: batches,
      async stop() {
        await node.stop();
        store.close();
        await chain.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await ipfs?.stop();
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
