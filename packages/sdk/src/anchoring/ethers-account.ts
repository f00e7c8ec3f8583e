/**
 * An adapter from an ethers v6 `Signer` to a viem account, for teams whose keys live behind ethers-based
 * KMS/HSM signers. The account is "local" to viem (viem serialises the transaction, the signer signs it),
 * so the anchorer knows a transaction's hash before broadcasting it.
 *
 * ethers is not a dependency of the SDK: the adapter takes anything with the four methods it uses
 * ({@link EthersSignerLike}), which every ethers v6 `Signer` (Wallet, JsonRpcSigner, KMS signers built
 * on AbstractSigner) has.
 */
import {
  type Address,
  getAddress,
  type Hex,
  hexToBytes,
  type LocalAccount,
  recoverTransactionAddress,
  type TransactionSerializable,
  type TypedDataDefinition,
} from "viem";
import { toAccount } from "viem/accounts";
import { AnchorError } from "../errors.js";

/** The part of an ethers v6 `Signer` the adapter uses. */
export interface EthersSignerLike {
  getAddress(): Promise<string>;
  signTransaction(tx: EthersTransactionRequest): Promise<string>;
  signMessage(message: string | Uint8Array): Promise<string>;
  signTypedData(
    domain: Record<string, unknown>,
    types: Record<string, Array<{ name: string; type: string }>>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/** The fields of an ethers `TransactionRequest` the adapter fills. */
export interface EthersTransactionRequest {
  type: number;
  chainId: bigint;
  nonce: number;
  to: string | null;
  data: string;
  value: bigint;
  gasLimit: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gasPrice?: bigint;
  accessList?: Array<{ address: string; storageKeys: string[] }>;
}

function toEthersRequest(tx: TransactionSerializable): EthersTransactionRequest {
  if (tx.chainId === undefined || tx.nonce === undefined || tx.gas === undefined) {
    throw new AnchorError(
      "ANCHOR_INVALID_OPTION",
      "The transaction needs chainId, nonce and gas before signing",
    );
  }
  const base = {
    chainId: BigInt(tx.chainId),
    nonce: tx.nonce,
    to: tx.to ?? null,
    data: tx.data ?? "0x",
    value: tx.value ?? 0n,
    gasLimit: tx.gas,
  };
  if (tx.maxFeePerGas !== undefined) {
    return {
      ...base,
      type: 2,
      maxFeePerGas: tx.maxFeePerGas,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n,
      accessList: (tx.accessList ?? []).map((a) => ({ address: a.address, storageKeys: [...a.storageKeys] })),
    };
  }
  if (tx.gasPrice === undefined) {
    throw new AnchorError(
      "ANCHOR_INVALID_OPTION",
      "The transaction has neither EIP-1559 fees nor a gas price",
    );
  }
  return { ...base, type: 0, gasPrice: tx.gasPrice };
}

/**
 * Wraps an ethers v6 signer as a viem account, usable by `createWalletClient({ account, … })` and so by
 * the anchorer. Every signed transaction is checked to recover to the signer's address.
 *
 * @example
 * ```ts
 * const account = await ethersSignerToAccount(kmsSigner); // e.g. an AwsKmsSigner
 * const walletClient = createWalletClient({ account, chain, transport: http(process.env.RPC_URL) });
 * createAnchorer({ store, streams: "loans", registry, publicClient, walletClient });
 * ```
 */
export async function ethersSignerToAccount(signer: EthersSignerLike): Promise<LocalAccount> {
  const address: Address = getAddress(await signer.getAddress());
  return toAccount({
    address,
    async signMessage({ message }) {
      if (typeof message === "string") return (await signer.signMessage(message)) as Hex;
      const raw = typeof message.raw === "string" ? hexToBytes(message.raw) : message.raw;
      return (await signer.signMessage(raw)) as Hex;
    },
    async signTransaction(transaction) {
      const signed = (await signer.signTransaction(toEthersRequest(transaction))) as Hex;
      const from = await recoverTransactionAddress({ serializedTransaction: signed as never });
      if (getAddress(from) !== address) {
        throw new AnchorError("ANCHOR_INVALID_OPTION", "The ethers signer signed for another address", {
          evidence: { expected: address, found: from },
        });
      }
      return signed;
    },
    async signTypedData(typedData) {
      const { domain, types, message } = typedData as TypedDataDefinition & {
        types: Record<string, Array<{ name: string; type: string }>>;
      };
      const { EIP712Domain: _domain, ...rest } = types;
      return (await signer.signTypedData(
        (domain ?? {}) as Record<string, unknown>,
        rest,
        message as Record<string, unknown>,
      )) as Hex;
    },
  });
}
