/**
 * `ancora anchor`: one anchoring pass with the SDK's anchorer. Checkpoints every selected stream's
 * head, commits the pending checkpoints to the registry, waits for their confirmations and prints the
 * transactions. It stops at the first failure (the job stays in the store's outbox for the next run).
 *
 * `ancora anchor --after-misstated-anchor --stream NAME` is the way past a misstated anchor
 * (docs/operations.md): signed with the admin key, it anchors the stream's checkpoint without a
 * consistency proof from the misstated one, which stays in the history.
 */
import {
  type AnchorBacklog,
  type AnchoredCheckpoint,
  type AncoraStore,
  anchorAfterMisstatedAnchor,
  createAnchorer,
} from "@ancora/sdk";
import { Command } from "commander";
import { getAddress, isAddress } from "viem";
import { CliError } from "../../errors.js";
import {
  accountFromEnv,
  assertNoDevelopmentAccounts,
  connect,
  rpcEndpointsOf,
  unreachable,
} from "../chain.js";
import { type CliContext, handler, integerFlag } from "../command.js";
import { type AncoraConfig, dataDir, dbPath, loadConfig } from "../config.js";
import { openExistingStore } from "../open-store.js";
import { progressBar } from "../progress.js";

interface AnchorFlags {
  db?: string;
  dir?: string;
  rpc?: string;
  registry?: string;
  stream?: string[];
  confirmations?: number;
  timeout: number;
  checkpoint: boolean;
  json?: boolean;
  afterMisstatedAnchor?: boolean;
}

/** How long `ancora anchor` waits for its confirmations by default (seconds). */
export const DEFAULT_ANCHOR_TIMEOUT_S = 300;
const POLL_MS = 250;

function optionalConfig(
  options: AnchorFlags,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
) {
  // The config is optional when --db, --rpc and --registry say everything.
  if (options.dir === undefined && env.ANCORA_DIR === undefined) return undefined;
  return loadConfig(dataDir(options.dir, env, cwd));
}

function registryOf(flag: string | undefined, config: AncoraConfig | undefined): `0x${string}` {
  const value = flag ?? config?.chain.registry ?? undefined;
  if (value === undefined) {
    throw new CliError("USAGE", "No registry address", {
      hint: "Pass --registry ADDRESS, or run `ancora deploy` so that the data directory's config names it.",
    });
  }
  if (!isAddress(value)) {
    throw new CliError("USAGE", "--registry is not an address", {
      hint: "Pass a 0x-address of 40 hex digits.",
    });
  }
  return getAddress(value);
}

const confirmedKey = (a: AnchoredCheckpoint) =>
  `${a.stream}/${a.chainId}/${a.registry}/${a.size}/${a.txHash}`;

/**
 * Each anchor this run waits for whose confirmations changed since the last look, as a line for stderr
 * (`shown` remembers what was printed): a wait for blocks shows that it is moving, or that it is not.
 */
function confirmationLines(
  store: AncoraStore,
  streams: readonly string[],
  required: number,
  shown: Map<string, number>,
): string[] {
  const lines: string[] = [];
  for (const a of streams.flatMap((s) => store.anchors(s))) {
    if (a.status !== "submitted") continue;
    const key = `${a.stream}/${a.size}/${a.txHash}`;
    if (shown.get(key) === a.confirmations) continue;
    shown.set(key, a.confirmations);
    lines.push(
      `waiting for the anchor of ${a.stream} at size ${a.size} (transaction ${a.txHash}): ${a.confirmations}/${required} confirmations`,
    );
  }
  return lines;
}

/** What a timed-out run was waiting for: each unfinished stream's checkpoint and, once sent, its blocks. */
function waitingFor(store: AncoraStore, backlog: AnchorBacklog["streams"], required: number): string {
  return backlog
    .filter((s) => s.anchored < s.checkpointed)
    .map((s) => {
      const sent = store
        .anchors(s.stream)
        .filter((a) => a.status === "submitted")
        .at(-1);
      return sent === undefined
        ? `${s.stream} at size ${s.checkpointed} (not sent yet)`
        : `${s.stream} at size ${sent.size} (transaction ${sent.txHash}: ${sent.confirmations}/${required} confirmations)`;
    })
    .join(", ");
}

