/**
 * The search index's catch-up thread, started by the anchoring worker's thread (./worker-thread.ts)
 * over its own connection to the store's file. On the anchoring thread the catch-up (at full logging
 * speed ~10 µs a record, about half of it waiting for the write lock the logger holds) blocked the
 * anchorer's event loop for 100-200 ms a second, in the middle of its passes; here it never delays an
 * anchor. Nothing depends on it: a query catches the index up itself before it answers.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type AncoraStore, openStore } from "../store.js";

/** What the anchoring thread sends: the store's file, and how often and how much to index. */
export interface IndexThreadInit {
  path: string;
  intervalMs: number;
  maxRecords: number;
}

/**
 * Every `intervalMs`, at most `maxRecords` records are indexed (AncoraStore.indexForSearch). A failure
 * (a lock held too long) is left to the next round, or to the first query, which catches up itself.
 */
function run(init: IndexThreadInit, port: NonNullable<typeof parentPort>): void {
  const store: AncoraStore = openStore({ path: init.path });
  let timer: NodeJS.Timeout | undefined;
  const round = (): void => {
    timer = setTimeout(() => {
      try {
        store.indexForSearch({ maxRecords: init.maxRecords });
      } catch {
        // retried on the next round; queries catch up themselves
      }
      round();
    }, init.intervalMs);
  };
  port.on("message", (message: unknown) => {
    if (message !== "stop") return;
    clearTimeout(timer);
    store.close();
    port.postMessage("stopped");
    port.close();
  });
  round();
}

if (parentPort !== null) run(workerData as IndexThreadInit, parentPort);
