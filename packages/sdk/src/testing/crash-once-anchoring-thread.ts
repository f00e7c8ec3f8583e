/**
 * The anchoring worker's thread, made to crash once: it runs the real thread (worker-thread.ts), and
 * when the file named by ANCORA_CRASH_ONCE_MARKER does not exist yet, creates it and ends the thread
 * abruptly half a second later, as an uncaught failure would. For the worker's restart test.
 */
import { existsSync, writeFileSync } from "node:fs";
import "../anchoring/worker-thread.js";

const marker = process.env.ANCORA_CRASH_ONCE_MARKER;
if (marker !== undefined && !existsSync(marker)) {
  writeFileSync(marker, "crashed once\n");
  setTimeout(() => process.exit(9), 500);
}
