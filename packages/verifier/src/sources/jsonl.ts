/**
 * The SDK's JSON-lines audit export (`exportJsonl`, format `ancora.audit-log` version 1) read back as a
 * local log, so an auditor can verify an export file alone. Record bytes are recovered byte for byte:
 * a record line is `{"type":"record","seq":…,"cid":…,"record":<canonical DAG-JSON>}` and the exact
 * hashed bytes are the bytes between `,"record":` and the line's final `}`. Lines are split on bytes,
 * never decoded and re-encoded, so nothing a tamperer did to the bytes is normalised away.
 */
import { createReadStream } from "node:fs";
import { MAX_RECORD_BYTES, parseJson } from "@ancora/core";
import { SourceError } from "../errors.js";
import type { RecordSource, StoredCheckpoint, StoredHead, StoredRecord } from "../source.js";
import type { LocalLog } from "./types.js";

/** The export format this reader knows, and its newest version. */
export const AUDIT_LOG_FORMAT = "ancora.audit-log";
export const AUDIT_LOG_VERSION = 1;

/**
 * Longest line accepted: a record of {@link MAX_RECORD_BYTES} plus its line's other fields. A longer
 * line is `SOURCE_INVALID` before it is buffered whole, so a hostile file cannot exhaust memory with
 * one line.
 */
export const MAX_EXPORT_LINE_BYTES = MAX_RECORD_BYTES + 4096;

const NEWLINE = 0x0a;
const RECORD_FIELD = Buffer.from(',"record":');
const RECORD_LINE_START = Buffer.from('{"type":"record",');
const CLOSE_BRACE = 0x7d;

type Phase = "header" | "records" | "checkpoints" | "end";

/**
 * Reads an audit export into a {@link LocalLog} holding its one stream: the records (bytes exact, with
 * the CIDs the file claims for them), the checkpoints, and as head the header's `size` and `head`
 * (so a file cut short, or with records removed, fails as `HEAD_MISMATCH`). The export carries no
 * anchors, manifests, index columns or Merkle nodes: `anchors()` and `manifests()` are empty and the
 * verifier checks CIDs, the hash chain, the tree it recomputes and the checkpoints.
 *
 * `input` is a file path or a byte stream (`process.stdin`, a socket, an HTTP body). The whole file is
 * read before the promise resolves and is held in memory (about its own size); the returned log
 * needs no `close()` but has one.
 *
 * The structure is strict: the header first, then record lines, then checkpoint lines, then exactly one
 * verification line (the writer's own result, read but not trusted) and nothing after it. A line that
 * breaks it is a `SOURCE_INVALID` error whose evidence names the line number; what a record line holds
 * after `"record":` is judged by the verifier (`RECORD_INVALID`, `CID_MISMATCH`, …), not here.
 *
 * @throws {SourceError} `SOURCE_NOT_FOUND`, `SOURCE_UNREADABLE`, `SOURCE_INVALID` (evidence `line`),
 *   `SOURCE_UNSUPPORTED_VERSION`.
 * @example
 * ```ts
 * const log = await readJsonlExport("credit-audit.jsonl");
 * const result = verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
 * ```
 */
export async function readJsonlExport(input: string | NodeJS.ReadableStream): Promise<LocalLog> {
  const origin = typeof input === "string" ? input : "<stream>";
  const reader = new ExportReader(origin);
  const chunks = typeof input === "string" ? createReadStream(input) : input;
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of chunks as AsyncIterable<Buffer | string>) {
      let data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      if (carry.length > 0) data = Buffer.concat([carry, data]);
      let start = 0;
      for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
        reader.line(data.subarray(start, end));
        start = end + 1;
      }
      carry = data.subarray(start);
      if (carry.length > MAX_EXPORT_LINE_BYTES) reader.tooLong();
    }
  } catch (error) {
    throw error instanceof SourceError ? error : readError(error, origin);
  }
  if (carry.length > 0) reader.line(carry); // a last line without its newline
  return reader.finish();
}

