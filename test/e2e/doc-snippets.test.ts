/**
 * Every ```ts block of README.md, docs/*.md and each package's README.md type-checks against the
 * workspace's sources, with the repository's compiler settings (strict, exactOptionalPropertyTypes,
 * noUncheckedIndexedAccess, …), as a reader would paste it into a module of their own. A block that
 * cannot stand alone (a fragment) says so on the line above it, `<!-- illustrative: why -->`; those are
 * counted and skipped, and any other block that does not compile fails the test with the compiler's
 * message and the block's place. Each package's README has at least one block that type-checks.
 *
 * Every other block (shell, Python, JSON, SQL, text) says on the line above it either which test runs it as written,
 * `<!-- tested: test/e2e/file.test.ts -->` (the file must exist and read that page), or why it is an
 * example only, `<!-- illustrative: why -->`; an unmarked shell block fails the test.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Under .tsbuild/ (gitignored), so that `@ancora/*` resolves through the root's node_modules. */
const OUT = join(ROOT, ".tsbuild", "doc-snippets");
const ILLUSTRATIVE = /^<!-- illustrative: (\S.*?) -->$/;
const TESTED = /^<!-- tested: (\S+) -->$/;
/** Asks {@link fencedBlocks} for every block that is not TypeScript (shell, Python, JSON, text…). */
const NOT_TS = "*";

interface Block {
  /** `docs/sdk.md:54`: the file and the line of the opening fence. */
  place: string;
  code: string;
  /** Why the block is a fragment, when it is marked so. */
  illustrative?: string;
}

/** The ```ts blocks of one Markdown file, with the illustrative marker of each (if any). */
function tsBlocks(file: string, markdown: string): Block[] {
  return fencedBlocks(file, markdown, "ts");
}

/** The fenced blocks of one language in a Markdown file, with the marker line above each. */
function fencedBlocks(file: string, markdown: string, lang: string): (Block & { marker?: string })[] {
  const lines = markdown.split("\n");
  const blocks: (Block & { marker?: string })[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = lines[i];
    if (fence === undefined || !fence.startsWith("```")) continue;
    // Every opening fence is read to its closing one, so a closing fence is never taken for an opening.
    const end = lines.indexOf("```", i + 1);
    if (lang === NOT_TS ? fence === "```ts" : fence !== `\`\`\`${lang}`) {
      i = end;
      continue;
    }
    let above = i - 1;
    while (above >= 0 && lines[above]?.trim() === "") above--;
    const marker = lines[above]?.trim() ?? "";
    const reason = ILLUSTRATIVE.exec(marker)?.[1];
    blocks.push({
      place: `${file}:${i + 1}`,
      code: lines.slice(i + 1, end).join("\n"),
      ...(reason === undefined ? {} : { illustrative: reason }),
      ...(lang === "ts" || !marker.startsWith("<!--") ? {} : { marker }),
    });
    i = end;
  }
  return blocks;
}

/** README.md, docs/*.md and each package's README.md (the page npm shows; a package without one fails). */
const PAGES = (): string[] => [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(ROOT, "packages"))
    .filter((dir) => existsSync(join(ROOT, "packages", dir, "package.json")))
    .map((dir) => `packages/${dir}/README.md`),
];

function allBlocks(): Block[] {
  return PAGES().flatMap((file) => tsBlocks(file, readFileSync(join(ROOT, file), "utf8")));
}

/**
 * Why a shell block's marker does not hold: missing, or a `tested:` file that does not exist or never
 * reads the page (by its file name); `undefined` when it holds.
 */
function shellMarkerProblem(page: string, marker: string | undefined): string | undefined {
  if (marker === undefined) return "no <!-- tested: FILE --> or <!-- illustrative: why --> above it";
  if (ILLUSTRATIVE.test(marker)) return undefined;
  const file = TESTED.exec(marker)?.[1];
  if (file === undefined) return `unknown marker ${marker}`;
  let test: string;
  try {
    test = readFileSync(join(ROOT, file), "utf8");
  } catch {
    return `${file} does not exist`;
  }
  const name = page.split("/").at(-1) as string;
  return test.includes(name) ? undefined : `${file} does not read ${name}`;
}

