/**
 * The command line of `ancora-verify`, parsed and validated before anything is opened: what to verify
 * (the mode) follows from the sources given, and every bad combination is a {@link UsageError}.
 */
import { isBytes32, STREAM_NAME_PATTERN } from "@ancora/contracts";
import { Command, CommanderError, Option } from "commander";
import { type Address, isAddress } from "viem";
import { UsageError } from "../errors.js";
import {
  parseRpcHeaders,
  type RpcEndpoints,
  rpcEndpointsProblem,
  splitRpcUrls,
} from "../sources/rpc-transport.js";

/** What a run verifies, decided by the sources given. */
export type VerifyMode =
  | { readonly kind: "local"; readonly db?: string; readonly jsonl?: string }
  | {
      readonly kind: "chain";
      readonly db?: string;
      readonly jsonl?: string;
      readonly rpc: RpcEndpoints;
      readonly registry: Address;
    }
  | {
      readonly kind: "public";
      readonly rpc: RpcEndpoints;
      readonly registry: Address;
      readonly ipfs: IpfsSource;
    }
  | { readonly kind: "receipt"; readonly receipt: string; readonly rpc: RpcEndpoints }
  | { readonly kind: "pack"; readonly pack: string; readonly rpc: RpcEndpoints };

/** Where blocks come from in public mode. */
export type IpfsSource =
  | { readonly kind: "bitswap"; readonly peer: string }
  | { readonly kind: "gateway"; readonly url: string };

/** A parsed command line. */
export interface VerifyCommand {
  readonly mode: VerifyMode;
  /** Streams asked for (names, or 0x ids in public mode); empty means all. */
  readonly streams: readonly string[];
  readonly json: boolean;
  readonly progress: boolean;
  /** `--threads N` (local `--db` and public modes); undefined: the verifier's default. */
  readonly threads?: number;
  /** `--require-anchored` (chain mode): records beyond the latest anchor make the run fail. */
  readonly requireAnchored: boolean;
}

/** What parsing gave: a command to run, or help text to print (exit 0). */
export type ParsedArgs = { readonly command: VerifyCommand } | { readonly help: string };

const DESCRIPTION =
  "Verifies an Ancora provenance log: its local integrity, its anchors on chain, or, from the chain and IPFS alone, everything the organisation anchored and published.";

// Printed after the options, as written: commander re-wraps descriptions, which would break the table.
const MODES = `
Modes (chosen by the sources given):
  --db FILE|URL | --jsonl FILE                  local integrity of every stream (URL: postgres://…)
  --db FILE|URL --rpc URL --registry ADDRESS    local integrity and the log against the chain
  --rpc URL --registry ADDRESS --ipfs ADDRESS   public verification, without the organisation's database
  --receipt FILE --rpc URL                      one decision's receipt, on chain
  --pack FILE --rpc URL                         an EU AI Act evidence bundle, end to end, on chain

Exit codes: 0 verified; 1 tampering or inconsistency found; 2 usage or configuration error;
3 a source was unreachable (RPC, IPFS, timeouts).
The RPC URL may be given in ANCORA_RPC_URL instead (it often holds an API key); several URLs
separated by spaces are tried in order, and ANCORA_RPC_HEADERS (a JSON object) adds headers.`;

function program(): Command {
  return new Command("ancora-verify")
    .description(DESCRIPTION)
    .addOption(new Option("--db <file>", "an SDK SQLite log (read-only), or a postgres:// URL"))
    .addOption(new Option("--jsonl <file>", "an audit export written by exportJsonl"))
    .addOption(new Option("--rpc <url>", "JSON-RPC endpoint of the chain (http or https)"))
    .addOption(new Option("--registry <address>", "ProvenanceRegistry address"))
    .addOption(
      new Option("--stream <id...>", "streams to verify (names, or 0x ids in public mode); default all"),
    )
    .addOption(
      new Option("--ipfs <address>", "a bitswap peer multiaddr (/ip4/…/p2p/…) or a trustless gateway URL"),
    )
    .addOption(new Option("--receipt <file>", "a receipt (JSON) to check on chain"))
    .addOption(
      new Option("--pack <file>", "an evidence bundle (tar, `ancora export --format eu-ai-act-bundle`)"),
    )
    .addOption(
      new Option(
        "--require-anchored",
        "with --db/--jsonl and --rpc/--registry: fail (exit 1) when records are not yet anchored",
      ),
    )
    .addOption(new Option("--json", "print one JSON document on stdout"))
    .addOption(new Option("--progress", "progress on stderr even when it is not a terminal"))
    .addOption(
      new Option(
        "--threads <n>",
        `threads verifying records with --db or in public mode, 1 to ${MAX_THREADS} (default: cores, at most 8)`,
      ),
    )
    .helpOption("-h, --help", "show this help")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
}

/** Commander's own errors, as usage errors. */
function fromCommander(error: CommanderError): UsageError {
  const message = error.message.replace(/^error: /, "");
  switch (error.code) {
    case "commander.unknownOption":
      return new UsageError("USAGE_UNKNOWN_OPTION", message);
    case "commander.optionMissingArgument":
    case "commander.missingArgument":
      return new UsageError("USAGE_MISSING_VALUE", message);
    default:
      return new UsageError("USAGE_BAD_VALUE", message);
  }
}

