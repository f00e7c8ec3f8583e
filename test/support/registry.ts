/**
 * A ProvenanceRegistry test bed for the contract tests: on a test file's Hardhat network, three
 * signers (admin, anchorer, stranger), a deploy that binds the generated `as const` ABI
 * (packages/contracts), which also checks that the generated module matches what is deployed, and
 * the small encoders the tests compare events and heads with.
 */
import {
  type Account,
  type Address,
  type Chain,
  type GetContractReturnType,
  getContract,
  type Hex,
  keccak256,
  numberToHex,
  type PublicClient,
  pad,
  stringToBytes,
  type Transport,
  type WalletClient,
} from "viem";
import { provenanceRegistryAbi } from "../../packages/contracts/src/generated/provenance-registry.ts";

/** A stream id from a name. */
export const id = (name: string): Hex => keccak256(stringToBytes(name));
/** A distinct manifest digest per label. */
export const manifest = (label: string | number): Hex => keccak256(stringToBytes(`manifest ${label}`));
/** abi.encode of static values: each a 32-byte word. Independent of viem's ABI encoder on purpose. */
export const word = (v: bigint | number | boolean | Hex): Hex =>
  typeof v === "string" ? pad(v, { size: 32 }) : pad(numberToHex(BigInt(v)), { size: 32 });
export const GENESIS_DOMAIN = keccak256(stringToBytes("ancora.ProvenanceRegistry.v1.genesis"));

/** The registry bound to one signer, with the generated ABI. */
export type RegistryContract = GetContractReturnType<
  typeof provenanceRegistryAbi,
  { public: PublicClient; wallet: WalletClient<Transport, Chain, Account> }
>;

/** One registry, one handle per signer. */
export interface Deployed {
  registry: RegistryContract;
  asAnchorer: RegistryContract;
  asStranger: RegistryContract;
}

/** The accounts of a test bed and its deploy function. */
export interface RegistryTestbed {
  ADMIN: Address;
  ANCHORER: Address;
  STRANGER: Address;
  /** Deploys a registry (ANCHORER_ROLE granted to ANCHORER). */
  deploy(): Promise<Deployed>;
}

/** Hardhat's viem helpers on one network connection (`(await network.create()).viem`). */
interface HardhatViem {
  getPublicClient(): Promise<unknown>;
  getWalletClients(): Promise<unknown[]>;
  deployContract(name: "ProvenanceRegistry", args: [Address]): Promise<{ address: Address }>;
}

/**
 * Three signers (admin, anchorer, stranger) on the network of `viem` and a deploy function. Takes the
 * connection's helpers so that tests use the same network for the rest (mining, time, blocks).
 */
export async function registryTestbed(viem: HardhatViem): Promise<RegistryTestbed> {
  const publicClient = (await viem.getPublicClient()) as PublicClient;
  const wallets = (await viem.getWalletClients()) as WalletClient<Transport, Chain, Account>[];
  const [adminWallet, anchorerWallet, strangerWallet] = wallets;
  if (adminWallet === undefined || anchorerWallet === undefined || strangerWallet === undefined) {
    throw new Error("The Hardhat network needs three accounts");
  }
  const ADMIN = adminWallet.account.address;
  const ANCHORER = anchorerWallet.account.address;
  const STRANGER = strangerWallet.account.address;
  const bind = (address: Address, wallet: WalletClient<Transport, Chain, Account>): RegistryContract =>
    getContract({ address, abi: provenanceRegistryAbi, client: { public: publicClient, wallet } });
  return {
    ADMIN,
    ANCHORER,
    STRANGER,
    async deploy() {
      const deployed = await viem.deployContract("ProvenanceRegistry", [ADMIN]);
      const registry = bind(deployed.address, adminWallet);
      await registry.write.grantRole([await registry.read.ANCHORER_ROLE(), ANCHORER]);
      return {
        registry,
        asAnchorer: bind(deployed.address, anchorerWallet),
        asStranger: bind(deployed.address, strangerWallet),
      };
    },
  };
}
