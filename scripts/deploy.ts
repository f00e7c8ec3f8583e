/**
 * Deploys a ProvenanceRegistry to any EVM JSON-RPC endpoint, grants the anchorer role, registers streams,
 * and writes the deployment (chain id, address, block, transaction, roles, streams) to a JSON file.
 *
 *   ANCORA_DEPLOYER_KEY=0x… pnpm run deploy -- --rpc-url http://127.0.0.1:8545 \
 *     --admin 0x… --anchorer 0x… --stream loans --stream fraud='{"model":"fraud-v3"}' \
 *     [--no-require-consistency] [--out deployments/31337.json] [--confirmations 2]
 *
 * The deployer's key comes from the environment only (ANCORA_DEPLOYER_KEY), never from a flag, a file or a
 * log line. The well-known Hardhat/Anvil development accounts (the public "test … junk" mnemonic) are
 * refused as deployer, admin or anchorer on any chain id other than the local 31337: their keys are public.
 *
 * Requires the built package (`pnpm run deploy` builds it first).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  type Hex,
  http,
  isAddress,
  isAddressEqual,
  keccak256,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  deployRegistry,
  developmentAddresses,
  encodeStreamId,
  findDevelopmentAccount,
  grantAnchorer,
  LOCAL_CHAIN_ID,
  provenanceRegistryBytecode,
  registerStream,
} from "../packages/contracts/dist/index.js";

export { developmentAddresses, LOCAL_CHAIN_ID };

/** Throws when a public development account would hold a role on a chain other than the local one. */
export function assertNoDevelopmentAccounts(chainId: number, accounts: Record<string, Address[]>): void {
  const found = findDevelopmentAccount(chainId, accounts);
  if (found !== undefined) {
    throw new Error(
      `refusing to use ${found.account} as ${found.role} on chain ${chainId}: it is a public Hardhat/Anvil ` +
        `development account whose private key anyone can read. Use a key of your own (ANCORA_DEPLOYER_KEY).`,
    );
  }
}

function fail(message: string): never {
  console.error(`deploy: ${message}`);
  process.exit(2);
}

function address(value: string, what: string): Address {
  if (!isAddress(value)) fail(`${what} is not an address: ${JSON.stringify(value)}`);
  return getAddress(value);
}

async function main(): Promise<void> {
  // `pnpm run deploy -- --rpc-url …` hands the script a literal `--` first (npm drops it, pnpm does
  // not); parseArgs would read everything after it as positionals. Either spelling works.
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv[0] === "--" ? argv.slice(1) : argv,
    options: {
      "rpc-url": { type: "string", default: process.env.ANCORA_RPC_URL ?? "http://127.0.0.1:8545" },
      admin: { type: "string" },
      anchorer: { type: "string", multiple: true, default: [] },
      stream: { type: "string", multiple: true, default: [] },
      "no-require-consistency": { type: "boolean", default: false },
      out: { type: "string" },
      confirmations: { type: "string", default: "1" },
    },
    strict: true,
  });

  const key = process.env.ANCORA_DEPLOYER_KEY;
  if (key === undefined || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    fail("set ANCORA_DEPLOYER_KEY to the deployer's private key (0x followed by 64 hex digits)");
  }
  const deployer = privateKeyToAccount(key as Hex);
  const rpcUrl = values["rpc-url"];
  const confirmations = Number(values.confirmations);
  if (!Number.isInteger(confirmations) || confirmations < 1)
    fail("--confirmations must be a positive integer");

  const probe = createPublicClient({ transport: http(rpcUrl) });
  const chainId = await probe.getChainId();
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl) });
  const walletClient = createWalletClient({ account: deployer, chain, transport: http(rpcUrl) });

  const admin = values.admin === undefined ? deployer.address : address(values.admin, "--admin");
  const anchorers = values.anchorer.map((a) => address(a, "--anchorer"));
  const streams = values.stream.map((spec) => {
    const eq = spec.indexOf("=");
    const name = eq === -1 ? spec : spec.slice(0, eq);
    return {
      name,
      streamId: encodeStreamId(name),
      metadata: eq === -1 ? JSON.stringify({ name }) : spec.slice(eq + 1),
    };
  });
  assertNoDevelopmentAccounts(chainId, { deployer: [deployer.address], admin: [admin], anchorer: anchorers });
  if ((anchorers.length > 0 || streams.length > 0) && !isAddressEqual(admin, deployer.address)) {
    fail(
      "--anchorer and --stream need the deployer to be the admin; grant and register from the admin account",
    );
  }

  console.log(`deploying ProvenanceRegistry to chain ${chainId} from ${deployer.address} (admin ${admin})`);
  const deployment = await deployRegistry(walletClient, publicClient, {
    admin,
    confirmations,
    // On stderr, so stdout stays what a script reads: why fewer confirmations, then each block seen.
    onPlan: (plan) => {
      if (plan.notice !== undefined) console.error(`notice: ${plan.notice}`);
    },
    onProgress: (p) =>
      console.error(
        `waiting for the deployment transaction ${p.transactionHash}: ${p.confirmations}/${p.required} confirmations`,
      ),
  });
  console.log(`deployed at ${deployment.address} in block ${deployment.blockNumber}`);

  const granted: { account: Address; transactionHash: Hex }[] = [];
  for (const account of anchorers) {
    const tx = await grantAnchorer(walletClient, publicClient, { registry: deployment.address, account });
    granted.push({ account, transactionHash: tx.transactionHash });
    console.log(`granted ANCHORER_ROLE to ${account}`);
  }
  const registered: Record<string, unknown>[] = [];
  const consistencyRequired = !values["no-require-consistency"];
  for (const s of streams) {
    const tx = await registerStream(walletClient, publicClient, {
      registry: deployment.address,
      streamId: s.streamId,
      metadata: s.metadata,
      consistencyRequired,
    });
    registered.push({
      ...s,
      consistencyRequired,
      transactionHash: tx.transactionHash,
      blockNumber: String(tx.blockNumber),
    });
    console.log(`registered stream ${s.name} (${s.streamId})`);
  }

  const out = resolve(values.out ?? join("deployments", `${chainId}.json`));
  const record = {
    format: "ancora.deployment.v1",
    contract: "ProvenanceRegistry",
    chainId,
    address: deployment.address,
    blockNumber: String(deployment.blockNumber),
    transactionHash: deployment.transactionHash,
    bytecodeHash: keccak256(provenanceRegistryBytecode),
    deployer: deployer.address,
    admin,
    anchorers: granted,
    streams: registered,
    deployedAt: new Date().toISOString(),
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    // viem errors can quote request bodies; the key is never in one (signing is local), but keep it short.
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    fail(message ?? "unknown error");
  });
}
