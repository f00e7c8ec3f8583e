import { createHash, createHmac, hash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { encodeCanonical } from "./canonical/encode.js";
import {
  type Commitment,
  commit,
  commitHmac,
  commitPlain,
  commitSalted,
  openCommitment,
  SALT_BYTES,
  validateCommitment,
  verifyOpening,
} from "./commitment.js";
import { ArgumentError, EncodingError, SchemaError, VerificationError } from "./errors.js";

const RUNS = process.env.CI === "true" ? 500 : 50;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const KEY = new Uint8Array(32).map((_, i) => 255 - i);
const input = { age: 42, income: 51_000, postcode: "NW1" };

/** Values a model sees: maps of numbers, strings, lists. */
const valueArb = fc.dictionary(
  fc
    .string({ unit: "grapheme-ascii", minLength: 1, maxLength: 10 })
    .filter((k) => k !== "__proto__" && k !== "/"),
  fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 4 })),
  { maxKeys: 5 },
);

describe("commitment digests, recomputed independently with node:crypto", () => {
  test("plain = SHA-256(canonical bytes)", () => {
    const expected = createHash("sha256").update(encodeCanonical(input)).digest("hex");
    expect(hex(commitPlain(input).digest)).toBe(expected);
    expect(commitPlain(input).scheme).toBe("plain");
  });

  test("salted = SHA-256(salt ‖ canonical bytes), with the salt returned", () => {
    const salt = new Uint8Array(SALT_BYTES).fill(5);
    const { commitment, salt: returned } = commitSalted(input, { salt });
    const expected = createHash("sha256").update(salt).update(encodeCanonical(input)).digest("hex");
    expect(hex(commitment.digest)).toBe(expected);
    expect(returned).toBe(salt);
  });

  test("hmac = HMAC-SHA256(key, canonical bytes)", () => {
    const expected = createHmac("sha256", KEY).update(encodeCanonical(input)).digest("hex");
    const commitment = commitHmac(input, KEY, { keyId: "org-2025" });
    expect(hex(commitment.digest)).toBe(expected);
    expect(commitment).toMatchObject({ scheme: "hmac", keyId: "org-2025" });
  });

  test("key order of the value does not matter; the value does", () => {
    expect(commitPlain({ a: 1, b: 2 }).digest).toEqual(commitPlain({ b: 2, a: 1 }).digest);
    expect(commitPlain({ a: 1 }).digest).not.toEqual(commitPlain({ a: 2 }).digest);
  });

  test("an injected node:crypto SHA-256 gives identical plain and salted digests", () => {
    const nodeSha256 = (d: Uint8Array) => hash("sha256", d, "buffer");
    const salt = new Uint8Array(SALT_BYTES).fill(1);
    expect(hex(commitPlain(input, { sha256: nodeSha256 }).digest)).toBe(hex(commitPlain(input).digest));
    expect(hex(commitSalted(input, { salt, sha256: nodeSha256 }).commitment.digest)).toBe(
      hex(commitSalted(input, { salt }).commitment.digest),
    );
  });
});

describe("salts", () => {
  test("are fresh random 32-byte values each time", () => {
    const a = commitSalted(input);
    const b = commitSalted(input);
    expect(a.salt).toHaveLength(SALT_BYTES);
    expect(hex(a.salt)).not.toBe(hex(b.salt));
    expect(hex(a.commitment.digest)).not.toBe(hex(b.commitment.digest));
  });

  test("hide low-entropy values that a plain digest gives away", () => {
    // An attacker who sees a plain commitment to an age recovers it by trying all 130 ages.
    const target = commitPlain({ age: 42 });
    const guess = Array.from({ length: 130 }, (_, age) => age).find((age) =>
      verifyOpening(target, { value: { age } }),
    );
    expect(guess).toBe(42);
    // The same search against a salted commitment finds nothing without the salt.
    const { commitment } = commitSalted({ age: 42 });
    const wrongSalt = new Uint8Array(SALT_BYTES);
    const found = Array.from({ length: 130 }, (_, age) => age).some((age) =>
      verifyOpening(commitment, { value: { age }, salt: wrongSalt }),
    );
    expect(found).toBe(false);
  });

  test("a salt of the wrong length is refused when committing", () => {
    expect(() => commitSalted(input, { salt: new Uint8Array(16) })).toThrow(ArgumentError);
  });
});

