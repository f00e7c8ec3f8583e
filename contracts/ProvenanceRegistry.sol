// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {RFC6962} from "./RFC6962.sol";

/**
 * @title ProvenanceRegistry
 * @notice Per-organisation registry of Ancora log checkpoints. Each stream (one per model or service) is an
 * append-only RFC 6962 Merkle tree over record CIDs, kept off chain; this contract commits its checkpoints.
 *
 * For every stream the contract keeps, in storage, the latest checkpoint `(treeSize, root)` and a chained
 * head that folds every anchor ever made into one hash:
 *
 *     head_0 = keccak256(abi.encode(GENESIS_DOMAIN, block.chainid, address(this), streamId))
 *     head_n = keccak256(abi.encode(head_{n-1}, sequence, treeSize, root, manifestDigest, anchorer,
 *                                   blockNumber, consistencyChecked))
 *
 * with `sequence = n - 1` (zero-based), `anchorer` the caller and `blockNumber` the anchoring block. Every
 * input is in the {CheckpointAnchored} event (the block number is the log's), so a verifier rebuilds the
 * head from events while nodes still serve them, and from the operator's archive of anchors (or the batch
 * manifests on IPFS) once they do not (EIP-4444). A historical checkpoint is proven against current state
 * by replaying the links from it to the latest and comparing with {chainedHead}; by collision resistance
 * the replayed links are exactly the anchors that were made. A historical tree is also proven to be a
 * prefix of the latest anchored tree with a consistency proof, in O(log n): {verifyHistoricalInclusion}.
 *
 * The contract is immutable: no proxy, no upgrade path, no owner that can rewrite history.
 */
