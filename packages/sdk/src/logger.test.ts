import {
  commitHmac,
  commitPlain,
  type DecisionRecord,
  decodeRecord,
  verifyConsistency,
  verifyInclusion,
  verifyOpening,
} from "@ancora/core";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SCHEMA_VERSION } from "./internal/schema.js";
import { createLogger, type ProvenanceLogger } from "./logger.js";
import { openStore } from "./store.js";
import { CONFIG, MODEL, MODEL_B, steppingClock, tempStore } from "./testing/fixtures.js";

let temp: ReturnType<typeof tempStore>;
const open: ProvenanceLogger[] = [];

function decisionBody(l: ProvenanceLogger, seq: number): DecisionRecord["body"] {
  const record = l.store.get("credit", seq)?.record;
  if (record?.kind !== "decision") throw new Error(`no decision at ${seq}`);
  return record.body;
}

function logger(options: Partial<Parameters<typeof createLogger>[0]> = {}): ProvenanceLogger {
  const created = createLogger({ path: temp.path, stream: "credit", model: MODEL, ...options });
  open.push(created);
  return created;
}

beforeEach(() => {
  temp = tempStore();
});
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  temp.cleanup();
});

describe("createLogger", () => {
  it("creates the stream with a genesis record once, and reopens it", async () => {
    const first = logger({ createdBy: "ops@example.org", org: "Example Bank" });
    expect(first.store.stream("credit")).toMatchObject({ name: "credit", size: 1 });
    await first.close();
    const second = logger();
    expect(second.store.stream("credit").size).toBe(1);
    const genesis = second.store.get("credit", 0);
    expect(genesis?.record).toMatchObject({
      kind: "genesis",
      seq: 0,
      body: { createdBy: "ops@example.org" },
    });
    expect(second.verify().ok).toBe(true);
  });

  it("sets WAL, synchronous=FULL, a busy timeout and the schema version", () => {
    logger();
    const db = new Database(temp.path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });
});

describe("labels and config", () => {
  it("defines labels with stable ids, renames them, and resolves config labels by name or id", () => {
    const l = logger();
    expect(l.defineLabel("approve")).toMatchObject({ id: "L001", name: "approve", seq: 1 });
    expect(l.defineLabel("approve")).toEqual({ id: "L001", name: "approve" }); // idempotent: nothing written
    const config = l.setConfig({ ...CONFIG, aboveLabel: "L001", belowLabel: "refer" });
    expect(config.config).toMatchObject({ aboveLabel: "L001", belowLabel: "L002", threshold: 0.5 });
    expect(config.definedLabels).toEqual([{ id: "L002", name: "refer", seq: 2 }]);
    l.renameLabel("L002", "manual review", { changedBy: "ops", changeReason: "wording" });
    expect(l.labels()).toEqual([
      { id: "L001", name: "approve" },
      { id: "L002", name: "manual review" },
    ]);
    expect(l.config()).toMatchObject({ threshold: 0.5, seq: 3, cid: config.cid });
    expect(l.verify().ok).toBe(true);
  });

  it("keeps labels and configs per stream", async () => {
    const credit = logger();
    credit.setConfig({ ...CONFIG, aboveLabel: "approve", belowLabel: "refer" });
    const fraud = logger({ stream: "fraud", model: MODEL_B });
    fraud.setConfig({ ...CONFIG, threshold: 0.9, aboveLabel: "block", belowLabel: "allow" });
    const a = await credit.record({ features: { x: 1 }, output: "o", score: 0.6 });
    const b = await fraud.record({ features: { x: 1 }, output: "o", score: 0.6 });
    expect(a.label).toBe("L001"); // approve in credit
    expect(b.label).toBe("L002"); // allow in fraud: its own config, its own label ids
    expect(a.config).toBe(credit.config()?.cid);
    expect(b.config).toBe(fraud.config()?.cid);
    expect(fraud.labels()).toEqual([
      { id: "L001", name: "block" },
      { id: "L002", name: "allow" },
    ]);
    expect(credit.store.verify()).toMatchObject({ ok: true, checked: 5 + 5 });
  });

  it("refuses a config without actor or reason, with an unknown label id, or a non-finite threshold", () => {
    const l = logger();
    const size = l.store.stream("credit").size;
    expect(() => l.setConfig({ ...CONFIG, changedBy: "" })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => l.setConfig({ ...CONFIG, changeReason: undefined as unknown as string })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => l.setConfig({ ...CONFIG, aboveLabel: "L007" })).toThrow(
      expect.objectContaining({ code: "LABEL_UNKNOWN" }),
    );
    expect(() => l.setConfig({ ...CONFIG, threshold: Number.NaN })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => l.renameLabel("L001", "x")).toThrow(expect.objectContaining({ code: "LABEL_UNKNOWN" }));
    expect(l.store.stream("credit").size).toBe(size);
  });
});

describe("record", () => {
  it("resolves the label from the config current at write time and links it", async () => {
    const l = logger();
    const first = l.setConfig(CONFIG);
    const below = await l.record({ features: { age: 42 }, output: { p: 0.2 }, score: 0.2 });
    const at = l.recordSync({ features: { age: 42 }, output: { p: 0.5 }, score: 0.5 });
    const second = l.setConfig({ ...CONFIG, threshold: 0.1, changeReason: "recalibration" });
    const after = await l.log({ features: { age: 42 }, output: { p: 0.2 }, score: 0.2 });
    expect([below.label, at.label, after.label]).toEqual(["L002", "L001", "L001"]);
    expect([below.config, at.config, after.config]).toEqual([first.cid, first.cid, second.cid]);
    const body = decisionBody(l, after.seq);
    expect(body).toMatchObject({ score: 0.2, label: "L001", model: MODEL });
    expect(body.config.toString()).toBe(second.cid);
    expect(l.verify()).toMatchObject({ ok: true, checked: 8 });
  });

  it("group-commits concurrent calls into one transaction, each resolved after commit", async () => {
    const l = logger();
    l.setConfig(CONFIG);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => l.record({ features: { i }, output: i, score: i / 500 })),
    );
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, i) => 4 + i));
    // One transaction: every record has the same timestamp (the clock is read once per transaction).
    expect(new Set(results.map((r) => r.ts)).size).toBe(1);
    // Durable: another connection sees them all.
    const db = new Database(temp.path, { readonly: true });
    expect(db.prepare("SELECT count(*) FROM records").pluck().get()).toBe(504);
    db.close();
    expect(l.verify().ok).toBe(true);
  });

  it("splits a long queue into transactions of maxBatch", async () => {
    const l = logger({ groupCommit: { maxBatch: 64 } });
    l.setConfig(CONFIG);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => l.record({ features: { i }, output: i, score: 0.3 })),
    );
    expect(results.at(-1)?.seq).toBe(303);
    expect(l.verify().ok).toBe(true);
  });

  it("stores commitments, never inputs; anonymise runs before the commitment", async () => {
    const anonymise = vi.fn(({ name: _name, ...rest }: Record<string, unknown>) => rest);
    const l = logger({ commitment: "plain", anonymise });
    l.setConfig(CONFIG);
    const features = { name: "Alice Example", age: 42 };
    const r = await l.record({ features, output: "approve", score: 0.9 });
    expect(anonymise).toHaveBeenCalledWith(features);
    const stored = l.store.get("credit", r.seq);
    const text = new TextDecoder().decode(stored?.bytes);
    expect(text).not.toContain("Alice");
    const body = decisionBody(l, r.seq);
    expect(body.input).toEqual(commitPlain({ age: 42 }));
    expect(body.output).toEqual(commitPlain("approve"));
    const raw = new Database(temp.path, { readonly: true });
    const dump = raw
      .prepare("SELECT group_concat(CAST(bytes AS TEXT), '') FROM records")
      .pluck()
      .get() as string;
    expect(dump).not.toContain("Alice");
    raw.close();
  });

  it("keeps salts apart: opening works with them, deleting them keeps the chain verifiable", async () => {
    const l = logger({ commitment: "salted" });
    l.setConfig(CONFIG);
    const features = { age: 42, income: 51_000 };
    const r = await l.record({ features, output: "approve", score: 0.9 });
    const body = decisionBody(l, r.seq);
    const salts = l.store.salts("credit", r.seq);
    expect(salts.input).toHaveLength(32);
    expect(verifyOpening(body.input, { value: features, salt: salts.input as Uint8Array })).toBe(true);
    expect(verifyOpening(body.output, { value: "approve", salt: salts.output as Uint8Array })).toBe(true);
    expect(l.store.forgetSalts("credit", r.seq)).toBe(2);
    expect(l.store.salts("credit", r.seq)).toEqual({});
    expect(l.verify().ok).toBe(true);
  });

  it("commits with an organisation HMAC key", async () => {
    const key = new Uint8Array(32).fill(9);
    const l = logger({ commitment: { scheme: "hmac", key, keyId: "org-2025" } });
    l.setConfig(CONFIG);
    const r = l.recordSync({ features: { age: 42 }, output: 1, score: 0.9 });
    const body = decisionBody(l, r.seq);
    expect(body.input).toEqual(commitHmac({ age: 42 }, key, { keyId: "org-2025" }));
    expect(l.store.salts("credit", r.seq)).toEqual({});
  });

  it("records another model version when told, and timestamps from the clock", async () => {
    const l = logger({ clock: steppingClock() });
    l.setConfig(CONFIG);
    const r = await l.record({ features: {}, output: 1, score: 1, model: { ...MODEL, version: "2.4.0" } });
    expect(r.ts).toMatch(/^2025-03-01T09:00:00\.00\dZ$/);
    expect(l.count({ model: { id: MODEL.id, version: "2.4.0" } })).toBe(1);
  });
});

