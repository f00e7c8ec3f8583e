import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as dagJson from "@ipld/dag-json";
import { describe, expect, test } from "vitest";
import { type BlockCid, computeCid, parseBlockCid } from "./cid.js";
import { EncodingError, ManifestError, SchemaError } from "./errors.js";
import {
  decodeManifest,
  encodeManifest,
  MAX_MANIFEST_BYTES,
  MAX_MANIFEST_RECORDS,
  type Manifest,
  manifestBlock,
  manifestCidFromDigest,
  manifestDigest,
  splitManifestRanges,
  validateManifest,
} from "./manifest.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const cidOf = (s: string) => computeCid(utf8(s));
const root = (s: string) => new Uint8Array(createHash("sha256").update(s).digest());

function manifest(from: number, size: number, extra: Partial<Manifest> = {}): Manifest {
  const records = Array.from({ length: size - from }, (_, i) => cidOf(`record ${from + i}`));
  return {
    v: 1,
    stream: "credit-scoring",
    from,
    size,
    root: root(`root ${size}`),
    head: records[records.length - 1] ?? cidOf("none"),
    records,
    ...extra,
  };
}

const VECTORS = new URL("../test-vectors/manifests.json", import.meta.url);

describe("manifest v1", () => {
  test("round-trips through canonical bytes, equal to @ipld/dag-json's, with a raw CID", () => {
    const m = manifest(0, 3);
    const { bytes, cid } = manifestBlock(m);
    expect(Buffer.from(bytes).toString()).toBe(Buffer.from(dagJson.encode(m)).toString());
    expect(cid.toString()).toMatch(/^bafkrei/);
    expect(decodeManifest(bytes)).toStrictEqual(m);
    expect(manifestCidFromDigest(manifestDigest(cid)).toString()).toBe(cid.toString());
    expect(Buffer.from(manifestDigest(cid)).toString("hex")).toBe(
      createHash("sha256").update(bytes).digest("hex"),
    );
  });

  test("published vectors (scripts/generate-manifest-vectors.ts, independent of core) are reproduced", () => {
    interface Vector {
      name: string;
      stream: string;
      from: number;
      size: number;
      prev?: string;
      canonical: string;
      cid: string;
      digest: string;
    }
    const published = JSON.parse(readFileSync(VECTORS, "utf8")) as { version: number; manifests: Vector[] };
    expect(published.version).toBe(1);
    expect(published.manifests.length).toBeGreaterThanOrEqual(4);
    for (const v of published.manifests) {
      const extra: Partial<Manifest> = { stream: v.stream };
      const prev = v.prev === undefined ? undefined : parseBlockCid(v.prev);
      if (v.prev !== undefined) {
        expect(prev, `${v.name}: prev parses`).toBeDefined();
        extra.prev = prev as BlockCid;
      }
      const block = manifestBlock(manifest(v.from, v.size, extra));
      expect(Buffer.from(block.bytes).toString(), v.name).toBe(v.canonical);
      expect(block.cid.toString(), v.name).toBe(v.cid);
      expect(`0x${Buffer.from(manifestDigest(block.cid)).toString("hex")}`, v.name).toBe(v.digest);
      expect(manifestBlock(decodeManifest(utf8(v.canonical))).cid.toString(), v.name).toBe(v.cid);
    }
  });

  test("rejects bad fields with the path", () => {
    const bad = (value: unknown, path: string) => {
      try {
        validateManifest(value);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(SchemaError);
        expect((error as SchemaError).path).toBe(path);
      }
    };
    const m = manifest(2, 4);
    bad({ ...m, v: 2 }, "$.v");
    bad({ ...m, extra: 1 }, "$.extra");
    bad({ ...m, records: m.records.slice(1) }, "$.records");
    bad({ ...m, head: cidOf("other") }, "$.head");
    bad({ ...m, records: [m.records[0], "bafk"] }, "$.records[1]");
    bad({ ...m, from: 4 }, "$.records");
    bad({ ...m, root: new Uint8Array(31) }, "$.root");
    bad({ ...m, prev: "x" }, "$.prev");
  });

  test("decoding is strict", () => {
    const bytes = encodeManifest(manifest(0, 1));
    const spaced = utf8(`${Buffer.from(bytes).toString()} `);
    expect(() => decodeManifest(spaced)).toThrow(EncodingError);
  });

  test("the largest manifest fits one chunk; one more record is a typed error", () => {
    const longStream = `s${"x".repeat(63)}`; // the longest stream name
    const m = manifest(1_000_000_000, 1_000_000_000 + MAX_MANIFEST_RECORDS, {
      stream: longStream,
      prev: cidOf("prev"),
    });
    expect(encodeManifest(m).length).toBeLessThanOrEqual(MAX_MANIFEST_BYTES);
    const over = manifest(0, MAX_MANIFEST_RECORDS + 1);
    expect(() => encodeManifest(over)).toThrow(ManifestError);
    try {
      encodeManifest(over);
    } catch (error) {
      expect((error as ManifestError).code).toBe("MANIFEST_TOO_MANY_RECORDS");
    }
  });

  test("splitManifestRanges covers the range in capped, contiguous pieces", () => {
    expect(splitManifestRanges(0, 5, 2)).toStrictEqual([
      { from: 0, size: 2 },
      { from: 2, size: 4 },
      { from: 4, size: 5 },
    ]);
    expect(splitManifestRanges(100, 8000)).toStrictEqual([
      { from: 100, size: 3900 },
      { from: 3900, size: 7700 },
      { from: 7700, size: 8000 },
    ]);
    expect(() => splitManifestRanges(5, 5)).toThrow();
    expect(() => splitManifestRanges(0, 5, MAX_MANIFEST_RECORDS + 1)).toThrow();
  });
});
