/**
 * Test helper: a logger on a fresh temporary store, configured with the fixtures' CONFIG, with a few
 * decisions logged: the start of most SDK tests that need records to anchor, serve or verify.
 */
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { CONFIG, MODEL, tempStore } from "./fixtures.js";

/** What {@link configuredLogger} makes, and where. */
export interface ConfiguredLoggerOptions {
  /** The stream (default "loans"). */
  stream?: string;
  /** Decisions to log after the config (default 0); decision i has score i / decisions. */
  decisions?: number;
  /** The commitment (default "plain": tests compare values). */
  commitment?: "plain" | "salted";
}

/**
 * A logger on a new temporary store, configured, with `decisions` decisions logged. Closing it and
 * removing the store are pushed on `cleanups` (run them last-in, first-out).
 *
 * @example
 * ```ts
 * const logger = await configuredLogger(cleanups, { decisions: 40 });
 * ```
 */
export async function configuredLogger(
  cleanups: Array<() => unknown>,
  options: ConfiguredLoggerOptions = {},
): Promise<ProvenanceLogger> {
  const temp = tempStore();
  cleanups.push(() => temp.cleanup());
  const logger = createLogger({
    path: temp.path,
    stream: options.stream ?? "loans",
    model: MODEL,
    commitment: options.commitment ?? "plain",
  });
  cleanups.push(() => logger.close());
  logger.setConfig(CONFIG);
  const n = options.decisions ?? 0;
  await Promise.all(
    Array.from({ length: n }, (_, i) => logger.record({ features: { i }, output: { i }, score: i / n })),
  );
  return logger;
}