describe("opening", () => {
  test("property: every scheme opens with the right value and secret, and not with another value", () => {
    fc.assert(
      fc.property(valueArb, valueArb, (value, other) => {
        const same = hex(encodeCanonical(value)) === hex(encodeCanonical(other));
        const plain = commitPlain(value);
        const { commitment: salted, salt } = commitSalted(value);
        const mac = commitHmac(value, KEY);
        expect(verifyOpening(plain, { value })).toBe(true);
        expect(verifyOpening(salted, { value, salt })).toBe(true);
        expect(verifyOpening(mac, { value, key: KEY })).toBe(true);
        expect(verifyOpening(plain, { value: other })).toBe(same);
        expect(verifyOpening(salted, { value: other, salt })).toBe(same);
        expect(verifyOpening(mac, { value: other, key: KEY })).toBe(same);
      }),
      { numRuns: RUNS },
    );
  });

  test("a wrong salt or key does not open", () => {
    const { commitment, salt } = commitSalted(input);
    const otherSalt = salt.slice();
    otherSalt[0] = (otherSalt[0] ?? 0) ^ 1;
    expect(verifyOpening(commitment, { value: input, salt: otherSalt })).toBe(false);
    expect(verifyOpening(commitment, { value: input, salt: salt.subarray(1) })).toBe(false);
    const mac = commitHmac(input, KEY);
    expect(verifyOpening(mac, { value: input, key: new Uint8Array(32) })).toBe(false);
  });

  test("a missing salt or key is the caller's error", () => {
    expect(() => verifyOpening(commitSalted(input).commitment, { value: input })).toThrow(ArgumentError);
    expect(() => verifyOpening(commitHmac(input, KEY), { value: input })).toThrow(ArgumentError);
  });

  test("openCommitment returns the value, or throws COMMITMENT_MISMATCH with both digests and no value", () => {
    const { commitment, salt } = commitSalted(input);
    expect(openCommitment(commitment, { value: input, salt })).toBe(input);
    let caught: unknown;
    try {
      openCommitment(commitment, { value: { ...input, age: 43 }, salt });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VerificationError);
    const error = caught as VerificationError;
    expect(error.code).toBe("COMMITMENT_MISMATCH");
    expect(error.evidence).toMatchObject({ scheme: "salted", expected: hex(commitment.digest) });
    expect(JSON.stringify(error.toJSON())).not.toContain("51000");
  });

  test("deleting the salt makes a salted commitment unopenable while it still validates", () => {
    const { commitment } = commitSalted(input);
    // Without the salt there is nothing to open with; the commitment itself stays a valid record field.
    expect(() => openCommitment(commitment, { value: input })).toThrow(ArgumentError);
    expect(validateCommitment(commitment)).toBe(commitment);
  });

  test("values that cannot be encoded are refused with the encoding rule", () => {
    expect(() => commitPlain({ age: Number.NaN })).toThrow(EncodingError);
    expect(() => verifyOpening(commitPlain(input), { value: { when: new Date() } })).toThrow(EncodingError);
  });
});

describe("commit() and key rules", () => {
  test("commit dispatches on the scheme and returns the salt only for salted", () => {
    expect(commit(input, { scheme: "plain" })).toEqual({ commitment: commitPlain(input) });
    const salted = commit(input, { scheme: "salted" });
    expect(salted.salt).toHaveLength(SALT_BYTES);
    expect(commit(input, { scheme: "hmac", key: KEY, keyId: "k1" })).toEqual({
      commitment: commitHmac(input, KEY, { keyId: "k1" }),
    });
    expect(() => commit(input, { scheme: "rot13" } as never)).toThrow(ArgumentError);
  });

  test("an HMAC key shorter than 32 bytes or a malformed keyId is refused", () => {
    expect(() => commitHmac(input, new Uint8Array(31))).toThrow(ArgumentError);
    expect(() => commitHmac(input, KEY, { keyId: "has space" })).toThrow(ArgumentError);
  });
});

describe("validateCommitment", () => {
  const digest = new Uint8Array(32);
  test.each<[string, unknown, string, string]>([
    ["not an object", "plain", "SCHEMA_INVALID_FIELD", "$"],
    ["missing scheme", { digest }, "SCHEMA_MISSING_FIELD", "$.scheme"],
    ["missing digest", { scheme: "plain" }, "SCHEMA_MISSING_FIELD", "$.digest"],
    ["unknown scheme", { scheme: "sha1", digest }, "SCHEMA_INVALID_FIELD", "$.scheme"],
    ["digest as hex", { scheme: "plain", digest: "00".repeat(32) }, "SCHEMA_INVALID_FIELD", "$.digest"],
    ["short digest", { scheme: "plain", digest: new Uint8Array(20) }, "SCHEMA_INVALID_FIELD", "$.digest"],
    ["keyId on salted", { scheme: "salted", digest, keyId: "k" }, "SCHEMA_UNKNOWN_FIELD", "$.keyId"],
    ["bad keyId", { scheme: "hmac", digest, keyId: "" }, "SCHEMA_INVALID_FIELD", "$.keyId"],
    ["salt on record", { scheme: "salted", digest, salt: digest }, "SCHEMA_UNKNOWN_FIELD", "$.salt"],
  ])("%s", (_, value, code, path) => {
    let caught: unknown;
    try {
      validateCommitment(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SchemaError);
    expect(caught).toMatchObject({ code, path });
  });

  test("accepts all three schemes", () => {
    const all: Commitment[] = [
      commitPlain(input),
      commitSalted(input).commitment,
      commitHmac(input, KEY, { keyId: "k" }),
    ];
    for (const c of all) expect(validateCommitment(c)).toBe(c);
  });
});
