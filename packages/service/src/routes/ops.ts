/** Operational routes: health, Prometheus metrics, the OpenAPI document. */

import { Type } from "typebox";
import type { ServiceContext } from "../context.js";
import type { Gauges } from "../metrics.js";
import { errors, Health } from "../schemas.js";
import { type App, BEARER } from "./app-type.js";

export function opsRoutes(app: App, ctx: ServiceContext, gauges: () => Gauges): void {
  app.get(
    "/health",
    {
      schema: {
        operationId: "getHealth",
        security: [], // public: no key
        summary: "Liveness: 200 while serving, 503 while shutting down",
        tags: ["ops"],
        response: { 200: Health, ...errors(503) },
      },
    },
    async () => ({
      status: "ok" as const,
      uptimeSeconds: (Date.now() - ctx.startedAt) / 1000,
      inflight: ctx.gate.count,
    }),
  );

  app.get(
    "/metrics",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getMetrics",
        summary: "Prometheus metrics (text format 0.0.4)",
        tags: ["ops"],
        security: BEARER,
        produces: ["text/plain"],
        response: {
          200: { description: "Exposition text", content: { "text/plain": { schema: Type.String() } } },
          ...errors(401, 403),
        },
      },
    },
    async (_request, reply) =>
      reply.type("text/plain; version=0.0.4; charset=utf-8").send(ctx.metrics.render(gauges())),
  );

  app.get(
    "/openapi.json",
    {
      schema: {
        operationId: "getOpenApiDocument",
        security: [], // public: no key
        summary: "This API's OpenAPI 3.1 document",
        tags: ["ops"],
        response: { 200: Type.Record(Type.String(), Type.Unknown()) },
      },
    },
    async (_request, reply) =>
      reply.type("application/json").send(app.swagger() as unknown as Record<string, unknown>),
  );
}
