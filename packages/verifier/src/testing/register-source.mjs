// Lets a plain Node process (a test's child) run the workspace's TypeScript sources directly: the
// `@ancora/source` export condition selects src/index.ts, Node strips the types, and this hook maps
// the `.js` specifiers of relative imports (TypeScript's NodeNext convention) to the `.ts` files.
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
