/**
 * Off-log documents against the digests their records carry: a reproducibility manifest against its
 * `reproducibility` record, an encrypted capsule against its `capsule` record. The record is on the
 * log (and anchored); the document is handed over later by whoever holds it, so both arrive as
 * untrusted bytes and every way they can fail is a typed result, never an exception.
 */

import {
  type AncoraErrorOptions,
  type AncoraRecord,
  type BlockCid,
  computeCid,
  decodeRecord,
  decodeReproducibilityManifest,
  documentDigest,
  type Sha256,
} from "@ancora/core";
import { OffLogDocumentError, type OffLogDocumentErrorCode } from "./errors.js";

/** The kinds whose records commit to an off-log document. */
export type OffLogDocumentKind = "reproducibility" | "capsule";

/** What {@link verifyOffLogDocument} returns. */
export type OffLogDocumentResult =
  | {
      readonly ok: true;
      readonly kind: OffLogDocumentKind;
      /** CID of the record. */
      readonly record: BlockCid;
      /** The digest both agree on, `sha256:<hex>`. */
      readonly digest: string;
    }
  | { readonly ok: false; readonly error: OffLogDocumentError };

function failure(
  code: OffLogDocumentErrorCode,
  message: string,
  options: AncoraErrorOptions,
): OffLogDocumentResult {
  return { ok: false, error: new OffLogDocumentError(code, message, options) };
}

/**
 * Checks an off-log document against the record that commits to it: the document's SHA-256 must be
 * the record's digest (`manifest` of a `reproducibility` record, `digest` of a `capsule` record), a
 * capsule's length its `size`, and a reproducibility manifest must also decode as a valid manifest v1
 * (canonical bytes). It says nothing about whether the record is in an anchored log: verify the
 * stream, or hold a receipt, for that.
 *
 * @example
 * ```ts
 * const result = verifyOffLogDocument(recordBytes, manifestBytes);
 * if (!result.ok) console.log(result.error.code, result.error.evidence); // DOCUMENT_DIGEST_MISMATCH, { expected, found, record }
 * ```
 */
export function verifyOffLogDocument(
  recordBytes: Uint8Array,
  documentBytes: Uint8Array,
  sha256?: Sha256,
): OffLogDocumentResult {
  if (!(recordBytes instanceof Uint8Array) || !(documentBytes instanceof Uint8Array)) {
    return failure("DOCUMENT_RECORD_INVALID", "The record and the document must be bytes", {
      hint: "Pass the record's canonical bytes and the document's bytes as Uint8Array.",
    });
  }
  let record: AncoraRecord;
  try {
    record = decodeRecord(recordBytes);
  } catch (cause) {
    return failure("DOCUMENT_RECORD_INVALID", "The record bytes are not a valid record", {
      cause,
      hint: "Pass the record's canonical bytes exactly as stored or fetched from IPFS.",
    });
  }
  const cid = computeCid(recordBytes, sha256);
  if (record.kind !== "reproducibility" && record.kind !== "capsule") {
    return failure("DOCUMENT_RECORD_KIND", "The record commits to no off-log document", {
      hint: "Pass a reproducibility or capsule record.",
      evidence: { record: cid.toString(), kind: record.kind },
    });
  }
  const expected = record.kind === "reproducibility" ? record.body.manifest : record.body.digest;
  const found = documentDigest(documentBytes, sha256);
  const evidence = { record: cid.toString(), kind: record.kind };
  if (record.kind === "capsule" && documentBytes.length !== record.body.size) {
    return failure("DOCUMENT_SIZE_MISMATCH", "The capsule's length is not the size on its record", {
      hint: "The capsule was truncated, extended or replaced; fetch it again from its holder.",
      evidence: { ...evidence, expected: record.body.size, found: documentBytes.length },
    });
  }
  if (found !== expected) {
    return failure("DOCUMENT_DIGEST_MISMATCH", "The document's digest is not the digest on its record", {
      hint: "The document is not the one the record committed to (edited or replaced).",
      evidence: { ...evidence, expected, found },
    });
  }
  if (record.kind === "reproducibility") {
    try {
      decodeReproducibilityManifest(documentBytes);
    } catch (cause) {
      return failure("DOCUMENT_INVALID", "The document is not a valid reproducibility manifest", {
        cause,
        hint: "The record committed to a malformed manifest: the writer's bug, the digest still holds.",
        evidence,
      });
    }
  }
  return { ok: true, kind: record.kind, record: cid, digest: found };
}