/** The `anchor` command. */
export function anchorCommand(ctx: CliContext): Command {
  return new Command("anchor")
    .description("checkpoint the streams and anchor their checkpoints on chain (ANCORA_PRIVATE_KEY)")
    .option("--db <file>", "the SQLite store (default: the data directory's)")
    .option("--dir <dir>", "data directory: its store, RPC URL and registry")
    .option("--rpc <url>", "JSON-RPC endpoint (or ANCORA_RPC_URL)")
    .option("--registry <address>", "ProvenanceRegistry address (default: the config's)")
    .option("--stream <name...>", "streams to anchor (default: every stream in the store)")
    .option("--confirmations <n>", "blocks to wait for (default: the config's, else 2)", (v) =>
      integerFlag(v, "--confirmations", 1),
    )
    .option(
      "--timeout <seconds>",
      "give up waiting after this long",
      (v) => integerFlag(v, "--timeout", 1),
      DEFAULT_ANCHOR_TIMEOUT_S,
    )
    .option("--no-checkpoint", "anchor only the checkpoints already pending")
    .option("--json", "print the anchors as JSON")
    .option(
      "--after-misstated-anchor",
      "anchor the --stream past its misstated latest anchor (ANCORA_DEPLOYER_KEY, the admin)",
    )
    .action(
      handler<AnchorFlags>(ctx, async (options) => {
        const { io } = ctx;
        const config = optionalConfig(options, io.env, io.cwd);
        const db = dbPath(options, io.env, io.cwd);
        const registry = registryOf(options.registry, config);
        const rpc = rpcEndpointsOf(options.rpc, io.env, config);
        if (options.afterMisstatedAnchor === true) {
          return await afterMisstatedAnchor(ctx, options, db, registry, rpc, config);
        }
        const account = accountFromEnv(io.env, ["ANCORA_PRIVATE_KEY"]);
        const store = openExistingStore(db);
        const errors: unknown[] = [];
        let anchorer: ReturnType<typeof createAnchorer> | undefined;
        try {
          const streams =
            options.stream ??
            store
              .streams()
              .filter((s) => s.size > 0)
              .map((s) => s.name);
          if (streams.length === 0) {
            throw new CliError("USAGE", "The store has no stream to anchor", {
              hint: "Log something first.",
            });
          }
          for (const stream of streams) store.stream(stream); // STREAM_UNKNOWN before any RPC call
          const clients = await connect(rpc, account);
          assertNoDevelopmentAccounts(clients.chainId, { anchorer: [account.address] });
          const seen = new Set(
            streams.flatMap((s) =>
              store
                .anchors(s)
                .filter((a) => a.status === "confirmed")
                .map(confirmedKey),
            ),
          );
          const checkpoints = options.checkpoint ? streams.map((s) => store.checkpoint(s)) : [];
          const requested = options.confirmations ?? config?.chain.confirmations ?? 2;
          let required = requested;
          const shown = new Map<string, number>();
          anchorer = createAnchorer({
            store,
            streams,
            registry,
            publicClient: clients.publicClient,
            walletClient: clients.walletClient,
            policy: false,
            confirmations: requested,
            pollIntervalMs: POLL_MS,
            onError: (error) => errors.push(error),
            onNotice: (notice) => {
              required = notice.confirmations;
              io.stderr.write(`notice: ${notice.message}\n`);
            },
          });
          const deadline = Date.now() + options.timeout * 1000;
          const progress = progressBar(io.stderr, "anchor", streams.length);
          for (;;) {
            await anchorer.tick();
            if (errors.length > 0) throw unreachable(errors[0]);
            const backlog = anchorer.backlog().streams;
            const done = backlog.filter((s) => s.anchored >= s.checkpointed).length;
            progress.update(done);
            if (done === streams.length) break;
            const lines = confirmationLines(store, streams, required, shown);
            if (lines.length > 0) {
              progress.finish(); // the bar is redrawn on the next update
              io.stderr.write(`${lines.join("\n")}\n`);
            }
            if (Date.now() >= deadline) {
              const what = waitingFor(store, backlog, required);
              throw new CliError(
                "ANCHOR_INCOMPLETE",
                `Timed out after ${options.timeout} s waiting for ${what}`,
                {
                  hint: "Run `ancora anchor` again later (pending work stays queued); check --confirmations against how often the chain makes blocks.",
                  evidence: { streams: backlog },
                },
              );
            }
            await new Promise((r) => setTimeout(r, POLL_MS));
          }
          progress.finish();
          const anchors = streams
            .flatMap((s) => store.anchors(s))
            .filter((a) => a.status === "confirmed" && !seen.has(confirmedKey(a)))
            .map((a) => ({
              stream: a.stream,
              size: a.size,
              txHash: a.txHash,
              blockNumber: a.blockNumber,
              origin: a.origin,
              manifest: a.manifestCid,
            }));
          return {
            json: {
              chainId: clients.chainId,
              registry,
              checkpoints: checkpoints.map((c) => ({ stream: c.stream, size: c.size })),
              anchors,
            },
            text:
              anchors.length === 0
                ? ["nothing new to anchor: every checkpoint was already anchored"]
                : anchors.map(
                    (a) =>
                      `anchored ${a.stream} at size ${a.size}: tx ${a.txHash} (block ${a.blockNumber}, ${a.origin})`,
                  ),
          };
        } finally {
          await anchorer?.stop();
          store.close();
        }
      }),
    );
}

