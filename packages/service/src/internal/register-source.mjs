// Lets a worker thread started from the TypeScript sources (tests) load them: the `@ancora/source`
// export condition selects each workspace package's src/index.ts, Node strips the types, and this
// hook maps the `.js` specifiers of relative imports (TypeScript's NodeNext convention) to `.ts`.
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
