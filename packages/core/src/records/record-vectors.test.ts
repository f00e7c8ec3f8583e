/**
 * Holds @ancora/core to its published record vectors (packages/core/test-vectors/records.json), and
 * the vectors to independent implementations: @ipld/dag-json for the canonical bytes, node:crypto and
 * a hand-assembled CID for the CIDs, node:crypto's HMAC and SHA-256 for the commitments.
 */
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import * as dagJson from "@ipld/dag-json";
import { base32 } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";
import { describe, expect, test } from "vitest";
import { encodeCanonical } from "../canonical/encode.js";
import { computeCid } from "../cid.js";
import { type Commitment, verifyOpening } from "../commitment.js";
import { decodeRecord, encodeRecord } from "./codec.js";
import type { AncoraRecord } from "./types.js";

interface Vectors {
  version: number;
  records: Array<{ name: string; input: unknown; canonical: string; cid: string }>;
  commitments: Array<{
    name: string;
    scheme: Commitment["scheme"];
    value: unknown;
    salt?: string;
    key?: string;
    keyId?: string;
    digest: string;
  }>;
  invalidBytes: Array<{ name: string; hex: string; text?: string; error: string; path?: string }>;
  invalidRecords: Array<{ name: string; input: unknown; error: string; path: string }>;
  invalidValues: Array<{ name: string; json: string; error: string; path: string }>;
}

const vectors = JSON.parse(
  readFileSync(new URL("../../test-vectors/records.json", import.meta.url), "utf8"),
) as Vectors;

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const utf8 = (s: string) => new TextEncoder().encode(s);

/** The vectors' JSON form → a value: {"/": cid} is a link, {"/": {"bytes": b64}} is bytes. */
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

function thrown(fn: () => unknown): { code?: string; path?: string } {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; path?: string };
  }
  return {};
}

describe("published record vectors", () => {
  test("the file is version 1 and covers every section", () => {
    expect(vectors.version).toBe(1);
    expect(vectors.records.map((r) => (fromJsonForm(r.input) as AncoraRecord).kind).sort()).toEqual(
      expect.arrayContaining(["config", "decision", "genesis", "label"]),
    );
    for (const section of [
      vectors.commitments,
      vectors.invalidBytes,
      vectors.invalidRecords,
      vectors.invalidValues,
    ]) {
      expect(section.length).toBeGreaterThan(0);
    }
  });

  test.each(vectors.records.map((r) => [r.name, r] as const))(
    "record %s: input → canonical bytes → CID",
    (_, v) => {
      const record = fromJsonForm(v.input) as AncoraRecord;
      const canonical = utf8(v.canonical);
      // Ancora's encoder and the reference DAG-JSON encoder both give the published bytes.
      expect(encodeRecord(record)).toEqual(canonical);
      expect(Buffer.from(dagJson.encode(record)).equals(canonical)).toBe(true);
      // The CID, by core and by hand: 0x01 (v1) 0x55 (raw) 0x12 0x20 (sha2-256, 32 bytes) + digest.
      const digest = createHash("sha256").update(canonical).digest();
      expect(base32.encode(Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest]))).toBe(v.cid);
      expect(computeCid(canonical).toString()).toBe(v.cid);
      // The bytes decode back to the same record.
      expect(decodeRecord(canonical)).toEqual(record);
    },
  );

  test("the records form one hash chain: each prev is the CID of the record before", () => {
    const records = vectors.records.map((v) => fromJsonForm(v.input) as AncoraRecord);
    records.forEach((record, i) => {
      expect(record.seq).toBe(i);
      if (i === 0) expect(record.prev).toBeUndefined();
      else expect(record.prev?.toString()).toBe(vectors.records[i - 1]?.cid);
    });
  });

  test.each(vectors.commitments.map((c) => [c.name, c] as const))("commitment %s", (_, v) => {
    const bytes = encodeCanonical(v.value);
    const expected =
      v.scheme === "plain"
        ? createHash("sha256").update(bytes).digest("hex")
        : v.scheme === "salted"
          ? createHash("sha256")
              .update(fromHex(v.salt ?? ""))
              .update(bytes)
              .digest("hex")
          : createHmac("sha256", fromHex(v.key ?? ""))
              .update(bytes)
              .digest("hex");
    expect(v.digest).toBe(expected);
    const commitment: Commitment = { scheme: v.scheme, digest: fromHex(v.digest) };
    const opening = {
      value: v.value,
      ...(v.salt === undefined ? {} : { salt: fromHex(v.salt) }),
      ...(v.key === undefined ? {} : { key: fromHex(v.key) }),
    };
    expect(verifyOpening(commitment, opening)).toBe(true);
  });

  test.each(vectors.invalidBytes.map((v) => [v.name, v] as const))(
    "bytes that must not decode: %s",
    (_, v) => {
      const bytes = fromHex(v.hex);
      if (v.text !== undefined) expect(utf8(v.text)).toEqual(bytes);
      const error = thrown(() => decodeRecord(bytes));
      expect(error.code).toBe(v.error);
      if (v.path !== undefined) expect(error.path).toBe(v.path);
    },
  );

  test.each(vectors.invalidRecords.map((v) => [v.name, v] as const))(
    "records that break the schema: %s",
    (_, v) => {
      const value = fromJsonForm(v.input);
      expect(thrown(() => encodeRecord(value as AncoraRecord))).toMatchObject({
        code: v.error,
        path: v.path,
      });
      // The same value as canonical bytes does not decode as a record either.
      expect(thrown(() => decodeRecord(encodeCanonical(value)))).toMatchObject({
        code: v.error,
        path: v.path,
      });
    },
  );

  test.each(vectors.invalidValues.map((v) => [v.name, v] as const))(
    "values that must not encode: %s",
    (_, v) => {
      expect(thrown(() => encodeCanonical(JSON.parse(v.json)))).toMatchObject({
        code: v.error,
        path: v.path,
      });
    },
  );
});
