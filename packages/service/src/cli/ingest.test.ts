/** ingest() against real SQLite files: all or nothing against bad input, what it writes, what it says. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, openStore } from "@ancora/sdk";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IngestError } from "../errors.js";
import { ingest } from "./ingest.js";
import { parseIngestInput } from "./ingest-parse.js";

const MODEL = { id: "loan_scorer", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };
const config = (stream = "loans", extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    kind: "config",
    stream,
    threshold: 0.6,
    aboveLabel: "approved",
    belowLabel: "denied",
    changedBy: "risk",
    changeReason: "initial policy",
    ...extra,
  });
const decision = (i: number, stream = "loans") =>
  JSON.stringify({
    kind: "decision",
    stream,
    model: MODEL,
    input: { income: 1_000 + i },
    output: { n: i },
    score: (i % 10) / 10,
  });

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-cli-ingest-"));
  db = join(dir, "ancora.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function heads(path: string) {
  const store = openStore({ path, readonly: true });
  try {
    return store.streams().map((s) => ({ name: s.name, size: s.size, head: s.head }));
  } finally {
    store.close();
  }
}

async function run(text: string) {
  return ingest({ db, lines: parseIngestInput(text) });
}

describe("ingest", () => {
  it("writes several streams, creating their genesis, and reports sizes and heads", async () => {
    const lines = [
      config("loans"),
      decision(1),
      config("fraud.eu", { aboveLabel: "flag", belowLabel: "pass" }),
    ];
    for (let i = 0; i < 20; i++) lines.push(decision(i, i % 2 === 0 ? "loans" : "fraud.eu"));
    const summary = await run(lines.join("\n"));
    // loans: genesis, 2 labels, config, 11 decisions; fraud.eu: genesis, 2 labels, config, 10 decisions.
    expect(summary.streams.loans?.size).toBe(15);
    expect(summary.streams["fraud.eu"]?.size).toBe(14);
    expect(summary.records).toBe(29);
    expect(heads(db)).toEqual([
      { name: "fraud.eu", size: 14, head: summary.streams["fraud.eu"]?.head },
      { name: "loans", size: 15, head: summary.streams.loans?.head },
    ]);
    const store = openStore({ path: db, readonly: true });
    expect(store.verify().ok).toBe(true);
    // Order is the input's: the decision on line 2 comes right after the config of line 1.
    expect(store.get("loans", 4)?.record.kind).toBe("decision");
    store.close();
  });

  it("leaves the store unchanged when line 57 is bad", async () => {
    const first = [config(), ...Array.from({ length: 30 }, (_, i) => decision(i))];
    await run(first.join("\n"));
    const before = heads(db);
    const input = Array.from({ length: 100 }, (_, i) => decision(i + 100));
    input[56] = JSON.stringify({
      kind: "decision",
      stream: "loans",
      model: { ...MODEL, hash: "sha256:00" },
      input: {},
      output: 1,
      score: 1,
    });
    await expect(run(input.join("\n"))).rejects.toMatchObject({ code: "INGEST_BAD_MODEL", line: 57 });
    expect(heads(db)).toEqual(before);
  });

  it("writes nothing of a multi-stream input when the write itself fails part-way", async () => {
    await run([config("loans"), decision(1), config("fraud.eu")].join("\n"));
    const before = heads(db);
    // The store fails on the 5th "fraud.eu" record of this input, after "loans" got all of its own.
    const sql = new Database(db);
    sql.exec(`CREATE TRIGGER injected BEFORE INSERT ON records
      WHEN NEW.seq = 8 AND NEW.stream_id = (SELECT id FROM streams WHERE name = 'fraud.eu')
      BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const input = Array.from({ length: 40 }, (_, i) => decision(i, i % 2 === 0 ? "loans" : "fraud.eu"));
    input.push(config("new.stream"), decision(99, "new.stream"));
    await expect(run(input.join("\n"))).rejects.toMatchObject({ code: "STORE_WRITE_FAILED" });
    expect(heads(db)).toEqual(before);
    sql.exec("DROP TRIGGER injected");
    sql.close();
    const summary = await run(input.join("\n"));
    expect(summary.records).toBe(40 + 5); // new.stream: genesis, 2 labels, config, a decision
  });

  it("does not create the store file when the input is invalid", async () => {
    await expect(run([config(), decision(1), "{"].join("\n"))).rejects.toBeInstanceOf(IngestError);
    expect(existsSync(db)).toBe(false);
  });

  it("needs a config before a stream's first decision, from the input or the store", async () => {
    await expect(run([decision(1), config()].join("\n"))).rejects.toMatchObject({
      code: "INGEST_CONFIG_MISSING",
      line: 1,
    });
    // A stream created by an earlier run, without config: still refused, and nothing written.
    const logger = createLogger({ path: db, stream: "bare", model: MODEL });
    await logger.close();
    const before = heads(db);
    await expect(
      run([config("loans"), decision(1, "loans"), decision(2, "bare")].join("\n")),
    ).rejects.toMatchObject({
      code: "INGEST_CONFIG_MISSING",
      line: 3,
    });
    expect(heads(db)).toEqual(before);
    // Once the store has a config, decisions alone are fine.
    await run([config("bare")].join("\n"));
    const summary = await run([decision(3, "bare"), decision(4, "bare")].join("\n"));
    expect(summary.records).toBe(2);
  });

  it("accepts label ids the stream or an earlier line defines, and refuses others", async () => {
    await expect(run(config("loans", { aboveLabel: "L001" }))).rejects.toMatchObject({
      code: "INGEST_LABEL_UNKNOWN",
    });
    // Line 1 defines L001 (approved) and L002 (denied); line 2 refers to them by id.
    const summary = await run(
      [config(), config("loans", { aboveLabel: "L002", belowLabel: "L001" })].join("\n"),
    );
    expect(summary.streams.loans?.size).toBe(5);
    await expect(run(config("loans", { belowLabel: "L009" }))).rejects.toMatchObject({
      code: "INGEST_LABEL_UNKNOWN",
      evidence: expect.objectContaining({ field: "belowLabel", label: "L009" }),
    });
  });

  it("reports the progress of every line", async () => {
    const seen: number[] = [];
    await ingest({
      db,
      lines: parseIngestInput([config(), decision(1), decision(2)].join("\n")),
      progress: { update: (n) => seen.push(n), finish: () => {} },
    });
    expect(seen).toEqual([1, 2, 3]);
  });
});
