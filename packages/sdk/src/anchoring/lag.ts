/**
 * How far anchoring trails the log, per stream: records not yet covered by a confirmed anchor, and
 * when the oldest of them was logged. Read from the store alone, so a process that anchors on a worker
 * thread (or not at all) can export it as metrics.
 */

import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";
import { listAnchors, recordTime, streamIdOf } from "./anchor-store.js";

/** One stream's anchoring lag. */
export interface StreamLag {
  stream: string;
  /** Records in the log. */
  size: number;
  /** Latest confirmed anchored size (0 if none). */
  anchored: number;
  /** Records not yet covered by a confirmed anchor. */
  unanchoredRecords: number;
  /** When the oldest of them was logged (its `ts`, ms since the epoch); null when none waits. */
  oldestUnanchoredAt: number | null;
}

/**
 * The anchoring lag of every stream of the store (or of `streams`), counting confirmed anchors in any
 * registry unless `registry` names one.
 *
 * @example
 * ```ts
 * for (const lag of anchoringLag(logger.store)) {
 *   const seconds = lag.oldestUnanchoredAt === null ? 0 : (Date.now() - lag.oldestUnanchoredAt) / 1000;
 *   gauge.set({ stream: lag.stream }, seconds);
 * }
 * ```
 */
export function anchoringLag(
  store: AncoraStore,
  options: { streams?: readonly string[]; registry?: string } = {},
): StreamLag[] {
  const db = connectionOf(store);
  const registry = options.registry?.toLowerCase();
  const known = store.streams();
  const names = options.streams ?? known.map((s) => s.name);
  return names.map((stream) => {
    const id = streamIdOf(db, stream);
    const size = known.find((s) => s.name === stream)?.size ?? 0;
    const confirmed = listAnchors(db, stream, {
      status: "confirmed",
      ...(registry === undefined ? {} : { registry }),
    });
    const anchored = confirmed.reduce((max, a) => Math.max(max, a.size), 0);
    const oldest = id === undefined || anchored >= size ? undefined : recordTime(db, id, anchored);
    return {
      stream,
      size,
      anchored,
      unanchoredRecords: Math.max(0, size - anchored),
      oldestUnanchoredAt: oldest ?? null,
    };
  });
}
