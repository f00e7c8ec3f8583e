/**
 * All-or-nothing writes across streams: `store.appendBatch(entries)` writes config changes and
 * decisions of any number of streams (creating a stream, with its genesis, on first use) in ONE
 * `BEGIN IMMEDIATE` transaction, or nothing at all.
 *
 * It is the stream writer's ordinary path, once per stream, inside one transaction: each stream's
 * seq, prev, Merkle nodes and head row come from its head as re-read under the write lock
 * (`StreamWriter.appendInTransaction`), so the invariants of a logger's writes hold unchanged. A
 * failing entry aborts the transaction instead of failing alone (as it does in a group commit), so
 * the store is left exactly as it was. Checkpoints, the outbox and loggers' group commits are not
 * involved: a logger's cached head sees the new head row and reloads.
 */
import type { GenesisBody, ModelRef, RegistryRef } from "@ancora/core";
import type Database from "better-sqlite3";
import { BatchEntryError, InputError, StoreError } from "./errors.js";
import type { Clock, Draft, Entry, StreamState, Written } from "./internal/append-plan.js";
import { type CommitmentOption, commitmentConfig } from "./internal/commitments.js";
import {
  type ConfigChange,
  checkConfigInput,
  checkModel,
  configDrafts,
  configResult,
  DEFAULT_MAX_INPUT_BYTES,
  type DecisionInput,
  type DecisionSettings,
  decisionDraft,
  decisionResult,
  type PreparedDecision,
  prepareDecision,
  STREAM_ID,
} from "./internal/drafts.js";
import { openStream, StreamWriter } from "./internal/stream-writer.js";
import type { RecordedConfig, RecordedDecision } from "./recorded.js";

/** A decision of a batch: a logger's `DecisionEntry` with its model, and no consent gate. */
export interface BatchDecision extends DecisionInput {
  /** The model that made the decision (a batch has no logger, hence no default model). */
  model: ModelRef;
}

/** One entry of {@link AncoraStore.appendBatch}: a config change or a decision of one stream. */
export type BatchEntry =
  | { kind: "config"; stream: string; config: ConfigChange }
  | { kind: "decision"; stream: string; decision: BatchDecision };

/** Options of {@link AncoraStore.appendBatch}. */
export interface AppendBatchOptions {
  /** How decisions' inputs and outputs are committed to (default `salted`, as a logger's). */
  commitment?: CommitmentOption;
  /** Largest canonical input or output, in bytes (default 1 MiB, as a logger's). */
  maxInputBytes?: number;
  /** Create missing streams with a genesis record (default true); false: a missing stream fails the batch. */
  create?: boolean;
  /** Genesis fields of the streams this batch creates (default `createdBy: "ancora-sdk"`). */
  genesis?: { createdBy?: string; org?: string; description?: string; registry?: RegistryRef };
  /** Called with the number of entries written so far, inside the transaction (before the commit). */
  onProgress?: (written: number) => void;
}

/** What {@link AncoraStore.appendBatch} wrote, once committed (durable: `synchronous=FULL`). */
export interface BatchResult {
  /** Records written, genesis and label records included. */
  records: number;
  /** Each stream the batch touched: its size before the batch (0 if created by it) and now. */
  streams: Record<string, { before: number; size: number; head: string }>;
  /** One result per entry, in entry order. */
  entries: (RecordedConfig | RecordedDecision)[];
}

/** An entry after its input checks and commitments, by its index in the batch. */
export type Planned =
  | { index: number; kind: "config"; change: ConfigChange }
  | { index: number; kind: "decision"; prepared: PreparedDecision };

/** Every input check and commitment, before the lock is taken: a bad entry fails the batch here. */
export function planBatch(
  entries: readonly BatchEntry[],
  options: AppendBatchOptions,
): Map<string, Planned[]> {
  const maxInputBytes = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  if (!Number.isSafeInteger(maxInputBytes) || maxInputBytes < 1) {
    throw new InputError("INVALID_OPTION", "maxInputBytes must be a positive integer");
  }
  const settings: Omit<DecisionSettings, "model"> = {
    commitment: commitmentConfig(options.commitment),
    anonymise: undefined,
    maxInputBytes,
  };
  if (!Array.isArray(entries)) throw new InputError("INVALID_OPTION", "entries must be a list");
  const streams = new Map<string, Planned[]>();
  entries.forEach((entry: BatchEntry, index) => {
    const stream: unknown = (entry as { stream?: unknown } | null)?.stream;
    try {
      if (typeof stream !== "string" || !STREAM_ID.test(stream)) {
        throw new InputError("INVALID_OPTION", "stream must be 1 to 64 characters of [a-z0-9._-]", {
          evidence: { field: "stream" },
        });
      }
      let planned: Planned;
      if (entry.kind === "config") {
        planned = { index, kind: "config", change: checkConfigInput(entry.config) };
      } else if (entry.kind === "decision") {
        const decision = entry.decision;
        if ((decision as { consent?: unknown } | undefined)?.consent !== undefined) {
          // A refusal writes a consent-denied record on its own: that cannot be all-or-nothing.
          throw new InputError("INVALID_OPTION", "a batch decision cannot carry a consent gate", {
            hint: "Log consent-gated decisions through a logger (record/recordSync).",
            evidence: { field: "consent" },
          });
        }
        const model = checkModel((decision as { model?: unknown } | undefined)?.model);
        planned = { index, kind: "decision", prepared: prepareDecision(decision, { ...settings, model }) };
      } else {
        throw new InputError("INVALID_OPTION", 'kind must be "config" or "decision"', {
          evidence: { field: "kind" },
        });
      }
      const list = streams.get(stream);
      if (list === undefined) streams.set(stream, [planned]);
      else list.push(planned);
    } catch (error) {
      throw new BatchEntryError(index, typeof stream === "string" ? stream : "?", error);
    }
  });
  return streams;
}

