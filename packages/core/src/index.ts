export { type CanonicalDecodeOptions, decodeCanonical } from "./canonical/decode.js";
export {
  type CanonicalEncodeOptions,
  encodeCanonical,
  encodeCanonicalText,
  MAX_BIGINT,
  MAX_DEPTH,
  MIN_BIGINT,
} from "./canonical/encode.js";
export {
  CHECKPOINT_VERSION,
  type Checkpoint,
  type CheckpointJSON,
  checkpointFromJSON,
  checkpointToJSON,
  decodeCheckpoint,
  encodeCheckpoint,
  MAX_CHECKPOINT_BYTES,
  validateCheckpoint,
} from "./checkpoint.js";
export {
  type BlockCid,
  CID,
  computeCid,
  isBlockCid,
  isBlockCidTextOf,
  parseBlockCid,
  RAW_CODEC,
  SHA2_256_CODE,
} from "./cid.js";
export {
  COMMITMENT_DIGEST_BYTES,
  COMMITMENT_SCHEMES,
  type Commitment,
  type CommitmentOpening,
  type CommitmentScheme,
  type CommitOptions,
  type CommitResult,
  commit,
  commitHmac,
  commitPlain,
  commitSalted,
  MIN_HMAC_KEY_BYTES,
  openCommitment,
  SALT_BYTES,
  type SaltedCommitment,
  validateCommitment,
  verifyOpening,
} from "./commitment.js";
export {
  AncoraError,
  type AncoraErrorOptions,
  ArgumentError,
  type ArgumentErrorCode,
  EncodingError,
  type EncodingErrorCode,
  InvariantError,
  invariant,
  ManifestError,
  type ManifestErrorCode,
  SchemaError,
  type SchemaErrorCode,
  VerificationError,
  type VerificationErrorCode,
} from "./errors.js";
export { type Sha256, sha256 } from "./hash.js";
export { fromHex, toHex } from "./internal/binary-text.js";
export { encodeVarint, varintLength, writeVarint } from "./internal/varint.js";
export { parseJson } from "./json/parse-json.js";
export {
  datasetRoot,
  type SampleProof,
  type SampleProofInput,
  sampleProof,
  verifySampleInDataset,
  verifySampleProof,
} from "./lineage/dataset-root.js";
export { documentDigest } from "./lineage/digest.js";
export {
  decodeReproducibilityManifest,
  encodeReproducibilityManifest,
  MAX_REPRODUCIBILITY_MANIFEST_BYTES,
  type Pipeline,
  REPRODUCIBILITY_MANIFEST_VERSION,
  type ReproducibilityManifest,
  reproducibilityManifestDigest,
  validateReproducibilityManifest,
} from "./lineage/reproducibility-manifest.js";
export {
  decodeManifest,
  encodeManifest,
  MANIFEST_VERSION,
  MAX_MANIFEST_BYTES,
  MAX_MANIFEST_RECORDS,
  type Manifest,
  type ManifestBlock,
  manifestBlock,
  manifestCidFromDigest,
  manifestDigest,
  splitManifestRanges,
  validateManifest,
} from "./manifest.js";
export {
  type AppendResult,
  type BatchAppendResult,
  CompactRange,
  CompactRange as MerkleBuilder,
  type CompactRangeState,
  rootOfLeaves,
} from "./merkle/compact-range.js";
export { bytesEqual, EMPTY_ROOT, HASH_SIZE, hashChildren, hashLeaf } from "./merkle/hashing.js";
export { MemoryNodeStore, type MerkleNode, type MerkleNodeReader } from "./merkle/node-store.js";
export { consistencyProof, inclusionProof, rootAt } from "./merkle/proof.js";
export { consistencyProofShape, consistencyProofSizes, type SizeRange } from "./merkle/proof-shape.js";
export {
  type PartialTile,
  TILE_HEIGHT,
  TILE_MID_LEVEL,
  TILE_WIDTH,
  type Tile,
  TileBuilder,
  type TileCoordinates,
  TileNodeReader,
  type TileWrite,
  tileCoordinates,
  tileMids,
  tileSubtree,
} from "./merkle/tiles.js";
export {
  assertConsistency,
  assertInclusion,
  type ConsistencyProofInput,
  type InclusionProofInput,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from "./merkle/verify.js";
export {
  type AnchorLocation,
  type AnyReceipt,
  decodeReceipt,
  encodeReceipt,
  MAX_PROOF_HASHES,
  MAX_RECEIPT_BYTES,
  type OfflineReceiptVerification,
  RECEIPT_V1_UNBOUND_FIELDS,
  RECEIPT_VERSION,
  RECEIPT_VERSIONS,
  type Receipt,
  type ReceiptCheckpoint,
  type ReceiptCheckpointJSON,
  type ReceiptJSON,
  type ReceiptV1,
  type ReceiptV1JSON,
  receiptFromJSON,
  receiptToJSON,
  validateReceipt,
  verifyReceiptOffline,
} from "./receipt.js";
export {
  decodeRecord,
  encodeRecord,
  encodeRecordBlock,
  MAX_RECORD_BYTES,
  type RecordBlock,
  type RecordBytesAllocator,
  validateRecord,
} from "./records/codec.js";
export {
  type DecisionExpectation,
  type ScannedDecision,
  scanDecisionText,
} from "./records/decision-scan.js";
export { CAPSULE_CIPHERS, MAX_CAPSULE_BYTES } from "./records/kinds/capsule.js";
export { resolveLabel } from "./records/kinds/config.js";
export { CONSENT_DENIAL_REASONS } from "./records/kinds/consent.js";
export { MAX_DATASET_SOURCES, PRIVACY_CLASSES } from "./records/kinds/dataset.js";
export { POLICY_CHECK_RESULTS } from "./records/kinds/decision.js";
export { ERASED_MATERIALS } from "./records/kinds/erasure.js";
export { MAX_RETENTION_DAYS } from "./records/kinds/governance.js";
export { isSha256Digest, MAX_LIST as MAX_LINEAGE_LIST, type Sha256Digest } from "./records/kinds/rules.js";
export { type BodyValidator, isRecordKind, RECORD_KINDS } from "./records/registry.js";
export {
  type AccessGrantBody,
  type AccessGrantRecord,
  type AncoraRecord,
  type CapsuleBody,
  type CapsuleRecord,
  type ConfigBody,
  type ConfigRecord,
  type ConsentBody,
  type ConsentDenialReason,
  type ConsentDeniedBody,
  type ConsentDeniedRecord,
  type ConsentRecord,
  type ConsentRevocationBody,
  type ConsentRevocationRecord,
  type DatasetBody,
  type DatasetRecord,
  type DatasetSource,
  type DecisionBody,
  type DecisionRecord,
  type ErasedMaterial,
  type ErasureBody,
  type ErasureRecord,
  type GenesisBody,
  type GenesisRecord,
  type LabelBody,
  type LabelRecord,
  type LineageRecord,
  type ModelBody,
  type ModelRecord,
  type ModelRef,
  type OwnershipBody,
  type OwnershipRecord,
  type PolicyCheck,
  type PolicyCheckResult,
  type PrivacyClass,
  RECORD_VERSION,
  type RecordEnvelope,
  type RecordKind,
  type RegistryRef,
  type ReproducibilityBody,
  type ReproducibilityRecord,
  type RetentionBody,
  type RetentionRecord,
  type TrainingBody,
  type TrainingRecord,
} from "./records/types.js";
export { redactForeign, redactUrls } from "./redact.js";
