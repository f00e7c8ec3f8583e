import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { computeCid } from "@ancora/core";
import { type StoredCheckpoint, type StoredRecord, verifyStream } from "@ancora/verifier";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { evidencePack, exportJsonl, renderEvidencePack } from "./exports.js";
import { createLogger, type ProvenanceLogger } from "./logger.js";
import { CONFIG, MODEL, MODEL_B, steppingClock, tempStore } from "./testing/fixtures.js";

let temp: ReturnType<typeof tempStore>;
let credit: ProvenanceLogger;
let fraud: ProvenanceLogger;
const modelBCids: string[] = [];

beforeEach(async () => {
  temp = tempStore();
  modelBCids.length = 0;
  const clock = steppingClock();
  credit = createLogger({ path: temp.path, stream: "credit", model: MODEL, org: "Example Bank", clock });
  credit.setConfig(CONFIG);
  for (let i = 0; i < 12; i++) await credit.record({ features: { i }, output: i, score: i / 12 });
  // Another model in the same stream (e.g. a challenger), and another stream.
  for (let i = 0; i < 5; i++) {
    const r = await credit.record({ features: { i }, output: i, score: 0.9, model: MODEL_B });
    modelBCids.push(r.cid);
  }
  credit.renameLabel("L002", "manual review", { changedBy: "ops", changeReason: "wording" });
  credit.setConfig({
    ...CONFIG,
    threshold: 0.8,
    aboveLabel: "L001",
    belowLabel: "L002",
    changeReason: "drift review",
  });
  for (let i = 0; i < 6; i++) await credit.record({ features: { i }, output: i, score: 0.85 });
  credit.checkpoint();
  fraud = createLogger({ path: temp.path, stream: "fraud", model: MODEL, clock });
  fraud.setConfig(CONFIG);
  for (let i = 0; i < 3; i++)
    modelBCids.push((await fraud.record({ features: { i }, output: i, score: 0.2 })).cid);
});
afterEach(async () => {
  await credit.close();
  await fraud.close();
  temp.cleanup();
});

/** An auditor's record source over a JSONL export: the exact bytes are the spliced `record` text. */
function jsonlSource(text: string) {
  const records: StoredRecord[] = [];
  const checkpoints: StoredCheckpoint[] = [];
  for (const line of text.trimEnd().split("\n")) {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (parsed.type === "record") {
      const bytes = new TextEncoder().encode(line.slice(line.indexOf('"record":') + 9, -1));
      records.push({ seq: parsed.seq as number, cid: parsed.cid as string, bytes });
    } else if (parsed.type === "checkpoint") {
      const root = Uint8Array.from(Buffer.from((parsed.root as string).slice(2), "hex"));
      checkpoints.push({ size: parsed.size as number, root, head: parsed.head as string });
    }
  }
  return { records: () => records, checkpoints: () => checkpoints };
}

describe("JSONL audit log", () => {
  it("streams header, every record byte for byte, checkpoints and the verification", async () => {
    const path = join(temp.dir, "credit.jsonl");
    const summary = await credit.exportJsonl(path);
    const size = credit.store.stream("credit").size;
    expect(summary).toMatchObject({ stream: "credit", records: size, lines: size + 3 });
    expect(summary.verification.ok).toBe(true);
    const text = readFileSync(path, "utf8");
    expect(Buffer.byteLength(text)).toBe(summary.bytes);
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      type: "header",
      format: "ancora.audit-log",
      version: 1,
      stream: "credit",
      size,
    });
    expect(lines.at(-2)).toMatchObject({ type: "checkpoint", size: 29 });
    expect(lines.at(-1)).toMatchObject({ type: "verification", ok: true, checked: size });
    // The spliced record text is exactly the hashed bytes: its CID is the line's cid.
    for (const line of text.split("\n").filter((l) => l.startsWith('{"type":"record"'))) {
      const bytes = new TextEncoder().encode(line.slice(line.indexOf('"record":') + 9, -1));
      expect(computeCid(bytes).toString()).toBe((JSON.parse(line) as { cid: string }).cid);
    }
    // An auditor verifies the file alone, with the same verifier.
    expect(verifyStream(jsonlSource(text), "credit")).toMatchObject({
      ok: true,
      checked: size,
      checkpoints: 1,
    });
  });

  it("writes to a stream and reports tampering in its last line", async () => {
    const db = new Database(temp.path);
    db.prepare("UPDATE records SET label = 'L009' WHERE stream_id = 1 AND seq = 6").run();
    db.close();
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    const summary = await exportJsonl(credit.store, { stream: "credit", out });
    expect(summary.verification).toMatchObject({ ok: false, firstBadSeq: 6 });
    expect(JSON.parse(text.trimEnd().split("\n").at(-1) as string)).toMatchObject({
      type: "verification",
      ok: false,
      failures: [expect.objectContaining({ code: "LABEL_COLUMN_MISMATCH", seq: 6 })],
    });
    await expect(exportJsonl(credit.store, { stream: "nope", out: new PassThrough() })).rejects.toMatchObject(
      {
        code: "STREAM_UNKNOWN",
      },
    );
  });
});

