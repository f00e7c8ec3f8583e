import { commitHmac, commitPlain, commitSalted, encodeCanonical, sha256, verifyOpening } from "@ancora/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commitBytes, commitmentConfig } from "./commitments.js";
import { nodeSha256, randomBytes } from "./crypto.js";

const values = fc.dictionary(
  fc.string(),
  fc.oneof(
    fc.integer(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  ),
);

describe("commitments on node:crypto equal core's", () => {
  it("sha256: node:crypto and noble agree", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        expect(nodeSha256(data)).toEqual(sha256(data));
      }),
    );
  });

  it("plain, salted and hmac", () => {
    const key = new Uint8Array(32).fill(3);
    fc.assert(
      fc.property(values, (value) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeCanonical(value);
        } catch {
          return; // values core refuses (e.g. -0) are refused before committing anyway
        }
        expect(commitBytes(bytes, { scheme: "plain" }).commitment).toEqual(commitPlain(value));
        const salted = commitBytes(bytes, { scheme: "salted" });
        expect(salted.commitment).toEqual(
          commitSalted(value, { salt: salted.salt as Uint8Array }).commitment,
        );
        expect(verifyOpening(salted.commitment, { value, salt: salted.salt as Uint8Array })).toBe(true);
        const hmac = commitBytes(bytes, commitmentConfig({ scheme: "hmac", key, keyId: "k1" }));
        expect(hmac.commitment).toEqual(commitHmac(value, key, { keyId: "k1" }));
      }),
    );
  });

  it("pooled random bytes are fresh and distinct", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(Buffer.from(randomBytes(32)).toString("hex"));
    expect(seen.size).toBe(5000);
    expect(randomBytes(100_000)).toHaveLength(100_000);
  });
});
