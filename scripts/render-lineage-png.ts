/**
 * Renders a lineage graph to PNG, to look at what `renderLineage(graph, "svg")` draws:
 *
 *   node scripts/render-lineage-png.ts [store.db record-cid] [out.png]
 *
 * With no store, it builds a demo store in a temp dir (datasets → training → model → decisions) and
 * renders the lineage of its last decision. SVG → PNG with resvg (WebAssembly), DejaVu fonts from the
 * system (WebAssembly has no system fonts of its own).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLogger,
  lineageGraph,
  logDataset,
  logModel,
  logTraining,
  openStore,
  renderLineage,
  sha256Digest,
} from "@ancora/sdk";
import { initWasm, Resvg } from "@resvg/resvg-wasm";

const [storeArg, cidArg, outArg] = process.argv.slice(2);
const out = (cidArg === undefined ? storeArg : outArg) ?? "lineage.png";
let svg: string;
if (storeArg !== undefined && cidArg !== undefined) {
  const store = openStore({ path: storeArg, readonly: true });
  svg = await renderLineage(lineageGraph(store, cidArg), "svg");
  store.close();
} else {
  const path = join(mkdtempSync(join(tmpdir(), "ancora-lineage-")), "demo.db");
  const model = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` } as const;
  const logger = createLogger({ path, stream: "credit", model });
  logger.setConfig({
    threshold: 0.5,
    aboveLabel: "approve",
    belowLabel: "refer",
    changedBy: "risk",
    changeReason: "launch",
  });
  const d = (s: string) => sha256Digest(new TextEncoder().encode(s));
  const samples = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => new Uint8Array(createHash("sha256").update(`${tag}${i}`).digest()));
  const train = logDataset(logger, {
    id: "loans-2024",
    split: "train",
    sampleHashes: samples(1000, "t"),
    schema: d("s"),
    privacy: "personal",
  });
  const val = logDataset(logger, {
    id: "loans-2024",
    split: "validation",
    sampleHashes: samples(200, "v"),
    schema: d("s"),
    privacy: "personal",
  });
  const m = logModel(logger, {
    name: model.id,
    version: model.version,
    weights: model.hash,
    architecture: d("a"),
    hyperparameters: d("h"),
    environment: d("e"),
    commit: "c".repeat(40),
    datasets: [train.cid, val.cid],
  });
  logTraining(logger, {
    datasets: [train.cid],
    modelAfter: m.cid,
    parameters: d("p"),
    backend: "on-prem-a100",
    actor: "ml-platform",
  });
  let last = "";
  for (let i = 0; i < 3; i++) last = (await logger.record({ features: { i }, output: i, score: i / 3 })).cid;
  logger.checkpoint();
  svg = await renderLineage(lineageGraph(logger.store, last), "svg");
  await logger.close();
}
const require = createRequire(import.meta.url);
await initWasm(readFileSync(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
const fontDir = "/usr/share/fonts/truetype/dejavu";
const fontBuffers = existsSync(fontDir)
  ? readdirSync(fontDir)
      .filter((f) => f.startsWith("DejaVuSans"))
      .map((f) => readFileSync(join(fontDir, f)))
  : [];
const png = new Resvg(svg, {
  background: "white",
  fitTo: { mode: "zoom", value: 2 },
  font: { fontBuffers, defaultFontFamily: "DejaVu Sans", loadSystemFonts: false },
})
  .render()
  .asPng();
writeFileSync(out, png);
writeFileSync(out.replace(/\.png$/, ".svg"), svg);
console.log(`wrote ${out} (${png.length} bytes)`);