describe("wrap", () => {
  it("keeps a sync function's signature and output, logging one durable decision per call", () => {
    const l = logger();
    l.setConfig(CONFIG);
    const model = (features: { age: number }, factor: number) => ({
      probability: (features.age / 100) * factor,
    });
    const predict = l.wrap(model, { score: (out) => out.probability });
    const out = predict({ age: 42 }, 2);
    expect(out).toEqual({ probability: 0.84 });
    expect(l.count()).toBe(1);
    expect(l.search().items[0]?.label).toBe("L001");
  });

  it("keeps an async function's output and logs after it resolves; model errors pass through", async () => {
    const l = logger();
    l.setConfig(CONFIG);
    const model = async (features: { age: number }) => features.age / 100;
    const predict = l.wrap(model, { score: (out) => out });
    await expect(predict({ age: 30 })).resolves.toBe(0.3);
    expect(l.count({ label: "L002" })).toBe(1);
    const failing = l.wrap(
      async (_: { age: number }): Promise<number> => {
        throw new RangeError("model failed");
      },
      { score: (out) => out },
    );
    await expect(failing({ age: 1 })).rejects.toThrow(RangeError);
    const throwing = l.wrap(
      (_: { age: number }): number => {
        throw new TypeError("sync model failed");
      },
      { score: (out) => out },
    );
    expect(() => throwing({ age: 1 })).toThrow(TypeError);
    expect(l.count()).toBe(1);
  });

  it("reports logging failures to onError and never alters the output", async () => {
    const onError = vi.fn();
    const l = logger({ onError });
    // No config yet: every decision fails to log.
    const sync = l.wrap((x: Record<string, unknown>) => ({ ok: x }), { score: () => 0.5 });
    const input = { a: 1 };
    expect(sync(input)).toEqual({ ok: input });
    const async = l.wrap(async (x: Record<string, unknown>) => x, { score: () => Number.NaN });
    await expect(async(input)).resolves.toBe(input);
    const background = l.wrap((x: Record<string, unknown>) => x, { score: () => 0.1, durable: false });
    expect(background(input)).toBe(input);
    await l.flush();
    await new Promise((r) => setImmediate(r));
    expect(onError.mock.calls.map(([e]) => (e as { code: string }).code)).toEqual([
      "CONFIG_MISSING",
      "SCORE_INVALID",
      "CONFIG_MISSING",
    ]);
    const other = logger({
      stream: "other",
      onError: () => {
        throw new Error("handler bug");
      },
    });
    const guarded = other.wrap((x: Record<string, unknown>) => x, { score: () => 0.1 });
    expect(guarded(input)).toBe(input);
    expect(l.count()).toBe(0);
  });
});

