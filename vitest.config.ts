import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Tests import the workspace packages' TypeScript sources (the `@ancora/source` export condition), so
// a test run never depends on a stale dist/ build.
const conditions = ["@ancora/source", ...defaultServerConditions];

const PACKAGES = ["core", "contracts", "sdk", "verifier", "service", "verify-page"] as const;

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      ...PACKAGES.map((name) => ({
        extends: true as const,
        test: { name, root: `packages/${name}`, include: ["src/**/*.test.ts"] },
      })),
      {
        extends: true as const,
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 120_000 },
      },
    ],
    passWithNoTests: false,
    // Test files of one worker share its module cache instead of each loading the packages again
    // (`import "@ancora/sdk"` alone is ~1,600 modules): on 2 cores the whole run took 663 s against
    // 801-893 s isolated, with the same 156 files and tests passing (docs/decisions.md, 2026-12-07).
    // Files still run one after another in a worker, and the one that mocks a module resets it.
    isolate: false,
    // A time limit is there to end a hang, not to judge speed: CPU-heavy property tests take several
    // seconds on a loaded 2-core machine (vitest's default 5 s failed them in CI-like runs).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
