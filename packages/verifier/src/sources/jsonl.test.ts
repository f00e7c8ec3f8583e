import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourceError } from "../errors.js";
import type { StoredCheckpoint, StoredHead, StoredRecord } from "../source.js";
import { verifyStreams } from "../verify-streams.js";
import { MAX_EXPORT_LINE_BYTES, readJsonlExport } from "./jsonl.js";
import { nodeSha256 } from "./node-sha256.js";
import { openLocalLog } from "./sqlite.js";

const FIXTURE = fileURLToPath(new URL("../../../sdk/test-fixtures/store-v3.db", import.meta.url));
const hex0x = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

/** The "fraud" stream of the SDK's fixture store: real records, written by the SDK. */
const stream = ((): { records: StoredRecord[]; checkpoints: StoredCheckpoint[]; head: StoredHead } => {
  const log = openLocalLog(FIXTURE);
  try {
    return {
      records: [...log.source.records("fraud")],
      checkpoints: [...log.source.checkpoints("fraud")],
      head: log.source.head?.("fraud") ?? { size: 0, head: null },
    };
  } finally {
    log.close();
  }
})();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-jsonl-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An export written by hand in the documented format (docs/sdk.md "Search and exports"): a header, one
 * line per record with the canonical bytes spliced in as the last field, the checkpoints, and the
 * writer's verification line.
 */
function exportLines(records = stream.records, head = stream.head): string[] {
  return [
    JSON.stringify({
      type: "header",
      format: "ancora.audit-log",
      version: 1,
      stream: "fraud",
      size: head.size,
      head: head.head,
      exportedAt: "2026-01-01T00:00:00.000Z",
    }),
    ...records.map(
      (r) =>
        `{"type":"record","seq":${r.seq},"cid":${JSON.stringify(r.cid)},"record":${Buffer.from(r.bytes).toString("utf8")}}`,
    ),
    ...stream.checkpoints.map((c) =>
      JSON.stringify({ type: "checkpoint", size: c.size, root: hex0x(c.root), head: c.head, ts: c.ts }),
    ),
    JSON.stringify({ type: "verification", ok: true, stream: "fraud", checked: records.length }),
  ];
}

const text = (lines: string[]) => `${lines.join("\n")}\n`;
/** The text as a stream cut into small chunks, so lines cross chunk boundaries. */
const chunked = (body: string, size = 7) =>
  Readable.from(
    Array.from({ length: Math.ceil(body.length / size) }, (_, i) =>
      Buffer.from(body.slice(i * size, (i + 1) * size)),
    ),
  );

async function verifyText(body: string) {
  const log = await readJsonlExport(chunked(body));
  return verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
}

async function sourceErrorOf(run: Promise<unknown>): Promise<SourceError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe("readJsonlExport", () => {
  it("reads an export from a file and verifies it", async () => {
    const path = join(dir, "fraud.jsonl");
    writeFileSync(path, text(exportLines()));
    const log = await readJsonlExport(path);
    expect(log.streams()).toEqual(["fraud"]);
    expect(log.anchors("fraud")).toEqual([]);
    expect(log.manifests("fraud")).toEqual([]);
    const result = verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(14);
    expect(result.streams[0]?.checkpoints).toBe(stream.checkpoints.length);
    // Bytes are recovered exactly.
    expect([...log.source.records("fraud")].map((r) => Buffer.from(r.bytes).toString("hex"))).toEqual(
      stream.records.map((r) => Buffer.from(r.bytes).toString("hex")),
    );
    log.close();
  });

  it("reads the same from a stream cut at arbitrary places, and with CRLF line ends", async () => {
    expect((await verifyText(text(exportLines()))).ok).toBe(true);
    expect((await verifyText(`${exportLines().join("\r\n")}\r\n`)).ok).toBe(true);
    expect((await verifyText(exportLines().join("\n"))).ok).toBe(true); // no final newline
  });

  it("rejects another stream's name with SOURCE_NOT_FOUND", async () => {
    const log = await readJsonlExport(chunked(text(exportLines())));
    expect(() => log.source.records("credit")).toThrow(expect.objectContaining({ code: "SOURCE_NOT_FOUND" }));
  });

  it("recovers any record text and CID spelling exactly (the record field is found structurally)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (cid, recordText) => {
        const record = recordText.replace(/[\r\n]/g, " ");
        const lines = [
          JSON.stringify({
            type: "header",
            format: "ancora.audit-log",
            version: 1,
            stream: "s",
            size: 1,
            head: cid,
          }),
          `{"type":"record","seq":0,"cid":${JSON.stringify(cid)},"record":${record}}`,
          JSON.stringify({ type: "verification" }),
        ];
        const log = await readJsonlExport(Readable.from([Buffer.from(text(lines))]));
        const [read] = [...log.source.records("s")];
        expect(read?.cid).toBe(cid);
        expect(Buffer.from(read?.bytes ?? []).toString("utf8")).toBe(record);
      }),
      { numRuns: process.env.CI ? 500 : 100 },
    );
  });
});

