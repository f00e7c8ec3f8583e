/**
 * Where a worker's code is. From dist (production) it is the compiled `.js`; run from the TypeScript
 * sources (tests), the worker loads them the way the tests' child processes do: the `@ancora/source`
 * export condition and the loader in ../testing/register-source.mjs. Every package of the workspace
 * that starts workers uses {@link workerScript}, so there is one answer to "how does a worker load".
 */

const fromSource = import.meta.url.endsWith(".ts");
// The loader is not compiled: from dist, it is found in the package's sources (shipped with it).
const loader = new URL(
  fromSource ? "../testing/register-source.mjs" : "../../src/testing/register-source.mjs",
  import.meta.url,
).href;

/**
 * The script `name` (without extension) beside the module whose `import.meta.url` is `base`, and the
 * Node options its worker needs.
 *
 * @example
 * ```ts
 * const { url, execArgv } = workerScript(import.meta.url, "audit-worker");
 * new Worker(url, { execArgv });
 * ```
 */
export function workerScript(base: string, name: string): { url: URL; execArgv: string[] } {
  const source = base.endsWith(".ts");
  return {
    url: new URL(`./${name}${source ? ".ts" : ".js"}`, base),
    execArgv: source ? ["--conditions=@ancora/source", "--import", loader] : [],
  };
}

const range = workerScript(import.meta.url, "range-worker");

/** The range worker's script. */
export const RANGE_WORKER_URL = range.url;

/** Node options of the range worker: none from dist; the source loader from the TypeScript sources. */
export const RANGE_WORKER_EXEC_ARGV: readonly string[] = range.execArgv;

/**
 * Modules a worker started from evaluated code imports first (Node does not apply `--import` to such
 * a worker): the source loader when running from the TypeScript sources.
 */
export const RANGE_WORKER_PRELOAD: readonly string[] = fromSource ? [loader] : [];