/** Most threads `--threads` takes (the pool's limit). */
export const MAX_THREADS = 64;

function threadCount(value: string): number {
  const n = /^[0-9]{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new UsageError("USAGE_BAD_VALUE", `--threads must be an integer from 1 to ${MAX_THREADS}`, {
      hint: "Pass a thread count such as --threads 4 (1 verifies on one thread), or leave it out.",
      evidence: { threads: value.slice(0, 20) },
    });
  }
  return n;
}

function httpUrl(value: string, option: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError("USAGE_BAD_VALUE", `${option} is not a URL`, {
      hint: `Pass an http:// or https:// URL to ${option}.`,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError("USAGE_BAD_VALUE", `${option} must be an http:// or https:// URL`, {
      evidence: { protocol: url.protocol },
    });
  }
  return value;
}

/**
 * The RPC endpoints: one URL, or several separated by spaces (tried in order when one fails), and the
 * headers of ANCORA_RPC_HEADERS (a JSON object) for providers that take their key in a header.
 */
function rpcEndpoints(value: string, env: Readonly<Record<string, string | undefined>>): RpcEndpoints {
  const urls = splitRpcUrls(value).map((url) => httpUrl(url, "--rpc"));
  if (urls.length === 0) {
    throw new UsageError("USAGE_BAD_VALUE", "--rpc is empty", {
      hint: "Pass an http:// or https:// URL to --rpc.",
    });
  }
  const headers = parseRpcHeaders(env.ANCORA_RPC_HEADERS);
  if (headers === undefined) return { urls };
  const endpoints = { urls, headers: headers as Record<string, string> };
  // The reason never repeats a header value: it may be the key.
  if (rpcEndpointsProblem(endpoints) !== undefined) {
    throw new UsageError(
      "USAGE_BAD_VALUE",
      "ANCORA_RPC_HEADERS must be a JSON object of header names and strings",
      {
        hint: 'For example ANCORA_RPC_HEADERS=\'{"x-api-key":"…"}\'.',
      },
    );
  }
  return endpoints;
}

function ipfsSource(value: string): IpfsSource {
  if (value.startsWith("/")) return { kind: "bitswap", peer: value };
  if (/^https?:\/\//i.test(value)) return { kind: "gateway", url: httpUrl(value, "--ipfs") };
  throw new UsageError("USAGE_BAD_VALUE", "--ipfs is neither a multiaddr nor an http(s) URL", {
    hint: "Pass a peer's multiaddr (/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…) or a gateway URL (https://…).",
  });
}

/**
 * Parses `args` (the arguments after the program name).
 *
 * @throws {UsageError} for an unknown option, a missing or malformed value, or a bad combination.
 * @example
 * ```ts
 * parseArgs(["--db", "ancora.db", "--json"]); // { command: { mode: { kind: "local", db: "ancora.db" }, streams: [], json: true, progress: false } }
 * ```
 */
export function parseArgs(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedArgs {
  const cli = program();
  try {
    cli.parse([...args], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.help") {
        return { help: `${cli.helpInformation()}${MODES}\n` };
      }
      throw fromCommander(error);
    }
    throw error;
  }
  const o = cli.opts<{
    db?: string;
    jsonl?: string;
    rpc?: string;
    registry?: string;
    stream?: string[];
    ipfs?: string;
    receipt?: string;
    pack?: string;
    json?: boolean;
    progress?: boolean;
    threads?: string;
    requireAnchored?: boolean;
  }>();
  // `--db --json` would otherwise read "--json" as the file name: a value that looks like an option
  // is a missing value (a file really named so can be given as ./-name).
  for (const [name, value] of Object.entries(o)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === "string" && v.startsWith("-")) {
        throw new UsageError(
          "USAGE_MISSING_VALUE",
          `option '--${name}' is missing its value (got ${JSON.stringify(v.slice(0, 40))})`,
        );
      }
    }
  }
  const streams = o.stream ?? [];
  for (const stream of streams) {
    if (!STREAM_NAME_PATTERN.test(stream) && !isBytes32(stream)) {
      throw new UsageError(
        "USAGE_BAD_VALUE",
        `--stream ${JSON.stringify(stream.slice(0, 80))} is not a stream name`,
        {
          hint: "Stream names are 1-64 characters of a-z, 0-9, '.', '_' and '-'; public mode also takes 0x ids.",
        },
      );
    }
  }
  if (o.db !== undefined && o.jsonl !== undefined) {
    throw new UsageError("USAGE_CONFLICT", "--db and --jsonl cannot be combined", {
      hint: "Verify one local log at a time.",
    });
  }
  const local = o.db ?? o.jsonl;
  const needsRpc = o.registry !== undefined || o.receipt !== undefined || o.pack !== undefined;
  const rpcGiven = o.rpc ?? (needsRpc ? env.ANCORA_RPC_URL : undefined);
  const rpc = rpcGiven === undefined ? undefined : rpcEndpoints(rpcGiven, env);
  if (o.registry !== undefined && !isAddress(o.registry, { strict: false })) {
    throw new UsageError("USAGE_BAD_VALUE", "--registry is not an address", {
      hint: "Pass the ProvenanceRegistry's address: 0x followed by 40 hex digits.",
    });
  }
  const registry = o.registry?.toLowerCase() as Address | undefined;
  const threads = o.threads === undefined ? undefined : threadCount(o.threads);
  const requireAnchored = o.requireAnchored === true;
  const flags = {
    streams,
    json: o.json === true,
    progress: o.progress === true,
    requireAnchored,
    ...(threads === undefined ? {} : { threads }),
  };
  // Only a log checked against the chain has records that may lack an anchor: elsewhere the flag
  // could never fail, so it is refused rather than silently satisfied.
  if (requireAnchored && (local === undefined || rpc === undefined || registry === undefined)) {
    throw new UsageError("USAGE_CONFLICT", "--require-anchored applies to a log checked against the chain", {
      hint: "Use it with --db FILE (or --jsonl FILE) --rpc URL --registry ADDRESS; public verification and receipts only ever see anchored records.",
    });
  }
  const threadsIgnored = (mode: string) =>
    new UsageError("USAGE_CONFLICT", `--threads does not apply to ${mode}`, {
      hint: "--threads applies to a --db log checked alone and to public verification: drop it here.",
    });
  const sources = {
    ...(o.db === undefined ? {} : { db: o.db }),
    ...(o.jsonl === undefined ? {} : { jsonl: o.jsonl }),
  };

  if (o.pack !== undefined) {
    if (
      local !== undefined ||
      o.ipfs !== undefined ||
      o.registry !== undefined ||
      o.receipt !== undefined ||
      streams.length > 0
    ) {
      throw new UsageError("USAGE_CONFLICT", "--pack takes only --rpc (and --json)", {
        hint: "A bundle names its own chain, registry and stream: run `ancora-verify --pack FILE --rpc URL`.",
      });
    }
    if (threads !== undefined) throw threadsIgnored("an evidence bundle");
    if (rpc === undefined) {
      throw new UsageError("USAGE_CONFLICT", "--pack needs --rpc (or ANCORA_RPC_URL)", {
        hint: "Pass the JSON-RPC URL of the chain the bundle's pack names.",
      });
    }
    return { command: { mode: { kind: "pack", pack: o.pack, rpc }, ...flags } };
  }
  if (o.receipt !== undefined) {
    if (local !== undefined || o.ipfs !== undefined || o.registry !== undefined || streams.length > 0) {
      throw new UsageError("USAGE_CONFLICT", "--receipt takes only --rpc (and --json)", {
        hint: "A receipt names its own registry and stream: run `ancora-verify --receipt FILE --rpc URL`.",
      });
    }
    if (threads !== undefined) throw threadsIgnored("a receipt");
    if (rpc === undefined) {
      throw new UsageError("USAGE_CONFLICT", "--receipt needs --rpc (or ANCORA_RPC_URL)", {
        hint: "Pass the JSON-RPC URL of the chain the receipt names.",
      });
    }
    return { command: { mode: { kind: "receipt", receipt: o.receipt, rpc }, ...flags } };
  }
  if ((rpc === undefined) !== (registry === undefined)) {
    throw new UsageError("USAGE_CONFLICT", "--rpc and --registry go together", {
      hint: "Give both to check against the chain, or neither to check a local log alone.",
    });
  }
  if (local !== undefined) {
    if (o.ipfs !== undefined) {
      throw new UsageError("USAGE_CONFLICT", "--ipfs is for public verification, without --db or --jsonl", {
        hint: "A local log holds its own records: drop --ipfs, or drop --db/--jsonl to verify from IPFS.",
      });
    }
    if (threads !== undefined && o.jsonl !== undefined) throw threadsIgnored("an export (--jsonl)");
    if (threads !== undefined && rpc !== undefined) throw threadsIgnored("a log checked against the chain");
    const mode: VerifyMode =
      rpc === undefined || registry === undefined
        ? { kind: "local", ...sources }
        : { kind: "chain", ...sources, rpc, registry };
    return { command: { mode, ...flags } };
  }
  if (rpc !== undefined && registry !== undefined) {
    if (o.ipfs === undefined) {
      throw new UsageError("USAGE_CONFLICT", "public verification needs --ipfs", {
        hint: "Add --ipfs with a peer multiaddr or a gateway URL, or --db with a copy of the log.",
      });
    }
    return { command: { mode: { kind: "public", rpc, registry, ipfs: ipfsSource(o.ipfs) }, ...flags } };
  }
  if (o.ipfs !== undefined) {
    throw new UsageError("USAGE_CONFLICT", "--ipfs needs --rpc and --registry", {
      hint: "Public verification reads the anchors from the chain: add --rpc URL --registry ADDRESS.",
    });
  }
  throw new UsageError("USAGE_NOTHING_TO_VERIFY", "nothing to verify", {
    hint: "Pass --db FILE, --jsonl FILE, --rpc URL --registry ADDRESS --ipfs ADDRESS, or --receipt FILE --rpc URL.",
  });
}
