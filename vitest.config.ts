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
    // A time limit is there to end a hang, not to judge speed: CPU-heavy property tests take several
    // seconds on a loaded 2-core machine (vitest's default 5 s failed them in CI-like runs).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
