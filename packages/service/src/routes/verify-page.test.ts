/**
 * The page's static routes over a build of known files: the page and its assets without a key, with
 * the page's security headers; nothing outside the build is served; a missing build is a typed 404.
 * The real build, in a real browser, is test/e2e/verify-page.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import Fastify from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { toHttpError } from "../http-errors.js";
import type { App } from "./app-type.js";
import { verifyPageRoutes } from "./verify-page.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function appOver(files: Record<string, string>): Promise<App> {
  const dir = mkdtempSync(join(tmpdir(), "ancora-verify-page-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler((error, _request, reply) => {
    const http = toHttpError(error);
    return reply.status(http.status).send(http.body);
  });
  verifyPageRoutes(app, dir);
  return app;
}

describe("the receipt page's routes", () => {
  it("serve the page and its assets without a key, with the page's security headers", async () => {
    const app = await appOver({
      "index.html": "<!doctype html><title>page</title>",
      "assets/index-abc.js": "console.log(1)",
      "assets/index-abc.css": "body{}",
      "assets/notes.txt": "not an asset type",
    });
    const page = await app.inject({ url: "/verify" });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe("<!doctype html><title>page</title>");
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    const script = await app.inject({ url: "/verify/assets/index-abc.js" });
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toContain("immutable");
    expect((await app.inject({ url: "/verify/assets/index-abc.css" })).headers["content-type"]).toBe(
      "text/css; charset=utf-8",
    );
    for (const url of [
      "/verify/assets/notes.txt",
      "/verify/assets/missing.js",
      "/verify/assets/..%2Findex.html",
      "/verify/assets/..%2F..%2Fpackage.json",
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe("NOT_FOUND");
    }
    await app.close();
  });

  it("answer VERIFY_PAGE_MISSING with what to do when the page is not built", async () => {
    const app = await appOver({});
    for (const url of ["/verify", "/verify/assets/index-abc.js"]) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("VERIFY_PAGE_MISSING");
      expect(res.json().error.hint).toContain("@ancora/verify-page");
    }
    await app.close();
  });
});
