/**
 * The data directory's config file, `ancora.json`: chain, anchoring, IPFS, pinning and HTTP settings.
 * It never holds a secret (private keys, JWTs and API keys come from the environment), so it can be
 * committed, copied and shown. It is validated on every load and written atomically (temp + rename).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_ANCHOR_EVERY_MS, DEFAULT_ANCHOR_EVERY_RECORDS } from "@ancora/sdk";
import { CliError } from "../errors.js";

/** File name of the config inside a data directory. */
export const CONFIG_FILE = "ancora.json";
/** File name of the log inside a data directory (the service's default). */
export const DB_FILE = "ancora.db";
/** The data directory when neither --dir nor ANCORA_DIR is given. */
export const DEFAULT_DATA_DIR = ".ancora";

/** Where the IPFS node listens by default: loopback, any free TCP port. */
export const DEFAULT_IPFS_LISTEN = ["/ip4/127.0.0.1/tcp/0"] as const;
/** The IPFS node's key file in the data directory by default. */
export const DEFAULT_IPFS_IDENTITY_FILE = "ipfs-identity.key";

/**
 * A TCP multiaddr, the only transport the embedded node runs: `/ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT`,
 * optionally followed by more (e.g. `/p2p/<id>`). The SDK checks the full multiaddr syntax at start.
 */
const TCP_MULTIADDR = /^\/(ip4|ip6|dns|dns4|dns6)\/[^/\s]+\/tcp\/[0-9]{1,5}(\/\S*)?$/;

/** Pinning services the config can name (their credentials come from the environment). */
export const PINNING_SERVICES = ["none", "pinata", "kubo"] as const;

/** `ancora.json`, version 1. */
export interface AncoraConfig {
  format: "ancora.config";
  version: 1;
  /** Where `ancora serve` listens. */
  service: { host: string; port: number };
  /**
   * The registry `ancora deploy` wrote. `rpcUrl` may be left null and given as ANCORA_RPC_URL
   * instead: hosted RPC URLs often embed an API key, which does not belong in this file.
   */
  chain: {
    rpcUrl: string | null;
    chainId: number | null;
    registry: `0x${string}` | null;
    deploymentBlock: string | null;
    streams: string[];
    confirmations: number;
  };
  /** The anchoring policy of `ancora serve` (checkpoint every N records or T ms). */
  anchoring: { enabled: boolean; everyRecords: number; everyMs: number };
  /** The embedded IPFS node `ancora serve` starts: where auditors reach it, and under which peer id. */
  ipfs: {
    enabled: boolean;
    /** libp2p listen multiaddrs (TCP). */
    listen: string[];
    /** Multiaddrs announced to peers instead of the listen ones (a public address in front of a NAT). */
    announce: string[];
    /** The node's private key file, relative to the data directory (mode 0600); null: a new peer id each start. */
    identityFile: string | null;
    /** The HTTP block gateway (raw blocks, and many at once as one CAR). */
    gateway: { enabled: boolean; host: string; port: number };
  };
  /** Remote pinning: `pinata` (PINATA_JWT) or `kubo` (url, or KUBO_RPC_URL). */
  pinning: { service: (typeof PINNING_SERVICES)[number]; url: string | null };
}

/** The config `ancora init` writes. */
export function defaultConfig(): AncoraConfig {
  return {
    format: "ancora.config",
    version: 1,
    service: { host: "127.0.0.1", port: 8080 },
    chain: {
      rpcUrl: null,
      chainId: null,
      registry: null,
      deploymentBlock: null,
      streams: [],
      confirmations: 2,
    },
    anchoring: {
      enabled: true,
      everyRecords: DEFAULT_ANCHOR_EVERY_RECORDS,
      everyMs: DEFAULT_ANCHOR_EVERY_MS,
    },
    ipfs: defaultIpfs(),
    pinning: { service: "none", url: null },
  };
}

/** The IPFS settings of a new config, and of one written before they existed. */
function defaultIpfs(): AncoraConfig["ipfs"] {
  return {
    enabled: false,
    listen: [...DEFAULT_IPFS_LISTEN],
    announce: [],
    identityFile: DEFAULT_IPFS_IDENTITY_FILE,
    gateway: { enabled: true, host: "127.0.0.1", port: 0 },
  };
}

