/**
 * The SDK's calls for the lineage and governance kinds: datasets (with their sample hashes, so sample
 * membership stays provable), models, training runs, reproducibility manifests (document off-log,
 * digest on the log, checked on read), ownership and handoffs, retention policies and access grants.
 * Each writes one record into the logger's stream with its lineage index rows, in one transaction.
 */
import {
  type BlockCid,
  computeCid,
  type DatasetSource,
  documentDigest,
  EncodingError,
  encodeCanonical,
  hashLeaf,
  type ModelBody,
  parseBlockCid,
  parseJson,
  rootOfLeaves,
  SchemaError,
  type Sha256Digest,
  toHex,
} from "@ancora/core";
import { InputError, LineageError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";
import type { StreamLedger } from "../stream-ledger.js";
import { type AppendContext, appendKinds, only } from "./append.js";

/** A written lineage record. */
export interface RecordedLineage {
  stream: string;
  seq: number;
  cid: string;
  ts: string;
}

/** Most samples one dataset record may index (their hashes are kept in the store). */
export const MAX_DATASET_SAMPLES = 10_000_000;

/**
 * `sha256:` + hex of SHA-256 over `bytes`: the digest form the lineage kinds use (core's
 * `documentDigest`, under the SDK's name).
 */
export { documentDigest as sha256Digest };

/** {@link sha256Digest} with node's SHA-256. */
function digestOf(bytes: Uint8Array): Sha256Digest {
  return documentDigest(bytes, nodeSha256);
}

function cidOf(value: string | BlockCid, field: string): BlockCid {
  const parsed = typeof value === "string" ? parseBlockCid(value) : value;
  if (parsed === undefined) {
    throw new InputError("INVALID_OPTION", `${field} must be a record CID`, { evidence: { field } });
  }
  return parsed;
}

/** Wraps core's schema errors (thrown while encoding the record) as the caller's InputError. */
export function asInput<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof SchemaError || error instanceof EncodingError) {
      throw new InputError("INVALID_OPTION", `The record is not valid: ${error.shortMessage}`, {
        cause: error,
        evidence: { path: (error as { path?: string }).path ?? "$" },
        hint: "See docs/formats.md for the kind's fields.",
      });
    }
    throw error;
  }
}

function indexLineage(
  { db, streamId }: AppendContext,
  w: { seq: number; cid: string },
  kind: string,
  key: string | null,
  edges: readonly { from: string; to: string; relation: string }[],
): void {
  db.prepare("INSERT OR IGNORE INTO lineage (cid, stream_id, seq, kind, key) VALUES (?, ?, ?, ?, ?)").run(
    w.cid,
    streamId,
    w.seq,
    kind,
    key,
  );
  const edge = db.prepare(
    "INSERT OR IGNORE INTO lineage_edges (from_cid, to_cid, relation) VALUES (?, ?, ?)",
  );
  for (const e of edges) edge.run(e.from, e.to, e.relation);
}

/** Options of {@link logDataset}. */
export interface DatasetInput {
  /** Dataset identifier: `loans-2024`. */
  id: string;
  /** Split: `train`, `validation`, `test`. */
  split: string;
  /** The samples' 32-byte hashes in order (SHA-256 of each sample's canonical bytes, or a keyed hash). */
  sampleHashes: readonly Uint8Array[];
  /** Digest (`sha256:…`) of the schema document. */
  schema: string;
  privacy: "public" | "internal" | "confidential" | "personal" | "special";
  /** Digest of the split-assignment document. */
  assignment?: string;
  /** Where the samples came from (upstream exports, feeds), each pinned by a digest: the lineage's sources. */
  sources?: DatasetSource[];
}

/**
 * Logs a dataset split: a dataset record whose `root` is the RFC 9162 root over the sample hashes.
 * The hashes are kept in the store (table `samples`) so {@link proveSampleInTraining} can prove any
 * sample's membership later.
 *
 * @example
 * ```ts
 * const ds = logDataset(logger, { id: "loans-2024", split: "train", sampleHashes, schema: sha256Digest(schemaBytes), privacy: "personal" });
 * ```
 */
export function logDataset(
  logger: StreamLedger,
  input: DatasetInput,
): RecordedLineage & { root: Uint8Array } {
  const hashes = input?.sampleHashes;
  if (!Array.isArray(hashes) || hashes.length === 0 || hashes.length > MAX_DATASET_SAMPLES) {
    throw new InputError("INVALID_OPTION", `sampleHashes must list 1 to ${MAX_DATASET_SAMPLES} hashes`, {
      evidence: { field: "sampleHashes" },
    });
  }
  hashes.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== 32) {
      throw new InputError("INVALID_OPTION", "every sample hash must be 32 bytes", {
        evidence: { index: i },
      });
    }
  });
  const root = new Uint8Array(
    rootOfLeaves(
      hashes.map((h) => hashLeaf(h, nodeSha256)),
      nodeSha256,
    ),
  );
  const body = {
    id: input.id,
    split: input.split,
    samples: hashes.length,
    root,
    schema: input.schema,
    privacy: input.privacy,
    ...(input.assignment === undefined ? {} : { assignment: input.assignment }),
    ...(input.sources === undefined ? {} : { sources: input.sources }),
  };
  return asInput(() =>
    appendKinds(
      logger,
      () => [{ kind: "dataset-split", body }],
      (context) => {
        const w = only(context.written);
        indexLineage(context, w, "dataset", toHex(root), []);
        const insert = context.db.prepare("INSERT INTO samples (dataset_cid, idx, hash) VALUES (?, ?, ?)");
        for (let i = 0; i < hashes.length; i++) insert.run(w.cid, i, hashes[i]);
        return { stream: context.stream, ...w, root };
      },
    ),
  );
}

