/**
 * A progress bar on stderr, drawn only when stderr is a terminal: scripts and pipes see nothing, so
 * stdout stays parseable and logs stay clean.
 */
import type { TextSink } from "./io.js";

/** A progress bar (a no-op when the sink is not a TTY). */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

const WIDTH = 30;
/** Redraw at most this often: a terminal cannot show faster updates anyway. */
const REDRAW_MS = 100;

/**
 * Starts a progress bar for `total` units of work.
 *
 * @example
 * ```ts
 * const bar = progressBar(process.stderr, "ingest", lines.length);
 * for (let i = 0; i < lines.length; i++) { write(lines[i]); bar.update(i + 1); }
 * bar.finish();
 * ```
 */
export function progressBar(
  sink: TextSink,
  label: string,
  total: number,
  now: () => number = Date.now,
): Progress {
  if (sink.isTTY !== true || total <= 0) return { update: () => {}, finish: () => {} };
  let last = 0;
  let drawn = false;
  const draw = (done: number): void => {
    const ratio = Math.min(1, Math.max(0, done / total));
    const filled = Math.round(ratio * WIDTH);
    sink.write(`\r${label} [${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${done}/${total}`);
    drawn = true;
  };
  return {
    update(done: number): void {
      const t = now();
      if (t - last < REDRAW_MS && done < total) return;
      last = t;
      draw(done);
    },
    finish(): void {
      if (drawn) sink.write("\r\x1b[K");
      drawn = false;
    },
  };
}
