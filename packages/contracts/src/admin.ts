/**
 * Stream and role management (the admin's side) and anchoring (the anchorer's side). Every helper
 * simulates first, so a revert surfaces as a typed {@link RegistryRevertError} / {@link RegistryUnknownStreamError}
 * carrying the contract's custom error and arguments, then waits for the receipt.
 */
import type { Address, Hex, PublicClient } from "viem";
import type { RegistryWalletClient } from "./deploy.js";
import { type TransactionResult, transact } from "./internal/transact.js";
import { ANCHORER_ROLE } from "./roles.js";

export type { TransactionResult } from "./internal/transact.js";

export { ANCHORER_ROLE, DEFAULT_ADMIN_ROLE } from "./roles.js";

/** Options of {@link registerStream}. */
export interface RegisterStreamOptions {
  registry: Address;
  /** The stream id, usually `encodeStreamId(name)`. */
  streamId: Hex;
  /** Kept on chain: typically `{"name":"loans",...}` JSON or a CID of a longer description. */
  metadata: string;
  /**
   * Require a consistency proof on every anchor after the first, so a stolen anchorer key cannot fork the
   * stream's history. Default {@link DEFAULT_CONSISTENCY_REQUIRED}.
   */
  consistencyRequired?: boolean;
}

/** New streams require consistency proofs unless told otherwise: the safe default. */
export const DEFAULT_CONSISTENCY_REQUIRED = true;

/**
 * Registers a stream (admin only).
 *
 * @example
 * await registerStream(admin, publicClient, { registry, streamId: encodeStreamId("loans"), metadata: '{"name":"loans"}' });
 */
export function registerStream(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  options: RegisterStreamOptions,
): Promise<TransactionResult> {
  return transact(walletClient, publicClient, options.registry, "registerStream", [
    options.streamId,
    options.metadata,
    options.consistencyRequired ?? DEFAULT_CONSISTENCY_REQUIRED,
  ]);
}

/** Makes a stream require consistency proofs from now on (admin only, one way). */
export function requireConsistency(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  options: { registry: Address; streamId: Hex },
): Promise<TransactionResult> {
  return transact(walletClient, publicClient, options.registry, "requireConsistency", [options.streamId]);
}

/** Retires a stream (admin only): no more anchors; its history stays verifiable. */
export function retireStream(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  options: { registry: Address; streamId: Hex },
): Promise<TransactionResult> {
  return transact(walletClient, publicClient, options.registry, "retireStream", [options.streamId]);
}

/** Options of {@link grantRole} and {@link revokeRole}. */
export interface RoleOptions {
  registry: Address;
  /** {@link ANCHORER_ROLE} or {@link DEFAULT_ADMIN_ROLE}. */
  role: Hex;
  account: Address;
}

/**
 * Grants `role` to `account` (admin only). Granting a role the account holds is a no-op on chain.
 *
 * @example
 * await grantRole(admin, publicClient, { registry, role: ANCHORER_ROLE, account: "0x…" });
 */
export function grantRole(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  options: RoleOptions,
): Promise<TransactionResult> {
  return transact(walletClient, publicClient, options.registry, "grantRole", [options.role, options.account]);
}

/** Revokes `role` from `account` (admin only), e.g. after a key leak. */
export function revokeRole(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  options: RoleOptions,
): Promise<TransactionResult> {
  return transact(walletClient, publicClient, options.registry, "revokeRole", [
    options.role,
    options.account,
  ]);
}

/** Grants `ANCHORER_ROLE` to `account` (admin only). */
export function grantAnchorer(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  options: { registry: Address; account: Address },
): Promise<TransactionResult> {
  return grantRole(walletClient, publicClient, { ...options, role: ANCHORER_ROLE });
}

/** Revokes `ANCHORER_ROLE` from `account` (admin only), e.g. after a key leak. */
export function revokeAnchorer(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  options: { registry: Address; account: Address },
): Promise<TransactionResult> {
  return revokeRole(walletClient, publicClient, { ...options, role: ANCHORER_ROLE });
}

/** One checkpoint to anchor. */
export interface CheckpointToAnchor {
  streamId: Hex;
  treeSize: bigint;
  root: Hex;
  /** SHA-256 digest of the batch manifest (the 32 bytes inside its CID's multihash). */
  manifestDigest: Hex;
  /**
   * RFC 9162 §2.1.4 consistency proof from the stream's latest checkpoint; when given (even empty, for a
   * stream's first anchor) the contract verifies it. Omit it for an unchecked anchor.
   */
  consistencyProof?: readonly Hex[];
}

/**
 * Anchors one checkpoint (anchorer only): `anchorWithConsistency` when a proof is given, else `anchor`.
 *
 * @example
 * await anchorCheckpoint(anchorer, publicClient, registry, { streamId, treeSize: 1024n, root, manifestDigest, consistencyProof });
 */
export function anchorCheckpoint(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  registry: Address,
  checkpoint: CheckpointToAnchor,
): Promise<TransactionResult> {
  const { streamId, treeSize, root, manifestDigest, consistencyProof } = checkpoint;
  if (consistencyProof === undefined) {
    return transact(walletClient, publicClient, registry, "anchor", [
      streamId,
      treeSize,
      root,
      manifestDigest,
    ]);
  }
  return transact(walletClient, publicClient, registry, "anchorWithConsistency", [
    streamId,
    treeSize,
    root,
    manifestDigest,
    consistencyProof,
  ]);
}

/** Anchors checkpoints of several streams in one transaction (anchorer only); all or nothing. */
export function anchorCheckpoints(
  walletClient: RegistryWalletClient,
  publicClient: PublicClient,
  registry: Address,
  checkpoints: readonly CheckpointToAnchor[],
): Promise<TransactionResult> {
  return transact(walletClient, publicClient, registry, "anchorBatch", [
    checkpoints.map((c) => ({
      streamId: c.streamId,
      treeSize: c.treeSize,
      root: c.root,
      manifestDigest: c.manifestDigest,
      checkConsistency: c.consistencyProof !== undefined,
      consistencyProof: c.consistencyProof ?? [],
    })),
  ]);
}