describe("evidence pack", () => {
  it("covers one model of one stream and never another model's records", () => {
    const pack = credit.evidencePack({ clock: () => new Date("2025-12-01T00:00:00.000Z") });
    expect(pack.scope).toEqual({ stream: "credit", model: { id: MODEL.id } });
    expect(pack.system).toMatchObject({
      stream: "credit",
      genesis: { seq: 0, org: "Example Bank" },
      streamSize: 29,
    });
    expect(pack.logging).toMatchObject({ decisions: 18 });
    expect(pack.logging.modelVersions).toEqual([
      expect.objectContaining({ version: MODEL.version, hash: MODEL.hash, decisions: 18 }),
    ]);
    expect(pack.configHistory.map((c) => [c.seq, c.threshold, c.changeReason, c.decisions])).toEqual([
      [3, 0.5, CONFIG.changeReason, 12],
      [22, 0.8, "drift review", 6],
    ]);
    expect(pack.configHistory[0]?.aboveLabel).toEqual({ id: "L001", name: "approve" });
    expect(pack.labels).toEqual([
      expect.objectContaining({ id: "L001", name: "approve" }),
      expect.objectContaining({
        id: "L002",
        name: "manual review",
        history: [expect.anything(), expect.anything()],
      }),
    ]);
    expect(pack.distribution.reduce((n, d) => n + d.decisions, 0)).toBe(18);
    expect(pack.checkpoints).toEqual([expect.objectContaining({ size: 29, anchored: false })]);
    expect(pack.verification).toMatchObject({ ok: true, checked: 29 });
    expect(pack.retention).toMatchObject({ months: 6, covered: true });

    const json = JSON.stringify(pack);
    const markdown = renderEvidencePack(pack);
    for (const cid of modelBCids) {
      expect(json).not.toContain(cid);
      expect(markdown).not.toContain(cid);
    }
    expect(json).not.toContain(MODEL_B.id);
    expect(markdown).toContain("# Evidence pack: credit-risk — stream `credit`");
    expect(markdown).toContain("Art. 12");
    expect(markdown).toContain("drift review");
    expect(markdown).toContain("**verified**");
  });

  it("narrows to one model version, and covers the other model on its own", () => {
    const b = evidencePack(credit.store, {
      stream: "credit",
      model: { id: MODEL_B.id, version: MODEL_B.version },
    });
    expect(b.logging.decisions).toBe(5);
    expect(b.configHistory.map((c) => c.decisions)).toEqual([5, 0]);
    expect(JSON.stringify(b)).not.toContain(`"${MODEL.id}"`);
    const none = evidencePack(fraud.store, { stream: "fraud", model: MODEL_B.id });
    expect(none.logging.decisions).toBe(0);
    expect(() =>
      evidencePack(credit.store, { stream: "credit", model: MODEL.id, retentionMonths: 3 }),
    ).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });

  it("reports a failed verification in the pack and the report", () => {
    const db = new Database(temp.path);
    db.prepare("DELETE FROM records WHERE stream_id = 1 AND seq = 8").run();
    db.close();
    const pack = credit.evidencePack();
    expect(pack.verification).toMatchObject({ ok: false, firstBadSeq: 8 });
    expect(pack.retention.covered).toBe(false);
    expect(renderEvidencePack(pack)).toContain("the first at seq 8");
  });
});
