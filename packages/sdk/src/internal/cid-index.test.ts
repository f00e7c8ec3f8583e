import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { openStore } from "../store.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import { findRecordByCid, indexNewRecords } from "./cid-index.js";
import { connectionOf } from "./store-handle.js";

describe("findRecordByCid", () => {
  let tmp: ReturnType<typeof tempStore>;
  let loggers: ProvenanceLogger[];
  beforeEach(() => {
    tmp = tempStore();
    loggers = ["credit", "fraud"].map((stream) => {
      const logger = createLogger({ path: tmp.path, stream, model: MODEL, commitment: "plain" });
      logger.setConfig(CONFIG);
      return logger;
    });
  });
  afterEach(async () => {
    for (const logger of loggers) await logger.close();
    tmp.cleanup();
  });

  const log = (logger: ProvenanceLogger, n: number) =>
    Array.from({ length: n }, (_, i) => logger.recordSync({ features: { i }, output: i, score: i / n }));
  const indexed = (db: ReturnType<typeof connectionOf>) =>
    db.prepare<[], { stream_id: number; size: number }>("SELECT stream_id, size FROM cid_index_state").all();

  it("finds a record of any stream, catching the index up on a writable connection", () => {
    const [credit, fraud] = loggers as [ProvenanceLogger, ProvenanceLogger];
    const a = log(credit, 5);
    const b = log(fraud, 5);
    const db = connectionOf(credit.store);
    for (const r of [...a, ...b]) {
      expect(findRecordByCid(db, r.cid)).toMatchObject({ cid: r.cid, stream: r.stream, seq: r.seq });
    }
    // The first lookup indexed every stream's committed records.
    const sizes = indexed(db).map((row) => row.size);
    expect(sizes).toEqual([credit.store.stream("credit").size, fraud.store.stream("fraud").size]);
  });

  it("on a read-only connection, finds records beyond what the index has reached", () => {
    const [credit, fraud] = loggers as [ProvenanceLogger, ProvenanceLogger];
    const early = log(credit, 4);
    indexNewRecords(connectionOf(credit.store)); // indexed up to here
    const indexedSize = credit.store.stream("credit").size;
    const late = [...log(credit, 3), ...log(fraud, 3)];
    const reader = openStore({ path: tmp.path, readonly: true });
    try {
      const db = connectionOf(reader);
      for (const r of [...early, ...late]) {
        expect(findRecordByCid(db, r.cid)).toMatchObject({ cid: r.cid, stream: r.stream, seq: r.seq });
      }
      // The read-only lookup did not (and could not) extend the index.
      expect(indexed(db).find((row) => row.stream_id === 1)?.size).toBe(indexedSize);
      expect(credit.store.stream("credit").size).toBe(indexedSize + 3);
    } finally {
      reader.close();
    }
  });

  it("answers undefined for CIDs no record has, including text that is not a record CID", () => {
    const [credit] = loggers as [ProvenanceLogger];
    log(credit, 2);
    const db = connectionOf(credit.store);
    // A valid raw sha2-256 CID of other bytes, a CID of another codec, and garbage.
    for (const cid of [
      "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
      "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
      "not a cid",
      "",
    ]) {
      expect(findRecordByCid(db, cid)).toBeUndefined();
    }
  });
});
