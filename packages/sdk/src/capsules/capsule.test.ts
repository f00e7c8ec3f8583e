import { computeCid, decodeCanonical, encodeCanonical } from "@ancora/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CAPSULE_KEY_SALT_BYTES, decodeCapsule, openCapsule, sealCapsule } from "./capsule.js";

const ORG_KEY = new Uint8Array(32).fill(9);
const OTHER_KEY = new Uint8Array(32).fill(10);
const PAYLOAD = new TextEncoder().encode('{"name":"Ada Lovelace","income":51000}');
const FAST_SCRYPT = { n: 16_384, r: 8, p: 1 };

/** Re-encodes a capsule after changing one field (what an attacker with the bytes can do). */
function mutate(bytes: Uint8Array, change: (c: Record<string, unknown>) => void): Uint8Array {
  const value = decodeCanonical(bytes) as Record<string, unknown>;
  change(value);
  return encodeCanonical(value);
}

function flipped(bytes: Uint8Array, index = 0): Uint8Array {
  const out = new Uint8Array(bytes);
  out[index] = (out[index] ?? 0) ^ 1;
  return out;
}

describe("capsules", () => {
  it("seal then open with the organisation key returns the payload and clear metadata", () => {
    const sealed = sealCapsule(
      PAYLOAD,
      { orgKey: ORG_KEY, keyId: "org-2025" },
      { contentType: "application/json" },
    );
    expect(sealed.cid.toString()).toBe(computeCid(sealed.bytes).toString());
    expect(sealed.keySalt).toHaveLength(CAPSULE_KEY_SALT_BYTES);
    const opened = openCapsule(sealed.bytes, { orgKey: ORG_KEY }, sealed.keySalt);
    expect(opened.payload).toEqual(PAYLOAD);
    expect(decodeCapsule(sealed.bytes).meta).toEqual({ contentType: "application/json" });
    // Nothing of the payload is in clear in the capsule.
    expect(Buffer.from(sealed.bytes).includes(Buffer.from("Lovelace"))).toBe(false);
  });

  it("seal then open with a secret through scrypt", () => {
    const sealed = sealCapsule(PAYLOAD, { secret: "correct horse battery staple", scrypt: FAST_SCRYPT });
    expect(decodeCapsule(sealed.bytes).kdf).toEqual({ name: "scrypt", ...FAST_SCRYPT });
    expect(
      openCapsule(sealed.bytes, { secret: "correct horse battery staple" }, sealed.keySalt).payload,
    ).toEqual(PAYLOAD);
    expect(() => openCapsule(sealed.bytes, { secret: "wrong horse" }, sealed.keySalt)).toThrow(
      expect.objectContaining({ code: "CAPSULE_KEY_MISMATCH" }),
    );
  });

  it("derives a different key per capsule: same payload, same key, different ciphertexts and CIDs", () => {
    const a = sealCapsule(PAYLOAD, { orgKey: ORG_KEY });
    const b = sealCapsule(PAYLOAD, { orgKey: ORG_KEY });
    expect(a.cid.toString()).not.toBe(b.cid.toString());
    expect(a.capsule.ciphertext).not.toEqual(b.capsule.ciphertext);
    // a's key salt does not open b.
    expect(() => openCapsule(b.bytes, { orgKey: ORG_KEY }, a.keySalt)).toThrow(
      expect.objectContaining({ code: "CAPSULE_KEY_MISMATCH" }),
    );
  });

  describe("tamper and wrong keys are typed errors", () => {
    const sealed = sealCapsule(PAYLOAD, { orgKey: ORG_KEY }, { purpose: "credit" });
    const open = (bytes: Uint8Array) => () => openCapsule(bytes, { orgKey: ORG_KEY }, sealed.keySalt);

    it.each([
      ["ciphertext", (c: Record<string, unknown>) => (c.ciphertext = flipped(c.ciphertext as Uint8Array, 3))],
      ["nonce", (c: Record<string, unknown>) => (c.nonce = flipped(c.nonce as Uint8Array))],
      ["tag", (c: Record<string, unknown>) => (c.tag = flipped(c.tag as Uint8Array, 15))],
      ["clear metadata", (c: Record<string, unknown>) => (c.meta = { purpose: "marketing" })],
      [
        "truncated ciphertext",
        (c: Record<string, unknown>) => (c.ciphertext = (c.ciphertext as Uint8Array).slice(1)),
      ],
    ])("%s changed → CAPSULE_TAMPERED", (_name, change) => {
      expect(open(mutate(sealed.bytes, change))).toThrow(
        expect.objectContaining({ code: "CAPSULE_TAMPERED" }),
      );
    });

    it("wrong organisation key → CAPSULE_KEY_MISMATCH", () => {
      expect(() => openCapsule(sealed.bytes, { orgKey: OTHER_KEY }, sealed.keySalt)).toThrow(
        expect.objectContaining({ code: "CAPSULE_KEY_MISMATCH", name: "CapsuleError" }),
      );
    });

    it("wrong key salt → CAPSULE_KEY_MISMATCH; a secret for an HKDF capsule → CAPSULE_KEY_MISMATCH", () => {
      expect(() => openCapsule(sealed.bytes, { orgKey: ORG_KEY }, new Uint8Array(32))).toThrow(
        expect.objectContaining({ code: "CAPSULE_KEY_MISMATCH" }),
      );
      expect(() => openCapsule(sealed.bytes, { secret: "x" }, sealed.keySalt)).toThrow(
        expect.objectContaining({ code: "CAPSULE_KEY_MISMATCH" }),
      );
    });

    it("non-canonical, unknown fields and garbage → CAPSULE_INVALID, never a raw exception", () => {
      expect(open(new TextEncoder().encode("not json"))).toThrow(
        expect.objectContaining({ code: "CAPSULE_INVALID" }),
      );
      expect(open(mutate(sealed.bytes, (c) => (c.extra = 1)))).toThrow(
        expect.objectContaining({ code: "CAPSULE_INVALID" }),
      );
      expect(open(mutate(sealed.bytes, (c) => (c.nonce = new Uint8Array(8))))).toThrow(
        expect.objectContaining({ code: "CAPSULE_INVALID" }),
      );
      expect(open(mutate(sealed.bytes, (c) => (c.kdf = { name: "scrypt", n: 2, r: 1, p: 1 })))).toThrow(
        expect.objectContaining({ code: "CAPSULE_INVALID" }),
      );
    });

    it("any single flipped byte of the capsule fails with a typed error", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: sealed.bytes.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (i, x) => {
            const bytes = new Uint8Array(sealed.bytes);
            bytes[i] = (bytes[i] ?? 0) ^ x;
            try {
              openCapsule(bytes, { orgKey: ORG_KEY }, sealed.keySalt);
            } catch (error) {
              return ["CAPSULE_INVALID", "CAPSULE_TAMPERED", "CAPSULE_KEY_MISMATCH"].includes(
                (error as { code?: string }).code ?? "",
              );
            }
            return false;
          },
        ),
        { numRuns: process.env.CI ? 400 : 100 },
      );
    });
  });

  it("refuses bad options with CAPSULE_BAD_OPTION and never echoes the key", () => {
    const short = new Uint8Array(16).fill(0x42);
    let error: unknown;
    try {
      sealCapsule(PAYLOAD, { orgKey: short });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "CAPSULE_BAD_OPTION" });
    expect(JSON.stringify((error as { toJSON(): unknown }).toJSON())).not.toContain("4242");
    expect(() => sealCapsule(PAYLOAD, { secret: "" })).toThrow(
      expect.objectContaining({ code: "CAPSULE_BAD_OPTION" }),
    );
    expect(() => sealCapsule(PAYLOAD, { secret: "s", scrypt: { n: 1000, r: 8, p: 1 } })).toThrow(
      expect.objectContaining({ code: "CAPSULE_BAD_OPTION" }),
    );
    expect(() => sealCapsule(PAYLOAD, { orgKey: ORG_KEY }, { nested: {} as unknown as string })).toThrow(
      expect.objectContaining({ code: "CAPSULE_BAD_OPTION" }),
    );
  });
});
