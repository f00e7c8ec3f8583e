import { createHash, hash } from "node:crypto";
import fc from "fast-check";
import { base32 } from "multiformats/bases/base32";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { describe, expect, test } from "vitest";
import { computeCid, isBlockCid, parseBlockCid, RAW_CODEC, SHA2_256_CODE } from "./cid.js";

const RUNS = process.env.CI === "true" ? 1000 : 100;

/**
 * The CID an IPFS file import (Kubo `ipfs add --cid-version=1`, Helia's unixfs, Pinata) reports for a
 * file that fits one 256 KiB chunk: with raw leaves on (the CIDv1 default) the single chunk is stored
 * as a raw block and the file's CID is that block's CID — CIDv1, raw codec, sha2-256 of the bytes.
 * Built here by hand from node:crypto and the multibase/varint layout, independently of computeCid.
 */
function ipfsFileCid(bytes: Uint8Array): string {
  const digest = createHash("sha256").update(bytes).digest();
  // <cid-version=1><codec=raw 0x55><multihash: sha2-256 0x12, length 0x20, digest>
  const cidBytes = Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest]);
  return base32.encode(cidBytes); // multibase 'b' + RFC 4648 base32, lower case, no padding
}

describe("computeCid", () => {
  test("equals the CID an IPFS file import reports for a small file", () => {
    const bytes = new TextEncoder().encode('{"kind":"genesis","v":1}');
    expect(computeCid(bytes).toString()).toBe(ipfsFileCid(bytes));
  });

  test("matches known file CIDs: '' and 'hello' as `ipfs add --cid-version=1` reports them", () => {
    // Widely published raw-leaf CIDv1 vectors (empty file and the five bytes "hello").
    const cidOf = (s: string) => computeCid(new TextEncoder().encode(s)).toString();
    expect(cidOf("")).toBe("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    expect(cidOf("hello")).toBe("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq");
  });

  test("property: equals the independent construction for any bytes, and starts with bafkrei", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const cid = computeCid(bytes).toString();
        expect(cid).toBe(ipfsFileCid(bytes));
        expect(cid.startsWith("bafkrei")).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  test("an injected node:crypto SHA-256 gives the identical CID", () => {
    const nodeSha256 = (data: Uint8Array) => hash("sha256", data, "buffer");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(computeCid(bytes, nodeSha256).toString()).toBe(computeCid(bytes).toString());
      }),
      { numRuns: RUNS },
    );
  });

  test("is CIDv1, raw codec, sha2-256", () => {
    const cid = computeCid(Uint8Array.of(1));
    expect([cid.version, cid.code, cid.multihash.code]).toEqual([1, RAW_CODEC, SHA2_256_CODE]);
    expect(isBlockCid(cid)).toBe(true);
  });
});

describe("isBlockCid / parseBlockCid", () => {
  const digest = new Uint8Array(32).fill(3);
  const block = CID.createV1(RAW_CODEC, Digest.create(SHA2_256_CODE, digest));

  test("refuse other versions, codecs and hashes", () => {
    expect(isBlockCid(CID.createV0(Digest.create(SHA2_256_CODE, digest)))).toBe(false);
    expect(isBlockCid(CID.createV1(0x0129, Digest.create(SHA2_256_CODE, digest)))).toBe(false);
    expect(isBlockCid(CID.createV1(RAW_CODEC, Digest.create(0x13, new Uint8Array(64))))).toBe(false);
    expect(isBlockCid(CID.createV1(RAW_CODEC, Digest.create(SHA2_256_CODE, new Uint8Array(20))))).toBe(false);
  });

  test("parseBlockCid accepts only the canonical base32 spelling", () => {
    expect(parseBlockCid(block.toString())?.equals(block)).toBe(true);
    expect(parseBlockCid(block.toString().toUpperCase())).toBeUndefined();
    expect(parseBlockCid(block.toString(base58btc))).toBeUndefined();
    expect(
      parseBlockCid(CID.createV1(0x0129, Digest.create(SHA2_256_CODE, digest)).toString()),
    ).toBeUndefined();
    expect(parseBlockCid("not a cid")).toBeUndefined();
    expect(parseBlockCid("")).toBeUndefined();
  });
});

