/**
 * Writes packages/core/test-vectors/merkle-roots.json: Ancora's published Merkle tree vectors (format in
 * packages/core/test-vectors/README.md).
 *
 *   node scripts/generate-merkle-vectors.ts           # (re)write the file
 *   node scripts/generate-merkle-vectors.ts --check   # exit 1 when the file differs from what it would write
 *
 * Deliberately independent of @ancora/core: it transcribes RFC 9162's recursive definitions (MTH §2.1.1,
 * PATH §2.1.3.1, PROOF §2.1.4.1) and hashes with node:crypto, so the core's test that recomputes these
 * vectors compares two implementations, not one with itself. Deterministic: same output on every run.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const OUT = fileURLToPath(new URL("../packages/core/test-vectors/merkle-roots.json", import.meta.url));
const BIOME = fileURLToPath(new URL("../node_modules/@biomejs/biome/bin/biome", import.meta.url));

type Bytes = Uint8Array;

function sha256(...parts: Bytes[]): Bytes {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

const hex = (b: Bytes): string => Buffer.from(b).toString("hex");
const utf8 = (s: string): Bytes => new TextEncoder().encode(s);

/** The largest power of two smaller than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 9162 §2.1.1 over D[start:end], memoised (the recursion revisits the same ranges). */
function makeTree(leaves: readonly Bytes[]) {
  const memo = new Map<string, Bytes>();
  const mth = (start: number, end: number): Bytes => {
    const key = `${start}:${end}`;
    let hash = memo.get(key);
    if (hash === undefined) {
      const n = end - start;
      if (n === 0) hash = sha256();
      else if (n === 1) hash = sha256(Uint8Array.of(0x00), leaves[start] as Bytes);
      else {
        const k = splitPoint(n);
        hash = sha256(Uint8Array.of(0x01), mth(start, start + k), mth(start + k, end));
      }
      memo.set(key, hash);
    }
    return hash;
  };
  // RFC 9162 §2.1.3.1 PATH(m, D[start:end]).
  const path = (m: number, start: number, end: number): Bytes[] => {
    const n = end - start;
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...path(m, start, start + k), mth(start + k, end)]
      : [...path(m - k, start + k, end), mth(start, start + k)];
  };
  // RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b).
  const subproof = (m: number, start: number, end: number, b: boolean): Bytes[] => {
    const n = end - start;
    if (m === n) return b ? [] : [mth(start, end)];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, start, start + k, b), mth(start + k, end)]
      : [...subproof(m - k, start + k, end, false), mth(start, start + k)];
  };
  return { mth, path, proof: (m: number, n: number) => subproof(m, 0, n, true) };
}

interface TreeSpec {
  name: string;
  description: string;
  leaves: Bytes[];
  sizes: number[];
  inclusion: Array<[index: number, size: number]>;
  consistency: Array<[size1: number, size2: number]>;
}

function vectorsFor(spec: TreeSpec) {
  const tree = makeTree(spec.leaves);
  const maxSize = Math.max(...spec.sizes);
  return {
    name: spec.name,
    description: spec.description,
    leafInputs: spec.leaves.slice(0, maxSize).map(hex),
    roots: spec.sizes.map((size) => ({ size, root: hex(tree.mth(0, size)) })),
    inclusion: spec.inclusion.map(([index, size]) => ({
      index,
      size,
      leafHash: hex(tree.mth(index, index + 1)),
      proof: tree.path(index, 0, size).map(hex),
      root: hex(tree.mth(0, size)),
    })),
    consistency: spec.consistency.map(([size1, size2]) => ({
      size1,
      size2,
      root1: hex(tree.mth(0, size1)),
      root2: hex(tree.mth(0, size2)),
      proof: tree.proof(size1, size2).map(hex),
    })),
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The eight leaves of the RFC 6962 reference tests in certificate-transparency and transparency-dev. */
const classic: TreeSpec = {
  name: "rfc6962-classic",
  description:
    "The 8 leaf inputs used by the RFC 6962 reference tests (certificate-transparency, transparency-dev/merkle); " +
    "root at size 8 is 5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328.",
  leaves: [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
  ].map((h) => new Uint8Array(Buffer.from(h, "hex"))),
  sizes: range(9),
  inclusion: range(8).flatMap((size) => range(size + 1).map((index): [number, number] => [index, size + 1])),
  consistency: range(8).flatMap((s) => range(s + 1).map((s1): [number, number] => [s1 + 1, s + 1])),
};

/** Leaf inputs shaped like Ancora's: 36-byte CIDv1 (raw codec, sha2-256) bytes over a deterministic text. */
function cidLike(i: number): Bytes {
  const digest = sha256(utf8(`ancora merkle test vector leaf ${i}`));
  return Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest]);
}

const LARGE = [31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 1023, 1024, 1025];
const cids: TreeSpec = {
  name: "cid-leaves",
  description:
    "Leaf input i is the 36 bytes 01 55 12 20 || SHA-256(UTF-8 'ancora merkle test vector leaf <i>'), shaped like a " +
    "CIDv1 raw sha2-256; the tree treats leaf inputs as opaque bytes.",
  leaves: range(1025).map(cidLike),
  sizes: [...range(21), ...LARGE],
  inclusion: [
    [0, 1],
    [0, 2],
    [1, 2],
    [2, 3],
    [5, 7],
    [0, 20],
    [13, 20],
    [19, 20],
    [0, 1000],
    [513, 1000],
    [999, 1000],
    [511, 1024],
    [0, 1025],
    [1024, 1025],
  ],
  consistency: [
    [1, 2],
    [3, 7],
    [4, 7],
    [6, 7],
    [1, 20],
    [7, 20],
    [16, 20],
    [20, 20],
    [129, 1000],
    [255, 257],
    [512, 1000],
    [1000, 1025],
    [1024, 1025],
  ],
};

const document = {
  version: 1,
  description:
    "Ancora Merkle tree vectors: RFC 6962/9162 hashing, leaf = SHA-256(0x00 || input), node = SHA-256(0x01 || left || right), " +
    "empty tree = SHA-256(''). All byte strings are lowercase hex. Generated by scripts/generate-merkle-vectors.ts.",
  trees: [vectorsFor(classic), vectorsFor(cids)],
};

/** The JSON laid out as the repository's formatter lays it out, so `biome check` and `--check` agree. */
function formatted(json: string): string {
  const result = spawnSync(process.execPath, [BIOME, "format", `--stdin-file-path=${OUT}`], {
    input: json,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

const text = formatted(JSON.stringify(document, null, 2));
if (process.argv.includes("--check")) {
  const current = readFileSync(OUT, "utf8");
  if (current !== text) {
    console.error(`${OUT} is out of date: run node scripts/generate-merkle-vectors.ts`);
    process.exit(1);
  }
  console.log(`${OUT} is up to date`);
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}`);
}
