/**
 * What each package's tarball holds, as `pnpm pack` builds it for publishing: only what runs (`dist`
 * without `.tsbuildinfo` and `testing/`, `bin`, the built receipt page), no sources, tests or test
 * helpers; `LICENSE` and `README.md`; a manifest that is publishable (not private, `engines.node`,
 * `license`, `repository`) with every `workspace:` range rewritten to a version; and `exports` whose
 * `types` and `default` resolve inside the tarball for a consumer, who never sets the workspace's
 * `@ancora/source` condition (TypeScript with `moduleResolution` node16/nodenext and bundler, and Node).
 *
 * Needs the built packages (`pnpm exec tsc -b`, the typecheck step of `make test`) and the built
 * receipt page (`pnpm run build:verify-page`); it says so when they are missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIRS = readdirSync(join(ROOT, "packages"))
  .filter((dir) => existsSync(join(ROOT, "packages", dir, "package.json")))
  .sort();

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  engines?: { node?: string };
  repository?: { type?: string; url?: string; directory?: string };
  publishConfig?: { access?: string };
  exports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface Packed {
  dir: string;
  /** Paths inside the tarball, without the leading `package/`. */
  files: string[];
  manifest: Manifest;
}

const SOURCE_MANIFESTS = new Map(
  DIRS.map((dir) => [
    dir,
    JSON.parse(readFileSync(join(ROOT, "packages", dir, "package.json"), "utf8")) as Manifest,
  ]),
);
const VERSIONS = new Map([...SOURCE_MANIFESTS.values()].map((m) => [m.name, m.version]));

/** Why the packages cannot be packed yet (missing build outputs), or `undefined`. */
function missingBuild(): string | undefined {
  const missing: string[] = [];
  for (const [dir, manifest] of SOURCE_MANIFESTS) {
    for (const target of exportTargets(manifest)) {
      if (target.startsWith("./dist/") && !existsSync(join(ROOT, "packages", dir, target))) {
        missing.push(`packages/${dir}/${target.slice(2)}`);
      }
    }
  }
  if (missing.length > 0) {
    return `not built: ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}; run \`pnpm exec tsc -b\` (make typecheck) first`;
  }
  if (!existsSync(join(ROOT, "packages/verify-page/site/index.html"))) {
    return "the receipt page is not built (packages/verify-page/site/index.html): run `pnpm run build:verify-page` first";
  }
  return undefined;
}

/** Every file an export names for a consumer: `types` and `default` (the `@ancora/source` condition aside). */
function exportTargets(manifest: Manifest): string[] {
  return Object.values(manifest.exports ?? {}).flatMap((target) =>
    typeof target === "string"
      ? [target]
      : Object.entries(target)
          .filter(([condition]) => condition !== "@ancora/source")
          .map(([, file]) => file),
  );
}

let work: string;
const packed: Packed[] = [];

