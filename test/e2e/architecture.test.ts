/**
 * docs/architecture.md is held to the tree: the packages and what each may import (the table, each
 * package.json and every `@ancora/*` import in its sources agree), every folder of every package's
 * `src/` is described under its package and every folder the page names exists, every error class of
 * a package is in its errors.ts and every throw is typed, and no source file outside generated code
 * exceeds the size where one file starts to hold several jobs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PAGE = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
/** Past this many lines a file is split by job (generated files excepted: they are checked for drift). */
const MAX_LINES = 600;

interface PackageRow {
  name: string;
  folder: string;
  mayImport: string[];
}

/** The rows of the packages table: `| @ancora/x | packages/x | @ancora/a, @ancora/b | … |`. */
function packageRows(): PackageRow[] {
  const rows: PackageRow[] = [];
  for (const line of PAGE.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const name = cells[1]?.match(/^`(@ancora\/[a-z-]+)`$/)?.[1];
    if (name === undefined) continue;
    const folder = cells[2]?.match(/^`([^`]+)`$/)?.[1] ?? "";
    const mayImport = [...(cells[3] ?? "").matchAll(/`(@ancora\/[a-z-]+)`/g)].map((m) => m[1] as string);
    rows.push({ name, folder, mayImport: mayImport.sort() });
  }
  return rows;
}

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

const isSource = (path: string) => /\.(ts|mts|mjs|js)$/.test(path) && !path.endsWith(".d.ts");

/** The `@ancora/*` packages a source file imports (static, dynamic and type imports, re-exports). */
function ancoraImports(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](@ancora\/[a-z-]+)/g)) {
    found.add(m[1] as string);
  }
  return [...found];
}

/** The section of the page that describes one package: from its `### @ancora/x` heading to the next heading. */
function sectionOf(name: string): string {
  const start = PAGE.indexOf(`### \`${name}\``);
  if (start < 0) return "";
  const next = PAGE.indexOf("\n#", start + 4);
  return PAGE.slice(start, next < 0 ? undefined : next);
}

describe("docs/architecture.md matches the tree", () => {
  const rows = packageRows();
  const folders = readdirSync(join(ROOT, "packages")).filter((dir) =>
    existsSync(join(ROOT, "packages", dir, "package.json")),
  );

  it("lists every package once, with its folder", () => {
    const listed = rows.map((row) => row.folder).sort();
    expect(listed).toEqual(folders.map((dir) => `packages/${dir}`).sort());
    for (const row of rows) {
      const manifest = JSON.parse(readFileSync(join(ROOT, row.folder, "package.json"), "utf8"));
      expect(manifest.name, row.folder).toBe(row.name);
    }
  });

  it("says what each package may import, as its package.json declares and its sources do", () => {
    for (const row of rows) {
      const manifest = JSON.parse(readFileSync(join(ROOT, row.folder, "package.json"), "utf8"));
      const declared = Object.keys(manifest.dependencies ?? {})
        .filter((dep) => dep.startsWith("@ancora/"))
        .sort();
      expect(declared, `${row.name}: package.json dependencies`).toEqual(row.mayImport);
      const sources = filesUnder(join(ROOT, row.folder, "src"), isSource);
      for (const file of sources) {
        const used = ancoraImports(readFileSync(file, "utf8")).filter((dep) => dep !== row.name);
        for (const dep of used) {
          expect(row.mayImport, `${relative(ROOT, file)} imports ${dep}`).toContain(dep);
        }
      }
    }
  });

  it("draws the same layers as the table", () => {
    const graph = PAGE.match(/```mermaid\n([\s\S]*?)```/)?.[1] ?? "";
    const names = new Map<string, string>();
    for (const m of graph.matchAll(/([a-z]+)\["(@ancora\/[a-z-]+)"\]/g))
      names.set(m[1] as string, m[2] as string);
    const edges = new Set<string>();
    for (const m of graph.matchAll(/([a-z]+)(?:\["[^"]*"\])?\s*-->\s*([a-z]+)/g)) {
      edges.add(`${names.get(m[1] as string)} -> ${names.get(m[2] as string)}`);
    }
    const expected = rows.flatMap((row) => row.mayImport.map((dep) => `${row.name} -> ${dep}`));
    expect([...edges].sort()).toEqual(expected.sort());
  });

  it("describes every folder of every package's src/, and names no folder that is gone", () => {
    for (const row of rows) {
      const src = join(ROOT, row.folder, "src");
      const section = sectionOf(row.name);
      expect(section, `a "### \`${row.name}\`" section`).not.toBe("");
      const dirs = filesUnder(src, () => true)
        .map((file) => relative(src, join(file, "..")))
        .filter((dir) => dir !== "" && !dir.startsWith(".."));
      for (const dir of new Set(dirs)) {
        expect(section, `${row.folder}/src/${dir}/ is described`).toContain(`\`${dir}/\``);
      }
      for (const m of section.matchAll(/`([a-z0-9-]+(?:\/[a-z0-9-]+)*)\/`/g)) {
        const dir = join(src, m[1] as string);
        expect(existsSync(dir) && statSync(dir).isDirectory(), `${row.folder}/src/${m[1]}/ exists`).toBe(
          true,
        );
      }
    }
  });

  it("names only files that exist", () => {
    for (const m of PAGE.matchAll(/`((?:packages|test|bench|scripts|contracts|docs)\/[^`\s]+\.[a-z]+)`/g)) {
      expect(existsSync(join(ROOT, m[1] as string)), `${m[1]} exists`).toBe(true);
    }
  });

  it("keeps every exported error class of a package in its errors.ts, and every throw typed", () => {
    const misplaced: string[] = [];
    const untyped: string[] = [];
    for (const row of rows) {
      for (const file of filesUnder(join(ROOT, row.folder, "src"), isSource)) {
        const path = relative(ROOT, file);
        if (/\.test\.ts$|\/testing\/|\/generated\//.test(path)) continue;
        const lines = readFileSync(file, "utf8").split("\n");
        for (const [i, line] of lines.entries()) {
          if (/^\s*(\*|\/\/)/.test(line)) continue; // comments and examples
          if (/\bexport class \w+ extends \w*Error\b/.test(line) && !path.endsWith("/errors.ts")) {
            misplaced.push(`${path}:${i + 1}`);
          }
          if (/\bthrow new (Error|TypeError|RangeError)\(/.test(line)) untyped.push(`${path}:${i + 1}`);
        }
      }
    }
    expect(misplaced).toEqual([]);
    expect(untyped).toEqual([]);
  });

  it(`keeps every source file under ${MAX_LINES} lines, generated code aside`, () => {
    const roots = ["packages", "test", "bench", "scripts"].map((dir) => join(ROOT, dir));
    const tooLong: string[] = [];
    for (const root of roots) {
      for (const file of filesUnder(root, isSource)) {
        if (file.includes(`${join("src", "generated")}`) || file.includes("/site/")) continue;
        const lines = readFileSync(file, "utf8").split("\n").length - 1;
        if (lines > MAX_LINES) tooLong.push(`${relative(ROOT, file)}: ${lines} lines`);
      }
    }
    expect(tooLong).toEqual([]);
  });
});
