import { validateRecord } from "@ancora/core";
import fc from "fast-check";
import { keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { StreamNameError } from "./errors.js";
import { encodeStreamId, isBytes32 } from "./stream-id.js";

describe("encodeStreamId", () => {
  it("is keccak256 of the name's UTF-8 bytes", () => {
    // keccak256("loans"), computed independently of viem's helper chain.
    expect(encodeStreamId("loans")).toBe(keccak256(new Uint8Array([0x6c, 0x6f, 0x61, 0x6e, 0x73])));
    expect(encodeStreamId("credit-scoring.v2_eu")).toBe(keccak256(stringToBytes("credit-scoring.v2_eu")));
  });

  it("gives distinct ids for distinct names", () => {
    const names = ["loans", "loans2", "loans-", "l", "0", "a.b", "a_b"];
    expect(new Set(names.map(encodeStreamId)).size).toBe(names.length);
  });

  it.each([
    "",
    "Loans",
    " loans",
    "loans ",
    "-loans",
    ".loans",
    "lo ans",
    "prêts",
    "loans\u200b",
    "a".repeat(65),
  ])("rejects %j with a StreamNameError", (name) => {
    try {
      encodeStreamId(name);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StreamNameError);
      expect((error as StreamNameError).code).toBe("STREAM_NAME_INVALID");
    }
  });

  it("accepts 64 characters", () => {
    expect(isBytes32(encodeStreamId("a".repeat(64)))).toBe(true);
  });

  it("rejects non-strings without echoing huge input", () => {
    expect(() => encodeStreamId(42 as unknown as string)).toThrow(StreamNameError);
    const error = (() => {
      try {
        encodeStreamId("X".repeat(10_000));
      } catch (e) {
        return e as StreamNameError;
      }
      return undefined;
    })();
    expect(error?.message.length).toBeLessThan(300);
  });
});

describe("isBytes32", () => {
  it("accepts exactly 32 hex bytes", () => {
    expect(isBytes32(`0x${"ab".repeat(32)}`)).toBe(true);
    expect(isBytes32(`0x${"ab".repeat(31)}`)).toBe(false);
    expect(isBytes32(`${"ab".repeat(32)}`)).toBe(false);
    expect(isBytes32(`0x${"zz".repeat(32)}`)).toBe(false);
    expect(isBytes32(undefined)).toBe(false);
  });
});

describe("stream names agree with @ancora/core's record schema", () => {
  // A stream the log accepts must be anchorable, and a name the registry refuses must not get a log.
  const record = (stream: string) => ({
    v: 1,
    kind: "genesis",
    stream,
    seq: 0,
    ts: "2026-01-01T00:00:00.000Z",
    body: { createdBy: "test" },
  });
  const accepts = (stream: string): boolean => {
    try {
      validateRecord(record(stream));
      return true;
    } catch {
      return false;
    }
  };
  const anchorable = (stream: string): boolean => {
    try {
      encodeStreamId(stream);
      return true;
    } catch {
      return false;
    }
  };

  it("on fixed names", () => {
    for (const name of [
      "loans",
      "a",
      "0",
      "fraud.eu-west_2",
      "x".repeat(64),
      "x".repeat(65),
      "Loans",
      "a:b",
      "-a",
      ".a",
      "é",
    ]) {
      expect(accepts(name), name).toBe(anchorable(name));
    }
  });

  it("on arbitrary strings", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[A-Za-z0-9._:-]{1,70}$/)),
        (name) => {
          expect(accepts(name)).toBe(anchorable(name));
        },
      ),
      { numRuns: process.env.CI === "true" ? 2_000 : 300 },
    );
  });
});
