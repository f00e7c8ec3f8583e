import fc from "fast-check";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { describe, expect, test } from "vitest";
import { decodeCanonical } from "../canonical/decode.js";
import { encodeCanonical } from "../canonical/encode.js";
import { computeCid } from "../cid.js";
import { type Commitment, commitHmac, commitPlain, commitSalted } from "../commitment.js";
import { AncoraError, EncodingError, SchemaError, type SchemaErrorCode } from "../errors.js";
import { decodeRecord, encodeRecord, encodeRecordBlock, MAX_RECORD_BYTES, validateRecord } from "./codec.js";
import { resolveLabel } from "./kinds/config.js";
import { isRecordKind, RECORD_KINDS } from "./registry.js";
import type { AncoraRecord, ConfigRecord, DecisionRecord, GenesisRecord, LabelRecord } from "./types.js";

const RUNS = process.env.CI === "true" ? 1000 : 100;
const TS = "2025-01-31T12:00:00.000Z";
const KEY = new Uint8Array(32).fill(9);

const genesis: GenesisRecord = {
  v: 1,
  kind: "genesis",
  stream: "credit-scoring",
  seq: 0,
  ts: TS,
  body: {
    createdBy: "ops@example.org",
    org: "Example Bank",
    registry: { chainId: 31337, address: "0x5fbdb2315678afecb367f032d93f642f64180aa3" },
    description: "Credit decisions of the retail scoring model",
  },
};
const genesisCid = encodeRecordBlock(genesis).cid;
const label: LabelRecord = {
  v: 1,
  kind: "label",
  stream: "credit-scoring",
  seq: 1,
  prev: genesisCid,
  ts: TS,
  body: { id: "L001", name: "approve", changedBy: "ops@example.org", changeReason: "initial labels" },
};
const config: ConfigRecord = {
  v: 1,
  kind: "config",
  stream: "credit-scoring",
  seq: 3,
  prev: genesisCid,
  ts: TS,
  body: {
    threshold: 0.5,
    aboveLabel: "L001",
    belowLabel: "L002",
    changedBy: "risk-team",
    changeReason: "launch",
  },
};
const decision: DecisionRecord = {
  v: 1,
  kind: "decision",
  stream: "credit-scoring",
  seq: 4,
  prev: genesisCid,
  ts: TS,
  body: {
    model: { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` },
    input: commitHmac({ age: 42, income: 51_000 }, KEY, { keyId: "org-2025" }),
    output: commitPlain({ score: 0.73 }),
    score: 0.73,
    label: "L001",
    config: encodeRecordBlock(config).cid,
  },
};

/** A deep copy that keeps CIDs and bytes (structuredClone would turn CIDs into plain objects). */
function clone<T>(value: T): T {
  return decodeCanonical(encodeCanonical(value)) as T;
}

function schemaError(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SchemaError) return error;
    throw error;
  }
  throw new Error("expected a SchemaError");
}

describe("records: valid records of every kind", () => {
  test.each([
    ["genesis", genesis],
    ["label", label],
    ["config", config],
    ["decision", decision],
  ] as const)("%s round-trips through bytes and keeps its CID", (_, record) => {
    const { bytes, cid } = encodeRecordBlock(record);
    expect(cid.toString()).toBe(computeCid(bytes).toString());
    expect(bytes.length).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    const decoded = decodeRecord(bytes);
    expect(decoded).toEqual(record);
    expect(encodeRecord(decoded)).toEqual(bytes);
  });

  test("the envelope is sorted with the kind's fields under body", () => {
    const text = new TextDecoder().decode(encodeRecord(label));
    expect(text).toBe(
      `{"body":{"changeReason":"initial labels","changedBy":"ops@example.org","id":"L001","name":"approve"},` +
        `"kind":"label","prev":{"/":"${genesisCid}"},"seq":1,"stream":"credit-scoring","ts":"${TS}","v":1}`,
    );
  });

  test("minimal bodies: optional fields may be left out", () => {
    const g: GenesisRecord = { ...genesis, body: { createdBy: "ops" } };
    const l: LabelRecord = { ...label, body: { id: "L1234", name: "x" } };
    const { score: _score, ...withoutScore } = decision.body;
    const d: DecisionRecord = { ...decision, body: withoutScore };
    for (const record of [g, l, d]) expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  test("a salted commitment and a sha512 model digest are valid too", () => {
    const d: DecisionRecord = {
      ...decision,
      body: {
        ...decision.body,
        input: commitSalted({ age: 42 }).commitment,
        model: { id: "m", version: "1", hash: `sha512:${"0".repeat(128)}` },
      },
    };
    expect(decodeRecord(encodeRecord(d))).toEqual(d);
  });
});

describe("records: schema rules, each with its code and path", () => {
  type Mutation = (r: Record<string, unknown>) => void;
  /** Walks a dotted path (`body.model.hash`) to the parent object and the last key. */
  const locate = (r: Record<string, unknown>, path: string): [Record<string, unknown>, string] => {
    const keys = path.split(".");
    const last = keys.pop() as string;
    let parent = r;
    for (const key of keys) parent = parent[key] as Record<string, unknown>;
    return [parent, last];
  };
  const set =
    (path: string, value: unknown): Mutation =>
    (r) => {
      const [parent, key] = locate(r, path);
      parent[key] = value;
    };
  const del =
    (path: string): Mutation =>
    (r) => {
      const [parent, key] = locate(r, path);
      delete parent[key];
    };
  const dagJsonCid = CID.createV1(0x0129, genesisCid.multihash);
  const v0Cid = CID.createV0(Digest.create(0x12, new Uint8Array(32)));
  const modelHash = (hex: string) => `sha256:${hex}`;

  const cases: Array<[string, AncoraRecord, Mutation, SchemaErrorCode, string]> = [
    ["unknown version", label, set("v", 2), "SCHEMA_UNSUPPORTED_VERSION", "$.v"],
    ["version as a string", label, set("v", "1"), "SCHEMA_UNSUPPORTED_VERSION", "$.v"],
    ["missing version", label, del("v"), "SCHEMA_MISSING_FIELD", "$.v"],
    ["unknown kind", label, set("kind", "dataset"), "SCHEMA_UNKNOWN_KIND", "$.kind"],
    ["kind not a string", label, set("kind", 7), "SCHEMA_INVALID_FIELD", "$.kind"],
    ["missing kind", label, del("kind"), "SCHEMA_MISSING_FIELD", "$.kind"],
    ["unknown envelope field", label, set("extra", 1), "SCHEMA_UNKNOWN_FIELD", "$.extra"],
    ["missing stream", label, del("stream"), "SCHEMA_MISSING_FIELD", "$.stream"],
    ["stream with a space", label, set("stream", "credit scoring"), "SCHEMA_INVALID_FIELD", "$.stream"],
    ["empty stream", label, set("stream", ""), "SCHEMA_INVALID_FIELD", "$.stream"],
    ["negative seq", label, set("seq", -1), "SCHEMA_INVALID_FIELD", "$.seq"],
    ["fractional seq", label, set("seq", 1.5), "SCHEMA_INVALID_FIELD", "$.seq"],
    ["genesis with seq 1", genesis, set("seq", 1), "SCHEMA_INVALID_FIELD", "$.seq"],
    ["label with seq 0", label, set("seq", 0), "SCHEMA_INVALID_FIELD", "$.seq"],
    ["genesis with prev", genesis, set("prev", genesisCid), "SCHEMA_INVALID_FIELD", "$.prev"],
    ["missing prev after genesis", label, del("prev"), "SCHEMA_MISSING_FIELD", "$.prev"],
    ["prev as a string", label, set("prev", genesisCid.toString()), "SCHEMA_INVALID_FIELD", "$.prev"],
    ["prev with the dag-json codec", label, set("prev", dagJsonCid), "SCHEMA_INVALID_FIELD", "$.prev"],
    ["prev as CIDv0", label, set("prev", v0Cid), "SCHEMA_INVALID_FIELD", "$.prev"],
    ["ts without milliseconds", label, set("ts", "2025-01-31T12:00:00Z"), "SCHEMA_INVALID_FIELD", "$.ts"],
    ["ts with an offset", label, set("ts", "2025-01-31T12:00:00.000+01:00"), "SCHEMA_INVALID_FIELD", "$.ts"],
    ["ts on 30 February", label, set("ts", "2025-02-30T12:00:00.000Z"), "SCHEMA_INVALID_FIELD", "$.ts"],
    ["ts at 24:00", label, set("ts", "2025-01-31T24:00:00.000Z"), "SCHEMA_INVALID_FIELD", "$.ts"],
    ["ts on a leap second", label, set("ts", "2016-12-31T23:59:60.000Z"), "SCHEMA_INVALID_FIELD", "$.ts"],
    ["ts with a lower-case z", label, set("ts", "2025-01-31T12:00:00.000z"), "SCHEMA_INVALID_FIELD", "$.ts"],
    ["ts on 29 February 2100", label, set("ts", "2100-02-29T00:00:00.000Z"), "SCHEMA_INVALID_FIELD", "$.ts"],
    ["ts as a number", label, set("ts", 1738324800000), "SCHEMA_INVALID_FIELD", "$.ts"],
    ["body not an object", label, set("body", ["L001"]), "SCHEMA_INVALID_FIELD", "$.body"],
    ["genesis without createdBy", genesis, del("body.createdBy"), "SCHEMA_MISSING_FIELD", "$.body.createdBy"],
    ["genesis with a model", genesis, set("body.model", "m"), "SCHEMA_UNKNOWN_FIELD", "$.body.model"],
    [
      "genesis registry with a checksummed address",
      genesis,
      set("body.registry.address", "0x5FbDB2315678afecb367f032d93F642f64180aa3"),
      "SCHEMA_INVALID_FIELD",
      "$.body.registry.address",
    ],
    [
      "genesis registry on chain 0",
      genesis,
      set("body.registry.chainId", 0),
      "SCHEMA_INVALID_FIELD",
      "$.body.registry.chainId",
    ],
    ["label id without the L", label, set("body.id", "001"), "SCHEMA_INVALID_FIELD", "$.body.id"],
    ["label id too short", label, set("body.id", "L01"), "SCHEMA_INVALID_FIELD", "$.body.id"],
    ["empty label name", label, set("body.name", ""), "SCHEMA_INVALID_FIELD", "$.body.name"],
    [
      "config without changeReason",
      config,
      del("body.changeReason"),
      "SCHEMA_MISSING_FIELD",
      "$.body.changeReason",
    ],
    ["config without changedBy", config, del("body.changedBy"), "SCHEMA_MISSING_FIELD", "$.body.changedBy"],
    [
      "config with an empty reason",
      config,
      set("body.changeReason", ""),
      "SCHEMA_INVALID_FIELD",
      "$.body.changeReason",
    ],
    [
      "config threshold as a string",
      config,
      set("body.threshold", "0.5"),
      "SCHEMA_INVALID_FIELD",
      "$.body.threshold",
    ],
    [
      "config with a label name",
      config,
      set("body.belowLabel", "deny"),
      "SCHEMA_INVALID_FIELD",
      "$.body.belowLabel",
    ],
    ["decision without config", decision, del("body.config"), "SCHEMA_MISSING_FIELD", "$.body.config"],
    [
      "decision config as a string",
      decision,
      set("body.config", "bafkrei"),
      "SCHEMA_INVALID_FIELD",
      "$.body.config",
    ],
    [
      "decision model without hash",
      decision,
      del("body.model.hash"),
      "SCHEMA_MISSING_FIELD",
      "$.body.model.hash",
    ],
    [
      "decision model hash in upper case",
      decision,
      set("body.model.hash", modelHash("AB".repeat(32))),
      "SCHEMA_INVALID_FIELD",
      "$.body.model.hash",
    ],
    [
      "decision model hash too short",
      decision,
      set("body.model.hash", modelHash("ab".repeat(31))),
      "SCHEMA_INVALID_FIELD",
      "$.body.model.hash",
    ],
    [
      "commitment scheme md5",
      decision,
      set("body.input.scheme", "md5"),
      "SCHEMA_INVALID_FIELD",
      "$.body.input.scheme",
    ],
    [
      "commitment digest of 31 bytes",
      decision,
      set("body.output.digest", new Uint8Array(31)),
      "SCHEMA_INVALID_FIELD",
      "$.body.output.digest",
    ],
    [
      "keyId on a plain commitment",
      decision,
      set("body.output.keyId", "k"),
      "SCHEMA_UNKNOWN_FIELD",
      "$.body.output.keyId",
    ],
    [
      "commitment carrying the value",
      decision,
      set("body.input.value", 42),
      "SCHEMA_UNKNOWN_FIELD",
      "$.body.input.value",
    ],
    [
      "decision score as a string",
      decision,
      set("body.score", "0.7"),
      "SCHEMA_INVALID_FIELD",
      "$.body.score",
    ],
    [
      "decision label as a name",
      decision,
      set("body.label", "approve"),
      "SCHEMA_INVALID_FIELD",
      "$.body.label",
    ],
  ];

  test.each(cases)("%s", (_, base, mutate, code, path) => {
    const record = clone(base) as unknown as Record<string, unknown>;
    mutate(record);
    // Both directions: encoding refuses it, and bytes of it (written by a careless writer) do not decode.
    const onEncode = schemaError(() => encodeRecord(record as unknown as AncoraRecord));
    expect({ code: onEncode.code, path: onEncode.path }).toEqual({ code, path });
    const onDecode = schemaError(() => decodeRecord(encodeCanonical(record)));
    expect({ code: onDecode.code, path: onDecode.path }).toEqual({ code, path });
  });

  test("a record that is not an object", () => {
    for (const value of [null, [], "record", 1]) {
      expect(schemaError(() => validateRecord(value))).toMatchObject({
        code: "SCHEMA_INVALID_FIELD",
        path: "$",
      });
    }
  });

  test("encoding rules apply to records too, with the record path", () => {
    const record = clone(decision);
    record.body.score = Number.NaN;
    expect(() => encodeRecord(record)).toThrow(
      expect.objectContaining({ code: "ENCODING_NON_FINITE_NUMBER", path: "$.body.score" }),
    );
    record.body.score = -0;
    expect(() => encodeRecord(record)).toThrow(expect.objectContaining({ code: "ENCODING_NEGATIVE_ZERO" }));
  });

  test("records over 256 KiB are refused on encode and on decode", () => {
    const big = clone(config);
    big.body.changeReason = "x".repeat(MAX_RECORD_BYTES);
    expect(() => encodeRecord(big)).toThrow(expect.objectContaining({ code: "ENCODING_TOO_LARGE" }));
    const bytes = encodeCanonical(big);
    expect(() => decodeRecord(bytes)).toThrow(expect.objectContaining({ code: "ENCODING_TOO_LARGE" }));
  });

  test("non-canonical record bytes are refused even when they hold a valid record", () => {
    const text = new TextDecoder().decode(encodeRecord(label)).replace('"seq":1', '"seq": 1');
    expect(() => decodeRecord(new TextEncoder().encode(text))).toThrow(
      expect.objectContaining({ code: "ENCODING_NOT_CANONICAL" }),
    );
  });

  test("every error is an AncoraError with a stable code", () => {
    const error = schemaError(() => validateRecord({ v: 3 }));
    expect(error).toBeInstanceOf(AncoraError);
    expect(error.toJSON()).toMatchObject({ name: "SchemaError", code: "SCHEMA_UNSUPPORTED_VERSION" });
  });
});

describe("records: kind registry and label resolution", () => {
  test("version 1 defines genesis, label, config, decision and the lineage and governance kinds", () => {
    expect(Object.keys(RECORD_KINDS).sort()).toEqual([
      "access-grant",
      "capsule",
      "config",
      "consent",
      "consent-denied",
      "consent-revocation",
      "dataset-split",
      "decision",
      "erasure",
      "genesis",
      "label",
      "model",
      "ownership",
      "reproducibility",
      "retention",
      "training",
    ]);
    expect(isRecordKind("decision")).toBe(true);
    expect(isRecordKind("toString")).toBe(false);
    expect(isRecordKind(undefined)).toBe(false);
  });

  test("resolveLabel: at or above the threshold is aboveLabel, below it belowLabel", () => {
    expect(resolveLabel(config.body, 0.5)).toBe("L001");
    expect(resolveLabel(config.body, 0.9)).toBe("L001");
    expect(resolveLabel(config.body, 0.4999)).toBe("L002");
    expect(resolveLabel(config.body, Number.NEGATIVE_INFINITY)).toBe("L002");
  });
});

describe("records: properties", () => {
  const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const cidArb = digestArb.map((d) => CID.createV1(0x55, Digest.create(0x12, d)));
  const commitmentArb: fc.Arbitrary<Commitment> = fc.oneof(
    fc.record({ scheme: fc.constantFrom("plain" as const, "salted" as const), digest: digestArb }),
    fc.record(
      {
        scheme: fc.constant("hmac" as const),
        digest: digestArb,
        keyId: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
      },
      { requiredKeys: ["scheme", "digest"] },
    ),
  );
  const textArb = fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 });
  const labelIdArb = fc.integer({ min: 1, max: 99_999 }).map((n) => `L${String(n).padStart(3, "0")}`);
  // Doubles of magnitude 2^53 and above are all integers, which the encoder refuses unless bigint.
  const scoreArb = fc.double({ min: -1e15, max: 1e15, noNaN: true }).map((x) => x + 0);
  const envelopeArb = fc.record({
    stream: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/),
    seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    prev: cidArb,
    ts: fc
      .date({
        min: new Date("0000-01-01T00:00:00.000Z"),
        max: new Date("9999-12-31T23:59:59.999Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
  });
  const recordArb: fc.Arbitrary<AncoraRecord> = fc.oneof(
    fc
      .tuple(envelopeArb, fc.record({ createdBy: textArb, org: textArb }, { requiredKeys: ["createdBy"] }))
      .map(
        ([e, body]): AncoraRecord => ({ v: 1, kind: "genesis", stream: e.stream, seq: 0, ts: e.ts, body }),
      ),
    fc
      .tuple(
        envelopeArb,
        fc.record({ id: labelIdArb, name: textArb, changedBy: textArb }, { requiredKeys: ["id", "name"] }),
      )
      .map(([e, body]): AncoraRecord => ({ v: 1, kind: "label", ...e, body })),
    fc
      .tuple(
        envelopeArb,
        fc.record({
          threshold: scoreArb,
          aboveLabel: labelIdArb,
          belowLabel: labelIdArb,
          changedBy: textArb,
          changeReason: textArb,
        }),
      )
      .map(([e, body]): AncoraRecord => ({ v: 1, kind: "config", ...e, body })),
    fc
      .tuple(
        envelopeArb,
        fc.record(
          {
            model: fc.record({
              id: textArb,
              version: textArb,
              hash: digestArb.map((d) => `sha256:${Buffer.from(d).toString("hex")}`),
            }),
            input: commitmentArb,
            output: commitmentArb,
            score: scoreArb,
            label: labelIdArb,
            config: cidArb,
          },
          { requiredKeys: ["model", "input", "output", "label", "config"] },
        ),
      )
      .map(([e, body]): AncoraRecord => ({ v: 1, kind: "decision", ...e, body })),
  );

  test("every valid record round-trips: decode(encode(r)) equals r and re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const { bytes, cid } = encodeRecordBlock(record);
        const decoded = decodeRecord(bytes);
        expect(decoded).toEqual(record);
        expect(encodeRecordBlock(decoded).cid.toString()).toBe(cid.toString());
      }),
      { numRuns: RUNS },
    );
  });

  test("building a record with its fields in another order gives the same bytes and CID", () => {
    const reversed = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reversed);
      if (typeof value !== "object" || value === null || value instanceof Uint8Array || CID.asCID(value))
        return value;
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([k, v]) => [k, reversed(v)]),
      );
    };
    fc.assert(
      fc.property(recordArb, (record) => {
        const other = reversed(record) as AncoraRecord;
        expect(Object.keys(other)).not.toEqual(Object.keys(record));
        expect(encodeRecordBlock(other).cid.toString()).toBe(encodeRecordBlock(record).cid.toString());
      }),
      { numRuns: RUNS },
    );
  });

  test("changing any single byte of a record's encoding changes its CID or makes it undecodable", () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (record, at, flip) => {
        const { bytes, cid } = encodeRecordBlock(record);
        const tampered = bytes.slice();
        const i = at % tampered.length;
        tampered[i] = (tampered[i] ?? 0) ^ flip;
        expect(computeCid(tampered).toString()).not.toBe(cid.toString());
        let decoded: AncoraRecord | undefined;
        try {
          decoded = decodeRecord(tampered);
        } catch (error) {
          expect(error).toBeInstanceOf(AncoraError);
          expect([EncodingError, SchemaError].some((c) => error instanceof c)).toBe(true);
        }
        // If it still decodes, it is a different record: it never passes for the original.
        if (decoded !== undefined) expect(encodeRecord(decoded)).not.toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });
});