/**
 * `--after-misstated-anchor`: checks that the stream's latest anchor commits the log's root at another
 * size than it states (a fork is refused), then anchors the stream's checkpoint with the admin key.
 */
async function afterMisstatedAnchor(
  ctx: CliContext,
  options: AnchorFlags,
  db: string,
  registry: `0x${string}`,
  rpc: ReturnType<typeof rpcEndpointsOf>,
  config: AncoraConfig | undefined,
) {
  const [stream, ...more] = options.stream ?? [];
  if (stream === undefined || more.length > 0) {
    throw new CliError("USAGE", "--after-misstated-anchor needs exactly one --stream", {
      hint: "Name the stream whose latest anchor is misstated (the ANCHOR_SIZE_MISSTATED error names it).",
    });
  }
  const admin = accountFromEnv(ctx.io.env, ["ANCORA_DEPLOYER_KEY"]);
  const store = openExistingStore(db);
  try {
    store.stream(stream); // STREAM_UNKNOWN before any RPC call
    const clients = await connect(rpc, admin);
    assertNoDevelopmentAccounts(clients.chainId, { admin: [admin.address] });
    const done = await anchorAfterMisstatedAnchor({
      store,
      stream,
      registry,
      publicClient: clients.publicClient,
      walletClient: clients.walletClient,
      confirmations: options.confirmations ?? config?.chain.confirmations ?? 2,
      timeoutMs: options.timeout * 1000,
      onNotice: (message) => ctx.io.stderr.write(`notice: ${message}\n`),
    });
    const { skipped } = done;
    return {
      json: { chainId: clients.chainId, registry, ...done },
      text: [
        `skipped anchor ${skipped.sequence} of ${stream}: it states size ${skipped.statedSize} but commits the log's root at size ${skipped.trueSize} (tx ${skipped.txHash}); it stays in the history`,
        `anchored ${stream} at size ${done.size} with the admin key: tx ${done.txHash} (block ${done.blockNumber})`,
        "run `ancora anchor` as usual from now on",
      ],
    };
  } finally {
    store.close();
  }
}