/** The data directory of a run: --dir, else ANCORA_DIR, else `.ancora`, resolved against cwd. */
export function dataDir(
  dir: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  return resolve(cwd, dir ?? env.ANCORA_DIR ?? DEFAULT_DATA_DIR);
}

function invalid(field: string, expected: string): never {
  throw new CliError("CONFIG_INVALID", `${CONFIG_FILE}: ${field} must be ${expected}`, {
    hint: `Fix ${field} in ${CONFIG_FILE}, or move the file away and run \`ancora init\` again.`,
    evidence: { field },
  });
}

/**
 * `value` as an object with only the keys named: a misspelt or unknown key is an error naming it, not
 * a setting silently ignored. `optional` keys may be missing (settings added after version 1 shipped).
 */
function object(
  value: unknown,
  field: string,
  keys: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) invalid(field, "an object");
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.includes(key)) {
      const name = field === "$" ? key : `${field}.${key}`;
      throw new CliError("CONFIG_INVALID", `${CONFIG_FILE}: ${name} is not a setting`, {
        hint: `Remove ${name} from ${CONFIG_FILE}, or check its spelling: docs/service.md lists every setting.`,
        evidence: { field: name },
      });
    }
  }
  for (const key of keys) {
    if (!(key in record) && !optional.includes(key)) {
      invalid(field === "$" ? key : `${field}.${key}`, "present");
    }
  }
  return record;
}

function addresses(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) invalid(field, "a list of TCP multiaddrs");
  value.forEach((address, i) => {
    if (typeof address !== "string" || !TCP_MULTIADDR.test(address)) {
      invalid(`${field}[${i}]`, 'a TCP multiaddr such as "/ip4/0.0.0.0/tcp/4001"');
    }
  });
  return [...(value as string[])];
}

/** The `ipfs` section; keys added after version 1 shipped take their defaults when missing. */
function parseIpfs(value: unknown): AncoraConfig["ipfs"] {
  const defaults = defaultIpfs();
  const ipfs = object(
    value,
    "ipfs",
    ["enabled", "listen", "announce", "identityFile", "gateway"],
    ["listen", "announce", "identityFile", "gateway"],
  );
  const identityFile = ipfs.identityFile === undefined ? defaults.identityFile : ipfs.identityFile;
  if (identityFile !== null && (typeof identityFile !== "string" || identityFile.length === 0)) {
    invalid("ipfs.identityFile", "a file name (relative to the data directory) or null");
  }
  const gateway =
    ipfs.gateway === undefined
      ? defaults.gateway
      : object(ipfs.gateway, "ipfs.gateway", ["enabled", "host", "port"], ["host", "port"]);
  const host = gateway.host ?? defaults.gateway.host;
  if (typeof host !== "string" || host.length === 0) invalid("ipfs.gateway.host", "a host name or address");
  return {
    enabled: boolean(ipfs.enabled, "ipfs.enabled"),
    listen: ipfs.listen === undefined ? defaults.listen : addresses(ipfs.listen, "ipfs.listen"),
    announce: ipfs.announce === undefined ? defaults.announce : addresses(ipfs.announce, "ipfs.announce"),
    identityFile,
    gateway: {
      enabled: boolean(gateway.enabled, "ipfs.gateway.enabled"),
      host,
      port: integer(gateway.port ?? defaults.gateway.port, "ipfs.gateway.port", 0, 65_535),
    },
  };
}

function integer(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    invalid(field, `an integer in [${min}, ${max}]`);
  }
  return value as number;
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") invalid(field, "true or false");
  return value;
}

function nullableString(value: unknown, field: string, pattern?: RegExp): string | null {
  if (value === null) return null;
  if (typeof value !== "string" || value.length === 0 || (pattern !== undefined && !pattern.test(value))) {
    invalid(
      field,
      pattern === undefined ? "a non-empty string or null" : `null or a string matching ${pattern}`,
    );
  }
  return value;
}

/**
 * Validates a parsed `ancora.json`; throws CONFIG_INVALID naming the first bad field.
 *
 * @example
 * ```ts
 * const config = parseConfig(JSON.parse(readFileSync("ancora.json", "utf8")));
 * ```
 */
