/**
 * The anchoring policy's clock: when a stream's next checkpoint is due (every `everyRecords` records,
 * or `everyMs` after its oldest record not yet checkpointed, whichever comes first), and taking the
 * checkpoints that are due. The anchorer asks it after each pass how long until the next one.
 */
import type Database from "better-sqlite3";
import type { AncoraStore } from "../store.js";
import { latestCheckpointSize, recordTime, streamIdOf } from "./anchor-store.js";
import { writeTurn } from "./write-turn.js";

export interface CheckpointPolicyOptions {
  readonly db: () => Database.Database;
  readonly store: AncoraStore;
  readonly streams: readonly string[];
  readonly everyRecords: number;
  readonly everyMs: number;
  readonly now: () => number;
}

export class CheckpointPolicy {
  readonly #o: CheckpointPolicyOptions;

  constructor(options: CheckpointPolicyOptions) {
    this.#o = options;
  }

  /**
   * How long until the policy makes a checkpoint of `stream` due (0 or less: due now), or undefined
   * when it has no record after its latest checkpoint.
   */
  dueIn(stream: string): number | undefined {
    const db = this.#o.db();
    const id = streamIdOf(db, stream);
    if (id === undefined) return undefined;
    const size = this.#o.store.stream(stream).size;
    const last = latestCheckpointSize(db, id);
    if (size <= last) return undefined;
    if (size - last >= this.#o.everyRecords) return 0;
    const oldest = recordTime(db, id, last);
    return oldest === undefined ? undefined : oldest + this.#o.everyMs - this.#o.now();
  }

  /** The soonest {@link dueIn} over the streams; Infinity when none has a record to checkpoint. */
  nextDueIn(): number {
    let delay = Number.POSITIVE_INFINITY;
    for (const stream of this.#o.streams) {
      const due = this.dueIn(stream);
      if (due !== undefined && due < delay) delay = due;
    }
    return delay;
  }

  /** Checkpoints every stream whose policy is due; returns how many checkpoints were made. */
  async checkpointDue(report: (error: unknown, stream: string) => void): Promise<number> {
    let made = 0;
    for (const stream of this.#o.streams) {
      const dueIn = this.dueIn(stream);
      if (dueIn === undefined || dueIn > 0) continue;
      try {
        await writeTurn(this.#o.db(), () => this.#o.store.checkpoint(stream));
        made++;
      } catch (error) {
        report(error, stream);
      }
    }
    return made;
  }
}
