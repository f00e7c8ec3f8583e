/**
 * Starts `hardhat node` on loopback for the demo and end-to-end tests, and stops it again.
 *
 * Hardhat binds 0.0.0.0 unless given `--hostname`, so it is always passed 127.0.0.1. Readiness is
 * detected by polling `eth_chainId`, with a deadline: a node that never comes up is an error, not a hang.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type HttpTransport,
  http,
  type PublicClient,
  type WalletClient,
} from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Hardhat's first well-known development account. Valid only on the local chain (id 31337). */
export const HARDHAT_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;

export interface LocalChain {
  readonly url: string;
  readonly chainId: number;
  /** The node's process id (benchmarks read its CPU time). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, found by letting the kernel pick one. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function rpcChainId(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    const body = (await response.json()) as { result?: string };
    return body.result === undefined ? undefined : Number.parseInt(body.result, 16);
  } catch {
    return undefined;
  }
}

/** Starts `hardhat node` on 127.0.0.1 and resolves once it answers JSON-RPC (at most `timeoutMs`). */
export async function startLocalChain(
  options: { port?: number; timeoutMs?: number } = {},
): Promise<LocalChain> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const hardhat = join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  const child: ChildProcess = spawn(
    process.execPath,
    [hardhat, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output = (output + d.toString()).slice(-4_000);
  });
  child.stderr?.on("data", (d: Buffer) => {
    output = (output + d.toString()).slice(-4_000);
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });

  const stop = async (): Promise<void> => {
    if (exited) return;
    const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await done;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`hardhat node exited before it was ready:\n${output}`);
    const chainId = await rpcChainId(url);
    if (chainId !== undefined) return { url, chainId, pid: child.pid, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`hardhat node did not answer on ${url} within the deadline:\n${output}`);
}

/** See {@link localClients}. */
export interface LocalClients {
  chain: Chain;
  account: PrivateKeyAccount;
  publicClient: PublicClient<HttpTransport, Chain>;
  walletClient: WalletClient<HttpTransport, Chain, PrivateKeyAccount>;
}

/**
 * viem clients for a local chain, signing with {@link HARDHAT_DEV_KEY}. Refuses any chain id but 31337:
 * the development key is public, so it must never sign anywhere else.
 */
export function localClients(chain: Pick<LocalChain, "url" | "chainId">): LocalClients {
  if (chain.chainId !== 31337) throw new Error(`refusing the development key on chain ${chain.chainId}`);
  const viemChain = defineChain({
    id: chain.chainId,
    name: "local",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chain.url] } },
  });
  const account = privateKeyToAccount(HARDHAT_DEV_KEY);
  return {
    chain: viemChain,
    account,
    publicClient: createPublicClient({ chain: viemChain, transport: http(chain.url) }),
    walletClient: createWalletClient({ account, chain: viemChain, transport: http(chain.url) }),
  };
}

/**
 * Deploys a ProvenanceRegistry on the local chain with the development account as its admin and
 * anchorer, and registers `streams`: what an end-to-end test or a benchmark needs before it anchors.
 */
export async function deployLocalRegistry(
  chain: Pick<LocalChain, "url" | "chainId">,
  streams: readonly string[],
): Promise<Address> {
  const { account, publicClient, walletClient } = localClients(chain);
  const { address } = await deployRegistry(walletClient, publicClient, { admin: account.address });
  await grantAnchorer(walletClient, publicClient, { registry: address, account: account.address });
  for (const stream of streams) {
    await registerStream(walletClient, publicClient, {
      registry: address,
      streamId: encodeStreamId(stream),
      metadata: stream,
    });
  }
  return address;
}
