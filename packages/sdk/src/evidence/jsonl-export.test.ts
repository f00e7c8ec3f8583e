import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { computeCid } from "@ancora/core";
import { type StoredCheckpoint, type StoredRecord, verifyStream } from "@ancora/verifier";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProvenanceLogger } from "../logger.js";
import { tempStore } from "../testing/fixtures.js";
import { logTwoModels, type TwoModelLog } from "../testing/two-models.js";
import { exportJsonl } from "./jsonl-export.js";

let temp: ReturnType<typeof tempStore>;
let log: TwoModelLog;
let credit: ProvenanceLogger;

beforeEach(async () => {
  temp = tempStore();
  log = await logTwoModels(temp.path);
  ({ credit } = log);
});
afterEach(async () => {
  await log.close();
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
