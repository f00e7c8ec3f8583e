/**
 * `ancora ingest`: writes parsed JSONL lines (see ingest-parse.ts) into a store, creating a stream
 * (its genesis) on first use.
 *
 * All or nothing: every line is parsed and validated first (ingest-parse.ts), then the whole input is
 * written by the SDK's `store.appendBatch` in ONE transaction. What depends on the store's state (a
 * decision needs a config, earlier in the input or already in the store; a label id must exist) is
 * judged inside that transaction, under the write lock, and a failing line rolls everything back; so
 * does a failing write (disk full, a lock held too long: STORE_WRITE_FAILED). Either way the store is
 * exactly as it was, and no failure can leave part of an input written.
 */
import { existsSync } from "node:fs";
import {
  appendBatchToPostgres,
  type BatchEntry,
  BatchEntryError,
  type BatchResult,
  type CommitmentOption,
  openStore,
} from "@ancora/sdk";
import { isPostgresUrl } from "@ancora/verifier/node";
import { IngestError } from "../errors.js";
import { type IngestLine, LABEL_ID_PATTERN } from "./ingest-parse.js";
import type { Progress } from "./progress.js";

/** Options of {@link ingest}. */
export interface IngestOptions {
  /**
   * The SQLite store (created when missing, only once the whole input is valid), or a PostgreSQL log's
   * `postgres://` URL (its schema created when missing, in the same all-or-nothing way).
   */
  db: string;
  lines: readonly IngestLine[];
  /** `createdBy` of the genesis of streams created by this input. */
  createdBy?: string;
  commitment?: CommitmentOption;
  progress?: Progress;
}

/** What `ancora ingest --json` prints. */
export interface IngestSummary {
  /** Records written (genesis and label records included). */
  records: number;
  /** Each stream the input touched, as it is now. */
  streams: Record<string, { size: number; head: string | null }>;
}

/** Genesis author of streams the CLI creates, unless --created-by says otherwise. */
export const DEFAULT_CREATED_BY = "ancora-cli";

function plan(lines: readonly IngestLine[]): Map<string, IngestLine[]> {
  const streams = new Map<string, IngestLine[]>();
  for (const line of lines) {
    const list = streams.get(line.stream);
    if (list === undefined) streams.set(line.stream, [line]);
    else list.push(line);
  }
  return streams;
}

function nextLabelId(ids: Iterable<string>): string {
  let max = 0;
  for (const id of ids) max = Math.max(max, Number(id.slice(1)));
  return `L${String(max + 1).padStart(3, "0")}`;
}

/**
 * Replays a new stream's lines as the SDK will write them (a decision needs a config; a label id must
 * exist; a label name is an existing label or defines the next id), so that a store file is not
 * created for an input the SDK would refuse. For an existing store the SDK's batch judges.
 */
function checkNewStream(name: string, lines: readonly IngestLine[]): void {
  let hasConfig = false;
  const labels = new Map<string, string>();
  for (const line of lines) {
    if (line.kind === "decision") {
      if (!hasConfig) {
        throw new IngestError(
          "INGEST_CONFIG_MISSING",
          line.line,
          `stream "${name}" has no config before this decision`,
          {
            evidence: { stream: name },
            hint: 'Put a {"kind":"config",...} line for the stream before its first decision; nothing from this input was written.',
          },
        );
      }
      continue;
    }
    for (const field of ["aboveLabel", "belowLabel"] as const) {
      const label = line[field];
      if (LABEL_ID_PATTERN.test(label)) {
        if (!labels.has(label)) {
          throw new IngestError(
            "INGEST_LABEL_UNKNOWN",
            line.line,
            `${field}: stream "${name}" has no label ${label}`,
            {
              evidence: { stream: name, field, label },
              hint: "Use a label name (defined on first use) or an id the stream already has; nothing from this input was written.",
            },
          );
        }
      } else if (![...labels.values()].includes(label)) {
        labels.set(nextLabelId(labels.keys()), label);
      }
    }
    hasConfig = true;
  }
}

/** A batch entry's failure as the line it came from (the store's state decides, nothing was written). */
function lineError(error: BatchEntryError, lines: readonly IngestLine[]): IngestError {
  const line = lines[error.index] as IngestLine;
  const cause = error.cause as { code?: unknown; evidence?: Record<string, unknown> } | undefined;
  if (cause?.code === "CONFIG_MISSING") {
    return new IngestError(
      "INGEST_CONFIG_MISSING",
      line.line,
      `stream "${line.stream}" has no config before this decision`,
      {
        cause: error,
        evidence: { stream: line.stream },
        hint: 'Put a {"kind":"config",...} line for the stream before its first decision; nothing from this input was written.',
      },
    );
  }
  if (cause?.code === "LABEL_UNKNOWN") {
    const label = cause.evidence?.label;
    const field = line.kind === "config" && line.belowLabel === label ? "belowLabel" : "aboveLabel";
    return new IngestError(
      "INGEST_LABEL_UNKNOWN",
      line.line,
      `${field}: stream "${line.stream}" has no label ${String(label)}`,
      {
        cause: error,
        evidence: { stream: line.stream, field, label },
        hint: "Use a label name (defined on first use) or an id the stream already has; nothing from this input was written.",
      },
    );
  }
  return new IngestError(
    "INGEST_BAD_FIELD",
    line.line,
    `the SDK refused this line (${String(cause?.code ?? "unknown")})`,
    {
      cause: error,
      evidence: { stream: line.stream },
    },
  );
}

/**
 * Validates parsed lines, then writes them all in one transaction (see the module comment).
 *
 * @example
 * ```ts
 * const summary = await ingest({ db: "ancora.db", lines: parseIngestInput(text) });
 * // { records: 1004, streams: { loans: { size: 1004, head: "bafkrei…" } } }
 * ```
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const postgres = isPostgresUrl(options.db);
  // A missing file stays missing until the input is known to be valid: every stream is new, so the
  // lines alone say whether each decision has a config and each label id a definition.
  if (!postgres && !existsSync(options.db)) {
    for (const [name, lines] of plan(options.lines)) checkNewStream(name, lines);
  }
  const entries: BatchEntry[] = options.lines.map((line) =>
    line.kind === "decision"
      ? {
          kind: "decision",
          stream: line.stream,
          decision: { features: line.input, output: line.output, score: line.score, model: line.model },
        }
      : {
          kind: "config",
          stream: line.stream,
          config: {
            threshold: line.threshold,
            aboveLabel: line.aboveLabel,
            belowLabel: line.belowLabel,
            changedBy: line.changedBy,
            changeReason: line.changeReason,
          },
        },
  );
  const progress = options.progress;
  const batchOptions = {
    commitment: options.commitment ?? "salted",
    genesis: { createdBy: options.createdBy ?? DEFAULT_CREATED_BY },
    ...(progress === undefined ? {} : { onProgress: (n: number) => progress.update(n) }),
  };
  try {
    let result: BatchResult;
    if (postgres) {
      result = await appendBatchToPostgres(options.db, entries, batchOptions);
    } else {
      const store = openStore({ path: options.db });
      try {
        result = store.appendBatch(entries, batchOptions);
      } finally {
        store.close();
      }
    }
    const summary: IngestSummary = { records: result.records, streams: {} };
    for (const [name, s] of Object.entries(result.streams))
      summary.streams[name] = { size: s.size, head: s.head };
    return summary;
  } catch (error) {
    if (error instanceof BatchEntryError) throw lineError(error, options.lines);
    throw error;
  } finally {
    progress?.finish();
  }
}
