/**
 * Bad input never writes: every case is a typed error (an AncoraError subclass with a stable code and
 * a hint) and the store is byte-for-byte the log it was before.
 */
import { existsSync } from "node:fs";
import { AncoraError } from "@ancora/core";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClosedError, ConfigMissingError, InputError, StoreError, StreamUnknownError } from "./errors.js";
import { createLogger, type DecisionEntry, ProvenanceLogger } from "./logger.js";
import { AncoraStore, openStore } from "./store.js";
import { CONFIG, MODEL, tempStore } from "./testing/fixtures.js";

let temp: ReturnType<typeof tempStore>;
let logger: ProvenanceLogger;

/** Everything a write could change, read over a separate connection. */
function snapshot(): string {
  const db = new Database(temp.path, { readonly: true });
  const dump = JSON.stringify([
    db.prepare("SELECT * FROM streams ORDER BY id").all(),
    db.prepare("SELECT stream_id, seq, cid, hex(bytes) FROM records ORDER BY stream_id, seq").all(),
    db.prepare("SELECT stream_id, level, idx, hex(hashes) FROM merkle_tiles ORDER BY 1, 2, 3").all(),
    db.prepare("SELECT count(salt_input), count(salt_output) FROM records").raw().get(),
    db.prepare("SELECT count(*) FROM outbox").pluck().get(),
  ]);
  db.close();
  return dump;
}

function expectTyped(
  error: unknown,
  type: abstract new (...args: never[]) => AncoraError,
  code: string,
): void {
  expect(error).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(AncoraError);
  expect((error as AncoraError).code).toBe(code);
  expect((error as AncoraError).hint ?? (error as AncoraError).shortMessage).toBeTruthy();
}

async function rejectsWith(
  entry: unknown,
  type: abstract new (...args: never[]) => AncoraError,
  code: string,
): Promise<AncoraError> {
  const before = snapshot();
  const error = await logger.record(entry as DecisionEntry).then(
    () => undefined,
    (e: unknown) => e,
  );
  expectTyped(error, type, code);
  let syncError: unknown;
  try {
    logger.recordSync(entry as DecisionEntry);
  } catch (e) {
    syncError = e;
  }
  expectTyped(syncError, type, code);
  expect(snapshot()).toBe(before);
  return error as AncoraError;
}

beforeEach(() => {
  temp = tempStore();
  logger = createLogger({ path: temp.path, stream: "credit", model: MODEL, maxInputBytes: 1024 });
});
afterEach(async () => {
  await logger.close();
  temp.cleanup();
});

