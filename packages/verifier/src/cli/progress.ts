/**
 * Progress of a long run on stderr (never stdout, which carries the report or the JSON document):
 * records done, records/s and an ETA, at most a few times a second. On a terminal the line is
 * rewritten in place; elsewhere (`--progress` into a file) one line per second.
 */

/** The part of a stream the progress printer writes to. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Reports progress; `done()` clears the line. */
export interface Progress {
  update(records: number, total: number): void;
  done(): void;
}

const SILENT: Progress = { update: () => undefined, done: () => undefined };

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * A progress printer, or a silent one when `enabled` is false.
 *
 * @example
 * ```ts
 * const progress = createProgress(process.stderr, process.stderr.isTTY === true);
 * progress.update(120_000, 1_000_000); // "  120,000 / 1,000,000 records  310,000 records/s  ETA 3 s"
 * progress.done();
 * ```
 */
export function createProgress(
  out: ProgressOutput,
  enabled: boolean,
  now: () => number = performance.now.bind(performance),
): Progress {
  if (!enabled) return SILENT;
  const tty = out.isTTY === true;
  const start = now();
  let last = Number.NEGATIVE_INFINITY;
  let printed = false;
  return {
    update(records, total) {
      const t = now();
      if (t - last < (tty ? 200 : 1000) && records < total) return;
      last = t;
      const rate = records / Math.max((t - start) / 1000, 1e-3);
      const line = `  ${records.toLocaleString("en-US")} / ${total.toLocaleString("en-US")} records  ${Math.round(rate).toLocaleString("en-US")} records/s  ETA ${eta((total - records) / rate)}`;
      out.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
      printed = true;
    },
    done() {
      if (tty && printed) out.write("\r\x1b[K");
    },
  };
}
