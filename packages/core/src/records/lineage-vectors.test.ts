/**
 * Holds @ancora/core to its published lineage vectors (packages/core/test-vectors/lineage.json), and
 * the vectors to independent implementations: @ipld/dag-json for the bytes, node:crypto for the CIDs,
 * digests and the RFC 9162 tree.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { describe, expect, test } from "vitest";
import { computeCid } from "../cid.js";
import { datasetRoot, verifySampleProof } from "../lineage/dataset-root.js";
import { decodeReproducibilityManifest } from "../lineage/reproducibility-manifest.js";
import { decodeRecord, encodeRecord } from "./codec.js";
import type { AncoraRecord } from "./types.js";

interface LineageVectors {
  records: Array<{ name: string; input: unknown; canonical: string; cid: string }>;
  datasetRoot: {
    samples: string[];
    root: string;
    proof: { index: number; size: number; sample: string; path: string[] };
  };
  reproducibilityManifest: { canonical: string; digest: string };
  capsule: { hex: string; digest: string };
}

const vectors = JSON.parse(
  readFileSync(new URL("../../test-vectors/lineage.json", import.meta.url), "utf8"),
) as LineageVectors;
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest();
const utf8 = (s: string) => new TextEncoder().encode(s);

function fromJsonForm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonForm);
  if (typeof value !== "object" || value === null) return value;
  const slash = (value as Record<string, unknown>)["/"];
  if (typeof slash === "string") return CID.parse(slash);
  if (typeof slash === "object" && slash !== null) {
    return new Uint8Array(Buffer.from(String((slash as { bytes: unknown }).bytes), "base64"));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJsonForm(v)]));
}

/** Every link inside a value, as strings. */
function links(value: unknown, out: string[] = []): string[] {
  const cid = CID.asCID(value);
  if (cid !== null) out.push(cid.toString());
  else if (Array.isArray(value)) for (const v of value) links(v, out);
  else if (typeof value === "object" && value !== null && !(value instanceof Uint8Array))
    for (const v of Object.values(value)) links(v, out);
  return out;
}

describe("published lineage vectors", () => {
  test("cover every lineage and governance kind", () => {
    const kinds = new Set(vectors.records.map((r) => (r.input as { kind: string }).kind));
    for (const kind of [
      "dataset-split",
      "model",
      "training",
      "reproducibility",
      "consent",
      "consent-revocation",
      "consent-denied",
      "ownership",
      "retention",
      "access-grant",
      "erasure",
      "capsule",
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  test.each(vectors.records.map((r) => [r.name, r] as const))(
    "%s: bytes, CID and references",
    (_, vector) => {
      const input = fromJsonForm(vector.input) as AncoraRecord;
      const bytes = utf8(vector.canonical);
      expect(encodeRecord(input)).toEqual(bytes);
      expect(new Uint8Array(dagJson.encode(input))).toEqual(bytes);
      expect(decodeRecord(bytes)).toEqual(input);
      const cid = CID.create(1, 0x55, {
        code: 0x12,
        size: 32,
        digest: sha(bytes),
        bytes: new Uint8Array([0x12, 0x20, ...sha(bytes)]),
      });
      expect(cid.toString()).toBe(vector.cid);
      expect(computeCid(bytes).toString()).toBe(vector.cid);
      // Every link (prev and body references) names an earlier record of the chain.
      const earlier = vectors.records.slice(0, input.seq).map((r) => r.cid);
      for (const link of links(input)) expect(earlier).toContain(link);
      if (input.seq > 0) expect(input.prev?.toString()).toBe(earlier[input.seq - 1]);
    },
  );

  test("dataset root and sample proof match RFC 9162 computed with node:crypto", () => {
    const { samples, root, proof } = vectors.datasetRoot;
    const leaf = (h: string) => sha(Buffer.concat([Buffer.from([0]), Buffer.from(h, "hex")]));
    const node = (l: Buffer, r: Buffer) => sha(Buffer.concat([Buffer.from([1]), l, r]));
    const leaves = samples.map(leaf);
    // Five leaves: MTH = node(node(node(0,1), node(2,3)), 4) (RFC 9162 §2.1.1).
    const expected = node(
      node(node(leaves[0] as Buffer, leaves[1] as Buffer), node(leaves[2] as Buffer, leaves[3] as Buffer)),
      leaves[4] as Buffer,
    );
    expect(Buffer.from(expected).toString("hex")).toBe(root);
    expect(datasetRoot(samples.map(fromHex))).toEqual(fromHex(root));
    expect(
      verifySampleProof({
        sample: fromHex(proof.sample),
        root: fromHex(root),
        index: proof.index,
        size: proof.size,
        proof: proof.path.map(fromHex),
      }),
    ).toBe(true);
  });

  test("the reproducibility manifest and the capsule hash to their records' digests", () => {
    const manifest = utf8(vectors.reproducibilityManifest.canonical);
    decodeReproducibilityManifest(manifest);
    expect(`sha256:${sha(manifest).toString("hex")}`).toBe(vectors.reproducibilityManifest.digest);
    const repro = vectors.records.find((r) => r.name === "reproducibility");
    expect(repro?.canonical).toContain(vectors.reproducibilityManifest.digest);
    expect(`sha256:${sha(fromHex(vectors.capsule.hex)).toString("hex")}`).toBe(vectors.capsule.digest);
    expect(vectors.records.find((r) => r.name === "capsule")?.canonical).toContain(vectors.capsule.digest);
  });
});