describe("bad input: typed error, nothing written", () => {
  it("a decision before any config: CONFIG_MISSING", async () => {
    const error = await rejectsWith(
      { features: { a: 1 }, output: 1, score: 0.5 },
      ConfigMissingError,
      "CONFIG_MISSING",
    );
    expect(error.evidence).toEqual({ stream: "credit" });
  });

  describe("with a config", () => {
    beforeEach(() => {
      logger.setConfig(CONFIG);
    });

    it.each([
      ["null", null],
      ["an array", [1, 2]],
      ["a string", "age=42"],
      ["a number", 42],
      ["a Map", new Map([["a", 1]])],
      ["a class instance", new (class Features {})()],
    ])("non-object features (%s): INPUT_NOT_OBJECT", async (_, features) => {
      await rejectsWith({ features, output: 1, score: 0.5 }, InputError, "INPUT_NOT_OBJECT");
    });

    it("a missing entry: INPUT_NOT_OBJECT", async () => {
      await rejectsWith(undefined, InputError, "INPUT_NOT_OBJECT");
    });

    it("NaN in the features: INPUT_NOT_ENCODABLE naming the field, never the value", async () => {
      const error = await rejectsWith(
        { features: { age: 42, income: Number.NaN }, output: 1, score: 0.5 },
        InputError,
        "INPUT_NOT_ENCODABLE",
      );
      expect(error.evidence).toEqual({
        field: "features",
        path: "$.income",
        reason: "ENCODING_NON_FINITE_NUMBER",
      });
      expect(error.message).not.toContain("42");
    });

    it("NaN or a non-number as score: SCORE_INVALID", async () => {
      await rejectsWith({ features: {}, output: 1, score: Number.NaN }, InputError, "SCORE_INVALID");
      await rejectsWith(
        { features: {}, output: 1, score: Number.POSITIVE_INFINITY },
        InputError,
        "SCORE_INVALID",
      );
      await rejectsWith({ features: {}, output: 1, score: "0.5" }, InputError, "SCORE_INVALID");
      await rejectsWith({ features: {}, output: 1 }, InputError, "SCORE_INVALID");
    });

    it("a cycle: INPUT_NOT_ENCODABLE (ENCODING_CYCLE)", async () => {
      const features: Record<string, unknown> = { a: 1 };
      features.self = features;
      const error = await rejectsWith({ features, output: 1, score: 0.5 }, InputError, "INPUT_NOT_ENCODABLE");
      expect(error.evidence).toMatchObject({ reason: "ENCODING_CYCLE", path: "$.self" });
    });

    it("undefined, functions and dates inside: INPUT_NOT_ENCODABLE", async () => {
      for (const value of [undefined, () => 1, new Date(0)]) {
        await rejectsWith({ features: { value }, output: 1, score: 0.5 }, InputError, "INPUT_NOT_ENCODABLE");
      }
      await rejectsWith(
        { features: {}, output: { x: undefined }, score: 0.5 },
        InputError,
        "INPUT_NOT_ENCODABLE",
      );
    });

    it("oversize input or output beyond maxInputBytes: INPUT_TOO_LARGE", async () => {
      const big = { blob: "x".repeat(2000) };
      const error = await rejectsWith(
        { features: big, output: 1, score: 0.5 },
        InputError,
        "INPUT_TOO_LARGE",
      );
      expect(error.evidence).toEqual({ field: "features", maxBytes: 1024 });
      await rejectsWith({ features: {}, output: big, score: 0.5 }, InputError, "INPUT_TOO_LARGE");
      // Just under the limit is fine.
      await expect(
        logger.record({ features: { blob: "x".repeat(1000) }, output: 1, score: 0.5 }),
      ).resolves.toMatchObject({ seq: 4 });
    });

    it("an anonymise function that throws or returns something unencodable", async () => {
      await logger.close();
      logger = createLogger({
        path: temp.path,
        stream: "credit",
        model: MODEL,
        anonymise: (f) => (f.fail ? Number.NaN : { ...f, when: new Date() }),
      });
      await rejectsWith(
        { features: { fail: true }, output: 1, score: 0.5 },
        InputError,
        "INPUT_NOT_ENCODABLE",
      );
      await rejectsWith(
        { features: { fail: false }, output: 1, score: 0.5 },
        InputError,
        "INPUT_NOT_ENCODABLE",
      );
    });

    it("a bad model override: INVALID_OPTION", async () => {
      await rejectsWith(
        { features: {}, output: 1, score: 0.5, model: { id: "m", version: "1", hash: "sha256:abc" } },
        InputError,
        "INVALID_OPTION",
      );
    });

    it("bad calls in a batch fail alone; the good ones are written", async () => {
      const calls = [
        logger.record({ features: { i: 1 }, output: 1, score: 0.9 }),
        logger.record({ features: { i: Number.NaN }, output: 1, score: 0.9 }),
        logger.record({ features: { i: 3 }, output: 1, score: 0.1 }),
      ];
      const settled = await Promise.allSettled(calls);
      expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(logger.count()).toBe(2);
      expect(logger.verify().ok).toBe(true);
    });

    it("a failing transaction rejects its whole batch with STORE_WRITE_FAILED and writes nothing", async () => {
      const db = new Database(temp.path);
      db.exec(
        "CREATE TRIGGER fail BEFORE INSERT ON records WHEN NEW.seq = 6 BEGIN SELECT RAISE(ABORT, 'boom'); END",
      );
      const before = snapshot();
      const settled = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => logger.record({ features: { i }, output: i, score: 0.5 })),
      );
      for (const s of settled) {
        expect(s.status).toBe("rejected");
        expectTyped((s as PromiseRejectedResult).reason, StoreError, "STORE_WRITE_FAILED");
      }
      expect(snapshot()).toBe(before);
      db.exec("DROP TRIGGER fail");
      db.close();
      // The writer reloads its head after the rollback and goes on from the committed state.
      await expect(logger.record({ features: {}, output: 1, score: 0.5 })).resolves.toMatchObject({ seq: 4 });
      expect(logger.verify().ok).toBe(true);
    });
  });

  it("an unknown stream: STREAM_UNKNOWN, and no stream is created", () => {
    const before = snapshot();
    let error: unknown;
    try {
      createLogger({ path: temp.path, stream: "nope", model: MODEL, create: false });
    } catch (e) {
      error = e;
    }
    expectTyped(error, StreamUnknownError, "STREAM_UNKNOWN");
    for (const call of [
      () => logger.store.verify({ stream: "nope" }),
      () => logger.store.search({ stream: "nope" }),
      () => logger.store.count({ stream: "nope" }),
      () => logger.store.checkpoint("nope"),
      () => logger.store.inclusionProof("nope", 0),
    ]) {
      expect(call).toThrow(StreamUnknownError);
    }
    expect(snapshot()).toBe(before);
  });

  it("a closed logger: CLOSED, for every call", async () => {
    logger.setConfig(CONFIG);
    await logger.close();
    const before = snapshot();
    const entry = { features: {}, output: 1, score: 0.5 };
    expectTyped(await logger.record(entry).catch((e: unknown) => e), ClosedError, "CLOSED");
    for (const call of [
      () => logger.recordSync(entry),
      () => logger.setConfig(CONFIG),
      () => logger.defineLabel("x"),
      () => logger.verify(),
      () => logger.checkpoint(),
      () => logger.store.streams(),
    ]) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expectTyped(error, ClosedError, "CLOSED");
    }
    expect(snapshot()).toBe(before);
    await logger.close(); // idempotent
  });

  it("bad options at construction: INVALID_OPTION, nothing created", () => {
    const fresh = tempStore();
    const cases: Record<string, unknown>[] = [
      { stream: "bad stream name!" },
      { model: { id: "m", version: "1" } },
      { model: { id: "m", version: "1", hash: "sha256:XYZ" } },
      // Valid OCI digests the format can read, refused on write: only sha256 names a checkable artefact.
      { model: { id: "m", version: "1", hash: "md5:x" } },
      { model: { id: "m", version: "1", hash: `sha512:${"ab".repeat(64)}` } },
      { commitment: "rot13" },
      { commitment: { scheme: "hmac", key: new Uint8Array(8) } },
      { maxInputBytes: 0 },
      { groupCommit: { maxBatch: 0 } },
    ];
    for (const bad of cases) {
      let error: unknown;
      try {
        createLogger({ path: fresh.path, stream: "credit", model: MODEL, ...bad });
      } catch (e) {
        error = e;
      }
      expectTyped(error, InputError, "INVALID_OPTION");
    }
    expect(() => openStore({ path: fresh.path, readonly: true })).toThrow(); // never created
    // A path given as the argument itself, or none, would open a private temporary database.
    for (const bad of [fresh.path, {}, { path: "" }, null]) {
      let error: unknown;
      try {
        openStore(bad as never);
      } catch (e) {
        error = e;
      }
      expectTyped(error, InputError, "INVALID_OPTION");
      expect((error as InputError).message).toContain('openStore({ path: "ancora.db" })');
    }
    expect(existsSync(fresh.path)).toBe(false);
    fresh.cleanup();
  });

  it("a newer schema version: STORE_SCHEMA_TOO_NEW; a foreign database: STORE_SCHEMA_UNKNOWN", () => {
    const db = new Database(temp.path);
    db.pragma("user_version = 99");
    db.close();
    expect(() => openStore({ path: temp.path })).toThrow(
      expect.objectContaining({ code: "STORE_SCHEMA_TOO_NEW" }),
    );
    const other = tempStore();
    const foreign = new Database(other.path);
    foreign.exec("CREATE TABLE t (x)");
    foreign.close();
    expect(() => createLogger({ path: other.path, stream: "s", model: MODEL })).toThrow(
      expect.objectContaining({ code: "STORE_SCHEMA_UNKNOWN" }),
    );
    other.cleanup();
    const reset = new Database(temp.path);
    reset.pragma("user_version = 1");
    reset.close();
  });
});

describe("made the wrong way", () => {
  it("refuses a logger or a store made with new: InputError INVALID_OPTION naming the function to call", () => {
    const Logger = ProvenanceLogger as unknown as new (key: symbol, parts: object) => unknown;
    const Store = AncoraStore as unknown as new (
      db: object,
      path: string,
      clock: object,
      key: symbol,
    ) => unknown;
    for (const make of [
      () => new Logger(Symbol("key"), {}),
      () => new Store({}, "x.db", {}, Symbol("key")),
    ]) {
      let thrown: unknown;
      try {
        make();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InputError);
      expect((thrown as InputError).code).toBe("INVALID_OPTION");
      expect((thrown as InputError).hint).toMatch(/createLogger|openStore/);
    }
  });
});
