/**
 * `ancora roles grant|revoke|list`: who may anchor (`anchorer`) and who manages streams and roles
 * (`admin`) in the config's registry. Changes are signed with the admin's key from the environment
 * (ANCORA_DEPLOYER_KEY, as `deploy`); listing needs no key.
 */
import { grantRole, revokeRole } from "@ancora/contracts";
import { Argument, Command, Option } from "commander";
import {
  accountFromEnv,
  addressArg,
  assertNoDevelopmentAccounts,
  connect,
  connectPublic,
  rpcEndpointsOf,
  unreachable,
} from "../chain.js";
import { type CliContext, handler } from "../command.js";
import { dataDir, loadConfig } from "../config.js";
import { ROLE_NAMES, ROLES, type RoleName, registryOf, roleHolders, searchFrom } from "../registry.js";
import { DEPLOYER_KEY_VARIABLES } from "./deploy.js";

interface RoleFlags {
  dir?: string;
  rpc?: string;
  role?: RoleName;
  json?: boolean;
}

const roleArgument = (): Argument =>
  new Argument("<role>", "anchorer (signs anchors) or admin (manages streams and roles)").choices(ROLE_NAMES);

function change(ctx: CliContext, verb: "grant" | "revoke"): Command {
  return new Command(verb)
    .description(
      verb === "grant"
        ? "grant a role to an address (signed with ANCORA_DEPLOYER_KEY, the admin)"
        : "revoke a role from an address, e.g. after a key leak (signed with ANCORA_DEPLOYER_KEY)",
    )
    .addArgument(roleArgument())
    .argument("<address>", "the account, 0x + 40 hex digits")
    .option("--dir <dir>", "the data directory whose config names the registry")
    .option("--rpc <url>", "JSON-RPC endpoint (default: ANCORA_RPC_URL, else the config's)")
    .option("--json", "print { role, account, registry, transactionHash, blockNumber } as JSON")
    .action(
      handler<RoleFlags>(ctx, async (options, args) => {
        const { io } = ctx;
        const role = args[0] as RoleName;
        const account = addressArg(args[1] ?? "", "<address>");
        const dir = dataDir(options.dir, io.env, io.cwd);
        const config = loadConfig(dir);
        const registry = registryOf(config);
        const rpc = rpcEndpointsOf(options.rpc, io.env, config);
        const admin = accountFromEnv(io.env, DEPLOYER_KEY_VARIABLES);
        const { chainId, publicClient, walletClient } = await connect(rpc, admin);
        if (verb === "grant") assertNoDevelopmentAccounts(chainId, { [role]: [account] });
        try {
          const options = { registry, role: ROLES[role], account };
          const tx =
            verb === "grant"
              ? await grantRole(walletClient, publicClient, options)
              : await revokeRole(walletClient, publicClient, options);
          const result = {
            role,
            account,
            registry,
            transactionHash: tx.transactionHash,
            blockNumber: String(tx.blockNumber),
          };
          return {
            json: result,
            text: [
              `${verb === "grant" ? "granted" : "revoked"} ${role} ${verb === "grant" ? "to" : "from"} ${account} in ${registry} (transaction ${tx.transactionHash}, block ${result.blockNumber})`,
            ],
          };
        } catch (error) {
          throw unreachable(error);
        }
      }),
    );
}

/** The `roles` command and its subcommands. */
export function rolesCommand(ctx: CliContext): Command {
  const roles = new Command("roles").description(
    "grant, revoke and list the registry's roles: anchorer (the key `serve` signs with) and admin",
  );
  roles.addCommand(change(ctx, "grant"));
  roles.addCommand(change(ctx, "revoke"));
  roles
    .command("list")
    .description("list who holds each role now (from the registry's RoleGranted events and hasRole)")
    .option("--dir <dir>", "the data directory whose config names the registry")
    .option("--rpc <url>", "JSON-RPC endpoint (default: ANCORA_RPC_URL, else the config's)")
    .addOption(new Option("--role <role>", "only this role").choices(ROLE_NAMES))
    .option("--json", "print { registry, roles: { anchorer: [...], admin: [...] } } as JSON")
    .action(
      handler<RoleFlags>(ctx, async (options) => {
        const { io } = ctx;
        const config = loadConfig(dataDir(options.dir, io.env, io.cwd));
        const registry = registryOf(config);
        const { publicClient } = await connectPublic(rpcEndpointsOf(options.rpc, io.env, config));
        const names = options.role === undefined ? ROLE_NAMES : [options.role];
        const held: Partial<Record<RoleName, string[]>> = {};
        try {
          for (const name of names) {
            held[name] = await roleHolders(publicClient, registry, ROLES[name], searchFrom(config));
          }
        } catch (error) {
          throw unreachable(error);
        }
        return {
          json: { registry, roles: held },
          text: names.map((n) => `${n}: ${(held[n] ?? []).join(", ") || "(nobody)"}`),
        };
      }),
    );
  return roles;
}
