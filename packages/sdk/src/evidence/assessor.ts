/**
 * The command an assessor runs to re-verify a pack with public inputs only: `ancora-verify` in public
 * mode, reading the anchors from the registry and every anchored record from IPFS. The RPC URL is
 * never written into the pack (providers' URLs often embed an API key): the command reads it from
 * `$ANCORA_RPC_URL`, which the assessor sets to an endpoint of their own choosing.
 */
import type { EvidenceAssessor, EvidenceChain } from "./types.js";

/** A shell word: kept as is when it holds only safe characters, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The assessor's command for `stream` anchored on `chain`; without `ipfs`, the IPFS address is read
 * from `$ANCORA_IPFS` too.
 *
 * @example
 * ```ts
 * assessorCommand({ chain, stream: "loans", ipfs: "http://127.0.0.1:8080" }).command;
 * // ancora-verify --rpc "$ANCORA_RPC_URL" --registry 0x5fbd… --ipfs http://127.0.0.1:8080 --stream loans
 * ```
 */
export function assessorCommand(options: {
  chain: EvidenceChain;
  stream: string;
  ipfs?: string;
}): EvidenceAssessor {
  const { chain, stream, ipfs } = options;
  const network = chain.name === null ? `chain ${chain.chainId}` : `chain ${chain.chainId} (${chain.name})`;
  const env: Record<string, string> = {
    ANCORA_RPC_URL: `a JSON-RPC endpoint of ${network} that you trust (your own node or a provider)`,
  };
  if (ipfs === undefined) {
    env.ANCORA_IPFS = "the organisation's IPFS gateway URL or bitswap peer multiaddr, as it publishes them";
  }
  const command = [
    "ancora-verify",
    "--rpc",
    '"$ANCORA_RPC_URL"',
    "--registry",
    chain.registry,
    "--ipfs",
    ipfs === undefined ? '"$ANCORA_IPFS"' : shellWord(ipfs),
    "--stream",
    shellWord(stream),
  ].join(" ");
  return { command, env };
}