/** Type-checks the blocks as separate modules; the formatted diagnostics of each, by place. */
function typeCheck(blocks: Block[]): Map<string, string[]> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const files = new Map<string, string>();
  for (const [index, block] of blocks.entries()) {
    const path = join(OUT, `block-${index}.ts`);
    // `export {}` keeps each block a module of its own, even one without imports.
    writeFileSync(path, `${block.code}\nexport {};\n`);
    files.set(path, block.place);
  }
  const base = ts.readConfigFile(join(ROOT, "tsconfig.base.json"), ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, ROOT);
  const program = ts.createProgram([...files.keys()], {
    ...options,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    noEmit: true,
    types: ["node"],
    // The workspace's sources, as the tests import them (package.json#exports' "@ancora/source").
    customConditions: ["@ancora/source"],
  });
  const found = new Map<string, string[]>();
  for (const [path, place] of files) {
    const source = program.getSourceFile(path);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    found.set(
      place,
      diagnostics.map((d) => {
        const line =
          d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
        return `line ${line} of the block: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      }),
    );
  }
  return found;
}

describe("the documentation's TypeScript", () => {
  it("reads the illustrative marker above a block, and only there", () => {
    const md = [
      "<!-- illustrative: a fragment of the logger above -->",
      "",
      "```ts",
      "a;",
      "```",
      "text",
      "```ts",
      "b;",
      "```",
    ].join("\n");
    expect(tsBlocks("x.md", md)).toEqual([
      { place: "x.md:3", code: "a;", illustrative: "a fragment of the logger above" },
      { place: "x.md:7", code: "b;" },
    ]);
  });

  it("finds the compiler's errors in a block (the check is not a no-op)", () => {
    const found = typeCheck([
      {
        place: "bad",
        code: 'import { createLogger } from "@ancora/sdk";\ncreateLogger({ path: process.env.NOPE, stream: "s" });',
      },
    ]);
    expect(found.get("bad")?.join("\n")).toMatch(/string \| undefined/);
  });

  it("holds every other block to its marker: run by the test it names, or illustrative with a reason", () => {
    const problems: string[] = [];
    let tested = 0;
    let illustrative = 0;
    for (const page of PAGES()) {
      const markdown = readFileSync(join(ROOT, page), "utf8");
      for (const block of fencedBlocks(page, markdown, NOT_TS)) {
        const problem = shellMarkerProblem(page, block.marker);
        if (problem !== undefined) problems.push(`${block.place}: ${problem}`);
        else if (block.marker !== undefined && TESTED.test(block.marker)) tested++;
        else illustrative++;
      }
    }
    expect(problems).toEqual([]);
    expect(tested).toBeGreaterThan(0);
    // The check can fail: an unmarked block, and a test that does not read the page, are refused.
    expect(shellMarkerProblem("docs/x.md", undefined)).toMatch(/no <!-- tested/);
    const unread = ["nowhere", "page.md"].join("-");
    expect(shellMarkerProblem(`docs/${unread}`, "<!-- tested: test/e2e/doc-snippets.test.ts -->")).toBe(
      `test/e2e/doc-snippets.test.ts does not read ${unread}`,
    );
    console.info(`${tested} other blocks run by tests, ${illustrative} illustrative`);
  });

  it("type-checks every block that is not marked illustrative", { timeout: 60_000 }, () => {
    const blocks = allBlocks();
    const checked = blocks.filter((b) => b.illustrative === undefined);
    const skipped = blocks.filter((b) => b.illustrative !== undefined);
    expect(checked.length).toBeGreaterThan(0);
    // Each package's README shows a minimal example that compiles.
    const packagePages = PAGES().filter((page) => page.startsWith("packages/"));
    const withoutExample = packagePages.filter(
      (page) => !checked.some((b) => b.place.startsWith(`${page}:`)),
    );
    expect(withoutExample, "package READMEs without a type-checked ```ts example").toEqual([]);
    const failures = [...typeCheck(checked)].filter(([, errors]) => errors.length > 0);
    expect(failures.map(([place, errors]) => `${place}\n  ${errors.join("\n  ")}`).join("\n")).toBe("");
    console.info(`${checked.length} TypeScript blocks type-checked, ${skipped.length} illustrative skipped`);
  });
});