export function parseConfig(value: unknown): AncoraConfig {
  // Format and version first: a file of another kind or version is named as that, not by its keys.
  const header = object(value, "$", Object.keys(value ?? {}));
  if (header.format !== "ancora.config") invalid("format", '"ancora.config"');
  if (header.version !== 1) invalid("version", "1 (this CLI knows version 1 only)");
  const root = object(value, "$", ["format", "version", "service", "chain", "anchoring", "ipfs", "pinning"]);
  const service = object(root.service, "service", ["host", "port"]);
  const chain = object(root.chain, "chain", [
    "rpcUrl",
    "chainId",
    "registry",
    "deploymentBlock",
    "streams",
    "confirmations",
  ]);
  const anchoring = object(root.anchoring, "anchoring", ["enabled", "everyRecords", "everyMs"]);
  const pinning = object(root.pinning, "pinning", ["service", "url"]);
  if (typeof service.host !== "string" || service.host.length === 0) invalid("service.host", "a host name");
  if (!Array.isArray(chain.streams) || !chain.streams.every((s) => typeof s === "string")) {
    invalid("chain.streams", "a list of stream names");
  }
  const block = nullableString(chain.deploymentBlock, "chain.deploymentBlock", /^[0-9]+$/);
  const chainId = chain.chainId === null ? null : integer(chain.chainId, "chain.chainId", 1);
  if (!PINNING_SERVICES.includes(pinning.service as never)) {
    invalid("pinning.service", PINNING_SERVICES.map((s) => `"${s}"`).join(" or "));
  }
  return {
    format: "ancora.config",
    version: 1,
    service: { host: service.host, port: integer(service.port, "service.port", 0, 65_535) },
    chain: {
      rpcUrl: nullableString(chain.rpcUrl, "chain.rpcUrl", /^(https?|wss?):\/\//),
      chainId,
      registry: nullableString(chain.registry, "chain.registry", /^0x[0-9a-fA-F]{40}$/) as
        | `0x${string}`
        | null,
      deploymentBlock: block,
      streams: [...(chain.streams as string[])],
      confirmations: integer(chain.confirmations, "chain.confirmations", 1),
    },
    anchoring: {
      enabled: boolean(anchoring.enabled, "anchoring.enabled"),
      everyRecords: integer(anchoring.everyRecords, "anchoring.everyRecords", 1),
      everyMs: integer(anchoring.everyMs, "anchoring.everyMs", 1),
    },
    ipfs: parseIpfs(root.ipfs),
    pinning: {
      service: pinning.service as AncoraConfig["pinning"]["service"],
      url: nullableString(pinning.url, "pinning.url", /^https?:\/\//),
    },
  };
}

/** Reads and validates `<dir>/ancora.json`. Throws CONFIG_NOT_FOUND when missing. */
export function loadConfig(dir: string): AncoraConfig {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) {
    throw new CliError("CONFIG_NOT_FOUND", `No ${CONFIG_FILE} in the data directory`, {
      hint: "Run `ancora init --dir DIR` first, or pass --dir (or set ANCORA_DIR) to an initialised directory.",
      evidence: { dir },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError("CONFIG_INVALID", `${CONFIG_FILE} is not valid JSON`, {
      cause: error,
      hint: `Fix ${CONFIG_FILE}, or move it away and run \`ancora init\` again.`,
      evidence: { dir },
    });
  }
  return parseConfig(parsed);
}

/** Writes `<dir>/ancora.json` atomically: a reader sees the old file or the new one, never half. */
export function saveConfig(dir: string, config: AncoraConfig): void {
  const path = join(dir, CONFIG_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(parseConfig(config), null, 2)}\n`, { mode: 0o644 });
  renameSync(temp, path);
}

/**
 * The store file of a command: --db, else `<dir>/ancora.db` for --dir or ANCORA_DIR. Neither is a
 * usage error (a default path could silently create a store where nobody looks for it).
 */
export function dbPath(
  options: { db?: string; dir?: string },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  if (options.db !== undefined) return resolve(cwd, options.db);
  const dir = options.dir ?? env.ANCORA_DIR;
  if (dir === undefined) {
    throw new CliError("USAGE", "No store given", {
      hint: "Pass --db FILE, or --dir DIR (or set ANCORA_DIR) for the data directory's ancora.db.",
    });
  }
  return join(resolve(cwd, dir), DB_FILE);
}
