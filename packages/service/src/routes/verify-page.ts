/**
 * The receipt verification page (`@ancora/verify-page`), served as static files: `GET /verify` is the
 * page, `GET /verify/assets/{file}` its script and styles. No key is needed: the page is public, and a
 * receipt reaches it in the URL fragment, which browsers never send, so this server never sees one.
 * The built files are read once, when the app is built; nothing a request names is read from disk.
 */
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { VERIFY_PAGE_DIR } from "@ancora/verify-page/site";
import { Type } from "typebox";
import { ServiceError } from "../errors.js";
import { errors } from "../schemas.js";
import type { App } from "./app-type.js";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml; charset=utf-8",
};

/**
 * The page runs only its own script and styles; it talks to the chain node and IPFS gateway a person
 * names (any http(s) origin), and nothing may frame it.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src http: https:; " +
  "form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The build, as text: Vite writes the page, its script and styles, all UTF-8 (no binary asset). */
interface Built {
  readonly index: string;
  readonly assets: ReadonlyMap<string, { readonly body: string; readonly type: string }>;
}

function load(dir: string): Built | undefined {
  let index: string;
  try {
    index = readFileSync(join(dir, "index.html"), "utf8");
  } catch {
    return undefined;
  }
  const assets = new Map<string, { body: string; type: string }>();
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, "assets"));
  } catch {
    names = [];
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type !== undefined) assets.set(name, { body: readFileSync(join(dir, "assets", name), "utf8"), type });
  }
  return { index, assets };
}

function notBuilt(): ServiceError {
  return new ServiceError("VERIFY_PAGE_MISSING", "The receipt verification page is not built", {
    hint: "Build it with `pnpm --filter @ancora/verify-page build` (make test and make demo do), then restart.",
  });
}

const Html = { description: "The page", content: { "text/html": { schema: Type.String() } } };

/** Registers `/verify` and its assets, read from `dir` (the built `@ancora/verify-page`). */
export function verifyPageRoutes(app: App, dir: string = VERIFY_PAGE_DIR): void {
  const built = load(dir);
  const common = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };

  app.get(
    "/verify",
    {
      schema: {
        operationId: "getVerifyPage",
        security: [], // public: no key
        summary: "The receipt verification page: open /verify#receipt=<base64url of a receipt's JSON>",
        tags: ["verify"],
        produces: ["text/html"],
        response: { 200: Html, ...errors(404) },
      },
    },
    async (_request, reply) => {
      if (built === undefined) throw notBuilt();
      return reply
        .headers({ ...common, "content-type": TYPES[".html"], "cache-control": "no-cache" })
        .send(built.index);
    },
  );

  app.get(
    "/verify/assets/:file",
    {
      schema: {
        operationId: "getVerifyPageAsset",
        security: [], // public: no key
        summary: "The page's script and styles (content-hashed names, cached for a year)",
        tags: ["verify"],
        params: Type.Object({ file: Type.String({ maxLength: 128 }) }),
        response: {
          200: { description: "The asset", content: { "*/*": { schema: Type.String() } } },
          ...errors(404),
        },
      },
    },
    async (request, reply) => {
      if (built === undefined) throw notBuilt();
      // Only names found in the build are served: nothing a request names is read from disk.
      const asset = built.assets.get(request.params.file);
      if (asset === undefined) {
        throw new ServiceError("NOT_FOUND", "The page has no such asset", {
          hint: "Reload /verify: the page was rebuilt since it was loaded.",
        });
      }
      return reply
        .headers({
          ...common,
          "content-type": asset.type,
          "cache-control": "public, max-age=31536000, immutable",
        })
        .send(asset.body);
    },
  );
}
