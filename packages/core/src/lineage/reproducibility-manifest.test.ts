import { describe, expect, it } from "vitest";
import { encodeCanonical } from "../canonical/encode.js";
import { EncodingError, SchemaError } from "../errors.js";
import { sha256 } from "../hash.js";
import { toHex } from "../internal/binary-text.js";
import { documentDigest } from "./digest.js";
import {
  decodeReproducibilityManifest,
  encodeReproducibilityManifest,
  type ReproducibilityManifest,
  reproducibilityManifestDigest,
} from "./reproducibility-manifest.js";

const MANIFEST: ReproducibilityManifest = {
  v: 1,
  pipeline: {
    name: "credit-train",
    version: "3.1.0",
    image: `registry.example/credit-train@sha256:${"ab".repeat(32)}`,
    commit: "0123456789abcdef0123456789abcdef01234567",
    parameters: { epochs: 20, lr: 0.001, seed: 7 },
    dependencies: { torch: "2.4.1", numpy: "2.1.0" },
  },
  model: { architecture: "gbdt", inputs: ["income", "age"], output: "score" },
};

describe("reproducibility manifest", () => {
  it("round-trips through its canonical bytes and hashes them", () => {
    const bytes = encodeReproducibilityManifest(MANIFEST);
    expect(decodeReproducibilityManifest(bytes)).toEqual(MANIFEST);
    expect(reproducibilityManifestDigest(MANIFEST)).toBe(`sha256:${toHex(sha256(bytes))}`);
    expect(documentDigest(bytes)).toBe(reproducibilityManifestDigest(MANIFEST));
  });

  it("refuses a bad version, bad fields and non-canonical bytes with the field's path", () => {
    expect(() => decodeReproducibilityManifest(encodeCanonical({ ...MANIFEST, v: 2 }))).toThrow(
      expect.objectContaining({ code: "SCHEMA_UNSUPPORTED_VERSION" }),
    );
    const bad = { ...MANIFEST, pipeline: { ...MANIFEST.pipeline, commit: "abc" } };
    expect(() => encodeReproducibilityManifest(bad)).toThrow(SchemaError);
    expect(() => encodeReproducibilityManifest(bad)).toThrow(
      expect.objectContaining({ path: "$.pipeline.commit" }),
    );
    const dep = { ...MANIFEST, pipeline: { ...MANIFEST.pipeline, dependencies: { torch: 2 } } } as never;
    expect(() => encodeReproducibilityManifest(dep)).toThrow(
      expect.objectContaining({ path: "$.pipeline.dependencies.torch" }),
    );
    const spaced = new TextEncoder().encode(JSON.stringify(MANIFEST, null, 1));
    expect(() => decodeReproducibilityManifest(spaced)).toThrow(EncodingError);
  });
});
