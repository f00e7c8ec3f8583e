/**
 * The contract's RFC 6962 verifiers against transparency-dev/merkle's language-neutral vectors (the copy in
 * packages/core/test-vectors/rfc6962): every happy path accepted, every broken proof rejected.
 *
 * The contract takes hashes as bytes32, so a vector value that is not 32 bytes (some vectors use short
 * "don't care" strings or empty ones) cannot be passed as is. Such a value is replaced by SHA-256 of a tag
 * naming its role (leaf, root, proof) and the value: equal values in the same role stay equal, anything
 * else differs, and it never equals a real hash of the vectors (a plain SHA-256 would: the empty string's
 * is the empty tree's root, which vectors use). A malformed leaf hash can thus never pass for a root.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getContract, type Hex } from "viem";
import { provenanceRegistryAbi } from "../../packages/contracts/src/generated/provenance-registry.ts";

const VECTORS = join(import.meta.dirname, "../../packages/core/test-vectors/rfc6962");

function files(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : name.endsWith(".json") ? [path] : [];
    })
    .sort();
}

function asBytes32(role: "leaf" | "root" | "proof", base64: string | null | undefined): Hex {
  const bytes = Buffer.from(base64 ?? "", "base64");
  const word =
    bytes.length === 32
      ? bytes
      : createHash("sha256").update(`not a 32-byte ${role} hash:`).update(bytes).digest();
  return `0x${word.toString("hex")}`;
}

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

const { viem } = await network.create();
const [admin] = await viem.getWalletClients();
if (admin === undefined) throw new Error("no account");
const deployed = await viem.deployContract("ProvenanceRegistry", [admin.account.address]);
const registry = getContract({
  address: deployed.address,
  abi: provenanceRegistryAbi,
  client: await viem.getPublicClient(),
});

describe("RFC 6962 vectors (transparency-dev/merkle) against the contract", () => {
  const inclusion = files(join(VECTORS, "inclusion"));
  const consistency = files(join(VECTORS, "consistency"));

  it("has the vectors", () => {
    assert.ok(inclusion.length >= 50, `only ${inclusion.length} inclusion vectors`);
    assert.ok(consistency.length >= 50, `only ${consistency.length} consistency vectors`);
  });

  it("inclusion: verifyInclusionProof returns !wantErr for every vector", async () => {
    let accepted = 0;
    for (const file of inclusion) {
      const v = JSON.parse(readFileSync(file, "utf8")) as InclusionVector;
      const ok = await registry.read.verifyInclusionProof([
        asBytes32("leaf", v.leafHash),
        BigInt(v.leafIdx),
        BigInt(v.treeSize),
        asBytes32("root", v.root),
        (v.proof ?? []).map((h) => asBytes32("proof", h)),
      ]);
      assert.equal(ok, !v.wantErr, `${file}: ${v.desc}`);
      if (ok) accepted++;
    }
    assert.ok(accepted > 0, "no happy path at all");
  });

  it("consistency: verifyConsistencyProof returns !wantErr for every vector", async () => {
    let accepted = 0;
    for (const file of consistency) {
      const v = JSON.parse(readFileSync(file, "utf8")) as ConsistencyVector;
      const ok = await registry.read.verifyConsistencyProof([
        BigInt(v.size1),
        BigInt(v.size2),
        asBytes32("root", v.root1),
        asBytes32("root", v.root2),
        (v.proof ?? []).map((h) => asBytes32("proof", h)),
      ]);
      assert.equal(ok, !v.wantErr, `${file}: ${v.desc}`);
      if (ok) accepted++;
    }
    assert.ok(accepted > 0, "no happy path at all");
  });
});
