/**
 * Where a range worker's code is. From dist (production) it is the compiled range-worker.js; run from
 * the TypeScript sources (tests), the worker loads them the way the tests' child processes do: the
 * `@ancora/source` export condition and the loader in ../testing/register-source.mjs.
 */

const fromSource = import.meta.url.endsWith(".ts");
const loader = new URL("../testing/register-source.mjs", import.meta.url).href;

/** The worker script. */
export const RANGE_WORKER_URL = new URL(
  fromSource ? "./range-worker.ts" : "./range-worker.js",
  import.meta.url,
);

/** Node options of the worker: none from dist; the source loader from the TypeScript sources. */
export const RANGE_WORKER_EXEC_ARGV: readonly string[] = fromSource
  ? ["--conditions=@ancora/source", "--import", loader]
  : [];

/**
 * Modules a worker started from evaluated code imports first (Node does not apply `--import` to such
 * a worker): the source loader when running from the TypeScript sources.
 */
export const RANGE_WORKER_PRELOAD: readonly string[] = fromSource ? [loader] : [];
