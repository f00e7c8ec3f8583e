/**
 * Where a service worker's code is. From dist (production) it is the compiled `.js` beside this
 * module; run from the TypeScript sources (tests), the worker loads the `.ts` files the way the tests'
 * child processes do: the `@ancora/source` export condition and the workspace's source loader.
 */

const fromSource = import.meta.url.endsWith(".ts");

/** The script of the worker `name` (`audit-worker`, `lineage-worker`) and the Node options it needs. */
export function workerScript(name: string): { url: URL; execArgv: string[] } {
  return {
    url: new URL(`./${name}${fromSource ? ".ts" : ".js"}`, import.meta.url),
    execArgv: fromSource
      ? [
          "--conditions=@ancora/source",
          "--import",
          new URL("../../../verifier/src/testing/register-source.mjs", import.meta.url).href,
        ]
      : [],
  };
}
