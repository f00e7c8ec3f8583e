/**
 * `ancora serve`: starts the HTTP service from the data directory's config, with secrets from the
 * environment, until SIGINT or SIGTERM, then closes it gracefully (in-flight requests finish,
 * queued records are written, the anchorer stops).
 */
import { resolve } from "node:path";
import { kuboService, pinataService, type RpcEndpoints } from "@ancora/sdk";
import { Command } from "commander";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CliError } from "../../errors.js";
import type { StartOptions } from "../../service.js";
import { accountFromEnv, connectPublic, rpcEndpointsOf, unreachable } from "../chain.js";
import { type CliContext, checkPostgresFlag, handler, integerFlag } from "../command.js";
import { type AncoraConfig, dataDir, loadConfig } from "../config.js";
import type { CliIo } from "../io.js";
import { storeStreams } from "../open-store.js";
import { checkAnchorer, registryOf } from "../registry.js";

interface ServeFlags {
  dir?: string;
  db?: string;
  rpc?: string;
  host?: string;
  port?: number;
  json?: boolean;
}

/** Resolves on the first SIGINT or SIGTERM (or the test's stop signal). */
function stopSignal(io: CliIo): Promise<string> {
  if (io.stopSignal !== undefined) return io.stopSignal;
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** The service's options from the config and the environment (secrets only from the latter). */

/** The service's anchoring connection fields for these endpoints. */
function endpointOptions(endpoints: RpcEndpoints): {
  rpcUrl: readonly string[];
  rpcHeaders?: Readonly<Record<string, string>>;
} {
  return {
    rpcUrl: endpoints.urls,
    ...(endpoints.headers === undefined ? {} : { rpcHeaders: endpoints.headers }),
  };
}

export function serviceOptions(
  dir: string,
  config: AncoraConfig,
  flags: ServeFlags,
  io: CliIo,
): StartOptions {
  const options: StartOptions = {
    dataDir: dir,
    host: flags.host ?? config.service.host,
    port: flags.port ?? config.service.port,
    // stdout is the command's result (the human lines, or --json's one object); the service's JSON
    // log goes to stderr, so the two never share a stream a script reads.
    log: { destination: io.stderr },
  };
  if (config.anchoring.enabled && config.chain.registry !== null) {
    accountFromEnv(io.env, ["ANCORA_PRIVATE_KEY"]); // present and well-formed, or SECRET_MISSING now
    options.anchoring = {
      ...endpointOptions(rpcEndpointsOf(flags.rpc, io.env, config)),
      registry: config.chain.registry,
      // The service takes the key, never the config: it came from the environment just now.
      privateKey: io.env.ANCORA_PRIVATE_KEY as Hex,
      confirmations: config.chain.confirmations,
      everyRecords: config.anchoring.everyRecords,
      everyMs: config.anchoring.everyMs,
    };
  }
  // Auditors fetch blocks over bitswap, or in bulk over the node's HTTP gateway: both where ancora.json
  // says (loopback by default), under a peer id kept in the data directory.
  if (config.ipfs.enabled) {
    const { listen, announce, identityFile, gateway } = config.ipfs;
    options.ipfs = {
      listen,
      ...(announce.length === 0 ? {} : { announce }),
      ...(identityFile === null ? {} : { identityFile: resolve(dir, identityFile) }),
      gateway: gateway.enabled ? { host: gateway.host, port: gateway.port } : false,
    };
  }
  if (config.pinning.service === "pinata") {
    if (io.env.PINATA_JWT === undefined) {
      throw new CliError("SECRET_MISSING", "Pinning with Pinata needs PINATA_JWT in the environment", {
        hint: 'Set PINATA_JWT, or set pinning.service to "none" in ancora.json.',
        evidence: { variables: ["PINATA_JWT"] },
      });
    }
    options.pinning = { service: pinataService({ jwt: io.env.PINATA_JWT }) };
  } else if (config.pinning.service === "kubo") {
    const url = config.pinning.url ?? io.env.KUBO_RPC_URL;
    options.pinning = { service: kuboService(url === undefined ? {} : { url }) };
  }
  return options;
}

/**
 * Refuses to start when the anchoring key cannot anchor (ROLE_MISSING, STREAM_NOT_REGISTERED). An
 * unreachable chain is not a reason to refuse: decisions are logged and anchoring catches up, so it is
 * said on stderr and the service starts.
 */
async function preflight(
  io: CliIo,
  dir: string,
  config: AncoraConfig,
  flags: ServeFlags,
  key: Hex,
): Promise<void> {
  let chain: Awaited<ReturnType<typeof connectPublic>>;
  try {
    chain = await connectPublic(rpcEndpointsOf(flags.rpc, io.env, config));
  } catch (error) {
    if (!(error instanceof CliError && error.code === "CHAIN_UNREACHABLE")) throw error;
    io.stderr.write(
      "warning: the RPC endpoint cannot be reached, so ANCHORER_ROLE was not checked; anchoring retries until it can\n",
    );
    return;
  }
  try {
    await checkAnchorer({
      publicClient: chain.publicClient,
      registry: registryOf(config),
      account: privateKeyToAccount(key).address,
      // A PostgreSQL log's streams are checked by the anchorer itself (ANCHOR_STREAM_NOT_REGISTERED).
      streams: flags.db === undefined ? storeStreams(dir) : [],
      dir,
    });
  } catch (error) {
    throw unreachable(error);
  }
}

/** EADDRINUSE becomes PORT_IN_USE (it was printed as UNEXPECTED); anything else passes. */
function portInUse(error: unknown, host: string, port: number): unknown {
  if ((error as { code?: unknown } | null)?.code !== "EADDRINUSE") return error;
  return new CliError("PORT_IN_USE", `${host}:${port} is already in use`, {
    hint: "Stop the other process, or pass --port N (0 picks a free port) or set service.port in ancora.json.",
    evidence: { host, port },
  });
}

/** The `serve` command. */
export function serveCommand(ctx: CliContext): Command {
  return new Command("serve")
    .description("run the HTTP service from the data directory's config until SIGINT/SIGTERM")
    .option("--dir <dir>", "the data directory (default: $ANCORA_DIR or .ancora)")
    .option("--host <host>", "listen address (default: the config's)")
    .option("--rpc <url>", "JSON-RPC endpoint for anchoring (default: ANCORA_RPC_URL, else the config's)")
    .option("--port <port>", "listen port (default: the config's; 0 picks a free one)", (v) =>
      integerFlag(v, "--port"),
    )
    .option(
      "--db <url>",
      "keep the log in PostgreSQL (postgres://user@host/db; the password from PGPASSWORD): decisions, configs and anchoring (one replica at a time); reads stay on SQLite for now",
    )
    .option("--json", "print { url, ipfs, gateway } when listening, as JSON")
    .action(
      handler<ServeFlags>(ctx, async (flags) => {
        const { io } = ctx;
        const dir = dataDir(flags.dir, io.env, io.cwd);
        const config = loadConfig(dir);
        checkPostgresFlag(flags.db);
        const options = {
          ...serviceOptions(dir, config, flags, io),
          ...(flags.db === undefined ? {} : { database: flags.db }),
        };
        if (options.anchoring !== undefined && "privateKey" in options.anchoring) {
          await preflight(io, dir, config, flags, options.anchoring.privateKey);
        }
        const stopped = stopSignal(io);
        // The HTTP service (Fastify, its schemas and validators: ~800 modules) loads only to serve, so
        // every other command and `--help` start without it.
        const { startService } = await import("../../service.js");
        const running = await startService(options).catch((error: unknown) => {
          throw portInUse(error, options.host ?? "127.0.0.1", options.port ?? 8080);
        });
        // The IPFS addresses are what auditors need besides the chain: print them with the URL.
        const ipfs = running.service.ipfsAddresses;
        const gateway = running.service.ipfsGateway;
        io.stdout.write(
          flags.json === true
            ? `${JSON.stringify({ url: running.url, ipfs, ...(gateway === undefined ? {} : { gateway }) })}\n`
            : `listening on ${running.url}\n${ipfs.map((a) => `ipfs ${a}\n`).join("")}${gateway === undefined ? "" : `ipfs gateway ${gateway}\n`}`,
        );
        const signal = await stopped;
        io.stderr.write(`${signal}: closing\n`);
        await running.close();
        return { json: undefined, text: ["stopped"] };
      }),
    );
}