describe("proofs, checkpoints and search", () => {
  it("serves inclusion and consistency proofs that verify against the checkpoint", async () => {
    const l = logger();
    l.setConfig(CONFIG);
    for (let i = 0; i < 37; i++) await l.record({ features: { i }, output: i, score: i / 37 });
    expect(l.store.latestCheckpoint("credit")).toBeUndefined();
    const checkpoint = l.checkpoint();
    expect(checkpoint.size).toBe(41);
    expect(l.store.checkpoints("credit")).toEqual([checkpoint]);
    expect(l.checkpoint()).toEqual(checkpoint); // same size: the same checkpoint
    for (const seq of [0, 5, 40]) {
      const proof = l.inclusionProof(seq);
      expect(proof.root).toEqual(checkpoint.root);
      expect(
        verifyInclusion({
          leafHash: proof.leafHash,
          index: seq,
          size: 41,
          proof: proof.proof,
          root: checkpoint.root,
        }),
      ).toBe(true);
    }
    const old = l.inclusionProof(3, 10);
    expect(old.size).toBe(10);
    const consistency = l.store.consistencyProof("credit", 10, 41);
    expect(verifyConsistency({ ...consistency, root1: old.root, root2: checkpoint.root })).toBe(true);
    expect(l.store.dueJobs({ kind: "anchor" })).toEqual([
      expect.objectContaining({
        kind: "anchor",
        stream: "credit",
        payload: { stream: "credit", size: 41 },
        attempts: 0,
      }),
    ]);
    expect(l.verify()).toMatchObject({ ok: true, checkpoints: 1 });
    await l.record({ features: { i: 37 }, output: 37, score: 0.5 });
    const later = l.checkpoint();
    expect(l.store.checkpointAt("credit", 41)).toEqual(checkpoint);
    expect(l.store.checkpointAt("credit", 42)).toEqual(later);
    expect(l.store.checkpointAt("credit", 40)).toBeUndefined();
    expect(l.store.latestCheckpoint("credit")).toEqual(later);
    expect(() => l.store.checkpointAt("nope", 41)).toThrow(
      expect.objectContaining({ code: "STREAM_UNKNOWN" }),
    );
  });

  it("searches and counts by stream, model, label and time with keyset pagination", async () => {
    const l = logger({ clock: steppingClock() });
    l.setConfig(CONFIG);
    for (let i = 0; i < 25; i++) l.recordSync({ features: { i }, output: i, score: i % 2 === 0 ? 0.9 : 0.1 });
    for (let i = 0; i < 5; i++)
      l.recordSync({ features: { i }, output: i, score: 0.9, model: { ...MODEL, version: "3.0.0" } });
    const b = logger({ stream: "fraud", model: MODEL_B });
    b.setConfig(CONFIG);
    await b.record({ features: {}, output: 0, score: 0.9 });

    expect(l.count()).toBe(30);
    expect(l.store.count()).toBe(31);
    expect(l.count({ label: "L001" })).toBe(18);
    expect(l.count({ model: MODEL.id })).toBe(30);
    expect(l.count({ model: { id: MODEL.id, version: "3.0.0" } })).toBe(5);
    expect(l.store.count({ model: MODEL_B.id })).toBe(1);
    expect(l.count({ kind: "any" })).toBe(34);
    expect(l.count({ kind: "label" })).toBe(2);

    const seen: number[] = [];
    let page = l.search({ label: "L001", limit: 7 });
    seen.push(...page.items.map((i) => i.seq));
    while (page.cursor !== undefined) {
      page = l.search({ label: "L001", limit: 7, cursor: page.cursor });
      seen.push(...page.items.map((i) => i.seq));
    }
    expect(seen).toHaveLength(18);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    const first = l.search({ limit: 1 }).items[0];
    expect(first).toMatchObject({
      stream: "credit",
      kind: "decision",
      label: "L001",
      model: { id: MODEL.id },
    });
    // Time range: the clock steps 1 ms per transaction.
    const items = l.search({ limit: 1000 }).items;
    const from = items[10]?.ts as string;
    const to = items[20]?.ts as string;
    expect(l.count({ from, to })).toBe(10);
    expect(l.search({ from: new Date(from), to: new Date(to), limit: 1000 }).items.map((i) => i.seq)).toEqual(
      items.slice(10, 20).map((i) => i.seq),
    );
    expect(() => l.search({ cursor: "garbage" })).toThrow(
      expect.objectContaining({ code: "INVALID_CURSOR" }),
    );
    expect(() => l.search({ limit: 0 })).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
    expect(() => l.search({ from: "not a date" })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => l.store.search({ stream: "nope" })).toThrow(
      expect.objectContaining({ code: "STREAM_UNKNOWN" }),
    );
  });
});

describe("stores", () => {
  it("opens read-only for an auditor and verifies every stream", async () => {
    const l = logger();
    l.setConfig(CONFIG);
    await l.record({ features: {}, output: 1, score: 1 });
    await l.close();
    const store = openStore({ path: temp.path, readonly: true });
    expect(store.streams().map((s) => s.name)).toEqual(["credit"]);
    expect(store.verify()).toMatchObject({ ok: true, checked: 5 });
    store.close();
    expect(() => store.streams()).toThrow(expect.objectContaining({ code: "CLOSED" }));
  });

  it("returns decoded records", () => {
    const l = logger();
    const genesis = l.store.get("credit", 0);
    expect(genesis && decodeRecord(genesis.bytes)).toEqual(genesis?.record);
    expect(l.store.get("credit", 99)).toBeUndefined();
  });
});
