import { hash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { encodeCanonical } from "./canonical/encode.js";
import type { Checkpoint } from "./checkpoint.js";
import { type BlockCid, computeCid } from "./cid.js";
import { commitHmac, commitPlain } from "./commitment.js";
import { AncoraError, SchemaError, VerificationError } from "./errors.js";
import { CompactRange } from "./merkle/compact-range.js";
import { MemoryNodeStore } from "./merkle/node-store.js";
import { inclusionProof } from "./merkle/proof.js";
import {
  decodeReceipt,
  encodeReceipt,
  type Receipt,
  type ReceiptV1,
  receiptFromJSON,
  receiptToJSON,
  validateReceipt,
  verifyReceiptOffline,
} from "./receipt.js";
import { encodeRecordBlock } from "./records/codec.js";
import type { AncoraRecord } from "./records/types.js";

const RUNS = process.env.CI === "true" ? 300 : 40;
const STREAM = "credit-scoring";
const TS = "2025-01-31T12:00:00.000Z";
const KEY = new Uint8Array(32).fill(1);

/** A stream of `n` records (genesis, two labels, a config, then decisions) with its Merkle tree. */
function buildStream(n: number) {
  const tree = new CompactRange();
  const store = new MemoryNodeStore();
  const blocks: Array<{ bytes: Uint8Array; cid: BlockCid; record: AncoraRecord }> = [];
  let prev: BlockCid | undefined;
  let configCid: BlockCid | undefined;
  for (let seq = 0; seq < n; seq++) {
    const envelope = { v: 1 as const, stream: STREAM, seq, ts: TS, ...(prev === undefined ? {} : { prev }) };
    let record: AncoraRecord;
    if (seq === 0) record = { ...envelope, kind: "genesis", body: { createdBy: "ops" } };
    else if (seq <= 2)
      record = {
        ...envelope,
        kind: "label",
        body: { id: `L00${seq}`, name: seq === 1 ? "approve" : "decline" },
      };
    else if (seq === 3 || configCid === undefined) {
      record = {
        ...envelope,
        kind: "config",
        body: {
          threshold: 0.5,
          aboveLabel: "L001",
          belowLabel: "L002",
          changedBy: "risk",
          changeReason: "launch",
        },
      };
    } else {
      const score = (seq % 10) / 10;
      record = {
        ...envelope,
        kind: "decision",
        body: {
          model: { id: "credit-risk", version: "1.0.0", hash: `sha256:${"cd".repeat(32)}` },
          input: commitHmac({ applicant: seq }, KEY),
          output: commitPlain({ score }),
          score,
          label: score >= 0.5 ? "L001" : "L002",
          config: configCid,
        },
      };
    }
    const block = encodeRecordBlock(record);
    if (record.kind === "config") configCid = block.cid;
    store.putAll(tree.appendLeaf(block.cid.bytes).nodes);
    blocks.push({ ...block, record });
    prev = block.cid;
  }
  const last = blocks[n - 1];
  if (last === undefined) throw new Error("empty stream");
  const checkpoint: Checkpoint = { v: 1, stream: STREAM, size: n, root: tree.root(), head: last.cid, ts: TS };
  const anchor = {
    chainId: 31337,
    registry: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    txHash: `0x${"ee".repeat(32)}`,
    blockNumber: 7,
  };
  const receiptFor = (index: number): Receipt => {
    const block = blocks[index];
    if (block === undefined) throw new Error("no such record");
    return {
      v: 2,
      record: block.bytes,
      cid: block.cid,
      index,
      proof: inclusionProof(store, index, n),
      checkpoint: { stream: STREAM, size: n, root: checkpoint.root },
      anchor,
    };
  };
  /** The same receipt in format v1 (whole checkpoint, as written until 2026-12). */
  const receiptV1For = (index: number): ReceiptV1 => ({ ...receiptFor(index), v: 1, checkpoint });
  return { blocks, checkpoint, receiptFor, receiptV1For };
}

const stream = buildStream(11);

function failure(receipt: unknown) {
  const result = verifyReceiptOffline(receipt as Receipt);
  if (result.ok) throw new Error("expected the receipt to fail");
  expect(result.anchorVerified).toBe(false);
  expect(result.error).toBeInstanceOf(VerificationError);
  return result.error as VerificationError;
}

describe("verifyReceiptOffline: genuine receipts pass", () => {
  test("every record of the stream, first to last", () => {
    for (let i = 0; i < 11; i++) {
      const result = verifyReceiptOffline(stream.receiptFor(i));
      expect(result.ok).toBe(true);
      if (result.ok) {
        expect(result.record.seq).toBe(i);
        expect(result.anchorVerified).toBe(false);
        expect(result.anchor.chainId).toBe(31337);
        expect(result.cid.toString()).toBe(stream.blocks[i]?.cid.toString());
      }
    }
  });

  test("with node:crypto injected the result is the same", () => {
    const nodeSha256 = (d: Uint8Array) => hash("sha256", d, "buffer");
    expect(verifyReceiptOffline(stream.receiptFor(5), nodeSha256).ok).toBe(true);
  });

  test("property: in streams of any size, every record's receipt verifies", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 }))),
        ([n, index]) => {
          expect(verifyReceiptOffline(buildStream(n).receiptFor(index)).ok).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("receipts of format v1 (checkpoint head and time bound by nothing)", () => {
  test("verify on what is bound, name the ignored fields and return neither", () => {
    for (const index of [0, 6, 10]) {
      const result = verifyReceiptOffline(stream.receiptV1For(index));
      if (!result.ok) throw result.error;
      expect(result.version).toBe(1);
      // The last leaf's head must be the record itself, so for it only the time is unbound.
      expect(result.ignored).toEqual(index === 10 ? ["checkpoint.ts"] : ["checkpoint.head", "checkpoint.ts"]);
      expect(Object.keys(result.checkpoint).sort()).toEqual(["root", "size", "stream"]);
    }
  });

  test("a changed head (not the last leaf) or time changes nothing the result states", () => {
    const genuine = verifyReceiptOffline(stream.receiptV1For(6));
    const receipt = stream.receiptV1For(6);
    const changed = verifyReceiptOffline({
      ...receipt,
      checkpoint: {
        ...receipt.checkpoint,
        head: stream.blocks[2]?.cid as BlockCid,
        ts: "2030-01-01T00:00:00.000Z",
      },
    });
    expect(changed).toEqual(genuine);
  });

  test("the migration in docs/formats.md: v 2 and the checkpoint's stream, size and root", () => {
    const v1 = receiptToJSON(stream.receiptV1For(6));
    const { stream: name, size, root } = v1.checkpoint;
    const migrated = receiptFromJSON({ ...v1, v: 2, checkpoint: { stream: name, size, root } });
    expect(migrated).toEqual(stream.receiptFor(6));
    const before = verifyReceiptOffline(stream.receiptV1For(6));
    const after = verifyReceiptOffline(migrated);
    expect(after).toEqual({ ...before, version: 2, ignored: [] });
  });

  test("an unknown version names both versions read", () => {
    const json = { ...receiptToJSON(stream.receiptFor(6)), v: 3 };
    expect(() => receiptFromJSON(json)).toThrow(
      expect.objectContaining({
        code: "SCHEMA_UNSUPPORTED_VERSION",
        path: "$.v",
        evidence: expect.objectContaining({ supported: [1, 2] }),
      }),
    );
    const { v: _, ...unversioned } = json;
    expect(() => receiptFromJSON(unversioned)).toThrow(
      expect.objectContaining({ code: "SCHEMA_MISSING_FIELD" }),
    );
  });

  test("v1 JSON form round-trips in its own version", () => {
    const receipt = stream.receiptV1For(6);
    const json = receiptToJSON(receipt);
    expect(json.v).toBe(1);
    expect(json.checkpoint).toMatchObject({ v: 1, head: stream.checkpoint.head.toString(), ts: TS });
    expect(receiptFromJSON(JSON.parse(JSON.stringify(json)))).toEqual(receipt);
    expect(decodeReceipt(encodeReceipt(receipt))).toEqual(receipt);
  });
});

describe("verifyReceiptOffline: every kind of tampering fails, with a code", () => {
  test("record bytes changed: CID_MISMATCH", () => {
    const receipt = stream.receiptFor(6);
    const record = receipt.record.slice();
    record[10] = (record[10] ?? 0) ^ 1;
    const error = failure({ ...receipt, record });
    expect(error.code).toBe("CID_MISMATCH");
    expect(error.evidence).toMatchObject({ expected: receipt.cid.toString() });
  });

  test("another record of the same stream with its own CID but this record's proof: INCLUSION_PROOF_INVALID", () => {
    const receipt = stream.receiptFor(6);
    const other = stream.receiptFor(7);
    // Record 7 with its true CID and index, but carrying record 6's proof.
    const error = failure({ ...receipt, record: other.record, cid: other.cid, index: 7 });
    expect(error.code).toBe("INCLUSION_PROOF_INVALID");
  });

  test("a forged record with a matching CID but not in the tree: INCLUSION_PROOF_INVALID", () => {
    const receipt = stream.receiptFor(6);
    const forged = { ...stream.blocks[6]?.record, ts: "2025-02-01T00:00:00.000Z" } as AncoraRecord;
    const block = encodeRecordBlock(forged);
    const error = failure({ ...receipt, record: block.bytes, cid: block.cid });
    expect(error.code).toBe("INCLUSION_PROOF_INVALID");
  });

  test("leaf index not the record's seq: RECEIPT_INVALID (index)", () => {
    const receipt = stream.receiptFor(6);
    const error = failure({ ...receipt, index: 5, proof: stream.receiptFor(5).proof });
    expect(error.code).toBe("RECEIPT_INVALID");
    expect(error.evidence).toMatchObject({ check: "index", index: 5, seq: 6 });
  });

  test("checkpoint of another stream: RECEIPT_INVALID (stream)", () => {
    const receipt = stream.receiptFor(6);
    const error = failure({ ...receipt, checkpoint: { ...receipt.checkpoint, stream: "other" } });
    expect(error.evidence).toMatchObject({ check: "stream" });
  });

  test("v1: last leaf that is not the checkpoint's head: RECEIPT_INVALID (head)", () => {
    const receipt = stream.receiptV1For(10);
    const head = stream.blocks[9]?.cid as BlockCid;
    const error = failure({ ...receipt, checkpoint: { ...receipt.checkpoint, head } });
    expect(error.evidence).toMatchObject({ check: "head" });
  });

  test("record bytes that are not canonical, even with a matching CID: RECEIPT_INVALID (record)", () => {
    const receipt = stream.receiptFor(6);
    const text = new TextDecoder().decode(receipt.record).replace('"seq":6', '"seq": 6');
    const record = new TextEncoder().encode(text);
    const error = failure({ ...receipt, record, cid: computeCid(record) });
    expect(error.evidence).toMatchObject({ check: "record" });
    expect(error.walk((e) => e instanceof AncoraError && e.code === "ENCODING_NOT_CANONICAL")).toBeDefined();
  });

  test("malformed receipts are failures, never exceptions", () => {
    for (const bad of [null, 1, "receipt", {}, { v: 1 }, { ...stream.receiptFor(1), proof: "x" }]) {
      const error = failure(bad);
      expect(error.evidence).toMatchObject({ check: "format" });
      expect(error.cause).toBeInstanceOf(SchemaError);
    }
  });

  test("property: flipping any bit of the proof, the root, the record or the index fails", () => {
    const receipt = stream.receiptFor(4);
    const hashes = receipt.proof.length;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (what, at, bit) => {
          const mask = 1 << bit;
          let tampered: Receipt;
          if (what === 0) {
            const proof = receipt.proof.map((h) => h.slice());
            const h = proof[at % hashes] as Uint8Array;
            h[at % 32] = (h[at % 32] ?? 0) ^ mask;
            tampered = { ...receipt, proof };
          } else if (what === 1) {
            const root = receipt.checkpoint.root.slice();
            root[at % 32] = (root[at % 32] ?? 0) ^ mask;
            tampered = { ...receipt, checkpoint: { ...receipt.checkpoint, root } };
          } else if (what === 2) {
            const record = receipt.record.slice();
            record[at % record.length] = (record[at % record.length] ?? 0) ^ mask;
            tampered = { ...receipt, record };
          } else {
            tampered = { ...receipt, index: receipt.index ^ mask };
          }
          expect(verifyReceiptOffline(tampered).ok).toBe(false);
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });
});

describe("receipt formats", () => {
  test("canonical bytes round-trip", () => {
    const receipt = stream.receiptFor(6);
    const bytes = encodeReceipt(receipt);
    const decoded = decodeReceipt(bytes);
    expect(decoded).toEqual(receipt);
    expect(encodeReceipt(decoded)).toEqual(bytes);
    expect(verifyReceiptOffline(decoded).ok).toBe(true);
  });

  test("JSON form survives JSON.stringify and verifies after the round trip", () => {
    const receipt = stream.receiptFor(6);
    const json = receiptToJSON(receipt);
    expect(json.record).toBe(Buffer.from(receipt.record).toString("base64"));
    expect(json.proof.every((h) => /^0x[0-9a-f]{64}$/.test(h))).toBe(true);
    const back = receiptFromJSON(JSON.parse(JSON.stringify(json)));
    expect(back).toEqual(receipt);
    expect(verifyReceiptOffline(back).ok).toBe(true);
  });

  test.each<[string, (r: Record<string, unknown>) => void, string, string]>([
    [
      "version 3",
      (r) => {
        r.v = 3;
      },
      "SCHEMA_UNSUPPORTED_VERSION",
      "$.v",
    ],
    [
      "a v2 checkpoint with a head (v1's unbound field)",
      (r) => {
        r.checkpoint = { ...(r.checkpoint as object), head: stream.checkpoint.head };
      },
      "SCHEMA_UNKNOWN_FIELD",
      "$.checkpoint.head",
    ],
    [
      "a v2 checkpoint with a time (v1's unbound field)",
      (r) => {
        r.checkpoint = { ...(r.checkpoint as object), ts: TS };
      },
      "SCHEMA_UNKNOWN_FIELD",
      "$.checkpoint.ts",
    ],
    [
      "a v1 receipt with a v2 checkpoint",
      (r) => {
        r.v = 1;
      },
      "SCHEMA_MISSING_FIELD",
      "$.checkpoint.v",
    ],
    [
      "index beyond the checkpoint",
      (r) => {
        r.index = 11;
      },
      "SCHEMA_INVALID_FIELD",
      "$.index",
    ],
    [
      "proof hash of 31 bytes",
      (r) => {
        r.proof = [new Uint8Array(31)];
      },
      "SCHEMA_INVALID_FIELD",
      "$.proof[0]",
    ],
    [
      "65 proof hashes",
      (r) => {
        r.proof = Array(65).fill(new Uint8Array(32));
      },
      "SCHEMA_INVALID_FIELD",
      "$.proof",
    ],
    [
      "anchor address checksummed",
      (r) => {
        r.anchor = { ...(r.anchor as object), registry: "0xAB" };
      },
      "SCHEMA_INVALID_FIELD",
      "$.anchor.registry",
    ],
    [
      "anchor without block number",
      (r) => {
        r.anchor = { chainId: 1, registry: `0x${"a".repeat(40)}`, txHash: `0x${"b".repeat(64)}` };
      },
      "SCHEMA_MISSING_FIELD",
      "$.anchor.blockNumber",
    ],
    [
      "checkpoint without root",
      (r) => {
        r.checkpoint = { ...(r.checkpoint as object), root: undefined };
      },
      "SCHEMA_INVALID_FIELD",
      "$.checkpoint.root",
    ],
  ])("rejects %s", (_, mutate, code, path) => {
    const receipt = { ...stream.receiptFor(6) } as Record<string, unknown>;
    mutate(receipt);
    let caught: unknown;
    try {
      validateReceipt(receipt);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: "SchemaError", code, path });
  });

  test("JSON form rejects unpadded base64 and proof hashes without 0x", () => {
    // A record whose length is not a multiple of 3, so its base64 has padding to strip.
    const index = stream.blocks.findIndex((b) => b.bytes.length % 3 !== 0);
    const json = receiptToJSON(stream.receiptFor(index)) as unknown as Record<string, unknown>;
    const unpadded = { ...json, record: (json.record as string).replace(/=+$/, "") };
    expect(unpadded.record).not.toBe(json.record);
    expect(() => receiptFromJSON(unpadded)).toThrow(expect.objectContaining({ path: "$.record" }));
    const bare = { ...json, proof: (json.proof as string[]).map((h) => h.slice(2)) };
    expect(() => receiptFromJSON(bare)).toThrow(expect.objectContaining({ path: "$.proof[0]" }));
    expect(() => receiptFromJSON({ ...json, record: "!!!!" })).toThrow(
      expect.objectContaining({ path: "$.record" }),
    );
  });

  test("receipts are canonical DAG-JSON, so their bytes are as strict as records", () => {
    const bytes = encodeReceipt(stream.receiptFor(2));
    expect(encodeCanonical(decodeReceipt(bytes))).toEqual(bytes);
    const spaced = new TextEncoder().encode(
      new TextDecoder().decode(bytes).replace('"index":2', '"index": 2'),
    );
    expect(() => decodeReceipt(spaced)).toThrow(expect.objectContaining({ code: "ENCODING_NOT_CANONICAL" }));
  });
});