/**
 * Package-internal: the body of {@link AncoraStore.appendBatch} over the store's connection.
 *
 * @example
 * ```ts
 * const { records } = appendBatch(db, () => new Date(), entries, { commitment: "salted" });
 * ```
 */
export function appendBatch(
  db: Database.Database,
  clock: Clock,
  entries: readonly BatchEntry[],
  options: AppendBatchOptions = {},
): BatchResult {
  if (typeof options !== "object" || options === null) {
    throw new InputError("INVALID_OPTION", "appendBatch options must be an object");
  }
  const streams = planBatch(entries, options);
  const genesis = batchGenesis(options);
  const results: (RecordedConfig | RecordedDecision)[] = new Array(entries.length);
  const sizeOf = db.prepare<[string], number>("SELECT size FROM streams WHERE name = ?").pluck();
  const headOf = db.prepare<[string], { size: number; head_cid: string }>(
    "SELECT size, head_cid FROM streams WHERE name = ?",
  );
  let written = 0;
  const write = (): BatchResult => {
    const summary: BatchResult = { records: 0, streams: {}, entries: results };
    for (const [name, planned] of streams) {
      const first = (planned[0] as Planned).index;
      const before = sizeOf.get(name) ?? 0;
      let writer: StreamWriter;
      try {
        const id = openStream(db, name, options.create === false ? undefined : genesis, clock);
        writer = new StreamWriter(db, id, name, clock);
      } catch (error) {
        throw new BatchEntryError(first, name, error);
      }
      const failed = { yes: false };
      const tick = () => options.onProgress?.(++written);
      const outcomes = writer.appendInTransaction(planned.map((p) => batchEntry(name, p, failed, tick)));
      outcomes.forEach((outcome, k) => {
        const { index } = planned[k] as Planned;
        // Throwing rolls the whole transaction back: every stream stays as it was.
        if (!outcome.ok) throw new BatchEntryError(index, name, outcome.error);
        results[index] = outcome.value;
      });
      const head = headOf.get(name) as { size: number; head_cid: string };
      summary.records += head.size - before;
      summary.streams[name] = { before, size: head.size, head: head.head_cid };
    }
    return summary;
  };
  try {
    return db.transaction(write).immediate();
  } catch (error) {
    if (error instanceof BatchEntryError) throw error;
    throw new StoreError("STORE_WRITE_FAILED", "Writing the batch failed; nothing of it was written", {
      cause: error,
      hint:
        (error as { code?: unknown }).code === "SQLITE_BUSY"
          ? "Another writer held the lock longer than busy_timeout; retry, or raise busyTimeoutMs."
          : "See the cause (disk full, read-only store, I/O error); the transaction was rolled back.",
    });
  }
}

/** The genesis of the streams a batch creates. */
export function batchGenesis(options: AppendBatchOptions): GenesisBody {
  return {
    createdBy: options.genesis?.createdBy ?? "ancora-sdk",
    ...(options.genesis?.org === undefined ? {} : { org: options.genesis.org }),
    ...(options.genesis?.description === undefined ? {} : { description: options.genesis.description }),
    ...(options.genesis?.registry === undefined ? {} : { registry: options.genesis.registry }),
  };
}

/**
 * A writer entry for a planned entry. Once one entry of the stream has failed, the batch is lost:
 * the later ones build nothing (the writer goes on with the next entry after a failure, as a group
 * commit must), so a failure early in a long batch costs no further encoding.
 */
/** The value of an entry after a failure of its stream: the batch is rolled back, nobody reads it. */
const lost = undefined as unknown as RecordedDecision;

export function batchEntry(
  stream: string,
  planned: Planned,
  failed: { yes: boolean },
  tick: () => void,
): Entry<RecordedConfig | RecordedDecision> {
  const guard =
    (build: (state: Readonly<StreamState>) => Draft[]) =>
    (state: Readonly<StreamState>): Draft[] => {
      if (failed.yes) return [];
      try {
        return build(state);
      } catch (error) {
        failed.yes = true;
        throw error;
      }
    };
  if (planned.kind === "config") {
    const change = planned.change;
    return {
      build: guard((state) => configDrafts(change, state)),
      done: (written) => {
        if (failed.yes) return lost;
        tick();
        return configResult(stream, written);
      },
    };
  }
  const prepared = planned.prepared;
  return {
    build: guard((state) => [decisionDraft(prepared, state)]),
    done: (written) => {
      if (failed.yes) return lost;
      tick();
      return decisionResult(stream, written[0] as Written);
    },
  };
}
