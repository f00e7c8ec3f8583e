/**
 * The JSON-lines audit log of a stream, streamed and verified while it is written (the EU AI Act
 * evidence pack beside it, in pack.ts, is the other thing an organisation hands an auditor).
 */
import { once } from "node:events";
import type { Writable } from "node:stream";
import { StreamVerifier, type VerificationResult } from "@ancora/verifier";
import { sqliteRecordSource } from "@ancora/verifier/node";
import type Database from "better-sqlite3";
import { bytesToHex as hex0x } from "viem";
import { writeFileAtomically } from "../atomic-file.js";
import { StreamUnknownError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import { openDatabase } from "../internal/database.js";
import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";

/** What an export wrote. */
export interface JsonlExportSummary {
  stream: string;
  /** Records written. */
  records: number;
  /** Lines written, header and trailer included. */
  lines: number;
  bytes: number;
  /** The verification of exactly the records written (the last line of the file). */
  verification: VerificationResult;
}

function streamIdIn(db: Database.Database, stream: string): number {
  const id = db.prepare<[string], number>("SELECT id FROM streams WHERE name = ?").pluck().get(stream);
  if (id === undefined) throw new StreamUnknownError(stream);
  return id;
}

/**
 * Writes one stream's audit log as JSON lines, streaming, from one consistent snapshot (its own
 * read-only connection, so writers go on meanwhile):
 *
 * - line 1: `{"type":"header","format":"ancora.audit-log","version":1,"stream":…,"size":…,"head":…,"exportedAt":…}`
 * - one line per record, in seq order: `{"type":"record","seq":…,"cid":…,"record":<record>}`, where
 *   `<record>` is the record's canonical DAG-JSON spliced in byte for byte (always the last field:
 *   a reader recovers the exact hashed bytes as the line between `"record":` and the final `}`);
 * - one line per stored checkpoint: `{"type":"checkpoint","size":…,"root":"0x…","head":…,"ts":…}`;
 * - last line: `{"type":"verification",…}`, the verifier's result over exactly the records above.
 *
 * @example
 * ```ts
 * const summary = await exportJsonl(logger.store, { stream: "credit", out: "credit-audit.jsonl" });
 * summary.verification.ok; // true
 * ```
 */
export async function exportJsonl(
  store: AncoraStore,
  options: { stream: string; out: Writable | string; clock?: () => Date },
): Promise<JsonlExportSummary> {
  connectionOf(store); // fails on a closed store
  const { out } = options;
  if (typeof out !== "string") return await writeJsonl(store, options.stream, out, options.clock);
  // A file is written whole or not at all (temporary file, fsync, rename): never a partial log.
  const { result, bytes } = await writeFileAtomically(out, (file) =>
    writeJsonl(store, options.stream, file, options.clock),
  );
  return { ...result, bytes };
}

async function writeJsonl(
  store: AncoraStore,
  stream: string,
  out: Writable,
  clock: (() => Date) | undefined,
): Promise<JsonlExportSummary> {
  const db = openDatabase(store.path, { readonly: true });
  let bytes = 0;
  let lines = 0;
  let buffer = "";
  const write = async (line: string, force = false) => {
    buffer += `${line}\n`;
    lines++;
    if (buffer.length < 64 * 1024 && !force) return;
    bytes += Buffer.byteLength(buffer);
    const ok = out.write(buffer);
    buffer = "";
    if (!ok) await once(out, "drain");
  };
  try {
    db.exec("BEGIN"); // one read snapshot for the whole export
    const id = streamIdIn(db, stream);
    const source = sqliteRecordSource(db, new Map([[stream, id]]));
    const head = source.head?.(stream);
    const checkpoints = [...source.checkpoints(stream)];
    const verifier = new StreamVerifier(stream, checkpoints, {
      sha256: nodeSha256,
      nodes: (level, index) => source.node?.(stream, level, index),
    });
    await write(
      JSON.stringify({
        type: "header",
        format: "ancora.audit-log",
        version: 1,
        stream,
        size: head?.size ?? 0,
        head: head?.head ?? null,
        exportedAt: (clock?.() ?? new Date()).toISOString(),
      }),
    );
    const decoder = new TextDecoder();
    let records = 0;
    for (const record of source.records(stream)) {
      verifier.add(record);
      records++;
      await write(
        `{"type":"record","seq":${record.seq},"cid":${JSON.stringify(record.cid)},"record":${decoder.decode(record.bytes)}}`,
      );
    }
    for (const c of checkpoints) {
      await write(
        JSON.stringify({ type: "checkpoint", size: c.size, root: hex0x(c.root), head: c.head, ts: c.ts }),
      );
    }
    const verification = verifier.finish(head);
    await write(JSON.stringify({ type: "verification", ...verification }), true);
    return { stream, records, lines, bytes, verification };
  } finally {
    if (db.inTransaction) db.exec("COMMIT");
    db.close();
  }
}
