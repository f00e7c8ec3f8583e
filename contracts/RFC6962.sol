// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title RFC6962
 * @notice Verification of RFC 6962 Merkle tree proofs, exactly as specified by RFC 9162 §2.1.
 *
 * Hashing (RFC 9162 §2.1.1): a leaf hash is `SHA-256(0x00 || leaf input)` and an interior node is
 * `SHA-256(0x01 || left || right)`. Ancora's leaf input is the record's CID bytes. The SHA-256 precompile
 * (address 0x02) is used, so the roots are the ones every RFC 6962 implementation computes.
 *
 * The verifiers are `view` only because they call the SHA-256 precompile from assembly (Solidity counts a
 * `staticcall` as reading state); they read no storage and their result depends on their arguments alone.
 *
 * Both verifiers return `false` for every malformed or wrong proof and never revert on attacker-controlled
 * input: a proof with extra, missing or altered elements, an index outside the tree, or sizes in the wrong
 * order. They follow the transparency-dev/merkle reference semantics, including its edge cases: a
 * consistency proof from an empty tree is rejected, and equal sizes need an empty proof and equal roots.
 */
library RFC6962 {
    /// @dev Domain-separation prefix of a leaf (RFC 9162 §2.1.1).
    bytes1 private constant _LEAF_PREFIX = 0x00;

    /**
     * @notice Returns the leaf hash `SHA-256(0x00 || leafInput)` (RFC 9162 §2.1.1).
     * @param leafInput The leaf's input bytes (for Ancora: a record's CID bytes).
     */
    function hashLeaf(bytes memory leafInput) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(_LEAF_PREFIX, leafInput));
    }

    /**
     * @notice Returns the interior node hash `SHA-256(0x01 || left || right)` (RFC 9162 §2.1.1).
     * @param left The left child's hash.
     * @param right The right child's hash.
     */
    function hashChildren(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /**
     * @notice Verifies an inclusion proof (RFC 9162 §2.1.3.2): that `leafHash` is the leaf at `index` of the
     * tree of `treeSize` leaves whose root is `root`.
     * @param leafHash The leaf hash, `SHA-256(0x00 || leaf input)`.
     * @param index The leaf's zero-based index.
     * @param treeSize The number of leaves of the tree the proof was made for.
     * @param root The root hash of that tree.
     * @param proof The audit path, from the leaf's sibling up to the root's child.
     * @return True when the proof is valid.
     */
    function verifyInclusion(
        bytes32 leafHash,
        uint256 index,
        uint256 treeSize,
        bytes32 root,
        bytes32[] calldata proof
    ) internal view returns (bool) {
        // solhint-disable-next-line gas-strict-inequalities
        if (index >= treeSize) return false;
        uint256 buffer = _nodeBuffer();
        uint256 fn = index;
        uint256 sn;
        // `treeSize > index >= 0` was checked above, so `treeSize - 1` cannot underflow.
        unchecked {
            sn = treeSize - 1;
        }
        bytes32 r = leafHash;
        uint256 length = proof.length;
        for (uint256 i = 0; i < length; ++i) {
            if (sn == 0) return false;
            bytes32 p = proof[i];
            if ((fn & 1) == 1 || fn == sn) {
                r = _hashNode(buffer, p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = _hashNode(buffer, r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == root;
    }

    /**
     * @notice Verifies a consistency proof (RFC 9162 §2.1.4.2): that the tree of `size1` leaves with root
     * `root1` is a prefix of the tree of `size2` leaves with root `root2`.
     * @param size1 The size of the older tree; zero is rejected (a proof from the empty tree says nothing).
     * @param size2 The size of the newer tree, at least `size1`.
     * @param root1 The root hash of the older tree.
     * @param root2 The root hash of the newer tree.
     * @param proof The consistency proof; empty when the sizes are equal.
     * @return True when the proof is valid.
     */
    // solhint-disable-next-line function-max-lines
    function verifyConsistency(
        uint256 size1,
        uint256 size2,
        bytes32 root1,
        bytes32 root2,
        bytes32[] calldata proof
    ) internal view returns (bool) {
        if (size1 == 0 || size1 > size2) return false;
        if (size1 == size2) return proof.length == 0 && root1 == root2;
        uint256 length = proof.length;
        if (length == 0) return false;

        uint256 fn;
        uint256 sn;
        // `size2 > size1 > 0` was checked above, so neither subtraction can underflow.
        unchecked {
            fn = size1 - 1;
            sn = size2 - 1;
        }
        // Step 2: when size1 is an exact power of two, the proof starts implicitly with root1.
        bytes32 fr;
        uint256 start;
        if ((size1 & fn) == 0) {
            fr = root1;
        } else {
            fr = proof[0];
            start = 1;
        }
        bytes32 sr = fr;
        // Step 4: skip the levels where the old tree's last leaf is a right child.
        while ((fn & 1) == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        uint256 buffer = _nodeBuffer();
        for (uint256 i = start; i < length; ++i) {
            if (sn == 0) return false;
            bytes32 c = proof[i];
            if ((fn & 1) == 1 || fn == sn) {
                fr = _hashNode(buffer, c, fr);
                sr = _hashNode(buffer, c, sr);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                sr = _hashNode(buffer, sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && fr == root1 && sr == root2;
    }

    /**
     * @dev Reserves 96 bytes of memory for the node preimage `0x01 || left || right`, written once per
     * verification with the prefix byte, so the loop neither allocates nor re-encodes (Solidity's
     * `sha256(abi.encodePacked(...))` allocates and copies for every node).
     */
    function _nodeBuffer() private pure returns (uint256 buffer) {
        assembly ("memory-safe") {
            buffer := mload(0x40)
            mstore(0x40, add(buffer, 0x60))
            mstore8(buffer, 0x01)
        }
    }

    /**
     * @dev `SHA-256(0x01 || left || right)` with the SHA-256 precompile (address 0x02), using the buffer from
     * {_nodeBuffer}: the prefix at byte 0, `left` at bytes 1..32, `right` at bytes 33..64.
     */
    function _hashNode(uint256 buffer, bytes32 left, bytes32 right) private view returns (bytes32 result) {
        assembly ("memory-safe") {
            mstore(add(buffer, 0x01), left)
            mstore(add(buffer, 0x21), right)
            // The precompile only fails when it runs out of gas; the whole call then has too little left.
            if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) {
                revert(0, 0)
            }
            result := mload(0x00)
        }
    }
}
