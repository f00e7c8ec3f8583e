/**
 * Search and count over the index columns, with keyset pagination: a page ends with a cursor naming
 * the last (stream, seq) returned, and the next page starts after it. Unlike OFFSET, a page costs the
 * same however deep it is, and records appended meanwhile never shift or repeat entries.
 */
import { type AncoraRecord, decodeRecord, type RecordKind } from "@ancora/core";
import type Database from "better-sqlite3";
import { InputError } from "./errors.js";
import { searchTable } from "./internal/record-index.js";

/** Records per page unless `limit` says otherwise, and the largest `limit` accepted. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** What to look for. Every field narrows the result; all are optional. */
export interface SearchQuery {
  /** One stream (default: all streams of the store). */
  stream?: string;
  /** A model id, or id and version. */
  model?: string | { id: string; version?: string };
  /** A label id (`L002`). Label ids are per stream; names can change, ids cannot. */
  label?: string;
  /** Record kind (default `decision`); `any` for every kind. */
  kind?: RecordKind | "any";
  /** Records with `ts >= from`. */
  from?: Date | string;
  /** Records with `ts < to`. */
  to?: Date | string;
  /** Page size (default 100, at most 1000). */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

/** One record found. */
export interface SearchItem {
  stream: string;
  seq: number;
  cid: string;
  kind: string;
  ts: string;
  label: string | null;
  model: { id: string; version: string } | null;
  record: AncoraRecord;
}

/** One page of results; `cursor` is present when there may be more. */
export interface SearchPage {
  items: SearchItem[];
  cursor?: string;
}

function timestamp(value: Date | string, field: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new InputError("INVALID_OPTION", `${field} is not a valid time`, {
      hint: "Pass a Date or an ISO 8601 string.",
    });
  }
  return date.toISOString();
}

function encodeCursor(streamId: number, seq: number): string {
  return Buffer.from(JSON.stringify([1, streamId, seq])).toString("base64url");
}

function decodeCursor(cursor: string): [number, number] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value[0] === 1 &&
      Number.isSafeInteger(value[1]) &&
      Number.isSafeInteger(value[2])
    ) {
      return [value[1] as number, value[2] as number];
    }
  } catch {
    // reported below
  }
  throw new InputError("INVALID_CURSOR", "The cursor is not one this store returned", {
    hint: "Pass the `cursor` of the previous page unchanged, or omit it to start over.",
  });
}

interface Where {
  sql: string;
  params: unknown[];
}

function conditions(query: SearchQuery, streamId: (name: string) => number): Where {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (query.stream !== undefined) {
    clauses.push("r.stream_id = ?");
    params.push(streamId(query.stream));
  }
  const kind = query.kind ?? "decision";
  if (kind !== "any") {
    clauses.push("r.kind = ?");
    params.push(kind);
  }
  if (query.model !== undefined) {
    const model = typeof query.model === "string" ? { id: query.model } : query.model;
    clauses.push("r.model_id = ?");
    params.push(model.id);
    if (model.version !== undefined) {
      clauses.push("r.model_version = ?");
      params.push(model.version);
    }
  }
  if (query.label !== undefined) {
    clauses.push("r.label = ?");
    params.push(query.label);
  }
  if (query.from !== undefined) {
    clauses.push("r.ts >= ?");
    params.push(timestamp(query.from, "from"));
  }
  if (query.to !== undefined) {
    clauses.push("r.ts < ?");
    params.push(timestamp(query.to, "to"));
  }
  return { sql: clauses.length === 0 ? "1" : clauses.join(" AND "), params };
}

type Row = {
  stream_id: number;
  stream: string;
  seq: number;
  cid: string;
  kind: string;
  ts: string;
  label: string | null;
  model_id: string | null;
  model_version: string | null;
  bytes: Buffer;
};

/** See {@link AncoraStore.search}. */
export function searchRecords(
  db: Database.Database,
  query: SearchQuery,
  streamId: (name: string) => number,
): SearchPage {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InputError("INVALID_OPTION", `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  const where = conditions(query, streamId);
  if (query.cursor !== undefined) {
    const [afterStream, afterSeq] = decodeCursor(query.cursor);
    where.sql += " AND (r.stream_id > ? OR (r.stream_id = ? AND r.seq > ?))";
    where.params.push(afterStream, afterStream, afterSeq);
  }
  const table = searchTable(db);
  const rows = db
    .prepare<unknown[], Row>(
      `SELECT r.stream_id, s.name AS stream, r.seq, x.cid, r.kind, r.ts, r.label, r.model_id, r.model_version, x.bytes
       FROM ${table} r JOIN records x ON x.stream_id = r.stream_id AND x.seq = r.seq
       JOIN streams s ON s.id = r.stream_id
       WHERE ${where.sql}
       ORDER BY r.stream_id, r.seq
       LIMIT ?`,
    )
    .all(...where.params, limit + 1);
  const more = rows.length > limit;
  const items = rows.slice(0, limit).map(
    (r): SearchItem => ({
      stream: r.stream,
      seq: r.seq,
      cid: r.cid,
      kind: r.kind,
      ts: r.ts,
      label: r.label,
      model: r.model_id === null ? null : { id: r.model_id, version: r.model_version ?? "" },
      record: decodeRecord(r.bytes),
    }),
  );
  const last = rows[limit - 1];
  return more && last !== undefined ? { items, cursor: encodeCursor(last.stream_id, last.seq) } : { items };
}

/** See {@link AncoraStore.count}. */
export function countRecords(
  db: Database.Database,
  query: Omit<SearchQuery, "cursor" | "limit">,
  streamId: (name: string) => number,
): number {
  const where = conditions(query, streamId);
  const table = searchTable(db);
  return db
    .prepare<unknown[], number>(`SELECT count(*) FROM ${table} r WHERE ${where.sql}`)
    .pluck()
    .get(...where.params) as number;
}
