/** Lineage route: the graph around one record, with proofs, as JSON, SVG, Graphviz DOT or Mermaid. */
import { parseBlockCid } from "@ancora/core";
import { DEFAULT_LINEAGE_DECISIONS, LineageError, type LineageFormat } from "@ancora/sdk";
import { Type } from "typebox";
import type { ServiceContext } from "../context.js";
import { ServiceError } from "../errors.js";
import { LineageRenderer } from "../internal/lineage-job.js";
import { ErrorBody } from "../schemas.js";
import { type App, BEARER } from "./app-type.js";

/** Most descendant decisions one answer lists: bounds the graph (~200 nodes lay out in ~130 ms). */
export const MAX_LINEAGE_DECISIONS = 100;

/** Media type of each format. */
const MEDIA_TYPES: Readonly<Record<LineageFormat, string>> = {
  json: "application/json",
  svg: "image/svg+xml",
  dot: "text/vnd.graphviz",
  mermaid: "text/vnd.mermaid",
};

const FORMATS = Object.keys(MEDIA_TYPES) as LineageFormat[];

const LineageParams = Type.Object({
  cid: Type.String({ maxLength: 128, description: "CID of any record of the log (bafkrei…)" }),
});

const LineageQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union(
        FORMATS.map((f) => Type.Literal(f)),
        { description: "Wins over the Accept header (default json)" },
      ),
    ),
    // A string with a strict pattern: a converting integer schema would read "1.5" as 1.
    maxDecisions: Type.Optional(
      Type.String({
        pattern: "^(0|[1-9][0-9]{0,5})$",
        description: `Most descendant decisions listed, 0 to ${MAX_LINEAGE_DECISIONS} (default ${DEFAULT_LINEAGE_DECISIONS}); the rest are counted in omittedDecisions`,
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The format an `Accept` header asks for: the acceptable type of highest quality that has a format
 * (`*\/*` and `application/*` mean JSON), JSON without a header, `undefined` when nothing offered fits.
 */
export function formatFromAccept(accept: string | undefined): LineageFormat | undefined {
  if (accept === undefined || accept.trim() === "") return "json";
  const offers = accept
    .split(",")
    .map((part, order) => {
      const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith("q="));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { type, quality: Number.isFinite(quality) ? quality : 0, order };
    })
    .filter((o) => o.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.order - b.order);
  for (const { type } of offers) {
    if (type === "*/*" || type === "application/*") return "json";
    const format = FORMATS.find((f) => MEDIA_TYPES[f] === type);
    if (format !== undefined) return format;
  }
  return undefined;
}

export function lineageRoutes(app: App, ctx: ServiceContext): void {
  const renderer = new LineageRenderer(ctx.options.logPath, ctx.options.retryAfterSeconds);
  app.addHook("onClose", () => renderer.close());

  app.get(
    "/v1/lineage/:cid",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getLineage",
        summary:
          "The lineage graph of a record (decision → model → training run → datasets, and back down), each record with its inclusion proof",
        description:
          "JSON (the SDK's LineageGraph v1, see docs/lineage.md), or a drawing: SVG (Graphviz), Graphviz DOT or Mermaid. Choose with ?format= or the Accept header.",
        tags: ["lineage"],
        security: BEARER,
        params: LineageParams,
        querystring: LineageQuery,
        produces: Object.values(MEDIA_TYPES),
        response: {
          200: {
            description: "The graph in the format asked for",
            content: {
              "application/json": {
                schema: Type.Object(
                  {
                    v: Type.Integer(),
                    root: Type.String(),
                    nodes: Type.Array(Type.Record(Type.String(), Type.Unknown())),
                    edges: Type.Array(
                      Type.Object({ from: Type.String(), to: Type.String(), relation: Type.String() }),
                    ),
                    omittedDecisions: Type.Integer(),
                  },
                  { description: "LineageGraph v1: nodes carry their inclusion proofs (0x-hex)" },
                ),
              },
              "image/svg+xml": { schema: Type.String() },
              "text/vnd.graphviz": { schema: Type.String() },
              "text/vnd.mermaid": { schema: Type.String() },
            },
          },
          ...Object.fromEntries(
            [400, 401, 403, 404, 406, 503].map((s) => [
              s,
              { content: { "application/json": { schema: ErrorBody } } },
            ]),
          ),
        },
      },
    },
    async (request, reply) => {
      const { cid } = request.params;
      const query = request.query;
      if (parseBlockCid(cid) === undefined) {
        throw new ServiceError("BAD_REQUEST", "cid is not a record CID", {
          hint: "Pass a record's CID as the log gives it: CIDv1, raw, sha2-256, base32 lower case (bafkrei…).",
        });
      }
      const maxDecisions =
        query.maxDecisions === undefined ? DEFAULT_LINEAGE_DECISIONS : Number(query.maxDecisions);
      if (maxDecisions > MAX_LINEAGE_DECISIONS) {
        throw new ServiceError("BAD_REQUEST", `maxDecisions must be at most ${MAX_LINEAGE_DECISIONS}`, {
          hint: "The rest are counted in omittedDecisions; use the search route to list them all.",
        });
      }
      const format = query.format ?? formatFromAccept(request.headers.accept);
      if (format === undefined) {
        throw new ServiceError("NOT_ACCEPTABLE", "None of the Accept header's types is offered", {
          hint: `Accept one of ${Object.values(MEDIA_TYPES).join(", ")}, or pass ?format=json|svg|dot|mermaid.`,
        });
      }
      let content: string;
      try {
        content = await renderer.render({ cid, maxDecisions, format });
      } catch (error) {
        if ((error as { code?: unknown }).code !== "LINEAGE_UNKNOWN") throw error;
        // The SDK's hint speaks of its API; this one of the service's.
        throw new LineageError("LINEAGE_UNKNOWN", "The log holds no record with this CID", {
          cause: error,
          hint: "Check the CID: GET /v1/streams/{stream}/records lists records with their CIDs.",
        });
      }
      reply.header("vary", "accept").header("x-content-type-options", "nosniff");
      // A drawing opened in a browser runs nothing: Graphviz escapes the labels, and this forbids scripts.
      if (format === "svg")
        reply.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
      // Text formats name their charset; an SVG document declares its own encoding.
      const type = format === "svg" ? MEDIA_TYPES.svg : `${MEDIA_TYPES[format]}; charset=utf-8`;
      return reply.type(type).send(content);
    },
  );
}
