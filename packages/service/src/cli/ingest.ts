/**
 * `ancora ingest`: writes parsed JSONL lines (see ingest-parse.ts) into a store through the SDK's
 * loggers, one logger per stream, creating a stream (its genesis) on first use.
 *
 * All-or-nothing against bad input: every line is parsed and validated first, then checked against
 * the store's state (a decision needs a config, earlier in the input or already in the store; a label
 * id must exist), and only then is anything written. The SDK offers no transaction spanning several
 * streams or several calls, so the write phase is a sequence of SDK transactions (one per config
 * change, one per group commit of up to 4096 decisions); a failure there (disk full, a lock held too
 * long) stops at once and is reported as INGEST_PARTIAL with what each stream holds.
 */
import { existsSync } from "node:fs";
import type { ModelRef } from "@ancora/core";
import {
  type CommitmentOption,
  createLogger,
  DEFAULT_MAX_BATCH,
  openStore,
  type ProvenanceLogger,
  type RecordedDecision,
} from "@ancora/sdk";
import { IngestError, type IngestLine, LABEL_ID_PATTERN } from "./ingest-parse.js";
import type { Progress } from "./progress.js";

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** The SQLite store (created when missing, only once the whole input is valid). */
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

/**
 * A logger needs a default model, though no record carries it (every ingested decision names its
 * own): this one is used only for streams whose lines are all config changes.
 */
const CONFIG_ONLY_MODEL: ModelRef = { id: "ancora-cli", version: "1", hash: `sha256:${"0".repeat(64)}` };

interface StreamPlan {
  name: string;
  lines: IngestLine[];
  model: ModelRef;
}

function plan(lines: readonly IngestLine[]): StreamPlan[] {
  const streams = new Map<string, StreamPlan>();
  for (const line of lines) {
    let entry = streams.get(line.stream);
    if (entry === undefined) {
      entry = { name: line.stream, lines: [], model: CONFIG_ONLY_MODEL };
      streams.set(line.stream, entry);
    }
    if (entry.lines.every((l) => l.kind !== "decision") && line.kind === "decision") entry.model = line.model;
    entry.lines.push(line);
  }
  return [...streams.values()];
}

function nextLabelId(ids: Iterable<string>): string {
  let max = 0;
  for (const id of ids) max = Math.max(max, Number(id.slice(1)));
  return `L${String(max + 1).padStart(3, "0")}`;
}

/**
 * Replays a stream's lines against its current state, as the SDK will write them: a decision needs
 * a config; a label id must exist; a label name is an existing label or defines the next id.
 */
function checkAgainstState(stream: StreamPlan, logger: ProvenanceLogger | undefined): void {
  let hasConfig = logger?.config() !== undefined;
  const labels = new Map((logger?.labels() ?? []).map((l) => [l.id, l.name] as const));
  for (const line of stream.lines) {
    if (line.kind === "decision") {
      if (!hasConfig) {
        throw new IngestError(
          "INGEST_CONFIG_MISSING",
          line.line,
          `stream "${stream.name}" has no config before this decision`,
          {
            evidence: { stream: stream.name },
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
            `${field}: stream "${stream.name}" has no label ${label}`,
            {
              evidence: { stream: stream.name, field, label },
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

async function writeStream(
  logger: ProvenanceLogger,
  stream: StreamPlan,
  progress: () => void,
): Promise<void> {
  let pending: Promise<RecordedDecision>[] = [];
  const settle = async (): Promise<void> => {
    const results = await Promise.allSettled(pending);
    pending = [];
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  };
  for (const line of stream.lines) {
    if (line.kind === "decision") {
      // Queued decisions share group-commit transactions; they must be durable before a config
      // change (a synchronous write) so that the stream's order is the input's.
      pending.push(
        logger.record({ features: line.input, output: line.output, score: line.score, model: line.model }),
      );
      if (pending.length >= DEFAULT_MAX_BATCH) await settle();
    } else {
      await settle();
      logger.setConfig({
        threshold: line.threshold,
        aboveLabel: line.aboveLabel,
        belowLabel: line.belowLabel,
        changedBy: line.changedBy,
        changeReason: line.changeReason,
      });
    }
    progress();
  }
  await settle();
}

/**
 * Validates parsed lines against the store, then writes them (see the module comment).
 *
 * @example
 * ```ts
 * const summary = await ingest({ db: "ancora.db", lines: parseIngestInput(text) });
 * // { records: 1004, streams: { loans: { size: 1004, head: "bafkrei…" } } }
 * ```
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const streams = plan(options.lines);
  const loggers = new Map<string, ProvenanceLogger>();
  const before = new Map<string, number>();
  const commitment = options.commitment ?? "salted";
  const open = (stream: StreamPlan, create: boolean): ProvenanceLogger =>
    createLogger({
      path: options.db,
      stream: stream.name,
      model: stream.model,
      commitment,
      create,
      createdBy: options.createdBy ?? DEFAULT_CREATED_BY,
    });
  try {
    // A missing file stays missing until the input is known to be valid.
    if (existsSync(options.db)) {
      const store = openStore({ path: options.db });
      const existing = new Set(store.streams().map((s) => s.name));
      store.close();
      for (const stream of streams) {
        if (!existing.has(stream.name)) continue;
        const logger = open(stream, false);
        loggers.set(stream.name, logger);
        before.set(stream.name, logger.store.stream(stream.name).size);
      }
    }
    for (const stream of streams) checkAgainstState(stream, loggers.get(stream.name));

    let done = 0;
    const tick = () => options.progress?.update(++done);
    for (const stream of streams) {
      let logger = loggers.get(stream.name);
      try {
        if (logger === undefined) {
          logger = open(stream, true);
          loggers.set(stream.name, logger);
        }
        await writeStream(logger, stream, tick);
      } catch (error) {
        throw partial(error, streams, loggers, before);
      }
    }
    options.progress?.finish();

    const summary: IngestSummary = { records: 0, streams: {} };
    for (const stream of streams) {
      const info = (loggers.get(stream.name) as ProvenanceLogger).store.stream(stream.name);
      summary.records += info.size - (before.get(stream.name) ?? 0);
      summary.streams[stream.name] = { size: info.size, head: info.head };
    }
    return summary;
  } finally {
    options.progress?.finish();
    for (const logger of loggers.values()) await logger.close();
  }
}

/** The write phase failed after validation: say what each stream holds now. */
function partial(
  error: unknown,
  streams: readonly StreamPlan[],
  loggers: ReadonlyMap<string, ProvenanceLogger>,
  before: ReadonlyMap<string, number>,
): IngestError {
  const state: Record<string, { before: number; now: number | null }> = {};
  for (const stream of streams) {
    let now: number | null = null;
    try {
      now = loggers.get(stream.name)?.store.stream(stream.name).size ?? before.get(stream.name) ?? 0;
    } catch {
      now = null;
    }
    state[stream.name] = { before: before.get(stream.name) ?? 0, now };
  }
  const code = (error as { code?: unknown }).code;
  return new IngestError(
    "INGEST_PARTIAL",
    undefined,
    "writing stopped part-way: the input was valid but the store failed",
    {
      cause: error,
      evidence: { streams: state, ...(typeof code === "string" ? { cause: code } : {}) },
      hint: "Fix the store problem (see the cause), then ingest only the lines not yet written: each stream's `now` size says how far it got.",
    },
  );
}
