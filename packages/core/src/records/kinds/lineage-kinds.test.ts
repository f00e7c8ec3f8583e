import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BlockCid, computeCid } from "../../cid.js";
import { commitPlain } from "../../commitment.js";
import { SchemaError } from "../../errors.js";
import { sha256 } from "../../hash.js";
import { decodeRecord, encodeRecord, encodeRecordBlock } from "../codec.js";
import type { AncoraRecord, LineageRecord } from "../types.js";

const RUNS = process.env.CI === "true" ? 500 : 100;
const TS = "2025-02-01T09:00:00.000Z";
const cidOf = (text: string): BlockCid => computeCid(new TextEncoder().encode(text));
const D = (c: string) => `sha256:${c.repeat(64)}`;
const A = cidOf("a");
const B = cidOf("b");
const C = cidOf("c");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** One valid body per lineage kind, with every optional field set. */
const BODIES: { [K in LineageRecord["kind"]]: Extract<LineageRecord, { kind: K }>["body"] } = {
  "dataset-split": {
    id: "loans-2024",
    split: "train",
    samples: 1000,
    root: new Uint8Array(32).fill(7),
    schema: D("1"),
    privacy: "personal",
    assignment: D("2"),
    sources: [
      {
        name: "core-banking-export",
        digest: D("8"),
        uri: "s3://exports/2024/loans.parquet",
        license: "internal",
      },
      { name: "bureau-feed", digest: D("9") },
    ],
  },
  model: {
    name: "credit-risk",
    version: "2.4.0",
    weights: D("3"),
    architecture: D("4"),
    hyperparameters: D("5"),
    environment: D("6"),
    commit: COMMIT,
    datasets: [A, B],
  },
  training: {
    datasets: [A],
    modelBefore: B,
    modelAfter: C,
    parameters: D("7"),
    backend: "on-prem-a100",
    actor: "ml-ops@example.org",
  },
  reproducibility: { target: A, manifest: D("8") },
  consent: {
    subject: "subj-7f3a",
    purposes: ["credit-scoring"],
    roles: ["underwriter", "auditor"],
    validFrom: TS,
    validUntil: "2026-02-01T09:00:00.000Z",
    revocable: true,
  },
  "consent-revocation": { policy: A, subject: "subj-7f3a", actor: "subj-7f3a" },
  "consent-denied": {
    subject: "subj-7f3a",
    purpose: "marketing",
    role: "sales",
    policy: A,
    reason: "purpose-not-allowed",
  },
  ownership: {
    target: A,
    owner: "risk-team",
    steward: "data-office",
    approver: "cro@example.org",
    previous: B,
    reason: "team reorganisation",
  },
  retention: { kind: "capsule", payloadDays: 180, basis: "EU AI Act Art. 19", actor: "dpo@example.org" },
  "access-grant": {
    grantee: "auditor@example.org",
    scope: ["stream:credit-scoring:read"],
    validFrom: TS,
    validUntil: "2025-03-01T09:00:00.000Z",
    actor: "dpo@example.org",
  },
  erasure: {
    subject: "subj-7f3a",
    records: [A],
    capsules: [B],
    erased: ["salts", "capsules"],
    basis: "GDPR Art. 17(1)(b)",
    actor: "dpo@example.org",
  },
  capsule: {
    target: A,
    digest: D("9"),
    size: 4096,
    cipher: "aes-256-gcm",
    keyId: "capsule-key-2025",
    subject: "subj-7f3a",
    contentType: "application/json",
  },
};

/** Fields that may be left out, per kind. */
const OPTIONAL: Record<LineageRecord["kind"], readonly string[]> = {
  "dataset-split": ["assignment", "sources"],
  model: [],
  training: ["modelBefore"],
  reproducibility: [],
  consent: ["validUntil"],
  "consent-revocation": [],
  "consent-denied": [],
  ownership: ["previous", "reason"],
  retention: [],
  "access-grant": ["validUntil"],
  erasure: ["subject", "records", "capsules"],
  capsule: ["target", "subject", "contentType"],
};

const KINDS = Object.keys(BODIES) as LineageRecord["kind"][];

function envelope(kind: string, body: unknown): Record<string, unknown> {
  return { v: 1, kind, stream: "lineage", seq: 3, prev: C, ts: TS, body };
}

function schemaError(record: unknown): SchemaError {
  try {
    encodeRecord(record as AncoraRecord);
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return error as SchemaError;
  }
  throw new Error("expected a SchemaError");
}

/** Values that break any field of the lineage kinds, whatever its type (strings are ≤ 4096). */
const WRONG: readonly unknown[] = [null, -1, 1.5, "", "x".repeat(5000), {}, [7], new Uint8Array(31)];

