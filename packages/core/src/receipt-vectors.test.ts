/**
 * Holds @ancora/core to its published receipt vectors (packages/core/test-vectors/receipts.json for
 * format v1, receipts-v2.json for v2), and re-derives each passing receipt's root independently:
 * RFC 9162 inclusion verification written out here with node:crypto, not with core's Merkle code.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { type CheckpointJSON, checkpointFromJSON, encodeCheckpoint } from "./checkpoint.js";
import {
  encodeReceipt,
  type ReceiptJSON,
  type ReceiptV1JSON,
  receiptFromJSON,
  receiptToJSON,
  verifyReceiptOffline,
} from "./receipt.js";

interface ReceiptVector {
  name: string;
  receipt: ReceiptJSON | ReceiptV1JSON;
  canonical: string;
  expect: { ok: true } | { ok: false; code: string; check?: string };
}
interface Vectors {
  version: number;
  checkpoint: { json: CheckpointJSON; canonical: string };
  receipts: ReceiptVector[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../test-vectors/receipts.json", import.meta.url), "utf8"),
) as Vectors;
const vectorsV2 = JSON.parse(
  readFileSync(new URL("../test-vectors/receipts-v2.json", import.meta.url), "utf8"),
) as { version: number; receipts: ReceiptVector[] };
const records = JSON.parse(
  readFileSync(new URL("../test-vectors/records.json", import.meta.url), "utf8"),
) as {
  records: Array<{ canonical: string; cid: string }>;
};

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ""), "hex"));

/** RFC 9162 §2.1.3.2, transcribed: the root an inclusion proof leads to. */
function rootFromProof(
  leafInput: Uint8Array,
  index: number,
  size: number,
  proof: Uint8Array[],
): Uint8Array | undefined {
  if (index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = sha256(Uint8Array.of(0), leafInput);
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Uint8Array.of(1), p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = sha256(Uint8Array.of(1), r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? r : undefined;
}

describe("published receipt vectors", () => {
  test("the checkpoint's JSON form and canonical bytes agree", () => {
    const checkpoint = checkpointFromJSON(vectors.checkpoint.json);
    expect(new TextDecoder().decode(encodeCheckpoint(checkpoint))).toBe(vectors.checkpoint.canonical);
    expect(checkpoint.size).toBe(records.records.length);
    expect(checkpoint.head.toString()).toBe(records.records.at(-1)?.cid);
  });

  test("v2 receipts carry only what the anchor commits: stream, size, root", () => {
    expect(vectorsV2.version).toBe(2);
    for (const v of vectorsV2.receipts) {
      expect(v.receipt.v).toBe(2);
      expect(Object.keys(v.receipt.checkpoint).sort()).toEqual(["root", "size", "stream"]);
    }
  });

  test.each([
    ...vectors.receipts.map((v) => [`v1 ${v.name}`, v] as const),
    ...vectorsV2.receipts.map((v) => [`v2 ${v.name}`, v] as const),
  ])("%s", (_, v) => {
    const receipt = receiptFromJSON(v.receipt);
    expect(receiptToJSON(receipt)).toEqual(v.receipt);
    expect(new TextDecoder().decode(encodeReceipt(receipt))).toBe(v.canonical);
    const result = verifyReceiptOffline(receipt);
    if (v.expect.ok) {
      expect(result.ok).toBe(true);
      // A v1 receipt's checkpoint head (unless the record is the last) and time are named, not checked.
      if (result.ok) {
        const last = receipt.index === receipt.checkpoint.size - 1;
        expect(result.ignored).toEqual(
          receipt.v === 2 ? [] : last ? ["checkpoint.ts"] : ["checkpoint.head", "checkpoint.ts"],
        );
      }
      // Independently: the record is the published one, and the proof leads to the checkpoint root.
      expect(new TextDecoder().decode(receipt.record)).toBe(records.records[receipt.index]?.canonical);
      const root = rootFromProof(
        receipt.cid.bytes,
        receipt.index,
        receipt.checkpoint.size,
        v.receipt.proof.map(fromHex),
      );
      expect(root).toEqual(receipt.checkpoint.root);
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe(v.expect.code);
        if (v.expect.check !== undefined) expect(result.error.evidence?.check).toBe(v.expect.check);
      }
    }
  });
});
