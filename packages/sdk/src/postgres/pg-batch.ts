/**
 * `appendBatchToPostgres(url, entries)`: the store's `appendBatch` (./batch.ts) for a log kept in
 * PostgreSQL. The same input checks and commitments, the same records, in ONE transaction across
 * streams, or nothing at all (a failing entry is a BatchEntryError naming it; a failure of the database
 * a StoreError). `ancora ingest --db postgres://…` runs it.
 */
import {
  type AppendBatchOptions,
  type BatchEntry,
  type BatchResult,
  batchEntry,
  batchGenesis,
  type Planned,
  planBatch,
} from "../batch.js";
import { BatchEntryError, InputError, StoreError } from "../errors.js";
import type { Clock } from "../internal/append-plan.js";
import type { RecordedConfig, RecordedDecision } from "../recorded.js";
import { openPostgresPool } from "./pg-pool.js";
import { PgWriter } from "./pg-writer.js";

/**
 * Writes `entries` to the PostgreSQL log at `url` (its schema created or upgraded when needed), all or
 * nothing.
 *
 * @example
 * ```ts
 * const { records } = await appendBatchToPostgres(process.env.ANCORA_DATABASE_URL as string, entries);
 * ```
 */
export async function appendBatchToPostgres(
  url: string,
  entries: readonly BatchEntry[],
  options: AppendBatchOptions & { clock?: Clock } = {},
): Promise<BatchResult> {
  if (typeof options !== "object" || options === null) {
    throw new InputError("INVALID_OPTION", "appendBatch options must be an object");
  }
  const streams = planBatch(entries, options);
  const genesis = options.create === false ? undefined : batchGenesis(options);
  const pool = await openPostgresPool(url, 1);
  try {
    const names = [...streams.keys()];
    let written = 0;
    const tick = () => options.onProgress?.(++written);
    const writer = new PgWriter(pool, options.clock);
    const result = await writer.appendAcross(
      names.map((name) => {
        const failed = { yes: false };
        const planned = streams.get(name) as Planned[];
        return { name, genesis, entries: planned.map((p) => batchEntry(name, p, failed, tick)) };
      }),
    );
    if (result.missing !== undefined) {
      const name = names[result.missing] as string;
      const first = (streams.get(name) as Planned[])[0] as Planned;
      throw new BatchEntryError(
        first.index,
        name,
        new StoreError("STORE_CORRUPT", `The PostgreSQL store has no stream "${name}"`, {
          hint: "Create the stream (append with create: true), or check its name.",
        }),
      );
    }
    const summary: BatchResult = { records: 0, streams: {}, entries: new Array(entries.length) };
    names.forEach((name, g) => {
      const planned = streams.get(name) as Planned[];
      (result.outcomes[g] ?? []).forEach((outcome, k) => {
        const { index } = planned[k] as Planned;
        if (!outcome.ok) throw new BatchEntryError(index, name, outcome.error);
        summary.entries[index] = outcome.value as RecordedConfig | RecordedDecision;
      });
      const head = result.heads[g] as BatchResult["streams"][string];
      summary.records += head.size - head.before;
      summary.streams[name] = head;
    });
    if (!result.committed) {
      throw new StoreError("STORE_WRITE_FAILED", "The batch was rolled back; nothing of it was written", {
        hint: "Retry the batch.",
      });
    }
    return summary;
  } finally {
    await pool.end().catch(() => {});
  }
}
