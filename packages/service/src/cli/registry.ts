/**
 * The operator's view of the config's ProvenanceRegistry: which registry, the role names the CLI
 * takes (`anchorer`, `admin`), who holds a role, and the exact command that grants a missing one.
 * Shared by `deploy`, `serve`, `roles` and `stream`.
 */
import {
  ANCHORER_ROLE,
  createRegistryReader,
  DEFAULT_ADMIN_ROLE,
  encodeStreamId,
  provenanceRegistryAbi,
  RegistryUnknownStreamError,
} from "@ancora/contracts";
import type { Address, Hex, PublicClient } from "viem";
import { CliError } from "../errors.js";
import type { AncoraConfig } from "./config.js";

/** The roles the CLI grants, revokes and lists, by the name an operator types. */
export const ROLES = { anchorer: ANCHORER_ROLE, admin: DEFAULT_ADMIN_ROLE } as const;
export type RoleName = keyof typeof ROLES;
/** Every role name, in the order `roles list` prints them. */
export const ROLE_NAMES = Object.keys(ROLES) as RoleName[];

/** The registry the config names, or CONFIG_INVALID saying to deploy one. */
export function registryOf(config: AncoraConfig): Address {
  if (config.chain.registry === null) {
    throw new CliError("CONFIG_INVALID", "The data directory names no registry", {
      hint: "Run `ancora deploy --dir DIR` first (it writes chain.registry to ancora.json).",
    });
  }
  return config.chain.registry;
}

/** The `ancora roles grant` command line that gives `account` the role (printed, never run). */
export function grantCommand(role: RoleName, account: string, dir: string): string {
  return `ancora roles grant ${role} ${account} --dir ${dir}`;
}

/** Whether `account` holds `role` in the registry now. */
export function holdsRole(
  publicClient: PublicClient,
  registry: Address,
  role: Hex,
  account: Address,
): Promise<boolean> {
  return publicClient.readContract({
    address: registry,
    abi: provenanceRegistryAbi,
    functionName: "hasRole",
    args: [role, account],
  });
}

/**
 * The accounts holding `role` now: every account a `RoleGranted` event since `fromBlock` names, kept
 * when `hasRole` still says so (AccessControl has no enumeration; a revoked grant drops out).
 */
export async function roleHolders(
  publicClient: PublicClient,
  registry: Address,
  role: Hex,
  fromBlock: bigint,
): Promise<Address[]> {
  const granted = await publicClient.getContractEvents({
    address: registry,
    abi: provenanceRegistryAbi,
    eventName: "RoleGranted",
    args: { role },
    fromBlock,
    toBlock: "latest",
  });
  const accounts = [...new Set(granted.map((e) => e.args.account).filter((a) => a !== undefined))];
  const held = await Promise.all(accounts.map((a) => holdsRole(publicClient, registry, role, a)));
  return accounts.filter((_, i) => held[i] === true);
}

/** The block event searches start from: the deployment's, when the config knows it. */
export function searchFrom(config: AncoraConfig): bigint {
  return config.chain.deploymentBlock === null ? 0n : BigInt(config.chain.deploymentBlock);
}

/**
 * What `serve` checks before it starts anchoring: `account` holds ANCHORER_ROLE, and every stream it
 * will anchor is registered and active. Without this the service started and logged reverted anchors
 * for ever; now it refuses with the exact command that fixes it.
 */
export async function checkAnchorer(options: {
  publicClient: PublicClient;
  registry: Address;
  account: Address;
  streams: readonly string[];
  dir: string;
}): Promise<void> {
  const { publicClient, registry, account, streams, dir } = options;
  if (!(await holdsRole(publicClient, registry, ANCHORER_ROLE, account))) {
    throw new CliError("ROLE_MISSING", `The anchoring key ${account} lacks ANCHORER_ROLE in ${registry}`, {
      hint: `Grant it with the admin's key (ANCORA_DEPLOYER_KEY): ${grantCommand("anchorer", account, dir)}; or set ANCORA_PRIVATE_KEY to the key that holds it.`,
      evidence: { account, registry, role: "ANCHORER_ROLE" },
    });
  }
  const reader = createRegistryReader(publicClient, registry);
  for (const stream of streams) {
    let status: string;
    try {
      status = (await reader.streamState(encodeStreamId(stream))).status;
    } catch (error) {
      if (!(error instanceof RegistryUnknownStreamError)) throw error;
      status = "unregistered";
    }
    if (status !== "active") {
      throw new CliError("STREAM_NOT_REGISTERED", `Stream "${stream}" is ${status} in ${registry}`, {
        hint:
          status === "unregistered"
            ? `Register it with the admin's key: ancora stream register ${stream} --dir ${dir}`
            : "A retired stream takes no anchors: log to a new stream, or serve with another data directory.",
        evidence: { stream, registry, status },
      });
    }
  }
}
