/**
 * `ancora init`: creates a data directory with its config (`ancora.json`, no secrets) and the first
 * admin API key, printed once (only a hash of its secret is kept).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { preparePostgresStore } from "@ancora/sdk";
import { Command, Option } from "commander";
import { CliError } from "../../errors.js";
import { createApiKey, type Scope } from "../../keys.js";
import { type CliContext, checkPostgresFlag, handler, integerFlag } from "../command.js";
import { CONFIG_FILE, dataDir, defaultConfig, PINNING_SERVICES, saveConfig } from "../config.js";

interface InitFlags {
  dir?: string;
  db?: string;
  rpc?: string;
  host: string;
  port: number;
  ipfs?: boolean;
  pinning: (typeof PINNING_SERVICES)[number];
  pinningUrl?: string;
  json?: boolean;
}

/** Scopes of the first API key: everything. */
export const ADMIN_SCOPES: Scope[] = ["admin"];

/** The `init` command. */
export function initCommand(ctx: CliContext): Command {
  return new Command("init")
    .description("create a data directory: config (no secrets) and the first admin API key")
    .option("--dir <dir>", "the data directory (default: $ANCORA_DIR or .ancora)")
    .option("--rpc <url>", "JSON-RPC endpoint to write to the config (keep keyed URLs in ANCORA_RPC_URL)")
    .option("--host <host>", "address `ancora serve` listens on", "127.0.0.1")
    .option("--port <port>", "port `ancora serve` listens on", (v) => integerFlag(v, "--port"), 8080)
    .option("--ipfs", "start the embedded IPFS node with the service")
    .addOption(
      new Option("--pinning <service>", "remote pinning (PINATA_JWT / KUBO_RPC_URL from the environment)")
        .choices([...PINNING_SERVICES])
        .default("none"),
    )
    .option("--pinning-url <url>", "the pinning service's URL (kubo)")
    .option(
      "--db <url>",
      "also create the schema of a PostgreSQL log (postgres://user@host/db; the password from PGPASSWORD), for `ancora serve --db`",
    )
    .option("--json", "print { dir, config, apiKey } as JSON")
    .action(
      handler<InitFlags>(ctx, async (options) => {
        const dir = dataDir(options.dir, ctx.io.env, ctx.io.cwd);
        if (existsSync(join(dir, CONFIG_FILE))) {
          throw new CliError("DATA_DIR_EXISTS", `${dir} is already initialised`, {
            hint: "Use it as it is (`ancora serve --dir ...`), or pick another --dir.",
            evidence: { dir },
          });
        }
        if (options.rpc !== undefined && !/^https?:\/\//.test(options.rpc)) {
          throw new CliError("USAGE", "--rpc must be an http(s) URL", {
            hint: "e.g. --rpc http://127.0.0.1:8545",
          });
        }
        checkPostgresFlag(options.db);
        // The database first: when it cannot be reached, nothing is created.
        const schema = options.db === undefined ? undefined : await preparePostgresStore(options.db);
        // The key file will live here too: owner-only.
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const config = defaultConfig();
        config.service = { host: options.host, port: options.port };
        config.chain.rpcUrl = options.rpc ?? null;
        config.ipfs.enabled = options.ipfs === true;
        config.pinning = { service: options.pinning, url: options.pinningUrl ?? null };
        saveConfig(dir, config);
        const key = createApiKey(dir, ADMIN_SCOPES, { name: "first admin (ancora init)" });
        return {
          json: {
            dir,
            config: join(dir, CONFIG_FILE),
            apiKey: { id: key.id, scopes: key.scopes, token: key.token },
            ...(schema === undefined ? {} : { postgres: { schemaVersion: schema } }),
          },
          text: [
            `initialised ${dir}`,
            ...(schema === undefined
              ? []
              : [
                  `PostgreSQL log ready (schema version ${schema}): start replicas with ancora serve --db <url>`,
                ]),
            `admin API key (shown once; keep it in a secret store, use it as ANCORA_API_KEY):`,
            `  ${key.token}`,
          ],
        };
      }),
    );
}