/** Options of {@link logModel}. */
export interface ModelInput
  extends Omit<ModelBody, ModelDigestField | "datasets">,
    Record<ModelDigestField, Sha256Digest> {
  /** CIDs of the dataset records the model may be trained on (strings or CIDs). */
  datasets: readonly (string | BlockCid)[];
}

/** The fields of a model body that are document digests (`sha256:` + 64 hex). */
type ModelDigestField = "weights" | "architecture" | "hyperparameters" | "environment";

/**
 * Logs a model artefact. Decisions whose `model.hash` equals `weights` are its descendants.
 *
 * @example
 * ```ts
 * const model = logModel(logger, { name: "credit-risk", version: "2.3.1", weights: "sha256:…", architecture, hyperparameters, environment, commit, datasets: [ds.cid] });
 * ```
 */
export function logModel(logger: StreamLedger, input: ModelInput): RecordedLineage {
  const datasets = (Array.isArray(input?.datasets) ? input.datasets : []).map((d, i) =>
    cidOf(d, `datasets[${i}]`),
  );
  const { name, version, weights, architecture, hyperparameters, environment, commit } = input;
  const body = { name, version, weights, architecture, hyperparameters, environment, commit, datasets };
  return asInput(() =>
    appendKinds(
      logger,
      () => [{ kind: "model", body }],
      (context) => {
        const w = only(context.written);
        indexLineage(
          context,
          w,
          "model",
          typeof weights === "string" ? weights : null,
          datasets.map((d) => ({ from: d.toString(), to: w.cid, relation: "trained-on" })),
        );
        return { stream: context.stream, ...w };
      },
    ),
  );
}

/** Options of {@link logTraining}. */
export interface TrainingInput {
  datasets: readonly (string | BlockCid)[];
  /** The model record trained from (fine-tuning); absent from scratch. */
  modelBefore?: string | BlockCid;
  /** The model record the run produced. */
  modelAfter: string | BlockCid;
  /** Digest of the parameter document. */
  parameters: string;
  backend: string;
  actor: string;
}

/**
 * Logs a training run: datasets (and an optional starting model) → the model record it produced.
 *
 * @example
 * ```ts
 * logTraining(logger, { datasets: [ds.cid], modelAfter: model.cid, parameters: "sha256:…", backend: "cpu", actor: "ml-platform" });
 * ```
 */
export function logTraining(logger: StreamLedger, input: TrainingInput): RecordedLineage {
  const datasets = (Array.isArray(input?.datasets) ? input.datasets : []).map((d, i) =>
    cidOf(d, `datasets[${i}]`),
  );
  const modelAfter = cidOf(input.modelAfter, "modelAfter");
  const modelBefore = input.modelBefore === undefined ? undefined : cidOf(input.modelBefore, "modelBefore");
  const body = {
    datasets,
    modelAfter,
    ...(modelBefore === undefined ? {} : { modelBefore }),
    parameters: input.parameters,
    backend: input.backend,
    actor: input.actor,
  };
  return asInput(() =>
    appendKinds(
      logger,
      () => [{ kind: "training", body }],
      (context) => {
        const w = only(context.written);
        const edges = [
          ...datasets.map((d) => ({ from: d.toString(), to: w.cid, relation: "trained-on" })),
          ...(modelBefore === undefined
            ? []
            : [{ from: modelBefore.toString(), to: w.cid, relation: "trained-on" }]),
          { from: w.cid, to: modelAfter.toString(), relation: "produced" },
        ];
        indexLineage(context, w, "training", null, edges);
        return { stream: context.stream, ...w };
      },
    ),
  );
}

/**
 * Logs a reproducibility manifest for a model or training record: the document (any JSON-like value,
 * canonically encoded) is stored off-log in `blobs`, its digest goes on the log.
 *
 * @example
 * ```ts
 * logReproducibility(logger, model.cid, { pipeline: "train.py", seed: 42, image: "sha256:…" });
 * ```
 */
