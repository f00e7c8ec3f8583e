/**
 * `ancora stream register|list`: the streams of the config's registry. Registering is the admin's
 * (ANCORA_DEPLOYER_KEY, as `deploy`), and the config's `chain.streams` follows; listing reads the
 * registry and needs no key.
 */
import {
  createRegistryReader,
  encodeStreamId,
  provenanceRegistryAbi,
  registerStream,
} from "@ancora/contracts";
import { Command } from "commander";
import type { Hex } from "viem";
import { accountFromEnv, connect, connectPublic, rpcEndpointsOf, unreachable } from "../chain.js";
import { type CliContext, handler } from "../command.js";
import { dataDir, loadConfig, saveConfig } from "../config.js";
import { registryOf, searchFrom } from "../registry.js";
import { DEPLOYER_KEY_VARIABLES } from "./deploy.js";

interface StreamFlags {
  dir?: string;
  rpc?: string;
  requireConsistency: boolean;
  json?: boolean;
}

/** The name a stream was registered with: `{"name":…}` metadata, as `deploy` and `register` write it. */
function nameOf(metadata: string): string | undefined {
  try {
    const name = (JSON.parse(metadata) as { name?: unknown } | null)?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The `stream` command and its subcommands. */
export function streamCommand(ctx: CliContext): Command {
  const stream = new Command("stream").description("register and list the registry's streams");
  stream
    .command("register")
    .description("register streams in the registry (signed with ANCORA_DEPLOYER_KEY, the admin)")
    .argument("<name...>", "stream names: [a-z0-9][a-z0-9._-]*, at most 64 characters")
    .option("--dir <dir>", "the data directory whose config names the registry")
    .option("--rpc <url>", "JSON-RPC endpoint (default: ANCORA_RPC_URL, else the config's)")
    .option("--no-require-consistency", "let anchors skip consistency proofs (not recommended)")
    .option("--json", "print { registry, streams: [{ name, streamId, transactionHash }] } as JSON")
    .action(
      handler<StreamFlags>(ctx, async (options, names) => {
        const { io } = ctx;
        const dir = dataDir(options.dir, io.env, io.cwd);
        const config = loadConfig(dir);
        const registry = registryOf(config);
        const unique = [...new Set(names)];
        const ids = unique.map((n) => encodeStreamId(n)); // STREAM_NAME_INVALID before any transaction
        const admin = accountFromEnv(io.env, DEPLOYER_KEY_VARIABLES);
        const { publicClient, walletClient } = await connect(
          rpcEndpointsOf(options.rpc, io.env, config),
          admin,
        );
        const done: { name: string; streamId: Hex; transactionHash: Hex }[] = [];
        try {
          for (const [i, name] of unique.entries()) {
            const streamId = ids[i] as Hex;
            const tx = await registerStream(walletClient, publicClient, {
              registry,
              streamId,
              metadata: JSON.stringify({ name }),
              consistencyRequired: options.requireConsistency,
            });
            done.push({ name, streamId, transactionHash: tx.transactionHash });
            // After each one: a later failure must not leave a registered stream the config omits.
            const latest = loadConfig(dir);
            saveConfig(dir, {
              ...latest,
              chain: { ...latest.chain, streams: [...new Set([...latest.chain.streams, name])] },
            });
          }
        } catch (error) {
          throw unreachable(error);
        }
        return {
          json: { registry, streams: done },
          text: done.map(
            (s) => `registered stream ${s.name} (${s.streamId}, transaction ${s.transactionHash})`,
          ),
        };
      }),
    );
  stream
    .command("list")
    .description("list the registry's streams (from contract state) with their status and anchored size")
    .option("--dir <dir>", "the data directory whose config names the registry")
    .option("--rpc <url>", "JSON-RPC endpoint (default: ANCORA_RPC_URL, else the config's)")
    .option("--json", "print { registry, streams: [...] } as JSON")
    .action(
      handler<StreamFlags>(ctx, async (options) => {
        const { io } = ctx;
        const config = loadConfig(dataDir(options.dir, io.env, io.cwd));
        const registry = registryOf(config);
        const { publicClient } = await connectPublic(rpcEndpointsOf(options.rpc, io.env, config));
        try {
          const reader = createRegistryReader(publicClient, registry);
          // From contract state, which outlives old event logs (EIP-4444); a registry deployed before
          // the stream-list views is read from its StreamRegistered events instead.
          const ids =
            (await reader.registeredStreamIds()) ??
            (
              await publicClient.getContractEvents({
                address: registry,
                abi: provenanceRegistryAbi,
                eventName: "StreamRegistered",
                fromBlock: searchFrom(config),
                toBlock: "latest",
              })
            )
              .map((e) => e.args.streamId)
              .filter((id): id is Hex => id !== undefined);
          const streams = [];
          for (const streamId of ids) {
            const state = await reader.streamState(streamId);
            streams.push({
              name: nameOf(await reader.streamMetadata(streamId)) ?? null,
              streamId,
              status: state.status,
              consistencyRequired: state.consistencyRequired,
              anchoredSize: String(state.treeSize),
              anchors: String(state.anchorCount),
            });
          }
          return {
            json: { registry, streams },
            text:
              streams.length === 0
                ? [`no streams in ${registry}`]
                : streams.map(
                    (s) =>
                      `${s.name ?? s.streamId}  ${s.status}  anchored ${s.anchoredSize} records in ${s.anchors} anchors  consistency proofs ${s.consistencyRequired ? "required" : "optional"}`,
                  ),
          };
        } catch (error) {
          throw unreachable(error);
        }
      }),
    );
  return stream;
}
