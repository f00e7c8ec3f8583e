/**
 * Lineage and consent write routes (admin scope): datasets, models, training runs, consents and their
 * revocations, written through the SDK's own functions (logDataset, logModel, logTraining,
 * grantConsent, revokeConsent), so a record refused by the SDK is refused here with the same code.
 * The request schemas only check shapes; the SDK checks meaning (digests, identifiers, known CIDs).
 */
import { toHex } from "@ancora/core";
import {
  grantConsent,
  logDataset,
  logModel,
  logTraining,
  type ModelInput,
  type ProvenanceLogger,
  type RecordedLineage,
  revokeConsent,
} from "@ancora/sdk";
import { type Static, type TSchema, Type } from "typebox";
import type { ServiceContext } from "../context.js";
import { errors, StreamParams } from "../schemas.js";
import { checkStreamName } from "../streams.js";
import { type App, BEARER } from "./app-type.js";

/** Most sample hashes one dataset request may carry (a 64-hex-character string each). */
export const MAX_HTTP_DATASET_SAMPLES = 100_000;

const Text = (description: string) => Type.String({ minLength: 1, maxLength: 512, description });
const Cid = Type.String({
  minLength: 1,
  maxLength: 128,
  description: "CID of a record of the log (bafkrei…)",
});

const Written = Type.Object({
  stream: Type.String(),
  seq: Type.Integer(),
  cid: Type.String(),
  ts: Type.String(),
});
const WrittenDataset = Type.Object({ ...Written.properties, root: Type.String({ description: "hex" }) });
const WrittenConsent = Type.Object({
  ...Written.properties,
  subjectRef: Type.String({ description: "the subject's keyed reference, as the record holds it" }),
});

const DatasetBody = Type.Object(
  {
    id: Text("dataset identifier: loans-2024"),
    split: Text("train, validation, test"),
    sampleHashes: Type.Array(Type.String({ pattern: "^[0-9a-f]{64}$" }), {
      minItems: 1,
      maxItems: MAX_HTTP_DATASET_SAMPLES,
      description: "each sample's SHA-256 (or keyed hash), hex, in order",
    }),
    schema: Text("sha256: digest of the schema document"),
    privacy: Type.Union(
      (["public", "internal", "confidential", "personal", "special"] as const).map((p) => Type.Literal(p)),
    ),
    assignment: Type.Optional(Text("sha256: digest of the split-assignment document")),
  },
  { additionalProperties: false },
);

const ModelBody = Type.Object(
  {
    name: Text("as decisions' model.id"),
    version: Text("as decisions' model.version"),
    weights: Text("sha256: digest of the weights (decisions carry it as model.hash)"),
    architecture: Text("sha256: digest of the architecture document"),
    hyperparameters: Text("sha256: digest of the hyperparameters document"),
    environment: Text("sha256: digest of the environment (runtime, framework, dependency versions)"),
    commit: Text("git commit of the training code (40 or 64 hex)"),
    datasets: Type.Array(Cid, { maxItems: 1000, description: "dataset records the model may be trained on" }),
  },
  { additionalProperties: false },
);

const TrainingBody = Type.Object(
  {
    datasets: Type.Array(Cid, { maxItems: 1000 }),
    modelBefore: Type.Optional(Cid),
    modelAfter: Cid,
    parameters: Text("sha256: digest of the parameter document"),
    backend: Text("where it ran: cpu, a cluster's name"),
    actor: Text("who ran it"),
  },
  { additionalProperties: false },
);

const Identifiers = Type.Array(Type.String({ maxLength: 128 }), { minItems: 1, maxItems: 100 });
const ConsentBody = Type.Object(
  {
    subject: Type.String({
      minLength: 1,
      maxLength: 256,
      description: "the subject's id in your system (never written)",
    }),
    purposes: Identifiers,
    roles: Identifiers,
    validFrom: Type.Optional(Type.String({ maxLength: 64, description: "ISO 8601 (default: now)" })),
    validUntil: Type.Optional(
      Type.String({ maxLength: 64, description: "ISO 8601, exclusive (default: until revoked)" }),
    ),
    revocable: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const RevocationBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 256 }),
    actor: Text("who revokes"),
    purpose: Type.Optional(Type.String({ maxLength: 128, description: "only the policies covering it" })),
    policy: Type.Optional(Cid),
  },
  { additionalProperties: false },
);

export function lineageWriteRoutes(app: App, ctx: ServiceContext): void {
  /** Registers one admin POST under /v1/streams/{stream}/…; `write` returns the records written. */
  function post<B extends TSchema>(
    path: string,
    operationId: string,
    summary: string,
    body: B,
    response: TSchema,
    write: (logger: ProvenanceLogger, body: never) => { written: number; answer: unknown },
  ): void {
    app.post(
      `/v1/streams/:stream/${path}`,
      {
        config: { scope: "admin" },
        schema: {
          operationId,
          summary,
          tags: ["lineage"],
          security: BEARER,
          params: StreamParams,
          body,
          response: { 201: response, ...errors(400, 401, 403, 404, 409, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const { stream } = request.params;
        checkStreamName(stream);
        const logger = ctx.loggers.get(stream, { create: true });
        const { written, answer } = write(logger, request.body as never);
        ctx.metrics.appended(stream, written);
        return reply.status(201).send(answer);
      },
    );
  }

  const one = (r: RecordedLineage) => ({ written: 1, answer: r });
  post(
    "datasets",
    "logDataset",
    "Log a dataset split (its samples' hashes are kept for proofs)",
    DatasetBody,
    WrittenDataset,
    (logger, b: Static<typeof DatasetBody>) => {
      const { sampleHashes, ...rest } = b;
      const r = logDataset(logger, { ...rest, sampleHashes: sampleHashes.map((h) => Buffer.from(h, "hex")) });
      return {
        written: 1,
        answer: { stream: r.stream, seq: r.seq, cid: r.cid, ts: r.ts, root: toHex(r.root) },
      };
    },
  );
  post(
    "models",
    "logModel",
    "Log a model artefact (decisions whose model.hash is its weights descend from it)",
    ModelBody,
    Written,
    // The digests are checked by logModel itself, so a refused body answers with the SDK's own code.
    (logger, b: Static<typeof ModelBody>) => one(logModel(logger, b as ModelInput)),
  );
  post(
    "trainings",
    "logTraining",
    "Log a training run: datasets (and a starting model) to the model it produced",
    TrainingBody,
    Written,
    (logger, b: Static<typeof TrainingBody>) => one(logTraining(logger, b)),
  );
  post(
    "consents",
    "grantConsent",
    "Record a subject's consent to purposes, for roles",
    ConsentBody,
    WrittenConsent,
    (logger, b: Static<typeof ConsentBody>) => ({ written: 1, answer: grantConsent(logger, b) }),
  );
  post(
    "consent-revocations",
    "revokeConsent",
    "Revoke a subject's consent (one revocation record per policy revoked)",
    RevocationBody,
    Type.Array(WrittenConsent),
    (logger, b: Static<typeof RevocationBody>) => {
      const revoked = revokeConsent(logger, b);
      return { written: revoked.length, answer: revoked };
    },
  );
}
