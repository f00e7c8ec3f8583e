// SPDX-License-Identifier: Apache-2.0
// Test conventions, not production code: Foundry's `test_*`/`testFuzz_*` names, `require` with a message as
// the assertion, a cheatcode interface named as Foundry names it, and helpers beside the test contract.
// solhint-disable one-contract-per-file, interface-starts-with-i, func-name-mixedcase, gas-custom-errors
// solhint-disable gas-strict-inequalities
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ProvenanceRegistry} from "./ProvenanceRegistry.sol";
import {RFC6962} from "./RFC6962.sol";

/**
 * @dev The few Foundry cheatcodes these tests use, served by Hardhat's Solidity test runner at the standard
 * cheatcode address. forge-std is not on the npm registry (only an unofficial 2022 copy), so the interface
 * is declared here instead of pulling it in.
 */
interface Vm {
    function assume(bool condition) external pure;
    function prank(address sender) external;
    function expectRevert(bytes calldata revertData) external;
    function roll(uint256 blockNumber) external;
}

/**
 * @dev An independent Solidity transcription of RFC 9162 §2.1: MTH (§2.1.1), PATH (§2.1.3.1) and
 * PROOF/SUBPROOF (§2.1.4.1), recursive and unoptimised, to generate proofs for the fuzz tests.
 */
library ReferenceTree {
    // Parameters are named `data` rather than `leaves` so as not to shadow {leaves}.
    function split(uint256 n) internal pure returns (uint256 k) {
        k = 1;
        while (k * 2 < n) k *= 2;
    }

    function mth(bytes32[] memory data, uint256 start, uint256 end) internal pure returns (bytes32) {
        uint256 n = end - start;
        if (n == 0) return sha256("");
        if (n == 1) return data[start];
        uint256 k = split(n);
        return RFC6962.hashChildren(mth(data, start, start + k), mth(data, start + k, end));
    }

    function path(bytes32[] memory data, uint256 m, uint256 start, uint256 end) internal pure returns (bytes32[] memory) {
        uint256 n = end - start;
        if (n == 1) return new bytes32[](0);
        uint256 k = split(n);
        if (m < k) return append(path(data, m, start, start + k), mth(data, start + k, end));
        return append(path(data, m - k, start + k, end), mth(data, start, start + k));
    }

    function subproof(
        bytes32[] memory data,
        uint256 m,
        uint256 start,
        uint256 end,
        bool b
    ) internal pure returns (bytes32[] memory) {
        uint256 n = end - start;
        if (m == n) {
            if (b) return new bytes32[](0);
            return append(new bytes32[](0), mth(data, start, end));
        }
        uint256 k = split(n);
        if (m <= k) return append(subproof(data, m, start, start + k, b), mth(data, start + k, end));
        return append(subproof(data, m - k, start + k, end, false), mth(data, start, start + k));
    }

    function append(bytes32[] memory xs, bytes32 x) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](xs.length + 1);
        for (uint256 i = 0; i < xs.length; ++i) out[i] = xs[i];
        out[xs.length] = x;
    }

    function leaves(uint256 seed, uint256 n) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) out[i] = RFC6962.hashLeaf(abi.encode(seed, i));
    }
}

