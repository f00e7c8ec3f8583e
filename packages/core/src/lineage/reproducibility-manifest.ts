/**
 * The reproducibility manifest: an off-log document that says how to rebuild a model (the pipeline
 * that trained it and the model's specification). It is kept off the log (it may be large and change
 * format faster than records); a `reproducibility` record holds its digest, `sha256:` + hex of the
 * document's canonical DAG-JSON bytes, and the CID of the model or training record it reproduces.
 */
import { validatedCodec } from "../canonical/validated-codec.js";
import { sha256 as defaultSha256, type Sha256 } from "../hash.js";
import {
  expectKeys,
  expectObject,
  expectString,
  expectVersion,
  type Fields,
} from "../internal/schema-fields.js";
import { GIT_COMMIT, NAME } from "../records/kinds/rules.js";
import { documentDigest } from "./digest.js";

/** Format version of the reproducibility manifest. */
export const REPRODUCIBILITY_MANIFEST_VERSION = 1;
/** Largest manifest document: 1 MiB. */
export const MAX_REPRODUCIBILITY_MANIFEST_BYTES = 1_048_576;

/** The pipeline that produced a model. */
export interface Pipeline {
  name: string;
  version: string;
  /** Container image, by digest where possible: `registry.example/train@sha256:…`. */
  image: string;
  /** Git commit of the pipeline code (40 or 64 lowercase hex). */
  commit: string;
  /** Parameters, any canonical value map. */
  parameters: Readonly<Record<string, unknown>>;
  /** Dependency name → version (`torch` → `2.4.1`). */
  dependencies: Readonly<Record<string, string>>;
}

/** A reproducibility manifest, format version 1. */
export interface ReproducibilityManifest {
  v: typeof REPRODUCIBILITY_MANIFEST_VERSION;
  pipeline: Pipeline;
  /** The model's specification (architecture, input and output schema...), any canonical value map. */
  model: Readonly<Record<string, unknown>>;
}

const MANIFEST_KEYS = ["v", "pipeline", "model"];
const PIPELINE_KEYS = ["name", "version", "image", "commit", "parameters", "dependencies"];
const IMAGE = { max: 512 };

/**
 * Checks that `value` is a valid reproducibility manifest v1 and returns it typed.
 *
 * @throws {SchemaError} naming the field.
 * @example
 * ```ts
 * validateReproducibilityManifest(JSON.parse(text)); // throws at $.pipeline.commit for a short commit id
 * ```
 */
export function validateReproducibilityManifest(value: unknown): ReproducibilityManifest {
  const manifest = expectObject(value, "$");
  expectVersion(manifest, "$", REPRODUCIBILITY_MANIFEST_VERSION, "reproducibility manifest");
  expectKeys(manifest, "$", MANIFEST_KEYS);
  const pipeline = expectObject(manifest.pipeline, "$.pipeline");
  expectKeys(pipeline, "$.pipeline", PIPELINE_KEYS);
  expectString(pipeline, "name", "$.pipeline", NAME);
  expectString(pipeline, "version", "$.pipeline", NAME);
  expectString(pipeline, "image", "$.pipeline", IMAGE);
  expectString(pipeline, "commit", "$.pipeline", GIT_COMMIT);
  expectObject(pipeline.parameters, "$.pipeline.parameters");
  const dependencies = expectObject(pipeline.dependencies, "$.pipeline.dependencies");
  for (const name of Object.keys(dependencies)) {
    expectString(dependencies as Fields, name, "$.pipeline.dependencies", NAME);
  }
  expectObject(manifest.model, "$.model");
  return manifest as unknown as ReproducibilityManifest;
}

/**
 * The canonical bytes of a manifest (validated; at most {@link MAX_REPRODUCIBILITY_MANIFEST_BYTES}).
 *
 * @throws {SchemaError} or {@link EncodingError} naming the field.
 * @example
 * ```ts
 * const bytes = encodeReproducibilityManifest(manifest); // store these off-log
 * ```
 */
export function encodeReproducibilityManifest(manifest: ReproducibilityManifest): Uint8Array {
  return manifestCodec.encode(manifest);
}

/**
 * Decodes manifest bytes strictly (canonical DAG-JSON only) and validates them.
 *
 * @throws {EncodingError} or {@link SchemaError}.
 * @example
 * ```ts
 * const manifest = decodeReproducibilityManifest(bytes);
 * ```
 */
export function decodeReproducibilityManifest(bytes: Uint8Array): ReproducibilityManifest {
  return manifestCodec.decode(bytes);
}

const manifestCodec = validatedCodec(validateReproducibilityManifest, MAX_REPRODUCIBILITY_MANIFEST_BYTES);

/**
 * The digest a `reproducibility` record carries for a manifest: `sha256:` + hex of its canonical bytes.
 *
 * @example
 * ```ts
 * const body = { target: modelCid, manifest: reproducibilityManifestDigest(manifest) };
 * ```
 */
export function reproducibilityManifestDigest(
  manifest: ReproducibilityManifest,
  sha256: Sha256 = defaultSha256,
): string {
  return documentDigest(encodeReproducibilityManifest(manifest), sha256);
}
