/**
 * A registry on Hardhat's in-process network, reachable over HTTP on an ephemeral loopback port: what
 * a worker thread or a child process (which only take an RPC URL) anchors to in the SDK's tests.
 */
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { network } from "hardhat";
import type { Address, Hex, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Eip1193, type RpcEndpoint, rpcOverHttp } from "./rpc-over-http.js";

export interface HttpChain {
  rpc: RpcEndpoint;
  /** The in-process network itself (evm_setAutomine, evm_mine, reads behind the endpoint's back). */
  provider: Eip1193;
  publicClient: PublicClient;
  registry: Address;
}

/** Deploys a registry, registers `streams` and grants ANCHORER_ROLE to the `anchorers` keys' accounts. */
export async function httpChain(options: { streams: string[]; anchorers: Hex[] }): Promise<HttpChain> {
  const { viem, provider } = await network.create();
  const publicClient = (await viem.getPublicClient()) as unknown as PublicClient;
  const [admin] = await viem.getWalletClients();
  if (admin === undefined) throw new Error("no wallet");
  const { address: registry } = await deployRegistry(admin, publicClient, { admin: admin.account.address });
  for (const stream of options.streams) {
    await registerStream(admin, publicClient, {
      registry,
      streamId: encodeStreamId(stream),
      metadata: stream,
    });
  }
  for (const key of options.anchorers) {
    await grantAnchorer(admin, publicClient, { registry, account: privateKeyToAccount(key).address });
  }
  return { rpc: await rpcOverHttp(provider), provider, publicClient, registry };
}