contract ProvenanceRegistry is AccessControl {
    /// @notice Role allowed to anchor checkpoints. Administered by `DEFAULT_ADMIN_ROLE`.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice Domain tag of every stream's genesis head (see the contract documentation).
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant GENESIS_DOMAIN = keccak256("ancora.ProvenanceRegistry.v1.genesis");

    /// @notice Life cycle of a stream. A retired stream cannot be anchored again; its history stays verifiable.
    enum StreamStatus {
        Unknown,
        Active,
        Retired
    }

    /**
     * @notice The state of one stream, three storage slots.
     * @dev Slot 0 holds `root`, slot 1 `head`, slot 2 packs the rest (64+64+64+48+8+8 = 256 bits). A
     * steady-state anchor rewrites the three slots (3 x 5,000 gas); see docs/contract.md for the figures.
     */
    // solhint-disable-next-line gas-struct-packing
    struct StreamState {
        /// Root hash of the latest anchored tree (zero before the first anchor).
        bytes32 root;
        /// Chained head after the latest anchor (the genesis head before the first anchor).
        bytes32 head;
        /// Size of the latest anchored tree (zero before the first anchor).
        uint64 treeSize;
        /// Number of anchors made; the next anchor gets this as its sequence number.
        uint64 anchorCount;
        /// Block of the latest anchor (zero before the first anchor).
        uint64 lastAnchorBlock;
        /// Block in which the stream was registered: where a reader starts looking for events.
        uint48 registeredBlock;
        /// Whether the stream is unknown, active or retired.
        StreamStatus status;
        /// When true, every anchor after the first must carry a valid consistency proof.
        bool consistencyRequired;
    }

    /**
     * @notice One checkpoint of a batch (see {anchorBatch}).
     * @param streamId The stream.
     * @param treeSize The new tree size, strictly greater than the stream's latest.
     * @param root The RFC 6962 root of the tree of `treeSize` leaves.
     * @param manifestDigest The SHA-256 digest of the batch manifest (the digest inside its CID).
     * @param checkConsistency Whether to verify `consistencyProof` from the stream's latest checkpoint.
     * @param consistencyProof RFC 9162 §2.1.4 consistency proof; empty on a stream's first anchor.
     */
    // solhint-disable-next-line gas-struct-packing
    struct AnchorRequest {
        bytes32 streamId;
        uint64 treeSize;
        bytes32 root;
        bytes32 manifestDigest;
        bool checkConsistency;
        bytes32[] consistencyProof;
    }

    mapping(bytes32 streamId => StreamState) private _streams;
    mapping(bytes32 streamId => string) private _metadata;
    /// Every registered stream id in registration order: the stream list stays readable from state alone
    /// once nodes drop old {StreamRegistered} events (EIP-4444), so a verifier can tell that a stream
    /// anchored here is missing from a log.
    bytes32[] private _streamIds;

    /**
     * @notice A stream was registered.
     * @param streamId The stream's id (see docs/contract.md for how a name maps to it).
     * @param metadata Free-form description, typically a CID or a short JSON document.
     * @param genesisHead The stream's chained head before its first anchor.
     * @param consistencyRequired Whether anchors after the first must carry a consistency proof.
     */
    // solhint-disable-next-line gas-indexed-events
    event StreamRegistered(
        bytes32 indexed streamId,
        string metadata,
        bytes32 genesisHead,
        bool consistencyRequired
    );

    /**
     * @notice A stream now requires a consistency proof on every anchor after its first (a one-way switch).
     * @param streamId The stream.
     */
    event StreamConsistencyRequired(bytes32 indexed streamId);

    /**
     * @notice A stream was retired: it can no longer be anchored; its checkpoints stay verifiable.
     * @param streamId The stream.
     * @param treeSize The stream's final tree size.
     * @param anchorCount The stream's final number of anchors.
     */
    // solhint-disable-next-line gas-indexed-events
    event StreamRetired(bytes32 indexed streamId, uint64 treeSize, uint64 anchorCount);

    /**
     * @notice A checkpoint was anchored. Together with the log's block number, the fields are every input
     * of the chained head: `head = keccak256(abi.encode(previousHead, sequence, treeSize, root,
     * manifestDigest, anchorer, blockNumber, consistencyChecked))`.
     * @param streamId The stream.
     * @param sequence The anchor's zero-based sequence number within the stream.
     * @param anchorer The account that anchored.
     * @param treeSize The tree size of the checkpoint.
     * @param root The RFC 6962 root of the checkpoint.
     * @param manifestDigest The SHA-256 digest of the batch manifest listing the record CIDs added.
     * @param previousHead The stream's chained head before this anchor.
     * @param previousAnchorBlock The block of the stream's previous anchor (zero for the first): readers
     * walk the history backwards block by block without scanning ranges.
     * @param consistencyChecked Whether a consistency proof from the previous checkpoint was verified.
     */
    event CheckpointAnchored(
        bytes32 indexed streamId,
        uint64 indexed sequence,
        address indexed anchorer,
        uint64 treeSize,
        bytes32 root,
        bytes32 manifestDigest,
        bytes32 previousHead,
        uint64 previousAnchorBlock,
        bool consistencyChecked
    );

    /**
     * @notice The admin anchored a checkpoint that does not extend the stream's previous one, because that
     * one misstates its tree size: its root is the log's root at another size (the anchorer key can make
     * such an anchor with a valid proof, since RFC 6962 proofs do not bind a size), so no consistency proof
     * from it exists. The misstated anchor stays in the history; verifiers name it. See
     * {anchorAfterMisstatedCheckpoint}.
     * @param streamId The stream.
     * @param sequence The new anchor's sequence number (its {CheckpointAnchored} has `consistencyChecked`
     * false).
     * @param skippedSequence The sequence number of the misstated anchor it does not extend.
     */
    // solhint-disable-next-line gas-indexed-events
    event MisstatedCheckpointSkipped(bytes32 indexed streamId, uint64 indexed sequence, uint64 skippedSequence);

    /**
     * @notice The initial admin is the zero address.
     * @param admin The admin given to the constructor.
     */
    error ProvenanceRegistryInvalidAdmin(address admin);

    /**
     * @notice The stream id is zero, which is reserved.
     * @param streamId The stream id given.
     */
    error ProvenanceRegistryInvalidStreamId(bytes32 streamId);

    /**
     * @notice The stream has never been registered.
     * @param streamId The stream.
     */
    error ProvenanceRegistryUnknownStream(bytes32 streamId);

    /**
     * @notice The stream id is already taken (by an active or a retired stream; ids are never reused).
     * @param streamId The stream.
     */
    error ProvenanceRegistryStreamExists(bytes32 streamId);

    /**
     * @notice The stream is retired and cannot be changed or anchored.
     * @param streamId The stream.
     */
    error ProvenanceRegistryStreamRetired(bytes32 streamId);

    /**
     * @notice The new tree size does not strictly exceed the stream's latest.
     * @param streamId The stream.
     * @param treeSize The tree size given.
     * @param currentTreeSize The stream's latest anchored tree size.
     */
    error ProvenanceRegistryStaleTreeSize(bytes32 streamId, uint64 treeSize, uint64 currentTreeSize);

    /**
     * @notice The root is zero, which no non-empty RFC 6962 tree has.
     * @param streamId The stream.
     */
    error ProvenanceRegistryEmptyRoot(bytes32 streamId);

    /**
     * @notice The manifest digest is zero: every anchor names the manifest of the records it adds.
     * @param streamId The stream.
     */
    error ProvenanceRegistryEmptyManifest(bytes32 streamId);

    /**
     * @notice The stream requires a consistency proof and none was given.
     * @param streamId The stream.
     */
    error ProvenanceRegistryConsistencyProofRequired(bytes32 streamId);

    /**
     * @notice The consistency proof does not show that the new tree extends the stream's latest one: the
     * new checkpoint would fork the anchored history.
     * @param streamId The stream.
     * @param previousTreeSize The stream's latest anchored tree size.
     * @param previousRoot The stream's latest anchored root.
     * @param treeSize The tree size given.
     * @param root The root given.
     */
    error ProvenanceRegistryInconsistentCheckpoint(
        bytes32 streamId,
        uint64 previousTreeSize,
        bytes32 previousRoot,
        uint64 treeSize,
        bytes32 root
    );

    /**
     * @notice The stream has no checkpoint yet, so there is no misstated one to skip.
     * @param streamId The stream.
     */
    error ProvenanceRegistryNoCheckpoint(bytes32 streamId);

    /**
     * @notice A batch with no checkpoint.
     */
    error ProvenanceRegistryEmptyBatch();

    /**
     * @notice Deploys a registry administered by `admin`.
     * @param admin The account granted `DEFAULT_ADMIN_ROLE` (a multisig in production).
     */
    constructor(address admin) {
        if (admin == address(0)) revert ProvenanceRegistryInvalidAdmin(admin);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ----------------------------------------------------------------------------------------------------
    // Streams (admin)
    // ----------------------------------------------------------------------------------------------------

    /**
     * @notice Registers a stream. Only `DEFAULT_ADMIN_ROLE`.
     * @param streamId The stream's id: non-zero, never used before (see docs/contract.md for the naming).
     * @param metadata Free-form description kept in storage, typically a CID or a short JSON document.
     * @param consistencyRequired Whether every anchor after the first must carry a consistency proof; a
     * stolen anchorer key then cannot commit a fork of the stream's history.
     */
    function registerStream(
        bytes32 streamId,
        string calldata metadata,
        bool consistencyRequired
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (streamId == bytes32(0)) revert ProvenanceRegistryInvalidStreamId(streamId);
        StreamState storage s = _streams[streamId];
        if (s.status != StreamStatus.Unknown) revert ProvenanceRegistryStreamExists(streamId);
        bytes32 genesis = genesisHead(streamId);
        s.head = genesis;
        s.registeredBlock = uint48(block.number);
        s.status = StreamStatus.Active;
        s.consistencyRequired = consistencyRequired;
        _metadata[streamId] = metadata;
        _streamIds.push(streamId);
        emit StreamRegistered(streamId, metadata, genesis, consistencyRequired);
    }

    /**
     * @notice Makes a stream require a consistency proof on every anchor after its first. There is no way
     * back, so a stolen admin key cannot quietly lift the protection. Only `DEFAULT_ADMIN_ROLE`.
     * @param streamId An active stream.
     */
    function requireConsistency(bytes32 streamId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        StreamState storage s = _activeStream(streamId);
        s.consistencyRequired = true;
        emit StreamConsistencyRequired(streamId);
    }

    /**
     * @notice Retires a stream: it can no longer be anchored, and its id is never reused. Its checkpoints
     * stay readable and verifiable. Only `DEFAULT_ADMIN_ROLE`.
     * @param streamId An active stream.
     */
    function retireStream(bytes32 streamId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        StreamState storage s = _activeStream(streamId);
        s.status = StreamStatus.Retired;
        emit StreamRetired(streamId, s.treeSize, s.anchorCount);
    }

    // ----------------------------------------------------------------------------------------------------
    // Anchoring (anchorer)
    // ----------------------------------------------------------------------------------------------------

    /**
     * @notice Anchors a checkpoint of a stream without a consistency proof. Only `ANCHORER_ROLE`.
     * @dev Reverts with {ProvenanceRegistryConsistencyProofRequired} on a stream that requires proofs,
     * except for its first anchor.
     * @param streamId An active stream.
     * @param treeSize The new tree size, strictly greater than the stream's latest.
     * @param root The RFC 6962 root of the tree of `treeSize` leaves.
     * @param manifestDigest The SHA-256 digest of the batch manifest (the digest inside its CID).
     */
    function anchor(
        bytes32 streamId,
        uint64 treeSize,
        bytes32 root,
        bytes32 manifestDigest
    ) external onlyRole(ANCHORER_ROLE) {
        _anchor(streamId, treeSize, root, manifestDigest, false, _emptyProof());
    }

    /**
     * @notice Anchors a checkpoint after verifying an RFC 9162 §2.1.4 consistency proof from the stream's
     * latest checkpoint to the new one, so the new tree provably extends every tree anchored before it.
     * Only `ANCHORER_ROLE`.
     * @param streamId An active stream.
     * @param treeSize The new tree size, strictly greater than the stream's latest.
     * @param root The RFC 6962 root of the tree of `treeSize` leaves.
     * @param manifestDigest The SHA-256 digest of the batch manifest (the digest inside its CID).
     * @param consistencyProof The proof from `(latest size, latest root)` to `(treeSize, root)`; must be
     * empty on the stream's first anchor (there is nothing to be consistent with).
     */
    function anchorWithConsistency(
        bytes32 streamId,
        uint64 treeSize,
        bytes32 root,
        bytes32 manifestDigest,
        bytes32[] calldata consistencyProof
    ) external onlyRole(ANCHORER_ROLE) {
        _anchor(streamId, treeSize, root, manifestDigest, true, consistencyProof);
    }

    /**
     * @notice Anchors checkpoints of several streams in one transaction, amortising the transaction's base
     * cost and the role check. All or nothing: any failing checkpoint reverts the whole batch. Only
     * `ANCHORER_ROLE`.
     * @param requests The checkpoints, applied in order (a stream may appear more than once).
     */
    function anchorBatch(AnchorRequest[] calldata requests) external onlyRole(ANCHORER_ROLE) {
        uint256 length = requests.length;
        if (length == 0) revert ProvenanceRegistryEmptyBatch();
        for (uint256 i = 0; i < length; ++i) {
            AnchorRequest calldata r = requests[i];
            _anchor(r.streamId, r.treeSize, r.root, r.manifestDigest, r.checkConsistency, r.consistencyProof);
        }
    }

    /**
     * @notice Anchors a checkpoint without a consistency proof from the stream's latest checkpoint, when that
     * checkpoint misstates its tree size (docs/operations.md, "A misstated anchor"): its root is the log's
     * root at another size, so no consistency proof from it to any later tree of the log exists and the
     * stream could not be anchored again. The misstated anchor stays in the history (and in the chained
     * head); this anchor is recorded with `consistencyChecked` false and {MisstatedCheckpointSkipped} names
     * the anchor it does not extend. Only `DEFAULT_ADMIN_ROLE`, never the anchorer: a stolen anchorer key
     * must not be able to lift the consistency requirement.
     * @dev Callable on any active stream with at least one checkpoint; the contract cannot tell a misstated
     * checkpoint from an honest one (RFC 6962 proofs do not bind a size), so the admin's signature is the
     * check, and verifiers check the claim against the log.
     * @param streamId An active stream with at least one checkpoint.
     * @param treeSize The new tree size, strictly greater than the stream's latest.
     * @param root The RFC 6962 root of the tree of `treeSize` leaves.
     * @param manifestDigest The SHA-256 digest of the batch manifest (the digest inside its CID).
     */
    function anchorAfterMisstatedCheckpoint(
        bytes32 streamId,
        uint64 treeSize,
        bytes32 root,
        bytes32 manifestDigest
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        StreamState storage s = _activeStream(streamId);
        uint64 skipped = s.anchorCount;
        if (skipped == 0) revert ProvenanceRegistryNoCheckpoint(streamId);
        _checkCheckpoint(s, streamId, treeSize, root, manifestDigest);
        _record(s, streamId, treeSize, root, manifestDigest, false);
        // `skipped` (the anchor count before this anchor) is at least 1, so `skipped - 1` cannot underflow.
        unchecked {
            emit MisstatedCheckpointSkipped(streamId, skipped, skipped - 1);
        }
    }

    // ----------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------

    /**
     * @notice Returns the latest checkpoint of a stream; `(0, 0)` before its first anchor.
     * @param streamId A registered stream (active or retired).
     * @return treeSize The latest anchored tree size.
     * @return root The latest anchored root.
     */
    function latestCheckpoint(bytes32 streamId) external view returns (uint64 treeSize, bytes32 root) {
        StreamState storage s = _knownStream(streamId);
        return (s.treeSize, s.root);
    }

    /**
     * @notice Returns the chained head of a stream: the genesis head before its first anchor.
     * @param streamId A registered stream (active or retired).
     */
    function chainedHead(bytes32 streamId) external view returns (bytes32) {
        return _knownStream(streamId).head;
    }

    /**
     * @notice Returns the whole stored state of a stream (all zero for an unknown stream).
     * @param streamId Any stream id.
     */
    function streamState(bytes32 streamId) external view returns (StreamState memory) {
        return _streams[streamId];
    }

    /**
     * @notice Returns the metadata a stream was registered with.
     * @param streamId A registered stream (active or retired).
     */
    function streamMetadata(bytes32 streamId) external view returns (string memory) {
        _knownStream(streamId);
        return _metadata[streamId];
    }

    /**
     * @notice Returns how many streams were ever registered (active and retired).
     */
    function streamCount() external view returns (uint256) {
        return _streamIds.length;
    }

    /**
     * @notice Returns registered stream ids in registration order: at most `count` of them from position
     * `start` (fewer at the end of the list, none past it). Paged so that each call stays within a node's
     * gas limit for `eth_call` however many streams there are.
     * @param start Zero-based position of the first id.
     * @param count Most ids to return.
     * @return ids The stream ids at positions `start` to `start + count - 1` that exist.
     */
    function streamIds(uint256 start, uint256 count) external view returns (bytes32[] memory ids) {
        uint256 length = _streamIds.length;
        // solhint-disable-next-line gas-strict-inequalities
        if (start >= length) return new bytes32[](0);
        uint256 end = length - start < count ? length : start + count;
        ids = new bytes32[](end - start);
        for (uint256 i = start; i < end; ++i) {
            ids[i - start] = _streamIds[i];
        }
    }

    /**
     * @notice Returns the genesis head a stream has (or would have) in this deployment.
     * @param streamId Any stream id.
     */
    function genesisHead(bytes32 streamId) public view returns (bytes32) {
        return keccak256(abi.encode(GENESIS_DOMAIN, block.chainid, address(this), streamId));
    }

    /**
     * @notice Checks an RFC 9162 §2.1.3 inclusion proof of a leaf against the stream's latest checkpoint.
     * Another contract can require with it that a decision was logged. For an older checkpoint use
     * {verifyHistoricalInclusion}.
     * @param streamId A registered stream (active or retired).
     * @param leafHash The leaf hash `SHA-256(0x00 || record CID bytes)`.
     * @param index The record's zero-based position in the stream's log.
     * @param treeSize The tree size the proof was made for; must equal the latest anchored size.
     * @param proof The audit path.
     * @return True when the proof is valid for the latest checkpoint; false otherwise (including when the
     * stream has advanced past `treeSize`).
     */
    function verifyInclusion(
        bytes32 streamId,
        bytes32 leafHash,
        uint256 index,
        uint256 treeSize,
        bytes32[] calldata proof
    ) external view returns (bool) {
        StreamState storage s = _knownStream(streamId);
        uint64 latestSize = s.treeSize;
        if (treeSize != latestSize) return false;
        return RFC6962.verifyInclusion(leafHash, index, latestSize, s.root, proof);
    }

    /**
     * @notice Checks that a leaf is in a historical checkpoint `(checkpointSize, checkpointRoot)` of a
     * stream, and that this checkpoint is a prefix of the stream's latest anchored tree: an RFC 9162 §2.1.4
     * consistency proof to the latest checkpoint, then an RFC 9162 §2.1.3 inclusion proof. Costs O(log n),
     * with no per-anchor storage; a receipt's original inclusion proof stays usable for ever.
     * @param streamId A registered stream (active or retired).
     * @param checkpointSize The historical tree size, at most the latest anchored size.
     * @param checkpointRoot The historical root.
     * @param consistencyProof The proof from the historical checkpoint to the latest (empty if equal).
     * @param leafHash The leaf hash `SHA-256(0x00 || record CID bytes)`.
     * @param index The record's zero-based position in the stream's log.
     * @param inclusionProof The audit path in the historical tree.
     * @return True when both proofs are valid.
     */
    function verifyHistoricalInclusion(
        bytes32 streamId,
        uint256 checkpointSize,
        bytes32 checkpointRoot,
        bytes32[] calldata consistencyProof,
        bytes32 leafHash,
        uint256 index,
        bytes32[] calldata inclusionProof
    ) external view returns (bool) {
        StreamState storage s = _knownStream(streamId);
        if (!RFC6962.verifyConsistency(checkpointSize, s.treeSize, checkpointRoot, s.root, consistencyProof)) {
            return false;
        }
        return RFC6962.verifyInclusion(leafHash, index, checkpointSize, checkpointRoot, inclusionProof);
    }

    /**
     * @notice Checks an RFC 9162 §2.1.3 inclusion proof against an arbitrary root (no stream involved).
     * Reads no storage (`view` only because the SHA-256 precompile is called from assembly).
     * @param leafHash The leaf hash `SHA-256(0x00 || leaf input)`.
     * @param index The leaf's zero-based index.
     * @param treeSize The tree size the proof was made for.
     * @param root The tree's root.
     * @param proof The audit path.
     * @return True when the proof is valid.
     */
    function verifyInclusionProof(
        bytes32 leafHash,
        uint256 index,
        uint256 treeSize,
        bytes32 root,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return RFC6962.verifyInclusion(leafHash, index, treeSize, root, proof);
    }

    /**
     * @notice Checks an RFC 9162 §2.1.4 consistency proof between two arbitrary trees (no stream involved).
     * Reads no storage (`view` only because the SHA-256 precompile is called from assembly).
     * @param size1 The older tree's size (zero is rejected).
     * @param size2 The newer tree's size.
     * @param root1 The older tree's root.
     * @param root2 The newer tree's root.
     * @param proof The consistency proof.
     * @return True when the proof is valid.
     */
    function verifyConsistencyProof(
        uint256 size1,
        uint256 size2,
        bytes32 root1,
        bytes32 root2,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return RFC6962.verifyConsistency(size1, size2, root1, root2, proof);
    }

    // ----------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------

    /**
     * @dev Checks and records one checkpoint. Storage: reads and rewrites the stream's three slots (a
     * cold access each), so a steady-state anchor pays 3 x 5,000 gas for storage.
     */
    function _anchor(
        bytes32 streamId,
        uint64 treeSize,
        bytes32 root,
        bytes32 manifestDigest,
        bool checkConsistency,
        bytes32[] calldata consistencyProof
    ) private {
        StreamState storage s = _streams[streamId];
        StreamStatus status = s.status;
        if (status != StreamStatus.Active) {
            if (status == StreamStatus.Unknown) revert ProvenanceRegistryUnknownStream(streamId);
            revert ProvenanceRegistryStreamRetired(streamId);
        }
        uint64 previousSize = _checkCheckpoint(s, streamId, treeSize, root, manifestDigest);

        if (checkConsistency) {
            // From the empty tree every tree is consistent, and the only valid proof is the empty one.
            bool consistent = previousSize == 0
                ? consistencyProof.length == 0
                : RFC6962.verifyConsistency(previousSize, treeSize, s.root, root, consistencyProof);
            if (!consistent) {
                revert ProvenanceRegistryInconsistentCheckpoint(streamId, previousSize, s.root, treeSize, root);
            }
        } else if (previousSize != 0 && s.consistencyRequired) {
            revert ProvenanceRegistryConsistencyProofRequired(streamId);
        }

        _record(s, streamId, treeSize, root, manifestDigest, checkConsistency);
    }

    /// @dev Checks a new checkpoint's own fields against the stream's latest; returns the latest size.
    function _checkCheckpoint(
        StreamState storage s,
        bytes32 streamId,
        uint64 treeSize,
        bytes32 root,
        bytes32 manifestDigest
    ) private view returns (uint64 previousSize) {
        previousSize = s.treeSize;
        // solhint-disable-next-line gas-strict-inequalities
        if (treeSize <= previousSize) revert ProvenanceRegistryStaleTreeSize(streamId, treeSize, previousSize);
        if (root == bytes32(0)) revert ProvenanceRegistryEmptyRoot(streamId);
        if (manifestDigest == bytes32(0)) revert ProvenanceRegistryEmptyManifest(streamId);
    }

    /// @dev Folds a validated checkpoint into the stream's state and emits {CheckpointAnchored}.
    function _record(
        StreamState storage s,
        bytes32 streamId,
        uint64 treeSize,
        bytes32 root,
        bytes32 manifestDigest,
        bool consistencyChecked
    ) private {
        uint64 sequence = s.anchorCount;
        uint64 previousAnchorBlock = s.lastAnchorBlock;
        bytes32 previousHead = s.head;
        s.root = root;
        s.head = _chainHead(previousHead, sequence, treeSize, root, manifestDigest, consistencyChecked);
        s.treeSize = treeSize;
        // Each anchor raises treeSize by at least one from zero, so anchorCount < treeSize <= type(uint64).max
        // and the increment cannot overflow.
        unchecked {
            s.anchorCount = sequence + 1;
        }
        s.lastAnchorBlock = uint64(block.number);
        emit CheckpointAnchored(
            streamId,
            sequence,
            msg.sender,
            treeSize,
            root,
            manifestDigest,
            previousHead,
            previousAnchorBlock,
            consistencyChecked
        );
    }

    /**
     * @dev `keccak256(abi.encode(previousHead, sequence, treeSize, root, manifestDigest, anchorer,
     * blockNumber, consistencyChecked))` with `anchorer = msg.sender` and `blockNumber = block.number`,
     * hashed in scratch memory past the free memory pointer so that a batch does not grow memory with every
     * checkpoint.
     */
    function _chainHead(
        bytes32 previousHead,
        uint64 sequence,
        uint64 treeSize,
        bytes32 root,
        bytes32 manifestDigest,
        bool consistencyChecked
    ) private view returns (bytes32 head) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, previousHead)
            mstore(add(ptr, 0x20), sequence)
            mstore(add(ptr, 0x40), treeSize)
            mstore(add(ptr, 0x60), root)
            mstore(add(ptr, 0x80), manifestDigest)
            mstore(add(ptr, 0xa0), caller())
            mstore(add(ptr, 0xc0), number())
            mstore(add(ptr, 0xe0), consistencyChecked)
            head := keccak256(ptr, 0x100)
        }
    }

    /// @dev The stream, which must be registered and not retired.
    function _activeStream(bytes32 streamId) private view returns (StreamState storage s) {
        s = _streams[streamId];
        StreamStatus status = s.status;
        if (status == StreamStatus.Unknown) revert ProvenanceRegistryUnknownStream(streamId);
        if (status == StreamStatus.Retired) revert ProvenanceRegistryStreamRetired(streamId);
    }

    /// @dev The stream, which must be registered (active or retired).
    function _knownStream(bytes32 streamId) private view returns (StreamState storage s) {
        s = _streams[streamId];
        if (s.status == StreamStatus.Unknown) revert ProvenanceRegistryUnknownStream(streamId);
    }

    /// @dev An empty `bytes32[] calldata` for {anchor}, which has no proof.
    function _emptyProof() private pure returns (bytes32[] calldata proof) {
        assembly ("memory-safe") {
            proof.offset := 0
            proof.length := 0
        }
    }
}
