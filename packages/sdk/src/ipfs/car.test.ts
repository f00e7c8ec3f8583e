/**
 * CAR v1 framing: the header's exact bytes for a raw and a dag-pb root, a round trip through readCar,
 * and malformed input (truncated, another header, garbage) refused with CarError and nothing else.
 */
import { CID, computeCid } from "@ancora/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CarError } from "../errors.js";
import { carHeader, carSection, encodeCar, readCar } from "./car.js";

const text = (s: string) => new TextEncoder().encode(s);
const dagPbCid = CID.parse("bafybeiezeyx7h7pdosanovqb32gcuoi5ny6btkozfoatom3wljah43rrve");

describe("CAR v1 writing", () => {
  it("writes the DAG-CBOR header { roots: [cid], version: 1 } with its length", () => {
    for (const root of [computeCid(text("x")), dagPbCid]) {
      const header = carHeader(root);
      // 58 bytes: map(2), "roots", array(1), tag 42, bytes(37) = 0x00 + 36 CID bytes, "version", 1.
      expect(header[0]).toBe(58);
      expect(Buffer.from(header.subarray(1, 12)).toString("hex")).toBe("a265726f6f747381d82a58");
      expect(header[12]).toBe(37);
      expect(header[13]).toBe(0);
      expect(Buffer.from(header.subarray(14, 50))).toStrictEqual(Buffer.from(root.bytes));
      expect(Buffer.from(header.subarray(50)).toString()).toBe("gversion\u0001");
    }
  });

  it("frames a section as varint(length) CID bytes", () => {
    const bytes = new Uint8Array(200).fill(7);
    const cid = computeCid(bytes);
    const section = carSection(cid, bytes);
    expect([...section.subarray(0, 2)]).toStrictEqual([0xec, 0x01]); // 236 = 36 + 200
    expect(Buffer.from(section.subarray(2, 38))).toStrictEqual(Buffer.from(cid.bytes));
    expect(section.length).toBe(2 + 236);
  });

  it("round-trips any blocks through encodeCar and readCar (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), (contents) => {
        const blocks = contents.map((bytes) => ({ cid: computeCid(bytes), bytes }));
        const car = encodeCar(dagPbCid, blocks);
        const read = readCar(car);
        expect(read.roots.map(String)).toStrictEqual([dagPbCid.toString()]);
        expect(read.blocks.map((b) => b.cid.toString())).toStrictEqual(blocks.map((b) => b.cid.toString()));
        read.blocks.forEach((b, i) => {
          expect(Buffer.from(b.bytes)).toStrictEqual(Buffer.from(blocks[i]?.bytes ?? []));
        });
      }),
    );
  });
});

describe("readCar on bad input", () => {
  const good = encodeCar(dagPbCid, [{ cid: computeCid(text("abc")), bytes: text("abc") }]);

  it("refuses truncation, another header and trailing header bytes with CarError", () => {
    const cases = [
      good.subarray(0, 10), // inside the header
      good.subarray(0, good.length - 1), // inside the last section
      Uint8Array.of(0x05, 0xa1, 0x61, 0x61, 0x01, 0x02), // a map that is not a CAR header
      Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // a runaway varint
      Buffer.concat([
        Uint8Array.of((good[0] as number) + 1),
        good.subarray(1, 1 + (good[0] as number)),
        Uint8Array.of(0),
      ]),
      Buffer.concat([good, Uint8Array.of(3, 0x01, 0x55, 0x12)]), // a section whose CID is cut short
    ];
    for (const bytes of cases) {
      expect(() => readCar(bytes)).toThrow(CarError);
    }
  });

  it("throws nothing but CarError for any mutation of a CAR (property)", () => {
    fc.assert(
      fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const mutated = Uint8Array.from(good);
        mutated[at] = value;
        try {
          readCar(mutated);
        } catch (error) {
          expect(error).toBeInstanceOf(CarError);
          expect(error).toMatchObject({ code: "CAR_INVALID" });
        }
      }),
      { numRuns: 500 },
    );
  });
});
