/**
 * The receipt page's bundle: what a person's browser downloads, per file (bytes and gzip -9), and which
 * packages the script's bytes come from, so a change that pulls a large dependency into the page shows.
 * Builds in memory (nothing is written to packages/verify-page/site/).
 *
 *   node bench/verify-page.bench.ts
 *
 * Time to verify in the page needs Chromium, a chain and the service: test/e2e/verify-page.test.ts
 * measures it and writes it to .artifacts/verify-page/metrics.json (docs/benchmarks.md, "Receipt page").
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Rollup } from "vite";
import { printMachineHeader } from "./lib.ts";

printMachineHeader();

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

const started = performance.now();
const built = await build({
  configFile: join(ROOT, "packages", "verify-page", "vite.config.ts"),
  logLevel: "silent",
  build: { write: false },
});
const seconds = (performance.now() - started) / 1000;
const outputs = (Array.isArray(built) ? built : [built as Rollup.RollupOutput]).flatMap((o) => o.output);

const bytes = (item: Rollup.OutputChunk | Rollup.OutputAsset): Uint8Array =>
  item.type === "chunk"
    ? new TextEncoder().encode(item.code)
    : typeof item.source === "string"
      ? new TextEncoder().encode(item.source)
      : item.source;

console.log(`built in ${seconds.toFixed(1)} s\n`);
console.log("| file | bytes | gzip -9 |\n| --- | ---: | ---: |");
let total = 0;
let totalGzip = 0;
for (const item of outputs) {
  const body = bytes(item);
  const gzip = gzipSync(body, { level: 9 }).length;
  total += body.length;
  totalGzip += gzip;
  console.log(
    `| ${item.fileName} | ${body.length.toLocaleString("en-US")} | ${gzip.toLocaleString("en-US")} |`,
  );
}
console.log(`| all | ${total.toLocaleString("en-US")} | ${totalGzip.toLocaleString("en-US")} |`);

/** The package a module belongs to: its npm name, or the workspace folder (`packages/core`). */
function packageOf(id: string): string {
  const at = id.lastIndexOf("/node_modules/");
  if (at >= 0) {
    const parts = id.slice(at + "/node_modules/".length).split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? id);
  }
  // Rollup marks its virtual modules (Vite's helpers) with a leading NUL.
  const clean = id.replace(/^\0/, "");
  const inRepo = clean.startsWith(ROOT) ? clean.slice(ROOT.length + 1) : clean;
  return inRepo.split("/").slice(0, 2).join("/");
}

const byPackage = new Map<string, number>();
let rendered = 0;
for (const item of outputs) {
  if (item.type !== "chunk") continue;
  for (const [id, module] of Object.entries(item.modules)) {
    const length = module.renderedLength ?? 0;
    rendered += length;
    byPackage.set(packageOf(id), (byPackage.get(packageOf(id)) ?? 0) + length);
  }
}
console.log("\n| package (rendered length before minification) | share of the script |\n| --- | ---: |");
for (const [name, length] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
  console.log(`| ${name} | ${((100 * length) / rendered).toFixed(1)}% |`);
}