describe("tampered exports fail verification", () => {
  it("an edited record: CID_MISMATCH at its seq", async () => {
    const lines = exportLines();
    lines[1 + 6] = (lines[1 + 6] ?? "").replace('"ts":"2', '"ts":"3');
    const result = await verifyText(text(lines));
    expect(result.failures[0]).toMatchObject({ code: "CID_MISMATCH", stream: "fraud", seq: 6 });
  });

  it("a removed record line: SEQ_GAP", async () => {
    const lines = exportLines();
    lines.splice(1 + 4, 1);
    expect((await verifyText(text(lines))).failures[0]).toMatchObject({ code: "SEQ_GAP", seq: 4 });
  });

  it("the last records cut off (header kept): fails, never passes", async () => {
    const result = await verifyText(text(exportLines(stream.records.slice(0, 10), stream.head)));
    expect(result.ok).toBe(false);
    expect(result.failures.map((f) => f.code)).toContain("HEAD_MISMATCH");
  });
});

describe("malformed exports are SOURCE_INVALID naming the line", () => {
  const count = exportLines().length;
  const cases: [string, (lines: string[]) => string[], number][] = [
    ["a line that is not JSON", (l) => l.with(5, "{not json"), 6],
    ["a blank line", (l) => l.with(3, ""), 4],
    ["a first line that is not a header", (l) => l.slice(1), 1],
    ["a header of another format", (l) => l.with(0, l[0]?.replace("ancora.audit-log", "other") ?? ""), 1],
    ["an unknown line type", (l) => l.with(2, '{"type":"note"}'), 3],
    ["a record line without its record field", (l) => l.with(2, '{"type":"record","seq":1,"cid":"x"}'), 3],
    ["a record line with an extra field", (l) => l.with(2, (l[2] ?? "").replace('"seq"', '"x":1,"seq"')), 3],
    ["a record line with a negative seq", (l) => l.with(2, (l[2] ?? "").replace('"seq":1', '"seq":-1')), 3],
    ["a record after a checkpoint", (l) => [...l.slice(0, -1), l[1] ?? "", ...l.slice(-1)], count],
    [
      "a checkpoint whose root is not hex",
      (l) => l.with(-2, (l.at(-2) ?? "").replace('"root":"0x', '"root":"0y')),
      count - 1,
    ],
    ["a line after the verification line", (l) => [...l, '{"type":"checkpoint"}'], count + 1],
    ["no verification line (cut short)", (l) => l.slice(0, -1), count],
  ];

  it.each(cases)("%s", async (_, change, line) => {
    const error = await sourceErrorOf(readJsonlExport(chunked(text(change(exportLines())))));
    expect(error.code).toBe("SOURCE_INVALID");
    expect(error.evidence).toMatchObject({ line });
  });

  it("an empty input", async () => {
    const error = await sourceErrorOf(readJsonlExport(Readable.from([])));
    expect(error.code).toBe("SOURCE_INVALID");
    expect(error.evidence).toMatchObject({ line: 1 });
  });

  it("a line longer than the limit, without buffering it whole", async () => {
    const lines = exportLines();
    const long = Buffer.alloc(MAX_EXPORT_LINE_BYTES + 10, 0x61);
    const body = Readable.from([Buffer.from(`${lines[0]}\n`), long, long]);
    const error = await sourceErrorOf(readJsonlExport(body));
    expect(error.code).toBe("SOURCE_INVALID");
    expect(error.evidence).toMatchObject({ line: 2 });
  });

  it("a newer format version: SOURCE_UNSUPPORTED_VERSION", async () => {
    const lines = exportLines();
    lines[0] = (lines[0] ?? "").replace('"version":1', '"version":2');
    expect((await sourceErrorOf(readJsonlExport(chunked(text(lines))))).code).toBe(
      "SOURCE_UNSUPPORTED_VERSION",
    );
  });

  it("a missing file: SOURCE_NOT_FOUND", async () => {
    expect((await sourceErrorOf(readJsonlExport(join(dir, "missing.jsonl")))).code).toBe("SOURCE_NOT_FOUND");
  });
});