describe("block CIDs made by core (computeCid, parseBlockCid, the decoders)", () => {
  /**
   * parseBlockCid as it was, CID.parse plus checks, with the one fix: multiformats' `toString()`
   * returns the text a CID was parsed from, so comparing with it accepted any spelling the lenient
   * base32 parser reads (upper case, `=` padding). The canonical text is computed from the bytes.
   */
  function referenceParseBlockCid(text: string): CID | undefined {
    let cid: CID;
    try {
      cid = CID.parse(text);
    } catch {
      return undefined;
    }
    return isBlockCid(cid) && base32.encode(cid.bytes) === text ? cid : undefined;
  }

  const textArb = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((bytes) => computeCid(bytes).toString()),
    fc
      .tuple(
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.constantFrom("A", "a", "2", "7", "8", "=", "é", ""),
      )
      .map(([bytes, at, char]) => {
        const text = computeCid(bytes).toString();
        const i = at % text.length;
        return text.slice(0, i) + char + text.slice(i + 1);
      }),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => {
      const text = computeCid(bytes).toString();
      return `b${text.slice(1).toUpperCase()}`;
    }),
    fc.string({ maxLength: 70 }),
  );

  test("property: parseBlockCid accepts exactly the canonical text of a block CID (the reference's answer)", () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const expected = referenceParseBlockCid(text);
        const actual = parseBlockCid(text);
        expect(actual === undefined).toBe(expected === undefined);
        if (actual !== undefined && expected !== undefined) {
          expect(actual.equals(expected)).toBe(true);
          expect(actual.toString()).toBe(text);
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("parseBlockCid refuses the lenient spellings multiformats accepts (they named the same CID)", () => {
    const text = computeCid(Uint8Array.of(1, 2, 3)).toString();
    for (const spelling of [
      `b${text.slice(1).toUpperCase()}`,
      `${text}==`,
      `${text}=`,
      `b${text.slice(1, 8).toUpperCase()}${text.slice(8)}`,
    ]) {
      expect(CID.parse(spelling).toString()).toBe(spelling); // multiformats: accepted, and cached
      expect(parseBlockCid(spelling)).toBeUndefined();
    }
    expect(parseBlockCid(text)?.toString()).toBe(text);
  });

  test("they behave as multiformats CIDs: strings in every base, JSON, equality, constructor", () => {
    const bytes = new TextEncoder().encode("hello");
    const cid = computeCid(bytes);
    const digest = new Uint8Array(createHash("sha256").update(bytes).digest());
    const plain = CID.createV1(RAW_CODEC, Digest.create(SHA2_256_CODE, digest));
    expect(cid).toBeInstanceOf(CID);
    expect(cid.constructor).toBe(CID);
    expect(cid.toString()).toBe(plain.toString());
    expect(String(cid)).toBe(plain.toString());
    expect(`${cid}`).toBe(plain.toString());
    expect(cid.toString(base32)).toBe(plain.toString(base32));
    expect(cid.toString(base58btc)).toBe(plain.toString(base58btc));
    expect(cid.toString()).toBe(plain.toString()); // after another base, the default is still right
    expect(cid.toJSON()).toEqual(plain.toJSON());
    expect(JSON.stringify({ cid })).toBe(JSON.stringify({ cid: plain }));
    expect(cid.equals(plain)).toBe(true);
    expect(plain.equals(cid)).toBe(true);
    expect(CID.asCID(cid)).toBe(cid);
    expect(cid.link()).toBe(cid);
    expect(cid.toV1()).toBe(cid);
    expect(cid).toEqual(plain);
    expect(cid).toStrictEqual(plain);
    expect(cid).toEqual(CID.parse(plain.toString()));
    expect(Object.keys(cid).sort()).toEqual(Object.keys(plain).sort());
    const parsed = parseBlockCid(plain.toString());
    expect(parsed).toStrictEqual(plain);
    expect(parsed?.toString()).toBe(plain.toString());
  });

  test("property: CIDs that share a buffer never see each other's bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 80 }), (inputs) => {
        const cids = inputs.map((bytes) => computeCid(bytes));
        const parsed = cids.map((cid) => parseBlockCid(cid.toString()) as CID);
        parseBlockCid("bafkreiXXXX"); // a failed parse must not disturb anything either
        for (let i = 0; i < inputs.length; i++) {
          const expected = ipfsFileCid(inputs[i] as Uint8Array);
          expect((cids[i] as CID).toString()).toBe(expected);
          expect(base32.encode((cids[i] as CID).bytes)).toBe(expected);
          expect(base32.encode((parsed[i] as CID).bytes)).toBe(expected);
          expect((cids[i] as CID).bytes.length).toBe(36);
          expect((cids[i] as CID).multihash.digest.length).toBe(32);
        }
      }),
      { numRuns: RUNS / 5 },
    );
  });
});
