/**
 * `ancora keys create|list|revoke`: the data directory's API keys, for operators who do not write
 * TypeScript. `create` prints the token once (only a hash of its secret is kept); `list` never prints a
 * secret, because the key file holds none.
 */
import { Command, Option } from "commander";
import { CliError } from "../../errors.js";
import { type ApiKeyInfo, createApiKey, listApiKeys, revokeApiKey, SCOPES, type Scope } from "../../keys.js";
import { type CliContext, handler } from "../command.js";
import { dataDir, loadConfig } from "../config.js";

interface KeyFlags {
  dir?: string;
  scope?: Scope[];
  name?: string;
  json?: boolean;
}

/** Key ids are 16 hex digits: the middle part of `ak_<id>_<secret>`. */
const KEY_ID = /^[0-9a-f]{16}$/;

/** The data directory of a keys command: an initialised one, so keys never land in a stray folder. */
function keysDir(ctx: CliContext, flag: string | undefined): string {
  const dir = dataDir(flag, ctx.io.env, ctx.io.cwd);
  loadConfig(dir); // CONFIG_NOT_FOUND: run `ancora init` first
  return dir;
}

function line(key: ApiKeyInfo): string {
  const state = key.revokedAt === undefined ? "active" : `revoked ${key.revokedAt}`;
  return `${key.id}  ${key.scopes.join(",")}  ${state}  created ${key.createdAt}${key.name === undefined ? "" : `  ${key.name}`}`;
}

const dirOption = (): Option =>
  new Option("--dir <dir>", "the data directory (default: $ANCORA_DIR or .ancora)");

/** The `keys` command and its subcommands. */
export function keysCommand(ctx: CliContext): Command {
  const keys = new Command("keys").description(
    "create, list and revoke the service's API keys (e.g. a write-only key for an inference service)",
  );
  keys
    .command("create")
    .description("create an API key and print its token once (it is stored hashed)")
    .addOption(dirOption())
    .addOption(
      new Option(
        "--scope <scope...>",
        "what the key may do: write (log decisions: inference services), read (auditors), admin (everything)",
      )
        .choices([...SCOPES])
        .makeOptionMandatory(),
    )
    .option("--name <text>", "who holds the key, e.g. ingest@loans (listed, never secret)")
    .option("--json", "print { id, scopes, name, createdAt, token } as JSON")
    .action(
      handler<KeyFlags>(ctx, async (options) => {
        const dir = keysDir(ctx, options.dir);
        if (options.name !== undefined && (options.name.length === 0 || options.name.length > 256)) {
          throw new CliError("USAGE", "--name must be 1 to 256 characters", {
            hint: "Name the holder, e.g. --name ingest@loans.",
          });
        }
        const key = createApiKey(dir, options.scope ?? [], {
          ...(options.name === undefined ? {} : { name: options.name }),
        });
        return {
          json: key,
          text: [
            `created API key ${key.id} (${key.scopes.join(", ")})`,
            `token: ${key.token}`,
            "The token is shown this once and stored nowhere: give it to the key's holder now.",
          ],
        };
      }),
    );
  keys
    .command("list")
    .description("list the API keys (ids, scopes, names, times; never a secret)")
    .addOption(dirOption())
    .option("--json", "print { keys: [...] } as JSON")
    .action(
      handler<KeyFlags>(ctx, async (options) => {
        const list = listApiKeys(keysDir(ctx, options.dir));
        return { json: { keys: list }, text: list.length === 0 ? ["no API keys"] : list.map(line) };
      }),
    );
  keys
    .command("revoke")
    .description("revoke an API key by id; a running service refuses it from its next request on")
    .argument("<id>", "the key's id (16 hex digits, the middle of ak_<id>_<secret>)")
    .addOption(dirOption())
    .option("--json", "print the revoked key as JSON")
    .action(
      handler<KeyFlags>(ctx, async (options, args) => {
        const id = args[0] ?? "";
        if (!KEY_ID.test(id)) {
          throw new CliError("USAGE", "The key id must be 16 hex digits", {
            hint: "Run `ancora keys list` for the ids.",
          });
        }
        const key = revokeApiKey(keysDir(ctx, options.dir), id);
        return { json: key, text: [`revoked API key ${key.id} at ${key.revokedAt}`] };
      }),
    );
  return keys;
}
