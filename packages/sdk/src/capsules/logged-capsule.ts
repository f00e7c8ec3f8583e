/**
 * Capsules in a store: sealing a payload into a capsule, its bytes kept off-log (`blobs`), its key
 * salt apart (`capsule_keys`), and a capsule record on the log carrying the capsule's digest and size.
 * Erasure and retention delete the key salt and the bytes; the record and every proof stay.
 */
import { documentDigest, parseBlockCid, toHex } from "@ancora/core";
import { indexSubject, subjectRef } from "../consent/subjects.js";
import { CapsuleError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import { connectionOf } from "../internal/store-handle.js";
import { appendKinds, only } from "../lineage/append.js";
import type { AncoraStore } from "../store.js";
import type { StreamLedger } from "../stream-ledger.js";
import { type CapsuleKeySource, type CapsuleMeta, openCapsule, sealCapsule } from "./capsule.js";

/** Options of {@link logCapsule}. */
export interface LogCapsuleOptions {
  /** The organisation key (HKDF) or secret (scrypt) and its identifier (required: the record names it). */
  key: CapsuleKeySource & { keyId: string };
  /** The subject whose data it holds (recorded as the keyed reference; erasure finds it by this). */
  subject?: string;
  /** CID of the record whose payload the capsule holds. */
  target?: string;
  /** Media type of the payload, also kept in the capsule's clear metadata. */
  contentType?: string;
}

/** A logged capsule: the capsule record and the capsule's own CID (where its bytes are found). */
export interface LoggedCapsule {
  stream: string;
  seq: number;
  cid: string;
  ts: string;
  capsuleCid: string;
  digest: string;
}

/**
 * Seals `payload` and logs it: a capsule record on the log, the capsule off-log, its key salt apart.
 *
 * @example
 * ```ts
 * const c = logCapsule(logger, bytes, { key: { orgKey, keyId: "org-2025" }, subject: "customer-4711", contentType: "application/json" });
 * openLoggedCapsule(logger.store, c.capsuleCid, { orgKey }).payload; // bytes
 * ```
 */
export function logCapsule(
  logger: StreamLedger,
  payload: Uint8Array,
  options: LogCapsuleOptions,
): LoggedCapsule {
  const meta: Record<string, string> = {};
  if (options.contentType !== undefined) meta.contentType = options.contentType;
  const sealed = sealCapsule(payload, options.key, meta as CapsuleMeta);
  const capsuleCid = sealed.cid.toString();
  const digest = documentDigest(sealed.bytes, nodeSha256);
  let ref: string | undefined;
  return appendKinds(
    logger,
    () => {
      ref =
        options.subject === undefined ? undefined : subjectRef(connectionOf(logger.store), options.subject);
      const body: Record<string, unknown> = {
        digest,
        size: sealed.bytes.length,
        cipher: "aes-256-gcm",
        keyId: options.key.keyId,
        ...(ref === undefined ? {} : { subject: ref }),
        ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      };
      if (options.target !== undefined) body.target = parse(options.target);
      return [{ kind: "capsule", body }];
    },
    ({ db, streamId, stream, written, ts }) => {
      const w = only(written);
      db.prepare(
        "INSERT INTO blobs (cid, stream_id, kind, subject, bytes, created_at) VALUES (?, ?, 'capsule', ?, ?, ?)",
      ).run(capsuleCid, streamId, ref ?? null, sealed.bytes, ts);
      db.prepare("INSERT INTO capsule_keys (cid, salt) VALUES (?, ?)").run(capsuleCid, sealed.keySalt);
      if (ref !== undefined) indexSubject(db, ref, streamId, w.seq, "capsule");
      return { stream, ...w, capsuleCid, digest };
    },
  );
}

function parse(cid: string) {
  const parsed = parseBlockCid(cid);
  if (parsed === undefined) {
    throw new CapsuleError("CAPSULE_BAD_OPTION", "target must be a record CID", {
      evidence: { field: "target" },
    });
  }
  return parsed;
}

/**
 * Opens a logged capsule with its key. `CAPSULE_UNKNOWN` when the store never held it,
 * `CAPSULE_ERASED` when erasure or retention destroyed it, `CAPSULE_TAMPERED` when the stored bytes no
 * longer match their CID or fail authentication, `CAPSULE_KEY_MISMATCH` for a wrong key.
 *
 * @example
 * ```ts
 * const { payload, meta } = openLoggedCapsule(store, capsuleCid, { orgKey });
 * ```
 */
export function openLoggedCapsule(
  store: AncoraStore,
  capsuleCid: string,
  key: CapsuleKeySource,
): { payload: Uint8Array; meta: CapsuleMeta } {
  const db = connectionOf(store);
  const row = db
    .prepare<[string], { bytes: Buffer | null; purge_reason: string | null }>(
      "SELECT bytes, purge_reason FROM blobs WHERE cid = ? AND kind = 'capsule'",
    )
    .get(capsuleCid);
  if (row === undefined) {
    throw new CapsuleError("CAPSULE_UNKNOWN", "The store holds no capsule with this CID", {
      evidence: { cid: capsuleCid },
    });
  }
  const salt = db
    .prepare<[string], Buffer>("SELECT salt FROM capsule_keys WHERE cid = ?")
    .pluck()
    .get(capsuleCid);
  if (row.bytes === null || salt === undefined) {
    throw new CapsuleError("CAPSULE_ERASED", "The capsule was erased: it can never be opened again", {
      evidence: { cid: capsuleCid, reason: row.purge_reason ?? "erasure" },
      hint: "Its digest stays on the log and every proof still verifies; the payload is gone by design.",
    });
  }
  const bytes = new Uint8Array(row.bytes);
  const actual = parseBlockCid(capsuleCid);
  if (
    actual === undefined ||
    documentDigest(bytes, nodeSha256) !== `sha256:${toHex(actual.multihash.digest)}`
  ) {
    throw new CapsuleError("CAPSULE_TAMPERED", "The stored capsule does not match its CID", {
      evidence: { cid: capsuleCid },
      hint: "Restore the capsule from a pinned copy; the digest on the log is the reference.",
    });
  }
  const { payload, meta } = openCapsule(bytes, key, new Uint8Array(salt));
  return { payload, meta };
}
