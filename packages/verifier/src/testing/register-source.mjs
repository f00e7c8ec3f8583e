// Lets a plain Node process or a worker thread started from the TypeScript sources (tests, the
// packages' test children and workers, the benches' helpers) run the workspace's sources directly:
// the `@ancora/source` export condition selects each package's src/index.ts, Node strips the types,
// and this hook maps the `.js` specifiers of relative imports (TypeScript's NodeNext convention) to
// the `.ts` files. The one copy in the workspace: the SDK and the service (which depend on the
// verifier) use it too.
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if ((specifier.startsWith("./") || specifier.startsWith("../")) && specifier.endsWith(".js")) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw error;
    }
  },
});
