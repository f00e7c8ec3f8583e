/**
 * The batch pin directory: its layout decoded back with @ipld/dag-pb and ipfs-unixfs, a fixed vector
 * computed independently, its size at the largest manifest, determinism, bad input, and its CAR.
 */
import { ArgumentError, type BlockCid, CID, computeCid, MAX_MANIFEST_RECORDS, sha256 } from "@ancora/core";
import * as dagPb from "@ipld/dag-pb";
import fc from "fast-check";
import { UnixFS } from "ipfs-unixfs";
import { describe, expect, it } from "vitest";
import { readCar } from "../ipfs/car.js";
import {
  DAG_PB_CODEC,
  MANIFEST_ENTRY,
  MAX_MANIFEST_DIRECTORY_BYTES,
  manifestCar,
  manifestDirectory,
  manifestEntryName,
} from "./manifest-directory.js";

const text = (s: string) => new TextEncoder().encode(s);
const block = (s: string) => ({ cid: computeCid(text(s)), bytes: text(s) });

/** `n` distinct record CIDs (the blocks themselves do not matter to the directory). */
function cids(n: number): BlockCid[] {
  return Array.from({ length: n }, (_, i) => computeCid(text(`record ${i}`)));
}

describe("manifestDirectory", () => {
  it("is a UnixFS directory linking every record by its padded seq, then the manifest", () => {
    const records = cids(12).map((cid, i) => ({ cid, size: 300 + i }));
    const manifest = { cid: computeCid(text("manifest")), size: 999 };
    const dir = manifestDirectory({ manifest, from: 95, records });
    expect(dir.cid.version).toBe(1);
    expect(dir.cid.code).toBe(DAG_PB_CODEC);
    expect(dir.cid.multihash.code).toBe(0x12);
    expect(dir.cid.toString()).toMatch(/^bafybei/);
    const node = dagPb.decode(dir.bytes);
    expect(UnixFS.unmarshal(node.Data as Uint8Array).type).toBe("directory");
    expect(UnixFS.unmarshal(node.Data as Uint8Array).mtime).toBeUndefined();
    expect(node.Links).toHaveLength(records.length + 1);
    records.forEach((r, i) => {
      const link = node.Links[i];
      expect(link?.Name).toBe(String(95 + i).padStart(16, "0"));
      expect(link?.Hash.equals(r.cid)).toBe(true);
      expect(link?.Tsize).toBe(r.size);
    });
    const last = node.Links.at(-1);
    expect(last?.Name).toBe(MANIFEST_ENTRY);
    expect(last?.Hash.equals(manifest.cid)).toBe(true);
    expect(last?.Tsize).toBe(999);
    // The CID names these bytes.
    const digest = sha256(dir.bytes);
    expect(Buffer.from(dir.cid.multihash.digest)).toStrictEqual(Buffer.from(digest));
  });

  it("matches a fixed vector computed with @ipld/dag-pb and an independent sha256", () => {
    const r0 = block('{"seq":7}');
    const r1 = block('{"seq":8}');
    const m = block('{"manifest":true}');
    const dir = manifestDirectory({
      manifest: { cid: m.cid, size: m.bytes.length },
      from: 7,
      records: [
        { cid: r0.cid, size: r0.bytes.length },
        { cid: r1.cid, size: r1.bytes.length },
      ],
    });
    // Independently: dag-pb's prepare (which sorts the links itself) and encode, UnixFS Data 08 01.
    const expectedBytes = dagPb.encode(
      dagPb.prepare({
        Data: Uint8Array.of(0x08, 0x01),
        Links: [
          { Name: "manifest", Hash: m.cid, Tsize: m.bytes.length },
          { Name: "0000000000000008", Hash: r1.cid, Tsize: r1.bytes.length },
          { Name: "0000000000000007", Hash: r0.cid, Tsize: r0.bytes.length },
        ],
      }),
    );
    const expectedCid = CID.createV1(0x70, {
      code: 0x12,
      size: 32,
      digest: Uint8Array.from(sha256(expectedBytes)),
      bytes: Uint8Array.from([0x12, 0x20, ...sha256(expectedBytes)]),
    });
    expect(Buffer.from(dir.bytes)).toStrictEqual(Buffer.from(expectedBytes));
    expect(dir.cid.toString()).toBe(expectedCid.toString());
    // The published vector (docs/formats.md, "Batch pin directory").
    expect(dir.cid.toString()).toBe("bafybeiezeyx7h7pdosanovqb32gcuoi5ny6btkozfoatom3wljah43rrve");
  });

  it("fits a largest manifest in one block well under 1 MiB (under 256 KiB)", () => {
    const all = cids(MAX_MANIFEST_RECORDS);
    const manifest = { cid: computeCid(text("m")), size: 262_144 };
    const typical = manifestDirectory({ manifest, from: 0, records: all.map((cid) => ({ cid, size: 600 })) });
    const worst = manifestDirectory({
      manifest,
      from: 2 ** 52,
      records: all.map((cid) => ({ cid, size: 262_144 })),
    });
    expect(typical.bytes.length).toBe(231_858);
    expect(worst.bytes.length).toBe(235_658);
    expect(worst.bytes.length).toBeLessThan(256 * 1024);
    expect(worst.bytes.length).toBeLessThan(MAX_MANIFEST_DIRECTORY_BYTES / 4);
  });

  it("is deterministic, changes with any input and equals @ipld/dag-pb's encoding (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 31 }), { minLength: 0, maxLength: 20 }),
        fc.nat({ max: 2 ** 31 }),
        (from, sizes, manifestSize) => {
          const pool = cids(sizes.length);
          const input = {
            manifest: { cid: computeCid(text("m")), size: manifestSize },
            from,
            records: sizes.map((size, i) => ({ cid: pool[i] as BlockCid, size })),
          };
          const a = manifestDirectory(input);
          // Equal inputs built from fresh objects give the same CID.
          const b = manifestDirectory({
            manifest: { ...input.manifest, cid: CID.decode(input.manifest.cid.bytes) as BlockCid },
            from,
            records: input.records.map((r) => ({ cid: CID.decode(r.cid.bytes) as BlockCid, size: r.size })),
          });
          expect(a.cid.equals(b.cid)).toBe(true);
          const shifted = manifestDirectory({ ...input, from: from + 1 });
          expect(shifted.cid.equals(a.cid)).toBe(sizes.length === 0);
          const names = dagPb.decode(a.bytes).Links.map((l) => l.Name);
          expect(names).toStrictEqual([...sizes.map((_, i) => manifestEntryName(from + i)), "manifest"]);
          // Differential: the same bytes as @ipld/dag-pb's own encoder over the same node.
          const reference = dagPb.encode(
            dagPb.prepare({
              Data: new UnixFS({ type: "directory" }).marshal(),
              Links: [
                { Name: "manifest", Hash: input.manifest.cid, Tsize: manifestSize },
                ...input.records.map((r, i) => ({
                  Name: manifestEntryName(from + i),
                  Hash: r.cid,
                  Tsize: r.size,
                })),
              ],
            }),
          );
          expect(Buffer.from(a.bytes)).toStrictEqual(Buffer.from(reference));
        },
      ),
      { numRuns: process.env.CI ? 200 : 50 },
    );
  });

  it("refuses a bad seq, a bad size or too many records with ArgumentError", () => {
    const manifest = { cid: computeCid(text("m")), size: 10 };
    const one = [{ cid: computeCid(text("r")), size: 5 }];
    const cases = [
      { manifest, from: -1, records: one },
      { manifest, from: 1.5, records: one },
      { manifest, from: Number.MAX_SAFE_INTEGER, records: one },
      { manifest, from: 0, records: [{ cid: computeCid(text("r")), size: Number.NaN }] },
      { manifest: { ...manifest, size: -1 }, from: 0, records: one },
      {
        manifest,
        from: 0,
        records: cids(MAX_MANIFEST_RECORDS + 1).map((cid) => ({ cid, size: 1 })),
      },
    ];
    for (const input of cases) {
      let error: unknown;
      try {
        manifestDirectory(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ArgumentError);
      expect(error).toMatchObject({ code: "INVALID_ARGUMENT" });
    }
  });

  it("names entries by zero-padded seq", () => {
    expect(manifestEntryName(0)).toBe("0000000000000000");
    expect(manifestEntryName(42)).toBe("0000000000000042");
    expect(manifestEntryName(Number.MAX_SAFE_INTEGER)).toBe("9007199254740991");
  });
});

describe("manifestCar", () => {
  it("is rooted at the directory and holds the directory, the manifest and the records in order", () => {
    const manifest = block("the manifest");
    const records = ["a", "b", "c"].map(block);
    const car = manifestCar({ manifest, from: 10, records });
    expect(car.blocks).toBe(5);
    const read = readCar(car.bytes);
    expect(read.roots.map(String)).toStrictEqual([car.directory.cid.toString()]);
    expect(read.blocks.map((b) => b.cid.toString())).toStrictEqual([
      car.directory.cid.toString(),
      manifest.cid.toString(),
      ...records.map((r) => r.cid.toString()),
    ]);
    expect(Buffer.from(read.blocks[0]?.bytes ?? [])).toStrictEqual(Buffer.from(car.directory.bytes));
    read.blocks.slice(1).forEach((b, i) => {
      const expected = [manifest, ...records][i];
      expect(Buffer.from(b.bytes)).toStrictEqual(Buffer.from(expected?.bytes ?? []));
    });
  });
});