describe("lineage and governance kinds", () => {
  it.each(KINDS)("%s round-trips: encode, decode, same bytes and CID", (kind) => {
    const record = envelope(kind, BODIES[kind]) as unknown as AncoraRecord;
    const { bytes, cid } = encodeRecordBlock(record);
    const decoded = decodeRecord(bytes);
    expect(decoded.kind).toBe(kind);
    const again = encodeRecordBlock(decoded);
    expect(again.cid.toString()).toBe(cid.toString());
    expect(again.bytes).toEqual(bytes);
  });

  it.each(KINDS)("%s accepts each optional field left out", (kind) => {
    for (const key of OPTIONAL[kind]) {
      const body: Record<string, unknown> = { ...BODIES[kind] };
      delete body[key];
      if (kind === "erasure" && key !== "records") body.records = [A];
      expect(() => encodeRecord(envelope(kind, body) as unknown as AncoraRecord)).not.toThrow();
    }
  });

  it.each(KINDS)("%s: every single-field mutation is a SchemaError naming that field", (kind) => {
    const valid = BODIES[kind] as unknown as Record<string, unknown>;
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(valid)), fc.constantFrom(...WRONG), (key, wrong) => {
        const error = schemaError(envelope(kind, { ...valid, [key]: wrong }));
        expect(error.path.startsWith(`$.body.${key}`)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(KINDS)("%s refuses unknown and missing fields", (kind) => {
    const valid = BODIES[kind] as unknown as Record<string, unknown>;
    expect(schemaError(envelope(kind, { ...valid, extra: 1 }))).toMatchObject({
      code: "SCHEMA_UNKNOWN_FIELD",
      path: "$.body.extra",
    });
    const required = Object.keys(valid).filter((k) => !OPTIONAL[kind].includes(k));
    for (const key of required) {
      const body = { ...valid };
      delete body[key];
      expect(schemaError(envelope(kind, body)).code).toBe("SCHEMA_MISSING_FIELD");
    }
  });

  it("round-trips random valid dataset, training and consent bodies", () => {
    const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`);
    const ident = fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,30}$/);
    const cid = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((b) => computeCid(b));
    const body = fc.oneof(
      fc.record({
        kind: fc.constant("dataset-split"),
        body: fc.record(
          {
            id: ident,
            split: ident,
            samples: fc.integer({ min: 1, max: 2 ** 40 }),
            root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
            schema: digest,
            privacy: fc.constantFrom("public", "internal", "confidential", "personal", "special"),
            assignment: digest,
            sources: fc.uniqueArray(
              fc.record(
                {
                  name: ident,
                  digest,
                  uri: ident.map((p) => `https://data.example.org/${p}`),
                  license: ident,
                },
                { requiredKeys: ["name", "digest"] },
              ),
              { minLength: 1, maxLength: 4, selector: (source) => source.name },
            ),
          },
          { requiredKeys: ["id", "split", "samples", "root", "schema", "privacy"] },
        ),
      }),
      fc.record({
        kind: fc.constant("training"),
        body: fc.record(
          {
            datasets: fc.uniqueArray(cid, { minLength: 1, maxLength: 5, selector: (c) => c.toString() }),
            modelBefore: cid,
            modelAfter: cid,
            parameters: digest,
            backend: fc.string({ minLength: 1, maxLength: 40 }),
            actor: fc.string({ minLength: 1, maxLength: 40 }),
          },
          { requiredKeys: ["datasets", "modelAfter", "parameters", "backend", "actor"] },
        ),
      }),
      fc.record({
        kind: fc.constant("consent"),
        body: fc.record({
          subject: ident,
          purposes: fc.uniqueArray(ident, { minLength: 1, maxLength: 4 }),
          roles: fc.uniqueArray(ident, { minLength: 1, maxLength: 4 }),
          validFrom: fc.constant(TS),
          revocable: fc.boolean(),
        }),
      }),
    );
    fc.assert(
      fc.property(body, ({ kind, body }) => {
        const { bytes, cid: first } = encodeRecordBlock(envelope(kind, body) as unknown as AncoraRecord);
        expect(computeCid(bytes, sha256).toString()).toBe(first.toString());
        expect(encodeRecordBlock(decodeRecord(bytes)).cid.toString()).toBe(first.toString());
      }),
      { numRuns: RUNS },
    );
  });

  it("checks a dataset's sources: names unique, digests, URIs without credentials, bounded lists", () => {
    const dataset = BODIES["dataset-split"];
    const [first, second] = dataset.sources ?? [];
    const bad = (sources: unknown, path: string) =>
      expect(schemaError(envelope("dataset-split", { ...dataset, sources }))).toMatchObject({ path });
    bad([], "$.body.sources");
    bad([first, { ...second, name: first?.name }], "$.body.sources[1].name");
    bad([{ ...first, digest: "md5:abc" }], "$.body.sources[0].digest");
    bad([{ ...first, uri: "https://user:secret@data.example.org/x" }], "$.body.sources[0].uri");
    bad([{ ...first, uri: "no scheme" }], "$.body.sources[0].uri");
    bad([{ ...first, owner: "x" }], "$.body.sources[0].owner");
    bad(
      Array.from({ length: 65 }, (_, i) => ({ name: `s${i}`, digest: D("a") })),
      "$.body.sources",
    );
    expect(() =>
      encodeRecord(envelope("dataset-split", { ...dataset, sources: [second] }) as unknown as AncoraRecord),
    ).not.toThrow();
  });

  it("applies the cross-field rules", () => {
    const consent = BODIES.consent;
    expect(schemaError(envelope("consent", { ...consent, validUntil: consent.validFrom }))).toMatchObject({
      path: "$.body.validUntil",
    });
    const denied = BODIES["consent-denied"];
    expect(schemaError(envelope("consent-denied", { ...denied, reason: "no-policy" }))).toMatchObject({
      code: "SCHEMA_UNKNOWN_FIELD",
      path: "$.body.policy",
    });
    const { policy: _, ...withoutPolicy } = denied;
    expect(schemaError(envelope("consent-denied", withoutPolicy))).toMatchObject({
      code: "SCHEMA_MISSING_FIELD",
      path: "$.body.policy",
    });
    expect(() =>
      encodeRecord(
        envelope("consent-denied", { ...withoutPolicy, reason: "no-policy" }) as unknown as AncoraRecord,
      ),
    ).not.toThrow();
    const { subject: _s, records: _r, capsules: _c, ...nothingNamed } = BODIES.erasure;
    expect(schemaError(envelope("erasure", nothingNamed))).toMatchObject({ code: "SCHEMA_MISSING_FIELD" });
    expect(schemaError(envelope("model", { ...BODIES.model, datasets: [A, A] }))).toMatchObject({
      path: "$.body.datasets[1]",
    });
    expect(schemaError(envelope("erasure", { ...BODIES.erasure, erased: ["everything"] }))).toMatchObject({
      path: "$.body.erased[0]",
    });
  });

  it("erasure: a purge by retention names kind, before and policy together, or none of them", () => {
    const purge = {
      kind: "decision",
      before: "2025-08-05T09:00:00.000Z",
      policy: C,
      erased: ["salts"],
      basis: "EU AI Act Art. 19",
      actor: "retention-job",
    };
    const { bytes } = encodeRecordBlock(envelope("erasure", purge) as unknown as AncoraRecord);
    expect(decodeRecord(bytes).body).toEqual(purge);
    for (const key of ["kind", "before", "policy"] as const) {
      const { [key]: _, ...partial } = purge;
      expect(schemaError(envelope("erasure", partial))).toMatchObject({
        code: "SCHEMA_MISSING_FIELD",
        path: `$.body.${key}`,
      });
    }
    for (const [key, wrong] of [
      ["kind", "Decision!"],
      ["before", "2025-08-05"],
      ["policy", "bafkrei-not-a-cid"],
    ] as const) {
      expect(
        schemaError(envelope("erasure", { ...purge, [key]: wrong })).path.startsWith(`$.body.${key}`),
      ).toBe(true);
    }
  });

  it("refuses personal-looking subject ids and digests other than sha256", () => {
    for (const subject of ["jane.doe@example.org", "Jane Doe", ""]) {
      expect(schemaError(envelope("consent", { ...BODIES.consent, subject })).path).toBe("$.body.subject");
    }
    for (const weights of [`sha512:${"a".repeat(128)}`, `sha256:${"A".repeat(64)}`, "a".repeat(64)]) {
      expect(schemaError(envelope("model", { ...BODIES.model, weights })).path).toBe("$.body.weights");
    }
    expect(schemaError(envelope("model", { ...BODIES.model, commit: "abc123" })).path).toBe("$.body.commit");
  });
});

