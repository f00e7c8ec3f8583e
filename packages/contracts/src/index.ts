/**
 * @ancora/contracts: the ProvenanceRegistry ABI and bytecode (generated from the Hardhat artifact),
 * deployment and management helpers, a typed read client, and the pure chained-head replay that the
 * verifier uses. No Hardhat at run time: only viem.
 */
export {
  ANCHORER_ROLE,
  anchorCheckpoint,
  anchorCheckpoints,
  type CheckpointToAnchor,
  DEFAULT_ADMIN_ROLE,
  DEFAULT_CONSISTENCY_REQUIRED,
  grantAnchorer,
  grantRole,
  type RegisterStreamOptions,
  type RoleOptions,
  registerStream,
  requireConsistency,
  retireStream,
  revokeAnchorer,
  revokeRole,
  type TransactionResult,
} from "./admin.js";
export {
  type AnchorLink,
  type AnchorLinkWithPrevious,
  chainLink,
  GENESIS_DOMAIN,
  genesisHead,
  recomputeChainedHead,
  verifyAnchorChain,
} from "./chained-head.js";
export {
  type ConfirmationPlan,
  type ConfirmationProgress,
  DEFAULT_CONFIRMATION_POLL_MS,
  DEFAULT_CONFIRMATION_TIMEOUT_MS,
  minesOnDemand,
  planConfirmations,
  type WaitForConfirmationsOptions,
  waitForConfirmations,
} from "./confirmations.js";
export {
  DEFAULT_CONFIRMATIONS,
  type DeployRegistryOptions,
  deployRegistry,
  type RegistryDeployment,
  type RegistryWalletClient,
} from "./deploy.js";
export { developmentAddresses, findDevelopmentAccount, LOCAL_CHAIN_ID } from "./dev-accounts.js";
export {
  AnchorHistoryError,
  type AnchorHistoryErrorCode,
  RegistryError,
  type RegistryErrorCode,
  RegistryRevertError,
  RegistryUnknownStreamError,
  StreamNameError,
} from "./errors.js";
export { provenanceRegistryAbi, provenanceRegistryBytecode } from "./generated/provenance-registry.js";
export { type DecodedRevert, decodeRegistryRevert, describeRegistryRevert } from "./internal/revert.js";
export {
  type AnchorEvent,
  type AnchorHistoryOptions,
  type Checkpoint,
  createRegistryReader,
  DEFAULT_MAX_BLOCK_RANGE,
  type RegistryReader,
  type StreamState,
  type StreamStatus,
  type VerifiedHistory,
} from "./reader.js";
export { encodeStreamId, isBytes32, STREAM_NAME_PATTERN } from "./stream-id.js";
