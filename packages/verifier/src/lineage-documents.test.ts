import {
  type AncoraRecord,
  type BlockCid,
  computeCid,
  documentDigest,
  encodeCanonical,
  encodeRecord,
  encodeReproducibilityManifest,
  type ReproducibilityManifest,
} from "@ancora/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OffLogDocumentError } from "./errors.js";
import { verifyOffLogDocument } from "./lineage-documents.js";

const TS = "2025-02-01T09:00:00.000Z";
const PREV = computeCid(new Uint8Array([1])) as BlockCid;
const MANIFEST: ReproducibilityManifest = {
  v: 1,
  pipeline: {
    name: "credit-train",
    version: "3.1.0",
    image: "registry.example/credit-train:3.1.0",
    commit: "0123456789abcdef0123456789abcdef01234567",
    parameters: { epochs: 20 },
    dependencies: { torch: "2.4.1" },
  },
  model: { architecture: "gbdt" },
};
const manifestBytes = encodeReproducibilityManifest(MANIFEST);
const capsuleBytes = Uint8Array.from({ length: 80 }, (_, i) => (i * 37) & 0xff);

const record = (kind: string, body: unknown) =>
  encodeRecord({ v: 1, kind, stream: "models", seq: 4, prev: PREV, ts: TS, body } as unknown as AncoraRecord);
const reproducibility = (manifest: string) => record("reproducibility", { target: PREV, manifest });
const capsule = (digest: string, size: number) =>
  record("capsule", { digest, size, cipher: "aes-256-gcm", keyId: "k1" });

function errorOf(result: ReturnType<typeof verifyOffLogDocument>): OffLogDocumentError {
  if (result.ok) throw new Error("expected a failure");
  expect(result.error).toBeInstanceOf(OffLogDocumentError);
  return result.error;
}

describe("verifyOffLogDocument", () => {
  it("accepts a manifest and a capsule whose digests (and size) match their records", () => {
    const rec = reproducibility(documentDigest(manifestBytes));
    expect(verifyOffLogDocument(rec, manifestBytes)).toMatchObject({
      ok: true,
      kind: "reproducibility",
      digest: documentDigest(manifestBytes),
    });
    const cap = capsule(documentDigest(capsuleBytes), capsuleBytes.length);
    const result = verifyOffLogDocument(cap, capsuleBytes);
    expect(result).toMatchObject({ ok: true, kind: "capsule" });
    if (result.ok) expect(result.record.toString()).toBe(computeCid(cap).toString());
  });

  it("reports an edited document as DOCUMENT_DIGEST_MISMATCH with both digests (property)", () => {
    const rec = capsule(documentDigest(capsuleBytes), capsuleBytes.length);
    fc.assert(
      fc.property(fc.nat(capsuleBytes.length - 1), fc.integer({ min: 1, max: 255 }), (i, flip) => {
        const edited = capsuleBytes.slice();
        edited[i] = (edited[i] as number) ^ flip;
        const error = errorOf(verifyOffLogDocument(rec, edited));
        expect(error.code).toBe("DOCUMENT_DIGEST_MISMATCH");
        expect(error.evidence).toMatchObject({
          expected: documentDigest(capsuleBytes),
          found: documentDigest(edited),
        });
      }),
    );
  });

  it("reports a capsule of another length, a record of another kind, and record bytes that are no record", () => {
    const cap = capsule(documentDigest(capsuleBytes), capsuleBytes.length);
    expect(errorOf(verifyOffLogDocument(cap, capsuleBytes.subarray(1))).code).toBe("DOCUMENT_SIZE_MISMATCH");
    const genesis = encodeRecord({
      v: 1,
      kind: "genesis",
      stream: "models",
      seq: 0,
      ts: TS,
      body: { createdBy: "ops" },
    });
    expect(errorOf(verifyOffLogDocument(genesis, capsuleBytes)).code).toBe("DOCUMENT_RECORD_KIND");
    expect(errorOf(verifyOffLogDocument(new TextEncoder().encode("{}"), capsuleBytes)).code).toBe(
      "DOCUMENT_RECORD_INVALID",
    );
    expect(errorOf(verifyOffLogDocument("x" as never, capsuleBytes)).code).toBe("DOCUMENT_RECORD_INVALID");
  });

  it("reports a manifest that matches its digest but is not a valid manifest as DOCUMENT_INVALID", () => {
    const notManifest = encodeCanonical({ v: 1, pipeline: "none" });
    const error = errorOf(verifyOffLogDocument(reproducibility(documentDigest(notManifest)), notManifest));
    expect(error.code).toBe("DOCUMENT_INVALID");
  });
});
