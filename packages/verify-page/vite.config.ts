import { defineConfig } from "vite";

// Built from the workspace packages' TypeScript sources (their `@ancora/source` export condition), so
// the page never depends on a stale dist/ build. Assets are linked under /verify/, where `ancora serve`
// serves them (the page itself is /verify); to host the page elsewhere, build with `--base <path>`.
export default defineConfig({
  root: import.meta.dirname,
  base: "/verify/",
  resolve: { conditions: ["@ancora/source", "browser", "module", "import", "default"] },
  build: {
    outDir: "site",
    emptyOutDir: true,
    target: "es2023",
    reportCompressedSize: true,
    chunkSizeWarningLimit: 1024,
  },
});