beforeAll(() => {
  const problem = missingBuild();
  if (problem !== undefined) throw new Error(`pack.test.ts: ${problem}`);
  work = mkdtempSync(join(tmpdir(), "ancora-pack-"));
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  for (const dir of DIRS) {
    const out = execFileSync("pnpm", ["pack", "--json", "--pack-destination", tarballs], {
      cwd: join(ROOT, "packages", dir),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tarball = (JSON.parse(out) as { filename: string }).filename;
    // The tarball itself, not pnpm's report of it: its entries, and its manifest as published.
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.replace(/^package\//, ""));
    const manifest = JSON.parse(
      execFileSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" }),
    ) as Manifest;
    packed.push({ dir, files, manifest });
    // Laid out as a consumer's node_modules, for the resolution checks.
    const installed = join(work, "consumer", "node_modules", manifest.name);
    mkdirSync(installed, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
  }
}, 60_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe("the packages' tarballs (pnpm pack)", () => {
  it("packs every package", () => {
    expect(packed.map((p) => p.dir)).toEqual(DIRS);
    expect(DIRS.length).toBeGreaterThanOrEqual(6);
  });

  it("ship only what runs: no sources, tests, test helpers or build info", () => {
    const refused = packed.flatMap(({ dir, files }) =>
      files
        .filter(
          (file) =>
            /\.(test|test-d|bench)\.[cm]?[jt]s/.test(file) ||
            /(^|\/)testing\//.test(file) ||
            file.endsWith(".tsbuildinfo") ||
            file.startsWith("src/") ||
            file.startsWith("test-fixtures/") ||
            file.startsWith("test-vectors/"),
        )
        .map((file) => `${dir}: ${file}`),
    );
    expect(refused).toEqual([]);
    for (const { dir, files } of packed) {
      expect(
        files.every(
          (file) => /^(dist|bin|site)\//.test(file) || /^(package\.json|README\.md|LICENSE)$/.test(file),
        ),
        `${dir}: ${files.filter((f) => !/^(dist|bin|site)\//.test(f)).join(", ")}`,
      ).toBe(true);
    }
  });

  it("ship LICENSE (the Apache License 2.0) and README.md", () => {
    const license = readFileSync(join(ROOT, "LICENSE"), "utf8");
    expect(license).toContain("Apache License\n                           Version 2.0, January 2004");
    for (const { dir, files } of packed) {
      expect(files, dir).toContain("LICENSE");
      expect(files, dir).toContain("README.md");
      expect(readFileSync(join(ROOT, "packages", dir, "LICENSE"), "utf8"), dir).toBe(license);
    }
  });

  it("ship what their exports, bins and the receipt page's folder name", () => {
    for (const { dir, files, manifest } of packed) {
      for (const target of [...exportTargets(manifest), ...Object.values(manifest.bin ?? {})]) {
        expect(files, `${dir}: ${target}`).toContain(target.replace(/^\.\//, ""));
      }
    }
    expect(packed.find((p) => p.dir === "verify-page")?.files).toContain("site/index.html");
  });

  it("are publishable: not private, public on first publish, with engines.node, license and repository", () => {
    for (const { dir, manifest } of packed) {
      expect(manifest.private, dir).toBeUndefined();
      // A scoped package is published restricted unless told otherwise.
      expect(manifest.publishConfig?.access, dir).toBe("public");
      expect(manifest.engines?.node, dir).toBe(">=22.12");
      expect(manifest.license, dir).toBe("Apache-2.0");
      expect(manifest.repository, dir).toEqual({
        type: "git",
        url: "git+https://github.com/ancora/ancora.git",
        directory: `packages/${dir}`,
      });
    }
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest;
    expect(root.private).toBe(true);
    expect(root.engines?.node).toBe(">=22.12");
  });

  it("name their workspace dependencies by version", () => {
    for (const { dir, manifest } of packed) {
      const ranges = {
        ...manifest.dependencies,
        ...manifest.peerDependencies,
        ...manifest.optionalDependencies,
      };
      for (const [name, range] of Object.entries(ranges)) {
        expect(range, `${dir}: ${name}`).not.toMatch(/^workspace:/);
        if (name.startsWith("@ancora/")) expect(range, `${dir}: ${name}`).toBe(VERSIONS.get(name));
      }
    }
    // The check reads real rewrites: the source manifests do use workspace ranges.
    expect(SOURCE_MANIFESTS.get("sdk")?.dependencies?.["@ancora/core"]).toBe("workspace:*");
  });

  it("resolve for a consumer: TypeScript (nodenext and bundler) and Node find the tarball's dist", () => {
    const consumer = join(work, "consumer");
    const from = join(consumer, "index.ts");
    const settings: [string, ts.CompilerOptions][] = [
      ["nodenext", { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }],
      ["node16", { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
      ["bundler", { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }],
    ];
    // Node, as a consumer's program runs it: a fresh process without the tests' conditions.
    const specifiers = packed.flatMap(({ manifest }) =>
      Object.keys(manifest.exports ?? {}).map((subpath) => `${manifest.name}${subpath.slice(1)}`),
    );
    const { NODE_OPTIONS: _, ...env } = process.env;
    const resolvedByNode = JSON.parse(
      execFileSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          "const { fileURLToPath } = await import('node:url'); console.log(JSON.stringify(process.argv.slice(1).map((s) => fileURLToPath(import.meta.resolve(s)))));",
          ...specifiers,
        ],
        { cwd: consumer, env, encoding: "utf8" },
      ),
    ) as string[];
    const runtime = new Map(specifiers.map((specifier, i) => [specifier, resolvedByNode[i] ?? ""]));
    let checked = 0;
    for (const { manifest } of packed) {
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        const specifier = `${manifest.name}${subpath.slice(1)}`;
        const root = join(consumer, "node_modules", manifest.name);
        expect(relative(root, runtime.get(specifier) ?? ""), `${specifier} (node)`).toBe(
          (typeof target === "string" ? target : (target.default ?? "")).replace(/^\.\//, ""),
        );
        if (typeof target === "string") continue; // a plain JavaScript entry point without types
        for (const [label, options] of settings) {
          const resolved = ts.resolveModuleName(specifier, from, options, ts.sys).resolvedModule;
          expect(resolved?.resolvedFileName, `${specifier} (${label})`).toBe(join(root, target.types ?? ""));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
