/**
 * Request and response schemas (TypeBox, i.e. JSON Schema): Fastify validates requests with them and
 * @fastify/swagger turns them into the OpenAPI document at /openapi.json.
 */
import { RECORD_KINDS } from "@ancora/core";
import { type TSchema, Type } from "typebox";

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: "Stable code: branch on it, not on the message" }),
      message: Type.String(),
      hint: Type.Optional(Type.String({ description: "What to do about it" })),
    }),
  },
  { description: "Every 4xx and 5xx answer" },
);

/** The error answers a route can give, by status. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

export const StreamParams = Type.Object({
  stream: Type.String({ description: "Stream name: [a-z0-9][a-z0-9._-]{0,63}", maxLength: 64 }),
});

export const Model = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256 }),
    version: Type.String({ minLength: 1, maxLength: 256 }),
    hash: Type.String({ minLength: 1, maxLength: 256, description: 'OCI digest, e.g. "sha256:" + 64 hex' }),
  },
  { additionalProperties: false },
);

export const Decision = Type.Object(
  {
    model: Model,
    input: Type.Record(Type.String(), Type.Unknown(), {
      description: "The model's input features. Never stored: only a salted commitment to them is.",
    }),
    output: Type.Unknown({ description: "The model's output. Never stored: only a salted commitment is." }),
    score: Type.Number({
      description: "Resolved to a label by the stream's config (score >= threshold: above)",
    }),
  },
  { additionalProperties: false },
);

export function decisionBody(maxBatch: number) {
  const batch = Type.Object(
    { decisions: Type.Array(Decision, { minItems: 1, maxItems: maxBatch }) },
    { additionalProperties: false },
  );
  return Type.Union([Decision, batch], { description: "One decision, or a batch { decisions: [...] }" });
}

export const RecordedDecision = Type.Object({
  stream: Type.String(),
  seq: Type.Integer(),
  cid: Type.String(),
  ts: Type.String(),
  label: Type.String({ description: "Label id resolved from the score (L001, ...)" }),
  labelName: Type.Optional(Type.String()),
  config: Type.String({ description: "CID of the config record that resolved the label" }),
});

export const BatchResult = Type.Object({
  stream: Type.String(),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  results: Type.Array(Type.Union([RecordedDecision, ErrorBody]), {
    description: "One entry per decision, in order: the written record, or why it was not written",
  }),
});

export const ConfigBody = Type.Object(
  {
    threshold: Type.Number(),
    aboveLabel: Type.String({ minLength: 1, maxLength: 256, description: "Label id (L002) or name" }),
    belowLabel: Type.String({ minLength: 1, maxLength: 256 }),
    changedBy: Type.String({ minLength: 1, maxLength: 256 }),
    changeReason: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);

export const RecordedConfig = Type.Object({
  stream: Type.String(),
  seq: Type.Integer(),
  cid: Type.String(),
  ts: Type.String(),
  config: Type.Object({
    threshold: Type.Number(),
    aboveLabel: Type.String(),
    belowLabel: Type.String(),
    changedBy: Type.String(),
    changeReason: Type.String(),
  }),
  definedLabels: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), seq: Type.Integer() })),
});

export const RecordParams = Type.Object({
  stream: StreamParams.properties.stream,
  // A string with a strict pattern: a converting integer schema would read "1.5" as 1.
  seq: Type.String({ pattern: "^(0|[1-9][0-9]{0,14})$", description: "Sequence number (0 = genesis)" }),
});

export const Receipt = Type.Object(
  {
    v: Type.Integer(),
    record: Type.String({ description: "The record's canonical bytes, base64" }),
    cid: Type.String(),
    index: Type.Integer(),
    proof: Type.Array(Type.String()),
    checkpoint: Type.Object({
      stream: Type.String(),
      size: Type.Integer(),
      root: Type.String({ description: "The anchored root, 0x-hex" }),
    }),
    anchor: Type.Object({
      chainId: Type.Integer(),
      registry: Type.String(),
      txHash: Type.String(),
      blockNumber: Type.Integer(),
    }),
  },
  { description: "Core's Receipt v2 (JSON form): verifies offline against an RPC endpoint" },
);

export const StoredRecord = Type.Object({
  stream: Type.String(),
  seq: Type.Integer(),
  cid: Type.String(),
  kind: Type.String(),
  ts: Type.String(),
  bytes: Type.String({ description: "Canonical DAG-JSON bytes, base64: what the CID hashes" }),
  record: Type.Unknown({ description: 'The same bytes parsed as JSON (CIDs as {"/": ...} links)' }),
  receipt: Type.Union([Receipt, Type.Null()], {
    description: "null until a confirmed anchor covers the record",
  }),
  verifyUrl: Type.Union([Type.String(), Type.Null()], {
    description:
      "The receipt verification page with this receipt (/verify#receipt=…, relative to the service), or null without a receipt",
  }),
});

export function searchQuery(maxPageSize: number) {
  return Type.Object(
    {
      kind: Type.Optional(Type.Union([...Object.keys(RECORD_KINDS), "any"].map((k) => Type.Literal(k)))),
      model: Type.Optional(Type.String({ maxLength: 256, description: "Model id" })),
      version: Type.Optional(Type.String({ maxLength: 256, description: "Model version (with model)" })),
      label: Type.Optional(Type.String({ pattern: "^L[0-9]{3,15}$", description: "Label id" })),
      from: Type.Optional(Type.String({ maxLength: 64, description: "ISO 8601: records with ts >= from" })),
      to: Type.Optional(Type.String({ maxLength: 64, description: "ISO 8601: records with ts < to" })),
      // A string with a strict pattern: a converting integer schema would read "1.5" as 1.
      limit: Type.Optional(
        Type.String({ pattern: "^[1-9][0-9]{0,8}$", description: `Page size, 1 to ${maxPageSize}` }),
      ),
      cursor: Type.Optional(Type.String({ maxLength: 256, description: "The previous page's cursor" })),
    },
    { additionalProperties: false },
  );
}

export const SearchPage = Type.Object({
  items: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      cid: Type.String(),
      kind: Type.String(),
      ts: Type.String(),
      label: Type.Union([Type.String(), Type.Null()]),
      model: Type.Union([Type.Object({ id: Type.String(), version: Type.String() }), Type.Null()]),
    }),
  ),
  cursor: Type.Optional(
    Type.String({ description: "Present when there may be more: pass it to get the next page" }),
  ),
});

const Failure = Type.Object({
  code: Type.String(),
  stream: Type.String(),
  seq: Type.Integer(),
  expected: Type.String(),
  found: Type.String(),
});

export const VerifyQuery = Type.Object(
  { stream: Type.Optional(StreamParams.properties.stream) },
  { additionalProperties: false },
);

export const VerifyResult = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  failures: Type.Array(Failure),
  streams: Type.Array(
    Type.Object({
      ok: Type.Boolean(),
      stream: Type.String(),
      checked: Type.Integer(),
      checkpoints: Type.Integer(),
      failures: Type.Array(Failure),
      firstBadSeq: Type.Optional(Type.Integer()),
      failureCount: Type.Integer(),
      root: Type.Optional(Type.String()),
    }),
  ),
});

export const ExportQuery = Type.Object(
  { stream: StreamParams.properties.stream },
  { additionalProperties: false },
);

export const EvidenceQuery = Type.Object(
  {
    stream: StreamParams.properties.stream,
    model: Type.String({ minLength: 1, maxLength: 256, description: "Model id" }),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const Health = Type.Object({
  status: Type.Union([Type.Literal("ok"), Type.Literal("closing")]),
  uptimeSeconds: Type.Number(),
  inflight: Type.Integer(),
});
