/**
 * Reaching a chain from the CLI: the RPC URL (flag, environment, config), keys from the environment
 * only, viem clients, and the refusal of public development keys off the local chain.
 */

import { findDevelopmentAccount } from "@ancora/contracts";
import {
  parseRpcHeaders,
  type RpcEndpoints,
  rpcEndpointsProblem,
  rpcTransport,
  splitRpcUrls,
} from "@ancora/sdk";
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  type Hex,
  isAddress,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CliError } from "../errors.js";
import type { AncoraConfig } from "./config.js";
import { isTransportError } from "./error-output.js";

/** How long one RPC request may take before the endpoint counts as unreachable. */
export const RPC_TIMEOUT_MS = 10_000;

/** Throws DEV_KEY_REFUSED when a development account would hold a role on a non-local chain. */
export function assertNoDevelopmentAccounts(
  chainId: number,
  roles: Record<string, readonly Address[]>,
): void {
  const found = findDevelopmentAccount(chainId, roles);
  if (found === undefined) return;
  throw new CliError(
    "DEV_KEY_REFUSED",
    `Refusing ${found.account} as ${found.role} on chain ${chainId}: it is a public Hardhat/Anvil development account`,
    {
      hint: "Anyone can read that account's private key. Use a key of your own off the local chain (31337).",
      evidence: { role: found.role, account: found.account, chainId },
    },
  );
}

/**
 * The RPC endpoints: --rpc, else ANCORA_RPC_URL, else the config's. ANCORA_RPC_URL may list several
 * URLs separated by spaces (tried in order when one fails); ANCORA_RPC_HEADERS may hold a JSON object
 * of headers for providers that take their key in a header. Neither is ever printed.
 */
export function rpcEndpointsOf(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  config?: AncoraConfig,
): RpcEndpoints {
  const text = flag ?? env.ANCORA_RPC_URL ?? config?.chain.rpcUrl ?? undefined;
  const urls = text === undefined ? [] : splitRpcUrls(text);
  if (urls.length === 0) {
    throw new CliError("USAGE", "No RPC endpoint", {
      hint: "Pass --rpc URL or set ANCORA_RPC_URL (keep URLs that embed an API key in the environment).",
    });
  }
  const headers = parseRpcHeaders(env.ANCORA_RPC_HEADERS);
  const endpoints = {
    urls,
    ...(headers === undefined ? {} : { headers: headers as Record<string, string> }),
  };
  const problem = rpcEndpointsProblem(endpoints);
  if (problem !== undefined) {
    throw new CliError("USAGE", `Bad RPC endpoint: ${problem}`, {
      hint:
        "Pass an HTTP JSON-RPC endpoint, e.g. --rpc http://127.0.0.1:8545 (several in ANCORA_RPC_URL, " +
        'separated by spaces), and ANCORA_RPC_HEADERS as JSON, e.g. {"x-api-key":"…"}.',
    });
  }
  return endpoints;
}

/**
 * A private key from the environment (the first of `names` that is set). Keys are never taken from
 * flags or files, and never printed: the error names the variable, not its value.
 */
export function accountFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): Account {
  for (const name of names) {
    const value = env[name];
    if (value === undefined || value.length === 0) continue;
    if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
      throw new CliError("SECRET_MISSING", `${name} is not a private key`, {
        hint: `Set ${name} to 0x followed by 64 hex digits.`,
        evidence: { variable: name },
      });
    }
    return privateKeyToAccount(value as Hex);
  }
  throw new CliError("SECRET_MISSING", `No private key in the environment (${names.join(" or ")})`, {
    hint: `Set ${names[0]} to the account's private key (0x + 64 hex digits); keys are never read from flags.`,
    evidence: { variables: [...names] },
  });
}

/** Clients of one chain. */
export interface ChainClients {
  chainId: number;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
}

/** Turns a failure to reach the RPC endpoint into CHAIN_UNREACHABLE (exit 3); other errors pass. */
export function unreachable(error: unknown): unknown {
  if (!isTransportError(error)) return error;
  return new CliError("CHAIN_UNREACHABLE", "The RPC endpoint could not be reached", {
    cause: error,
    hint: "Check --rpc (or ANCORA_RPC_URL) and that the node is running, then run the command again.",
  });
}

/** Parses an address flag or argument, or throws USAGE naming it. */
export function addressArg(value: string, name: string): Address {
  if (!isAddress(value)) {
    throw new CliError("USAGE", `${name} is not an address`, { hint: "Pass a 0x-address of 40 hex digits." });
  }
  return getAddress(value);
}

/** A read-only client of one chain. */
export interface PublicChain {
  chainId: number;
  publicClient: PublicClient;
}

/**
 * Connects to an RPC endpoint for reading only: asks its chain id (failing with CHAIN_UNREACHABLE
 * within {@link RPC_TIMEOUT_MS}) and returns a client bound to that chain.
 *
 * @example
 * ```ts
 * const { chainId, publicClient } = await connectPublic({ urls: ["http://127.0.0.1:8545"] });
 * ```
 */
export async function connectPublic(endpoints: RpcEndpoints): Promise<PublicChain & { chain: Chain }> {
  let chainId: number;
  try {
    chainId = await createPublicClient({
      transport: rpcTransport(endpoints, { timeoutMs: RPC_TIMEOUT_MS }),
    }).getChainId();
  } catch (error) {
    throw unreachable(error);
  }
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [...endpoints.urls] } },
  });
  const transport = rpcTransport(endpoints, { timeoutMs: RPC_TIMEOUT_MS, retryCount: 1 });
  return { chainId, chain, publicClient: createPublicClient({ chain, transport }) };
}

/**
 * Connects to an RPC endpoint: asks its chain id (failing with CHAIN_UNREACHABLE within
 * {@link RPC_TIMEOUT_MS}) and returns clients bound to that chain and account.
 *
 * @example
 * ```ts
 * const { chainId, publicClient, walletClient } = await connect({ urls: ["http://127.0.0.1:8545"] }, account);
 * ```
 */
export async function connect(endpoints: RpcEndpoints, account: Account): Promise<ChainClients> {
  const { chainId, chain, publicClient } = await connectPublic(endpoints);
  const transport = rpcTransport(endpoints, { timeoutMs: RPC_TIMEOUT_MS, retryCount: 1 });
  return { chainId, publicClient, walletClient: createWalletClient({ account, chain, transport }) };
}
