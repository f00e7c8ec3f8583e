/**
 * SVG → PNG for `ancora lineage --format png`, with resvg (WebAssembly, no native build). WebAssembly
 * has no system fonts of its own, so the fonts are read from the system's font directories (DejaVu
 * Sans, which Graphviz's SVG names first, else any TrueType font found): a PNG without them would have
 * no text, so their absence is an error that says what to install.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { CliError } from "../errors.js";

/** Where fonts are looked for, in order (Debian, Fedora, macOS). */
const FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts"];
/** Pixels per SVG unit: Graphviz draws at 72 dpi, so 2 gives a sharp picture on a screen. */
const ZOOM = 2;

/** TrueType files under `dir`, depth-first, sorted so the same fonts are chosen on every run. */
function fontFiles(dir: string, depth = 0): string[] {
  if (depth > 4 || !existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...fontFiles(path, depth + 1));
    else if (/\.(ttf|otf)$/i.test(entry.name)) files.push(path);
  }
  return files;
}

let wasm: Promise<typeof import("@resvg/resvg-wasm")> | undefined;

/** resvg, its WebAssembly initialised once per process (a second initWasm throws). */
function resvg(): Promise<typeof import("@resvg/resvg-wasm")> {
  wasm ??= (async () => {
    const module = await import("@resvg/resvg-wasm");
    const require = createRequire(import.meta.url);
    await module.initWasm(readFileSync(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
    return module;
  })();
  return wasm;
}

/**
 * Renders `svg` to PNG bytes on a white background.
 *
 * @example
 * ```ts
 * writeFileSync("lineage.png", await svgToPng(await renderLineage(graph, "svg")));
 * ```
 */
export async function svgToPng(svg: string, fontDirs: readonly string[] = FONT_DIRS): Promise<Uint8Array> {
  const all = fontDirs.flatMap((dir) => fontFiles(dir));
  const dejavu = all.filter((f) => /DejaVuSans[^/]*\.ttf$/.test(f));
  const chosen = dejavu.length > 0 ? dejavu : all;
  if (chosen.length === 0) {
    throw new CliError("FONTS_MISSING", "No TrueType font was found to draw the PNG's text", {
      hint: "Install a font package (Debian: fonts-dejavu-core), or use --format svg.",
      evidence: { searched: [...fontDirs] },
    });
  }
  const { Resvg } = await resvg();
  return new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: ZOOM },
    font: {
      fontBuffers: chosen.map((f) => readFileSync(f)),
      ...(dejavu.length > 0 ? { defaultFontFamily: "DejaVu Sans" } : {}),
      loadSystemFonts: false,
    },
  })
    .render()
    .asPng();
}
