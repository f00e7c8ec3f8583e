/** Audit routes: verification, the streamed JSONL audit log, the EU AI Act evidence pack. */
import { PassThrough, type Writable } from "node:stream";
import { exportJsonl } from "@ancora/sdk";
import { Type } from "typebox";
import type { ServiceContext } from "../context.js";
import { ServiceError } from "../errors.js";
import { ErrorBody, EvidenceQuery, ExportQuery, errors, VerifyQuery, VerifyResult } from "../schemas.js";
import { checkStreamName } from "../streams.js";
import { type App, BEARER } from "./app-type.js";

/**
 * The pipe an export writes into. When the client goes away, the SDK's exporter may be waiting for
 * `drain`, which a destroyed stream never emits: emit it, and make the next write throw, so the
 * export stops and closes its read transaction instead of waiting forever.
 */
class ExportPipe extends PassThrough {
  constructor() {
    super();
    this.once("close", () => this.emit("drain"));
  }

  override write(chunk: unknown, ...rest: never[]): boolean {
    if (this.destroyed) throw new ServiceError("BAD_REQUEST", "The client closed the export");
    return super.write(chunk, ...rest);
  }
}

/**
 * The chain an evidence pack is checked against: the anchoring RPC endpoints and registry, when the
 * service anchors through URLs (ready-made clients cannot cross to the worker thread: the pack then
 * says that the chain was not checked).
 */
function chainOf(ctx: ServiceContext): {
  chain?: { urls: string[]; headers?: Record<string, string>; registry: string };
} {
  const anchoring = ctx.options.anchoring;
  if (anchoring === undefined || !("rpcUrl" in anchoring)) return {};
  const urls = typeof anchoring.rpcUrl === "string" ? [anchoring.rpcUrl] : [...anchoring.rpcUrl];
  return {
    chain: {
      urls,
      ...(anchoring.rpcHeaders === undefined ? {} : { headers: { ...anchoring.rpcHeaders } }),
      registry: anchoring.registry,
    },
  };
}

export function auditRoutes(app: App, ctx: ServiceContext): void {
  app.get(
    "/v1/verify",
    {
      config: { scope: "read" },
      schema: {
        operationId: "verifyStream",
        summary: "Verify every stream (or ?stream=) of the log: chain, CIDs, Merkle nodes, checkpoints, head",
        tags: ["audit"],
        security: BEARER,
        querystring: VerifyQuery,
        response: { 200: VerifyResult, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { stream } = request.query;
      if (stream !== undefined) {
        checkStreamName(stream);
        ctx.store.stream(stream); // 404 before starting a worker
      }
      return (await ctx.audit.run({
        op: "verify",
        path: ctx.options.logPath,
        ...(stream === undefined ? {} : { stream }),
      })) as never;
    },
  );

  app.get(
    "/v1/export/audit",
    {
      config: { scope: "read" },
      schema: {
        operationId: "exportAuditLog",
        summary: "A stream's audit log as JSON lines (header, records, checkpoints, verification), streamed",
        tags: ["audit"],
        security: BEARER,
        querystring: ExportQuery,
        produces: ["application/x-ndjson"],
        response: {
          200: {
            description: "JSON lines: see docs/sdk.md, exports",
            content: { "application/x-ndjson": { schema: Type.String() } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { stream } = request.query;
      checkStreamName(stream);
      ctx.store.stream(stream); // 404 before the first byte is sent
      const out = new ExportPipe();
      exportJsonl(ctx.store, { stream, out: out as Writable }).then(
        () => out.end(),
        (error: unknown) => {
          request.log.warn({ code: (error as { code?: unknown }).code }, "audit export stopped");
          out.destroy();
        },
      );
      return (
        reply
          .type("application/x-ndjson")
          .header("content-disposition", `attachment; filename="${stream}.audit.jsonl"`)
          // A stream body is piped as is; the schema only documents the content type for OpenAPI.
          .send(out as unknown as string)
      );
    },
  );

  app.get(
    "/v1/export/eu-ai-act",
    {
      config: { scope: "read" },
      schema: {
        operationId: "exportEuAiActPack",
        summary:
          "The EU AI Act evidence pack of a model in a stream (JSON; Markdown, HTML or the tar bundle with Accept: text/markdown, text/html or application/x-tar)",
        tags: ["audit"],
        security: BEARER,
        querystring: EvidenceQuery,
        produces: ["application/json", "text/markdown", "text/html", "application/x-tar"],
        response: {
          200: {
            description: "The evidence pack",
            content: {
              "application/json": { schema: Type.Record(Type.String(), Type.Unknown()) },
              "text/markdown": { schema: Type.String() },
              "text/html": { schema: Type.String() },
              "application/x-tar": { schema: Type.String({ format: "binary" }) },
            },
          },
          ...Object.fromEntries(
            [400, 401, 403, 404, 503].map((s) => [
              s,
              { content: { "application/json": { schema: ErrorBody } } },
            ]),
          ),
        },
      },
    },
    async (request, reply) => {
      const { stream, model, version } = request.query;
      checkStreamName(stream);
      ctx.store.stream(stream);
      const ref = version === undefined ? { id: model } : { id: model, version };
      // A pack for a model that never decided anything would be a well-formed document about nothing.
      if (ctx.store.search({ stream, kind: "decision", model: ref, limit: 1 }).items.length === 0) {
        throw new ServiceError("MODEL_UNKNOWN", `No decision of stream "${stream}" names this model`, {
          hint: "Check model (and version) against GET /v1/streams/{stream}/records.",
        });
      }
      const accept = request.headers.accept ?? "";
      const form = /\bapplication\/x-tar\b/.test(accept)
        ? "bundle"
        : /\btext\/markdown\b/.test(accept)
          ? "markdown"
          : /\btext\/html\b/.test(accept)
            ? "html"
            : "json";
      const result = await ctx.audit.run({
        op: "evidence",
        path: ctx.options.logPath,
        stream,
        model: ref,
        form,
        ...chainOf(ctx),
      });
      if (form === "bundle") {
        return (
          reply
            .type("application/x-tar")
            .header("content-disposition", `attachment; filename="evidence-${stream}.tar"`)
            // Bytes are sent as they are; the schema only documents the content type for OpenAPI.
            .send(Buffer.from(result as Uint8Array) as unknown as string)
        );
      }
      if (form === "markdown") return reply.type("text/markdown; charset=utf-8").send(result as string);
      if (form === "html") return reply.type("text/html; charset=utf-8").send(result as string);
      return reply.type("application/json").send(JSON.stringify(result));
    },
  );
}