export function logReproducibility(
  logger: StreamLedger,
  target: string | BlockCid,
  document: unknown,
): RecordedLineage & { manifest: string } {
  const targetCid = cidOf(target, "target");
  let bytes: Uint8Array;
  try {
    bytes = encodeCanonical(document, { maxBytes: 16 * 1024 * 1024 });
  } catch (error) {
    throw new InputError("INPUT_NOT_ENCODABLE", "The reproducibility document cannot be encoded exactly", {
      cause: error,
      evidence: { field: "document", path: (error as { path?: string }).path ?? "$" },
    });
  }
  const manifest = digestOf(bytes);
  const docCid = computeCid(bytes, nodeSha256).toString();
  return asInput(() =>
    appendKinds(
      logger,
      () => [{ kind: "reproducibility", body: { target: targetCid, manifest } }],
      (context) => {
        const w = only(context.written);
        indexLineage(context, w, "reproducibility", docCid, [
          { from: w.cid, to: targetCid.toString(), relation: "reproduces" },
        ]);
        context.db
          .prepare(
            "INSERT OR IGNORE INTO blobs (cid, stream_id, kind, subject, bytes, created_at) VALUES (?, ?, 'document', NULL, ?, ?)",
          )
          .run(docCid, context.streamId, bytes, context.ts);
        return { stream: context.stream, ...w, manifest };
      },
    ),
  );
}

/**
 * Reads a reproducibility manifest back and checks it against the digest on the log. Throws
 * LineageError `DOCUMENT_MISMATCH` when the stored document was changed, `DOCUMENT_PURGED` when
 * retention or erasure removed it.
 *
 * @example
 * ```ts
 * const doc = readReproducibility(logger.store, rep.cid); // the document, verified
 * ```
 */
export function readReproducibility(store: AncoraStore, recordCid: string): unknown {
  const db = connectionOf(store);
  const row = db
    .prepare<[string], { key: string | null; stream_id: number; seq: number }>(
      "SELECT key, stream_id, seq FROM lineage WHERE cid = ? AND kind = 'reproducibility'",
    )
    .get(recordCid);
  if (row?.key == null)
    throw new LineageError("LINEAGE_UNKNOWN", "No reproducibility record with this CID", {
      evidence: { cid: recordCid },
    });
  const record = db
    .prepare<[number, number], Buffer>("SELECT bytes FROM records WHERE stream_id = ? AND seq = ?")
    .pluck()
    .get(row.stream_id, row.seq);
  const blob = db
    .prepare<[string], Buffer | null>("SELECT bytes FROM blobs WHERE cid = ?")
    .pluck()
    .get(row.key);
  if (blob == null) {
    throw new LineageError("DOCUMENT_PURGED", "The reproducibility document is no longer kept", {
      evidence: { cid: recordCid },
      hint: "Its digest stays on the log; the document was removed by retention or erasure.",
    });
  }
  const onLog =
    record === undefined
      ? undefined
      : (parseJson(Buffer.from(record).toString("utf8")) as { body: { manifest: string } }).body.manifest;
  if (onLog !== digestOf(blob)) {
    throw new LineageError(
      "DOCUMENT_MISMATCH",
      "The stored reproducibility document does not match the digest on the log",
      {
        evidence: { cid: recordCid, expected: onLog, found: digestOf(blob) },
      },
    );
  }
  return parseJson(Buffer.from(blob).toString("utf8"));
}

/** Records who answers for a model, dataset, training run or decision; `previous` makes it a handoff. */
export function recordOwnership(
  logger: StreamLedger,
  input: {
    target: string | BlockCid;
    owner: string;
    steward: string;
    approver: string;
    previous?: string | BlockCid;
    reason?: string;
  },
): RecordedLineage {
  const body = {
    target: cidOf(input.target, "target"),
    owner: input.owner,
    steward: input.steward,
    approver: input.approver,
    ...(input.previous === undefined ? {} : { previous: cidOf(input.previous, "previous") }),
    ...(input.reason === undefined ? {} : { reason: input.reason }),
  };
  return simple(logger, "ownership", body);
}

/** Records a retention policy: payloads of records of `kind` are kept `payloadDays` days (enforceRetention). */
export function setRetention(
  logger: StreamLedger,
  input: { kind: string; payloadDays: number; basis: string; actor: string },
): RecordedLineage {
  return simple(logger, "retention", {
    kind: input.kind,
    payloadDays: input.payloadDays,
    basis: input.basis,
    actor: input.actor,
  });
}

/** Records an access grant: `grantee` may use `scope` from `validFrom` (default now) until `validUntil`. */
export function grantAccess(
  logger: StreamLedger,
  input: { grantee: string; scope: readonly string[]; actor: string; validFrom?: Date; validUntil?: Date },
): RecordedLineage {
  return asInput(() =>
    appendKinds(
      logger,
      ({ ts }) => [
        {
          kind: "access-grant",
          body: {
            grantee: input.grantee,
            scope: [...input.scope],
            validFrom: input.validFrom?.toISOString() ?? ts,
            ...(input.validUntil === undefined ? {} : { validUntil: input.validUntil.toISOString() }),
            actor: input.actor,
          },
        },
      ],
      (context) => ({ stream: context.stream, ...only(context.written) }),
    ),
  );
}

function simple(logger: StreamLedger, kind: string, body: Record<string, unknown>): RecordedLineage {
  return asInput(() =>
    appendKinds(
      logger,
      () => [{ kind, body }],
      (context) => ({ stream: context.stream, ...only(context.written) }),
    ),
  );
}
