/**
 * What starting a process costs is the modules it loads: `ancora --help` (and every command but
 * `serve`) must not load the HTTP service (Fastify, its schemas and validators: ~800 modules), and
 * `import "@ancora/sdk"` must not load viem's chain list (~780 modules; chain names come from a
 * generated table). A preload records every module the process resolves; the test reads the list.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "ancora-start-up-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A preload that writes every URL the process resolves to `file`, one per line, at exit. */
function recorder(file: string): string {
  const code = `
    import { registerHooks } from "node:module";
    import { writeFileSync } from "node:fs";
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r; } });
    process.on("exit", () => writeFileSync(${JSON.stringify(file)}, [...seen].join("\\n")));
  `;
  return `data:text/javascript,${encodeURIComponent(code)}`;
}

/** The modules `node <args>` resolved, run with the recorder preloaded. */
function modulesOf(name: string, args: string[]): Promise<string[]> {
  const file = join(dir, `${name}.txt`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", recorder(file), ...args], { cwd: ROOT }, (error) => {
      if (error !== null) reject(error);
      else resolve(readFileSync(file, "utf8").split("\n"));
    });
  });
}

const HTTP_SERVICE = /\/node_modules\/(fastify|@sinclair\/typebox|typebox|ajv)\//;
const CHAIN_LIST = /\/viem\/_esm\/chains\/definitions\//;

describe("start-up", () => {
  it("ancora --help loads neither the HTTP service nor viem's chain list", async () => {
    const modules = await modulesOf("help", ["packages/service/bin/ancora.js", "--help"]);
    expect(modules.length).toBeGreaterThan(100); // the recorder saw the CLI load
    expect(modules.filter((url) => HTTP_SERVICE.test(url))).toEqual([]);
    expect(modules.filter((url) => CHAIN_LIST.test(url))).toEqual([]);
  }, 60_000);

  it('import "@ancora/sdk" does not load viem\'s chain list', async () => {
    const modules = await modulesOf("sdk", ["--input-type=module", "-e", 'await import("@ancora/sdk")']);
    expect(modules.some((url) => url.includes("/packages/sdk/dist/index.js"))).toBe(true);
    expect(modules.filter((url) => CHAIN_LIST.test(url))).toEqual([]);
  }, 60_000);
});
