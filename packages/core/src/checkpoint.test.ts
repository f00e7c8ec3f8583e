import { base58btc } from "multiformats/bases/base58";
import { describe, expect, test } from "vitest";
import {
  type Checkpoint,
  checkpointFromJSON,
  checkpointToJSON,
  decodeCheckpoint,
  encodeCheckpoint,
  validateCheckpoint,
} from "./checkpoint.js";
import { computeCid } from "./cid.js";
import { SchemaError } from "./errors.js";
import { decodeRecord, encodeRecord } from "./records/codec.js";

const head = computeCid(new TextEncoder().encode("last record"));
const root = new Uint8Array(32).map((_, i) => i * 7);
const checkpoint: Checkpoint = {
  v: 1,
  stream: "credit-scoring",
  size: 42,
  root,
  head,
  ts: "2025-01-31T12:00:00.000Z",
};

function schemaError(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SchemaError) return error;
    throw error;
  }
  throw new Error("expected a SchemaError");
}

describe("checkpoint v1", () => {
  test("canonical bytes: root as DAG-JSON bytes, head as a link, keys sorted", () => {
    const text = new TextDecoder().decode(encodeCheckpoint(checkpoint));
    expect(text).toBe(
      `{"head":{"/":"${head}"},"root":{"/":{"bytes":"${Buffer.from(root).toString("base64").replace(/=+$/, "")}"}},` +
        `"size":42,"stream":"credit-scoring","ts":"2025-01-31T12:00:00.000Z","v":1}`,
    );
    expect(decodeCheckpoint(encodeCheckpoint(checkpoint))).toEqual(checkpoint);
  });

  test("JSON form survives JSON.stringify and parses back to the same checkpoint", () => {
    const json = checkpointToJSON(checkpoint);
    expect(json).toEqual({
      v: 1,
      stream: "credit-scoring",
      size: 42,
      root: `0x${Buffer.from(root).toString("hex")}`,
      head: head.toString(),
      ts: "2025-01-31T12:00:00.000Z",
    });
    expect(checkpointFromJSON(JSON.parse(JSON.stringify(json)))).toEqual(checkpoint);
  });

  test.each<[string, (c: Record<string, unknown>) => void, string, string]>([
    [
      "version 2",
      (c) => {
        c.v = 2;
      },
      "SCHEMA_UNSUPPORTED_VERSION",
      "$.v",
    ],
    [
      "size 0 (a stream has at least its genesis record)",
      (c) => {
        c.size = 0;
      },
      "SCHEMA_INVALID_FIELD",
      "$.size",
    ],
    [
      "root of 31 bytes",
      (c) => {
        c.root = new Uint8Array(31);
      },
      "SCHEMA_INVALID_FIELD",
      "$.root",
    ],
    [
      "head not a block CID",
      (c) => {
        c.head = head.toString();
      },
      "SCHEMA_INVALID_FIELD",
      "$.head",
    ],
    [
      "extra field",
      (c) => {
        c.manifest = "x";
      },
      "SCHEMA_UNKNOWN_FIELD",
      "$.manifest",
    ],
    [
      "missing ts",
      (c) => {
        delete c.ts;
      },
      "SCHEMA_MISSING_FIELD",
      "$.ts",
    ],
  ])("rejects %s", (_, mutate, code, path) => {
    const copy = { ...checkpoint } as Record<string, unknown>;
    mutate(copy);
    expect(schemaError(() => validateCheckpoint(copy))).toMatchObject({ code, path });
    expect(schemaError(() => encodeCheckpoint(copy as unknown as Checkpoint))).toMatchObject({ code, path });
  });

  test.each<[string, (j: Record<string, unknown>) => void, string]>([
    [
      "root without 0x",
      (j) => {
        j.root = Buffer.from(root).toString("hex");
      },
      "$.root",
    ],
    [
      "root in upper case",
      (j) => {
        j.root = `0x${Buffer.from(root).toString("hex").toUpperCase()}`;
      },
      "$.root",
    ],
    [
      "head in base58",
      (j) => {
        j.head = head.toString(base58btc);
      },
      "$.head",
    ],
    [
      "size as a string",
      (j) => {
        j.size = "42";
      },
      "$.size",
    ],
  ])("JSON form rejects %s", (_, mutate, path) => {
    const json = { ...checkpointToJSON(checkpoint) } as Record<string, unknown>;
    mutate(json);
    expect(schemaError(() => checkpointFromJSON(json))).toMatchObject({ code: "SCHEMA_INVALID_FIELD", path });
  });

  test("decoding refuses non-canonical bytes and over-long input", () => {
    const text = new TextDecoder().decode(encodeCheckpoint(checkpoint)).replace('"size":42', '"size":42.0');
    expect(() => decodeCheckpoint(new TextEncoder().encode(text))).toThrow(
      expect.objectContaining({ code: "ENCODING_NOT_CANONICAL" }),
    );
    expect(() => decodeCheckpoint(new Uint8Array(5000).fill(0x20))).toThrow(
      expect.objectContaining({ code: "ENCODING_TOO_LARGE" }),
    );
  });

  test("checkpoint bytes never decode as a record, nor record bytes as a checkpoint", () => {
    expect(schemaError(() => decodeRecord(encodeCheckpoint(checkpoint)))).toMatchObject({
      code: "SCHEMA_MISSING_FIELD",
      path: "$.kind",
    });
    const genesis = encodeRecord({
      v: 1,
      kind: "genesis",
      stream: "s",
      seq: 0,
      ts: checkpoint.ts,
      body: { createdBy: "ops" },
    });
    expect(schemaError(() => decodeCheckpoint(genesis))).toMatchObject({
      code: "SCHEMA_MISSING_FIELD",
      path: "$.size",
    });
  });
});