function readError(error: unknown, origin: string): SourceError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") {
    return new SourceError("SOURCE_NOT_FOUND", "The export file does not exist", {
      hint: "Pass the path of a file written by exportJsonl.",
      evidence: { path: origin },
    });
  }
  return new SourceError("SOURCE_UNREADABLE", "The export cannot be read", {
    hint: "Check the file's permissions, or the stream it is read from.",
    cause: error,
    evidence: { path: origin, ...(typeof code === "string" ? { error: code } : {}) },
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

const HEX = /^0x(?:[0-9a-f]{2})*$/;

/** Parses the lines of one export in order and builds the log. */
class ExportReader {
  readonly #origin: string;
  #lineNumber = 0;
  #phase: Phase = "header";
  #stream = "";
  #head: StoredHead = { size: 0, head: null };
  readonly #records: StoredRecord[] = [];
  readonly #checkpoints: StoredCheckpoint[] = [];

  constructor(origin: string) {
    this.#origin = origin;
  }

  line(raw: Buffer): void {
    this.#lineNumber++;
    const line = raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.subarray(0, -1) : raw;
    if (line.length > MAX_EXPORT_LINE_BYTES) this.tooLong();
    if (this.#phase === "records" && startsWith(line, RECORD_LINE_START)) {
      this.#record(line);
      return;
    }
    const value = this.#json(line.toString("utf8"));
    const type = value.type;
    if (this.#phase === "header") {
      this.#header(value);
      this.#phase = "records";
    } else if (type === "checkpoint" && (this.#phase === "records" || this.#phase === "checkpoints")) {
      this.#checkpoint(value);
      this.#phase = "checkpoints";
    } else if (type === "verification" && this.#phase !== "end") {
      this.#phase = "end";
    } else if (this.#phase === "end") {
      throw this.#invalid("a line after the verification line");
    } else if (type === "record") {
      throw this.#invalid(
        'a record line that does not start with {"type":"record", or comes after a checkpoint',
      );
    } else {
      throw this.#invalid(`an unexpected line type ${JSON.stringify(String(type)).slice(0, 40)}`);
    }
  }

  tooLong(): never {
    throw this.#invalid(`a line longer than ${MAX_EXPORT_LINE_BYTES} bytes`, this.#lineNumber + 1);
  }

  finish(): LocalLog {
    if (this.#phase === "header") throw this.#invalid("an empty export (no header line)", 1);
    if (this.#phase !== "end") {
      throw this.#invalid(
        "an export that ends before its verification line (cut short)",
        this.#lineNumber + 1,
      );
    }
    return exportLog(this.#stream, this.#records, this.#checkpoints, this.#head);
  }

  #invalid(what: string, line = this.#lineNumber): SourceError {
    return new SourceError("SOURCE_INVALID", `The export is malformed at line ${line}: ${what}`, {
      hint: "Verify the file exportJsonl wrote, unmodified; a line that is not in the audit-log format cannot be read.",
      evidence: { path: this.#origin, line },
    });
  }

  #json(text: string): Record<string, unknown> {
    let value: unknown;
    try {
      value = parseJson(text);
    } catch {
      throw this.#invalid("a line that is not JSON");
    }
    if (!isObject(value)) throw this.#invalid("a line that is not a JSON object");
    return value;
  }

  #header(value: Record<string, unknown>): void {
    if (value.type !== "header" || value.format !== AUDIT_LOG_FORMAT) {
      throw this.#invalid(`a first line that is not an ${AUDIT_LOG_FORMAT} header`);
    }
    const version = value.version;
    if (Number.isSafeInteger(version) && (version as number) > AUDIT_LOG_VERSION) {
      throw new SourceError(
        "SOURCE_UNSUPPORTED_VERSION",
        `The export has format version ${version}; this verifier reads version ${AUDIT_LOG_VERSION}`,
        { hint: "Upgrade @ancora/verifier.", evidence: { path: this.#origin, line: 1, version } },
      );
    }
    const { stream, size, head } = value;
    if (version !== AUDIT_LOG_VERSION) throw this.#invalid("a header without a valid version");
    if (typeof stream !== "string" || stream === "") throw this.#invalid("a header without a stream");
    if (!isSize(size)) throw this.#invalid("a header whose size is not a non-negative integer");
    if (head !== null && typeof head !== "string") throw this.#invalid("a header whose head is not a CID");
    this.#stream = stream;
    this.#head = { size, head };
  }

  #record(line: Buffer): void {
    const at = line.indexOf(RECORD_FIELD);
    if (at === -1 || line[line.length - 1] !== CLOSE_BRACE) {
      throw this.#invalid('a record line without a last "record" field');
    }
    // `,"record":` cannot occur inside a JSON string (a quote there is escaped), so the first one is
    // the field separator; the prefix closed by `}` is the line's other fields.
    const prefix = this.#json(`${line.toString("utf8", 0, at)}}`);
    const { seq, cid } = prefix;
    if (Object.keys(prefix).length !== 3 || !isSize(seq) || typeof cid !== "string") {
      throw this.#invalid("a record line whose fields are not exactly type, seq, cid and record");
    }
    this.#records.push({
      seq,
      cid,
      bytes: new Uint8Array(line.subarray(at + RECORD_FIELD.length, line.length - 1)),
    });
  }

  #checkpoint(value: Record<string, unknown>): void {
    const { size, root, head, ts } = value;
    if (!isSize(size)) throw this.#invalid("a checkpoint whose size is not a non-negative integer");
    if (typeof root !== "string" || !HEX.test(root))
      throw this.#invalid("a checkpoint whose root is not 0x-hex");
    if (typeof head !== "string") throw this.#invalid("a checkpoint without a head CID");
    if (ts !== undefined && typeof ts !== "string")
      throw this.#invalid("a checkpoint whose ts is not a string");
    this.#checkpoints.push({
      size,
      root: new Uint8Array(Buffer.from(root.slice(2), "hex")),
      head,
      ...(ts === undefined ? {} : { ts }),
    });
  }
}

function startsWith(line: Buffer, prefix: Buffer): boolean {
  return line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function exportLog(
  name: string,
  records: readonly StoredRecord[],
  checkpoints: readonly StoredCheckpoint[],
  head: StoredHead,
): LocalLog {
  const check = (stream: string): void => {
    if (stream !== name) {
      throw new SourceError("SOURCE_NOT_FOUND", "The export holds another stream", {
        hint: "An audit export holds one stream: list it with streams().",
        evidence: { stream, exported: name },
      });
    }
  };
  const source: RecordSource = {
    records(stream) {
      check(stream);
      return records;
    },
    checkpoints(stream) {
      check(stream);
      return checkpoints;
    },
    head(stream) {
      check(stream);
      return head;
    },
  };
  return {
    source,
    streams: () => [name],
    anchors: () => [],
    manifests: () => [],
    close() {},
  };
}