/// @dev Fuzz tests of the RFC 6962 verifiers and unit tests of the registry's state machine.
contract ProvenanceRegistryTest {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    address private constant ADMIN = address(0xA11CE);
    address private constant ANCHORER = address(0xB0B);
    address private constant STRANGER = address(0xE7E);
    bytes32 private constant STREAM = keccak256("loans");
    uint256 private constant MAX_LEAVES = 70;

    ProvenanceRegistry private registry;

    function setUp() public {
        registry = new ProvenanceRegistry(ADMIN);
        bytes32 anchorerRole = registry.ANCHORER_ROLE();
        VM.prank(ADMIN);
        registry.grantRole(anchorerRole, ANCHORER);
        VM.prank(ADMIN);
        registry.registerStream(STREAM, "ipfs://meta", false);
    }

    // ------------------------------------------------------------------------------------------------
    // Verifiers: every proof made by the reference is accepted, every mutation is rejected.
    // ------------------------------------------------------------------------------------------------

    function testFuzz_InclusionAcceptsReferenceProofs(uint256 seed, uint256 n, uint256 index) public view {
        n = 1 + (n % MAX_LEAVES);
        index = index % n;
        bytes32[] memory leaves = ReferenceTree.leaves(seed, n);
        bytes32 root = ReferenceTree.mth(leaves, 0, n);
        bytes32[] memory proof = ReferenceTree.path(leaves, index, 0, n);
        require(registry.verifyInclusionProof(leaves[index], index, n, root, proof), "valid proof rejected");
    }

    function testFuzz_InclusionRejectsMutations(uint256 seed, uint256 n, uint256 index, uint256 mutation) public view {
        n = 2 + (n % (MAX_LEAVES - 1));
        index = index % n;
        bytes32[] memory leaves = ReferenceTree.leaves(seed, n);
        bytes32 root = ReferenceTree.mth(leaves, 0, n);
        bytes32[] memory proof = ReferenceTree.path(leaves, index, 0, n);
        uint256 kind = mutation % 6;
        uint256 at = (mutation >> 8) % proof.length;
        bytes32 leaf = leaves[index];
        uint256 claimedIndex = index;
        uint256 claimedSize = n;
        // Not a mutation on purpose: another (index, size) pair whose audit path has the same shape verifies
        // the same proof (leaf 3 of 5 leaves is also "leaf 3 of 6"). The registry binds the size to the
        // anchored one, so only the proof, the leaf and the index are mutated here.
        if (kind == 0) {
            proof[at] ^= bytes32(uint256(1) << ((mutation >> 16) % 256));
        } else if (kind == 1) {
            leaf ^= bytes32(uint256(1) << ((mutation >> 16) % 256));
        } else if (kind == 2) {
            claimedIndex = (index + 1 + (mutation >> 16) % (n - 1)) % n; // any other index in range
        } else if (kind == 3) {
            proof = ReferenceTree.append(proof, proof[at]); // trailing garbage
        } else if (kind == 4) {
            assembly ("memory-safe") {
                mstore(proof, sub(mload(proof), 1)) // truncated
            }
        } else if (proof.length >= 2) {
            uint256 other = (at + 1) % proof.length; // swapped siblings: same hashes, wrong order
            (proof[at], proof[other]) = (proof[other], proof[at]);
        } else {
            claimedSize = index; // index outside the claimed tree
        }
        require(!registry.verifyInclusionProof(leaf, claimedIndex, claimedSize, root, proof), "mutation accepted");
    }

    function testFuzz_ConsistencyAcceptsReferenceProofs(uint256 seed, uint256 size1, uint256 size2) public view {
        size2 = 1 + (size2 % MAX_LEAVES);
        size1 = 1 + (size1 % size2);
        bytes32[] memory leaves = ReferenceTree.leaves(seed, size2);
        bytes32 root1 = ReferenceTree.mth(leaves, 0, size1);
        bytes32 root2 = ReferenceTree.mth(leaves, 0, size2);
        bytes32[] memory proof = ReferenceTree.subproof(leaves, size1, 0, size2, true);
        require(registry.verifyConsistencyProof(size1, size2, root1, root2, proof), "valid proof rejected");
    }

    function testFuzz_ConsistencyRejectsMutations(uint256 seed, uint256 size1, uint256 size2, uint256 mutation) public view {
        size2 = 2 + (size2 % (MAX_LEAVES - 1));
        size1 = 1 + (size1 % (size2 - 1)); // 1 <= size1 < size2, so the proof is not empty
        bytes32[] memory leaves = ReferenceTree.leaves(seed, size2);
        bytes32 root1 = ReferenceTree.mth(leaves, 0, size1);
        bytes32 root2 = ReferenceTree.mth(leaves, 0, size2);
        bytes32[] memory proof = ReferenceTree.subproof(leaves, size1, 0, size2, true);
        uint256 kind = mutation % 6;
        uint256 at = (mutation >> 8) % proof.length;
        bytes32 bit = bytes32(uint256(1) << ((mutation >> 16) % 256));
        if (kind == 0) {
            proof[at] ^= bit;
        } else if (kind == 1) {
            root1 ^= bit;
        } else if (kind == 2) {
            root2 ^= bit;
        } else if (kind == 3) {
            proof = ReferenceTree.append(proof, proof[at]);
        } else if (kind == 4) {
            assembly ("memory-safe") {
                mstore(proof, sub(mload(proof), 1))
            }
        } else {
            // A forked history: the same prefix size, but one leaf of the new part replaced.
            uint256 forkAt = size1 + ((mutation >> 8) % (size2 - size1));
            leaves[forkAt] ^= bit;
            root2 = ReferenceTree.mth(leaves, 0, size2);
            leaves[forkAt] ^= bit;
            // The proof of the original tree must not validate against the forked root...
            require(!registry.verifyConsistencyProof(size1, size2, root1, root2, proof), "fork accepted");
            // ...and a forked prefix is never consistent with the original new tree.
            uint256 forkOld = (mutation >> 24) % size1;
            leaves[forkOld] ^= bit;
            bytes32 forkedRoot1 = ReferenceTree.mth(leaves, 0, size1);
            leaves[forkOld] ^= bit;
            root2 = ReferenceTree.mth(leaves, 0, size2);
            root1 = forkedRoot1;
        }
        require(!registry.verifyConsistencyProof(size1, size2, root1, root2, proof), "mutation accepted");
    }

    function testFuzz_InclusionRejectsIndexOutOfRange(bytes32 leaf, uint256 index, uint256 size, bytes32 root) public view {
        VM.assume(index >= size);
        require(!registry.verifyInclusionProof(leaf, index, size, root, new bytes32[](0)), "out of range accepted");
    }

    function testFuzz_ConsistencyRejectsBadSizes(uint256 size1, uint256 size2, bytes32 root) public view {
        VM.assume(size1 == 0 || size1 > size2);
        require(!registry.verifyConsistencyProof(size1, size2, root, root, new bytes32[](0)), "bad sizes accepted");
    }

    // ------------------------------------------------------------------------------------------------
    // Registry state machine
    // ------------------------------------------------------------------------------------------------

    function testFuzz_TreeSizeMustStrictlyIncrease(uint64 first, uint64 second) public {
        VM.assume(first > 0 && second <= first);
        VM.prank(ANCHORER);
        registry.anchor(STREAM, first, keccak256("r1"), keccak256("m1"));
        VM.expectRevert(
            abi.encodeWithSelector(ProvenanceRegistry.ProvenanceRegistryStaleTreeSize.selector, STREAM, second, first)
        );
        VM.prank(ANCHORER);
        registry.anchor(STREAM, second, keccak256("r2"), keccak256("m2"));
    }

    function testFuzz_OnlyAnchorersAnchor(address caller) public {
        VM.assume(caller != ANCHORER);
        VM.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                caller,
                registry.ANCHORER_ROLE()
            )
        );
        VM.prank(caller);
        registry.anchor(STREAM, 1, keccak256("r"), keccak256("m"));
    }

    function test_ChainedHeadFollowsTheFormula() public {
        bytes32 head = registry.genesisHead(STREAM);
        require(head == keccak256(abi.encode(registry.GENESIS_DOMAIN(), block.chainid, address(registry), STREAM)), "genesis");
        require(registry.chainedHead(STREAM) == head, "genesis stored");
        for (uint64 i = 0; i < 5; ++i) {
            VM.roll(block.number + 1);
            bytes32 root = keccak256(abi.encode("root", i));
            bytes32 manifest = keccak256(abi.encode("manifest", i));
            VM.prank(ANCHORER);
            registry.anchor(STREAM, 10 * (i + 1), root, manifest);
            head = keccak256(abi.encode(head, i, 10 * (i + 1), root, manifest, ANCHORER, block.number, false));
            require(registry.chainedHead(STREAM) == head, "head");
        }
        (uint64 size, bytes32 latest) = registry.latestCheckpoint(STREAM);
        require(size == 50 && latest == keccak256(abi.encode("root", uint64(4))), "latest");
    }

    function test_RetiredStreamCannotBeAnchoredButStaysVerifiable() public {
        bytes32[] memory leaves = ReferenceTree.leaves(7, 5);
        bytes32 root = ReferenceTree.mth(leaves, 0, 5);
        VM.prank(ANCHORER);
        registry.anchor(STREAM, 5, root, keccak256("m"));
        VM.prank(ADMIN);
        registry.retireStream(STREAM);
        VM.expectRevert(abi.encodeWithSelector(ProvenanceRegistry.ProvenanceRegistryStreamRetired.selector, STREAM));
        VM.prank(ANCHORER);
        registry.anchor(STREAM, 6, root, keccak256("m"));
        require(registry.verifyInclusion(STREAM, leaves[3], 3, 5, ReferenceTree.path(leaves, 3, 0, 5)), "verify");
        VM.expectRevert(abi.encodeWithSelector(ProvenanceRegistry.ProvenanceRegistryStreamExists.selector, STREAM));
        VM.prank(ADMIN);
        registry.registerStream(STREAM, "again", false);
    }
}