describe("policy checks on decisions", () => {
  const decision = {
    v: 1,
    kind: "decision",
    stream: "credit",
    seq: 5,
    prev: C,
    ts: TS,
    body: {
      model: { id: "m", version: "1", hash: D("a") },
      input: commitPlain({ x: 1 }),
      output: commitPlain({ y: 2 }),
      label: "L001",
      config: A,
    },
  };

  it("accepts a decision with checks and keeps the CID of one without", () => {
    const without = encodeRecordBlock(decision as unknown as AncoraRecord);
    const checks = [{ name: "pii-scan", category: "privacy", result: "pass", blocking: true }];
    const withChecks = encodeRecordBlock({
      ...decision,
      body: { ...decision.body, checks },
    } as unknown as AncoraRecord);
    expect(withChecks.cid.toString()).not.toBe(without.cid.toString());
    expect(decodeRecord(without.bytes)).not.toHaveProperty("body.checks");
    expect(decodeRecord(withChecks.bytes)).toMatchObject({ body: { checks } });
  });

  it.each([
    [[], "$.body.checks"],
    [[{ name: "x", category: "y", result: "maybe", blocking: true }], "$.body.checks[0].result"],
    [[{ name: "x", category: "y", result: "fail", blocking: "yes" }], "$.body.checks[0].blocking"],
    [[{ name: "x", category: "y", result: "fail" }], "$.body.checks[0].blocking"],
    [[{ name: "has space", category: "y", result: "fail", blocking: false }], "$.body.checks[0].name"],
  ])("refuses bad checks %j at %s", (checks, path) => {
    expect(schemaError({ ...decision, body: { ...decision.body, checks } }).path).toBe(path);
  });
});
