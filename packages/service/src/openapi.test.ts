/**
 * The service's /openapi.json, as served: a valid OpenAPI 3.1 document (checked by
 * @apidevtools/swagger-parser, which validates against the specification's schema and dereferences every
 * `$ref`), with `servers`, a unique `operationId` on every operation, and security declared on each one:
 * the bearer scheme where a key is needed, `security: []` on the public ones.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestService, testService } from "./testing/test-service.js";

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
}
interface Document {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
}

let svc: TestService;
let doc: Document;
beforeAll(async () => {
  svc = await testService();
  doc = (await (await svc.call("/openapi.json")).json()) as Document;
});
afterAll(() => svc.cleanup());

/** Every (method, path, operation) of the document. */
function operations(): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path, op })),
  );
}

describe("/openapi.json", () => {
  it("passes the OpenAPI validator", async () => {
    // validate() mutates what it is given: hand it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it("names its servers", () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
  });

  it("gives every operation a unique operationId, one per route", () => {
    const ids = operations().map(({ op }) => op.operationId);
    for (const { method, path, op } of operations())
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z]\w+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(svc.service.routes.length);
  });

  it("declares security on every operation: a key where a route asks for one, none on the public ones", () => {
    const publicRoutes = ["get /health", "get /openapi.json", "get /verify", "get /verify/assets/{file}"];
    for (const { method, path, op } of operations()) {
      const name = `${method} ${path}`;
      expect(op.security, name).toEqual(publicRoutes.includes(name) ? [] : [{ bearer: [] }]);
    }
  });

  it("refuses a document whose operation's security is not a list (the validator is not a no-op)", async () => {
    const broken = structuredClone(doc) as Document & { paths: Record<string, Record<string, unknown>> };
    (broken.paths["/health"] as Record<string, unknown>).get = { operationId: "getHealth", security: "none" };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });
});
