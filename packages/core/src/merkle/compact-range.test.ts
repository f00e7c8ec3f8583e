/** Unit tests of the builder, the node store, proof-generation arguments and the bit helpers. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ArgumentError } from "../errors.js";
import { bitLength, isPowerOfTwo, perfectSubtrees, popCount, trailingZeros } from "./bits.js";
import { CompactRange, type CompactRangeState, rootOfLeaves } from "./compact-range.js";
import { EMPTY_ROOT, hashChildren, hashLeaf } from "./hashing.js";
import { MemoryNodeStore, type MerkleNodeReader } from "./node-store.js";
import { consistencyProof, inclusionProof, rootAt } from "./proof.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const leaf = (i: number) => hashLeaf(Uint8Array.of(i));

describe("hashing (RFC 9162 §2.1.1)", () => {
  it("uses the 0x00 / 0x01 domain prefixes and SHA-256('') for the empty tree", () => {
    expect(hex(EMPTY_ROOT)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // RFC 6962 reference: the leaf hash of the empty leaf input.
    expect(hex(hashLeaf(new Uint8Array(0)))).toBe(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    );
    expect(hex(hashChildren(hashLeaf(new Uint8Array(0)), hashLeaf(Uint8Array.of(0))))).toBe(
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    );
  });

  it("hashes a short leaf correctly after a long one (scratch buffer reuse)", () => {
    const long = hashLeaf(new Uint8Array(1000).fill(1));
    const short = hashLeaf(Uint8Array.of(0));
    expect(hex(short)).toBe("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
    expect(hex(long)).not.toBe(hex(short));
    expect(hex(hashLeaf(new Uint8Array(1000).fill(1)))).toBe(hex(long));
  });

  it("hashes leaf inputs longer than the scratch buffer", () => {
    const input = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const want = createHash("sha256").update(Uint8Array.of(0)).update(input).digest("hex");
    expect(hex(hashLeaf(input))).toBe(want);
    expect(hex(hashLeaf(input.subarray(0, 36)))).toBe(
      createHash("sha256").update(Uint8Array.of(0)).update(input.subarray(0, 36)).digest("hex"),
    );
  });

  it("returns fresh arrays that later hashes do not overwrite", () => {
    const a = hashChildren(leaf(1), leaf(2));
    const copy = hex(a);
    hashChildren(leaf(3), leaf(4));
    expect(hex(a)).toBe(copy);
  });

  it("rejects children that are not 32-byte hashes, and leaf inputs that are not bytes", () => {
    expect(() => hashChildren(new Uint8Array(31), leaf(1))).toThrow(ArgumentError);
    expect(() => hashChildren(leaf(1), new Uint8Array(33))).toThrow(ArgumentError);
    expect(() => hashLeaf("abc" as unknown as Uint8Array)).toThrow(ArgumentError);
  });
});

describe("CompactRange", () => {
  it("starts empty with the empty root", () => {
    const tree = new CompactRange();
    expect(tree.size).toBe(0);
    expect(tree.root()).toEqual(EMPTY_ROOT);
    expect(tree.root()).not.toBe(EMPTY_ROOT);
    expect(tree.state()).toEqual({ v: 1, size: 0, hashes: [] });
  });

  it("reports the leaf and every completed parent, bottom-up", () => {
    const tree = new CompactRange();
    for (let i = 0; i < 7; i++) tree.append(leaf(i));
    const { index, nodes } = tree.append(leaf(7));
    expect(index).toBe(7);
    expect(nodes.map(({ level, index }) => [level, index])).toEqual([
      [0, 7],
      [1, 3],
      [2, 1],
      [3, 0],
    ]);
    expect(nodes[3]?.hash).toEqual(tree.root());
  });

  it("copies the leaf hash it is given, and hands out roots the caller may modify", () => {
    const tree = new CompactRange();
    const mine = leaf(1);
    tree.append(mine);
    const before = hex(tree.root());
    mine.fill(0);
    expect(hex(tree.root())).toBe(before);
    tree.root().fill(0);
    expect(hex(tree.root())).toBe(before);
  });

  it("round-trips its state through JSON", () => {
    const tree = new CompactRange();
    for (let i = 0; i < 13; i++) tree.append(leaf(i));
    const state = tree.state();
    expect(state.hashes).toHaveLength(3); // 13 = 8 + 4 + 1
    const resumed = CompactRange.fromState(JSON.parse(JSON.stringify(state)));
    expect(resumed.size).toBe(13);
    expect(hex(resumed.root())).toBe(hex(tree.root()));
  });

  it.each<[string, unknown]>([
    ["null", null],
    ["another version", { v: 2, size: 0, hashes: [] }],
    ["a negative size", { v: 1, size: -1, hashes: [] }],
    ["a fractional size", { v: 1, size: 1.5, hashes: ["00".repeat(32)] }],
    ["too few hashes", { v: 1, size: 3, hashes: ["00".repeat(32)] }],
    ["too many hashes", { v: 1, size: 4, hashes: ["00".repeat(32), "00".repeat(32)] }],
    ["a short hash", { v: 1, size: 1, hashes: ["00".repeat(31)] }],
    ["an uppercase hash", { v: 1, size: 1, hashes: ["AB".repeat(32)] }],
    ["a non-hex hash", { v: 1, size: 1, hashes: ["zz".repeat(32)] }],
    ["a non-string hash", { v: 1, size: 1, hashes: [42] }],
  ])("fromState rejects %s", (_, state) => {
    expect(() => CompactRange.fromState(state as CompactRangeState)).toThrow(ArgumentError);
  });

  it("fromReader resumes from a store and fails on a missing node", () => {
    const store = new MemoryNodeStore();
    const tree = new CompactRange();
    for (let i = 0; i < 11; i++) store.putAll(tree.append(leaf(i)).nodes);
    expect(hex(CompactRange.fromReader(store, 11).root())).toBe(hex(tree.root()));
    expect(hex(CompactRange.fromReader(store, 6).root())).toBe(hex(rootAt(store, 6)));
    expect(() => CompactRange.fromReader(store, 12)).toThrow(ArgumentError);
    expect(() => CompactRange.fromReader(store, -1)).toThrow(ArgumentError);
  });

  it("rejects leaf hashes that are not 32 bytes", () => {
    const tree = new CompactRange();
    expect(() => tree.append(new Uint8Array(31))).toThrow(ArgumentError);
    expect(() => rootOfLeaves([leaf(1), new Uint8Array(5)])).toThrow(ArgumentError);
    expect(tree.size).toBe(0);
  });

  it("rootOfLeaves matches the builder, including for 0 and 1 leaves", () => {
    expect(rootOfLeaves([])).toEqual(EMPTY_ROOT);
    expect(rootOfLeaves([leaf(1)])).toEqual(leaf(1));
    expect(rootOfLeaves([leaf(1), leaf(2), leaf(3)])).toEqual(
      hashChildren(hashChildren(leaf(1), leaf(2)), leaf(3)),
    );
  });

  it("works at sizes beyond 2^32 (resumed from state)", () => {
    // 2^32 + 1 leaves = a perfect subtree of 2^32 leaves and one more leaf.
    const big = new Uint8Array(32).fill(5);
    const tree = CompactRange.fromState({ v: 1, size: 2 ** 32 + 1, hashes: [hex(big), hex(leaf(0))] });
    expect(hex(tree.root())).toBe(hex(hashChildren(big, leaf(0))));
    const { index, nodes } = tree.append(leaf(1));
    expect(index).toBe(2 ** 32 + 1);
    expect(nodes.map((n) => [n.level, n.index])).toEqual([
      [0, 2 ** 32 + 1],
      [1, 2 ** 31],
    ]);
    expect(hex(tree.root())).toBe(hex(hashChildren(big, hashChildren(leaf(0), leaf(1)))));
  });
});

describe("MemoryNodeStore", () => {
  it("stores write-once nodes and returns copies", () => {
    const store = new MemoryNodeStore();
    store.put({ level: 0, index: 5000, hash: leaf(1) });
    store.put({ level: 0, index: 5000, hash: leaf(1) }); // same hash again: fine
    expect(store.count).toBe(1);
    expect(() => store.put({ level: 0, index: 5000, hash: leaf(2) })).toThrow(ArgumentError);
    const got = store.node(0, 5000) as Uint8Array;
    expect(got).toEqual(leaf(1));
    got.fill(0);
    expect(store.node(0, 5000)).toEqual(leaf(1));
    expect(store.node(0, 4999)).toBeUndefined();
    expect(store.node(1, 2500)).toBeUndefined();
    expect(store.node(60, 0)).toBeUndefined();
  });

  it.each([
    [{ level: -1, index: 0, hash: new Uint8Array(32) }],
    [{ level: 0, index: 0.5, hash: new Uint8Array(32) }],
    [{ level: 54, index: 0, hash: new Uint8Array(32) }],
    [{ level: 0, index: 0, hash: new Uint8Array(16) }],
  ])("rejects a bad node %#", (node) => {
    expect(() => new MemoryNodeStore().put(node)).toThrow(ArgumentError);
  });
});

describe("proof generation arguments", () => {
  const store = new MemoryNodeStore();
  const tree = new CompactRange();
  for (let i = 0; i < 10; i++) store.putAll(tree.append(leaf(i)).nodes);

  it.each([
    [0, 0],
    [10, 10],
    [-1, 5],
    [1.5, 5],
    [0, Number.NaN],
  ])("inclusionProof rejects index %d at size %d", (index, size) => {
    expect(() => inclusionProof(store, index, size)).toThrow(ArgumentError);
  });

  it.each([
    [0, 5],
    [6, 5],
    [1, 2.5],
    [-1, 3],
  ])("consistencyProof rejects sizes %d -> %d", (size1, size2) => {
    expect(() => consistencyProof(store, size1, size2)).toThrow(ArgumentError);
  });

  it("rootAt rejects bad sizes, and the empty tree needs no store", () => {
    expect(() => rootAt(store, -1)).toThrow(ArgumentError);
    expect(rootAt({ node: () => undefined }, 0)).toEqual(EMPTY_ROOT);
  });

  it("consistencyProof of equal sizes is empty", () => {
    expect(consistencyProof(store, 7, 7)).toEqual([]);
  });

  it("fails with an ArgumentError, not a wrong proof, when the store lacks or garbles a node", () => {
    expect(() => inclusionProof(store, 3, 11)).toThrow(ArgumentError);
    expect(() => consistencyProof(store, 3, 12)).toThrow(ArgumentError);
    const garbled: MerkleNodeReader = { node: () => new Uint8Array(31) };
    expect(() => rootAt(garbled, 3)).toThrow(/31 bytes at node/);
  });

  it("reads O(log n) nodes, never the whole tree", () => {
    let reads = 0;
    const counting: MerkleNodeReader = {
      node: (level, index) => {
        reads++;
        return store.node(level, index);
      },
    };
    inclusionProof(counting, 0, 10);
    consistencyProof(counting, 3, 10);
    rootAt(counting, 10);
    // size 10: inclusion 4 reads (the last one a 2-node fold), consistency 5, root 2.
    expect(reads).toBeLessThanOrEqual(12);
  });
});

describe("bit helpers beyond 32 bits", () => {
  it.each([
    [0, 0],
    [1, 1],
    [2 ** 31, 32],
    [2 ** 32 - 1, 32],
    [2 ** 32, 33],
    [2 ** 53 - 1, 53],
  ])("bitLength(%d) = %d", (n, want) => {
    expect(bitLength(n)).toBe(want);
  });

  it.each([
    [1, 0],
    [2 ** 31, 31],
    [2 ** 32, 32],
    [3 * 2 ** 40, 40],
    [2 ** 52, 52],
  ])("trailingZeros(%d) = %d", (n, want) => {
    expect(trailingZeros(n)).toBe(want);
  });

  it("popCount, isPowerOfTwo and perfectSubtrees", () => {
    expect(popCount(2 ** 53 - 1)).toBe(53);
    expect(popCount(2 ** 32 + 5)).toBe(3);
    expect([0, 1, 2, 3, 2 ** 40, 2 ** 40 + 1].map(isPowerOfTwo)).toEqual([
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
    expect(perfectSubtrees(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(perfectSubtrees(2 ** 33, 2 ** 33 + 3)).toEqual([
      { level: 1, index: 2 ** 32 },
      { level: 0, index: 2 ** 33 + 2 },
    ]);
  });
});
