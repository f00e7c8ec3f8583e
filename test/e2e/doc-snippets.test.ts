/**
 * Every ```ts block of README.md and docs/*.md type-checks against the workspace's sources, with the
 * repository's compiler settings (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, …), as
 * a reader would paste it into a module of their own. A block that cannot stand alone (a fragment) says
 * so on the line above it, `<!-- illustrative: why -->`; those are counted and skipped, and any other
 * block that does not compile fails the test with the compiler's message and the block's place.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Under .tsbuild/ (gitignored), so that `@ancora/*` resolves through the root's node_modules. */
const OUT = join(ROOT, ".tsbuild", "doc-snippets");
const ILLUSTRATIVE = /^<!-- illustrative: (\S.*?) -->$/;

interface Block {
  /** `docs/sdk.md:54`: the file and the line of the opening fence. */
  place: string;
  code: string;
  /** Why the block is a fragment, when it is marked so. */
  illustrative?: string;
}

/** The ```ts blocks of one Markdown file, with the illustrative marker of each (if any). */
function tsBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts") continue;
    const end = lines.indexOf("```", i + 1);
    let above = i - 1;
    while (above >= 0 && lines[above]?.trim() === "") above--;
    const reason = ILLUSTRATIVE.exec(lines[above]?.trim() ?? "")?.[1];
    blocks.push({
      place: `${file}:${i + 1}`,
      code: lines.slice(i + 1, end).join("\n"),
      ...(reason === undefined ? {} : { illustrative: reason }),
    });
    i = end;
  }
  return blocks;
}

function allBlocks(): Block[] {
  const files = [
    "README.md",
    ...readdirSync(join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((file) => tsBlocks(file, readFileSync(join(ROOT, file), "utf8")));
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

  it("type-checks every block that is not marked illustrative", { timeout: 60_000 }, () => {
    const blocks = allBlocks();
    const checked = blocks.filter((b) => b.illustrative === undefined);
    const skipped = blocks.filter((b) => b.illustrative !== undefined);
    expect(checked.length).toBeGreaterThan(0);
    const failures = [...typeCheck(checked)].filter(([, errors]) => errors.length > 0);
    expect(failures.map(([place, errors]) => `${place}\n  ${errors.join("\n  ")}`).join("\n")).toBe("");
    console.info(`${checked.length} TypeScript blocks type-checked, ${skipped.length} illustrative skipped`);
  });
});
