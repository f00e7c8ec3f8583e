/**
 * `ancora deploy`: deploys a ProvenanceRegistry with the key in the environment, registers streams,
 * grants the anchorer role, and writes the registry to the data directory's config. The flow of
 * scripts/deploy.ts, with the same refusal of public development accounts off chain 31337.
 */
import { join } from "node:path";
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import { Command } from "commander";
import { isAddressEqual } from "viem";
import { CliError } from "../../errors.js";
import {
  accountFromEnv,
  addressArg,
  assertNoDevelopmentAccounts,
  connect,
  rpcEndpointsOf,
  unreachable,
} from "../chain.js";
import { type CliContext, handler, integerFlag } from "../command.js";
import { dataDir, loadConfig, saveConfig } from "../config.js";
import { storeStreams } from "../open-store.js";
import { grantCommand } from "../registry.js";

interface DeployFlags {
  dir?: string;
  rpc?: string;
  stream?: string[];
  anchorer?: string[];
  admin?: string;
  confirmations: number;
  timeout: number;
  requireConsistency: boolean;
  force?: boolean;
  json?: boolean;
}

/** How long `ancora deploy` waits for the deployment's confirmations by default (seconds). */
export const DEFAULT_DEPLOY_TIMEOUT_S = 300;

/** Environment variables the deployer's key is read from, in order. */
export const DEPLOYER_KEY_VARIABLES = ["ANCORA_DEPLOYER_KEY", "ANCORA_PRIVATE_KEY"] as const;

/** Streams to register: --stream, else those the data directory's store already holds. */
function streamsToRegister(flags: string[] | undefined, dir: string): string[] {
  return flags !== undefined ? [...new Set(flags)] : storeStreams(dir);
}

/** The `deploy` command. */
export function deployCommand(ctx: CliContext): Command {
  return new Command("deploy")
    .description("deploy a ProvenanceRegistry (ANCORA_DEPLOYER_KEY), register streams, grant the anchorer")
    .option("--dir <dir>", "data directory whose config receives the registry")
    .option("--rpc <url>", "JSON-RPC endpoint (default: ANCORA_RPC_URL, else the config's)")
    .option("--stream <name...>", "streams to register (default: those in the data directory's store)")
    .option(
      "--anchorer <address...>",
      "accounts granted ANCHORER_ROLE (default: ANCORA_PRIVATE_KEY's, else the deployer)",
    )
    .option("--admin <address>", "the registry's admin (default: the deployer)")
    .option(
      "--confirmations <n>",
      "blocks to wait for per transaction",
      (v) => integerFlag(v, "--confirmations", 1),
      1,
    )
    .option(
      "--timeout <seconds>",
      "give up waiting for the deployment's confirmations after this long",
      (v) => integerFlag(v, "--timeout", 1),
      DEFAULT_DEPLOY_TIMEOUT_S,
    )
    .option("--no-require-consistency", "let anchors skip consistency proofs (not recommended)")
    .option("--force", "replace a registry the config already names")
    .option("--json", "print the deployment as JSON")
    .action(
      handler<DeployFlags>(ctx, async (options) => {
        const { io } = ctx;
        const dir = dataDir(options.dir, io.env, io.cwd);
        const config = loadConfig(dir);
        if (config.chain.registry !== null && options.force !== true) {
          throw new CliError("CONFIG_INVALID", "The data directory already names a registry", {
            hint: "Pass --force to deploy a new one (the old registry keeps its anchors), or use another --dir.",
            evidence: { registry: config.chain.registry },
          });
        }
        const rpc = rpcEndpointsOf(options.rpc, io.env, config);
        const deployer = accountFromEnv(io.env, DEPLOYER_KEY_VARIABLES);
        const admin = options.admin === undefined ? deployer.address : addressArg(options.admin, "--admin");
        // The anchorer is the account `serve` will sign with: --anchorer, else ANCORA_PRIVATE_KEY's. When
        // neither is known the deployer gets the role, and the output says how to give it to another key.
        const serveKeyKnown = options.anchorer !== undefined || Boolean(io.env.ANCORA_PRIVATE_KEY);
        const anchorers =
          options.anchorer !== undefined
            ? options.anchorer.map((a) => addressArg(a, "--anchorer"))
            : [
                io.env.ANCORA_PRIVATE_KEY
                  ? accountFromEnv(io.env, ["ANCORA_PRIVATE_KEY"]).address
                  : deployer.address,
              ];
        const streams = streamsToRegister(options.stream, dir);
        for (const stream of streams) encodeStreamId(stream); // STREAM_NAME_INVALID before any transaction
        if ((anchorers.length > 0 || streams.length > 0) && !isAddressEqual(admin, deployer.address)) {
          throw new CliError(
            "USAGE",
            "Granting roles and registering streams need the deployer to be the admin",
            {
              hint: "Leave --admin out (hand the role over later), or grant and register from the admin account.",
            },
          );
        }
        const { chainId, publicClient, walletClient } = await connect(rpc, deployer);
        assertNoDevelopmentAccounts(chainId, {
          deployer: [deployer.address],
          admin: [admin],
          anchorer: anchorers,
        });
        try {
          const deployment = await deployRegistry(walletClient, publicClient, {
            admin,
            confirmations: options.confirmations,
            timeoutMs: options.timeout * 1000,
            // On stderr, so stdout stays the result: why fewer confirmations, then each block seen.
            onPlan: (plan) => {
              if (plan.notice !== undefined) io.stderr.write(`notice: ${plan.notice}\n`);
            },
            onProgress: (p) =>
              io.stderr.write(
                `waiting for the deployment transaction ${p.transactionHash}: ${p.confirmations}/${p.required} confirmations\n`,
              ),
          });
          const registry = deployment.address;
          const save = (registered: string[]): void =>
            saveConfig(dir, {
              ...config,
              chain: {
                ...config.chain,
                // Only a URL given as a flag is written: one from the environment may carry an API key.
                rpcUrl: options.rpc ?? config.chain.rpcUrl,
                chainId,
                registry,
                deploymentBlock: String(deployment.blockNumber),
                streams: registered,
              },
            });
          // Written at once: a later failure must not leave a deployed registry that no config names.
          save([]);
          for (const account of anchorers)
            await grantAnchorer(walletClient, publicClient, { registry, account });
          for (const name of streams) {
            await registerStream(walletClient, publicClient, {
              registry,
              streamId: encodeStreamId(name),
              metadata: JSON.stringify({ name }),
              consistencyRequired: options.requireConsistency,
            });
          }
          save(streams);
          const notes = serveKeyKnown
            ? []
            : [
                `ANCORA_PRIVATE_KEY was not set: ANCHORER_ROLE went to the deployer ${deployer.address}. ` +
                  "If `ancora serve` signs with another key, grant it the role: " +
                  grantCommand("anchorer", "<address of that key>", dir),
              ];
          const result = {
            chainId,
            registry,
            blockNumber: String(deployment.blockNumber),
            transactionHash: deployment.transactionHash,
            admin,
            anchorers,
            streams,
            notes,
          };
          return {
            json: result,
            text: [
              `deployed ProvenanceRegistry at ${registry} on chain ${chainId} (block ${result.blockNumber})`,
              ...anchorers.map((a) => `granted ANCHORER_ROLE to ${a}`),
              ...streams.map((s) => `registered stream ${s}`),
              `wrote the registry to ${join(dir, "ancora.json")}`,
              ...notes,
            ],
          };
        } catch (error) {
          throw unreachable(error);
        }
      }),
    );
}
