/**
 * Holds @ancora/core to its published receipt vectors (packages/core/test-vectors/receipts.json), and
 * re-derives each genuine receipt's root independently: RFC 9162 inclusion verification written out
 * here with node:crypto, not with core's Merkle code.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { type CheckpointJSON, checkpointFromJSON, encodeCheckpoint } from "./checkpoint.js";
import {
  encodeReceipt,
  type ReceiptJSON,
  receiptFromJSON,
  receiptToJSON,
  verifyReceiptOffline,
} from "./receipt.js";

interface Vectors {
  version: number;
  checkpoint: { json: CheckpointJSON; canonical: string };
  receipts: Array<{
    name: string;
    receipt: ReceiptJSON;
    canonical: string;
    expect: { ok: true } | { ok: false; code: string; check?: string };
  }>;
}

const vectors = JSON.parse(
  readFileSync(new URL("../test-vectors/receipts.json", import.meta.url), "utf8"),
) as Vectors;
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

  test.each(vectors.receipts.map((v) => [v.name, v] as const))("%s", (_, v) => {
    const receipt = receiptFromJSON(v.receipt);
    expect(receiptToJSON(receipt)).toEqual(v.receipt);
    expect(new TextDecoder().decode(encodeReceipt(receipt))).toBe(v.canonical);
    const result = verifyReceiptOffline(receipt);
    if (v.expect.ok) {
      expect(result.ok).toBe(true);
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
