/**
 * The Fastify application: hooks (shutdown, authentication, early pushback), the one error shape,
 * OpenAPI generation, and the routes.
 */

import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import swagger from "@fastify/swagger";
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyError, type FastifyReply, LogController } from "fastify";
import type { ServiceContext } from "./context.js";
import { ServiceError } from "./errors.js";
import { type HttpError, toHttpError } from "./http-errors.js";
import { parseJsonBody } from "./json-body.js";
import { allows } from "./keys.js";
import type { Gauges } from "./metrics.js";
import type { App } from "./routes/app-type.js";
import { auditRoutes } from "./routes/audit.js";
import { lineageRoutes } from "./routes/lineage.js";
import { lineageWriteRoutes } from "./routes/lineage-writes.js";
import { opsRoutes } from "./routes/ops.js";
import { readRoutes } from "./routes/reads.js";
import { verifyPageRoutes } from "./routes/verify-page.js";
import { writeRoutes } from "./routes/writes.js";

const VERSION = "0.1.0";
const BEARER = /^Bearer ([!-~]+)$/;

/** The answer to a body that is not JSON (never the parser's message: it quotes the body). */
const MALFORMED_JSON = {
  status: 400,
  body: {
    error: { code: "MALFORMED_JSON", message: "The body is not valid JSON", hint: "Send one JSON object." },
  },
} as const;

/** Fastify's own request errors, answered in the service's shape with fixed messages. */
function fastifyError(error: FastifyError): HttpError | undefined {
  if (error.validation !== undefined) {
    // Fastify's message names the part and the path ("body/score must be number"), never the value.
    return {
      status: 400,
      body: {
        error: {
          code: "BAD_REQUEST",
          message: error.message,
          hint: "See /openapi.json for the request schema.",
        },
      },
    };
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return {
        status: 413,
        body: {
          error: {
            code: "PAYLOAD_TOO_LARGE",
            message: "The request body is larger than the limit",
            hint: "Send smaller batches.",
          },
        },
      };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return {
        status: 415,
        body: {
          error: {
            code: "UNSUPPORTED_MEDIA_TYPE",
            message: "Only application/json bodies are accepted",
            hint: "Send Content-Type: application/json.",
          },
        },
      };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return MALFORMED_JSON;
  }
  // The JSON parser's own errors quote the body (personal data): never their message.
  if (error instanceof SyntaxError || (error.statusCode === 400 && error.code === undefined)) {
    return MALFORMED_JSON;
  }
  if (
    typeof error.code === "string" &&
    error.code.startsWith("FST_") &&
    error.statusCode !== undefined &&
    error.statusCode < 500
  ) {
    return {
      status: error.statusCode,
      body: {
        error: { code: "BAD_REQUEST", message: "The request is malformed", hint: "See /openapi.json." },
      },
    };
  }
  return undefined;
}

/** Longest path parameter the router accepts (stream names are at most 64 characters). */
const MAX_PARAM_LENGTH = 128;

/**
 * The router's own refusals (a URL that is not valid percent-encoding, a path parameter over
 * {@link MAX_PARAM_LENGTH}). Fastify's default bodies quote the URL, which may carry a request value:
 * these messages are fixed.
 */
function routerError(error: FastifyError): HttpError {
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH") {
    return toHttpError(
      new ServiceError("URI_TOO_LONG", `A path parameter is longer than ${MAX_PARAM_LENGTH} characters`, {
        hint: "Stream names are at most 64 characters; see /openapi.json for the paths.",
      }),
    );
  }
  if (error.code === "FST_ERR_BAD_URL") {
    return toHttpError(
      new ServiceError("MALFORMED_URL", "The URL is not valid percent-encoding", {
        hint: "Percent-encode the path as UTF-8 (RFC 3986).",
      }),
    );
  }
  return toHttpError(error);
}

/**
 * Errors Node's HTTP parser raises before there is a request (headers over the limit, a timeout, bytes
 * that are not HTTP), answered on the socket in the service's shape. Fastify's default body is JSON
 * too, but not `{ error: { code } }`.
 */
export function clientErrorAnswer(error: { code?: unknown }): HttpError {
  if (error.code === "HPE_HEADER_OVERFLOW") {
    return toHttpError(
      new ServiceError("HEADERS_TOO_LARGE", "The request line and headers are larger than the limit", {
        hint: "Send a shorter URL (use the cursor for paging) and fewer or smaller headers.",
      }),
    );
  }
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return toHttpError(
      new ServiceError("REQUEST_TIMEOUT", "The request was not received in time", {
        hint: "Retry the request.",
      }),
    );
  }
  return toHttpError(
    new ServiceError("BAD_REQUEST", "The request is not valid HTTP/1.1", { hint: "See /openapi.json." }),
  );
}

function onClientError(error: Error & { code?: unknown }, socket: Socket): void {
  // A reset or destroyed socket has nobody to answer (Node's own handler does the same).
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  if (socket.writable) {
    const http = clientErrorAnswer(error);
    const body = JSON.stringify(http.body);
    socket.write(
      `HTTP/1.1 ${http.status} ${STATUS_CODES[http.status] ?? "Error"}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function sendError(reply: FastifyReply, http: HttpError): FastifyReply {
  if (http.retryAfter !== undefined) reply.header("retry-after", String(http.retryAfter));
  if (http.status === 401) reply.header("www-authenticate", 'Bearer realm="ancora"');
  return reply.status(http.status).type("application/json").send(http.body);
}

/** A route of the application, as registered. */
export interface RouteInfo {
  method: string;
  url: string;
}

/** Builds the application (not listening); `routes` receives every route registered. */
export async function buildApp(
  ctx: ServiceContext,
  gauges: () => Gauges,
  routes: RouteInfo[] = [],
): Promise<App> {
  const { options } = ctx;
  const app = Fastify({
    logger:
      options.log === false
        ? false
        : {
            level: options.log.level ?? "info",
            ...(options.log.destination === undefined ? {} : { stream: options.log.destination }),
            // Tokens never reach a log line; bodies are never logged at all (they hold personal data).
            redact: { paths: ["req.headers.authorization", "headers.authorization"], censor: "[redacted]" },
          },
    // No per-request lines: the error handler logs failures, /metrics counts the rest.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, _request, reply) => sendError(reply, routerError(error)),
    clientErrorHandler: onClientError,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // Fastify parses text/plain by default; the API takes JSON only, so any other body is a 415.
  app.removeContentTypeParser("text/plain");
  // Bodies are read with parseJson, not the engine's JSON.parse: see json-body.ts.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Ancora",
        version: VERSION,
        description: "Provable logging of automated decisions: see docs/service.md.",
      },
      // Relative: the service is wherever this document was fetched from (its host and port are the
      // operator's choice, and it may sit behind a proxy).
      servers: [{ url: "/", description: "this service: the origin /openapi.json was fetched from" }],
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "ak_<id>_<secret>" } },
      },
    },
  });

  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      if (method !== "HEAD") routes.push({ method, url: route.url });
    }
  });

  app.addHook("onRequest", async (request, reply) => {
    if (ctx.closing) {
      reply.header("connection", "close");
      throw new ServiceError("SHUTTING_DOWN", "The service is shutting down", {
        hint: "Retry against another instance, or after the restart.",
        retryAfter: options.retryAfterSeconds,
      });
    }
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new ServiceError("UNAUTHORIZED", "This route needs an API key", {
        hint: "Send Authorization: Bearer ak_<id>_<secret>.",
      });
    }
    const token = BEARER.exec(header)?.[1];
    const key = token === undefined ? undefined : ctx.keys.authenticate(token);
    if (key === undefined) {
      throw new ServiceError("UNAUTHORIZED", "The API key is malformed, unknown or revoked", {
        hint: "Ask an administrator for a valid key.",
      });
    }
    if (!allows(key.scopes, scope)) {
      throw new ServiceError("FORBIDDEN", `This route needs the ${scope} scope`, {
        hint: `The key has ${key.scopes.join(", ")}; use a key with ${scope} (or admin).`,
      });
    }
    // Refuse before the body is read when nothing more can be admitted.
    if (scope === "write" && ctx.gate.full) {
      throw ctx.gate.overloaded();
    }
    if (scope === "read" && ctx.catchUp !== undefined) await ctx.catchUp();
  });

  app.addHook("onSend", async (_request, reply) => {
    // While closing, every answer ends its connection, so close() does not wait on idle keep-alives.
    if (ctx.closing) reply.header("connection", "close");
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const http = fastifyError(error) ?? toHttpError(error);
    if (http.status >= 500 && http.body.error.code === "INTERNAL") {
      request.log.error({ err: error }, "request failed");
    }
    if (http.status === 503) ctx.metrics.rejected(http.body.error.code.toLowerCase());
    return sendError(reply, http);
  });

  app.setNotFoundHandler((_request, reply) =>
    reply
      .status(404)
      .send({ error: { code: "NOT_FOUND", message: "No such route", hint: "See /openapi.json." } }),
  );

  writeRoutes(app, ctx);
  readRoutes(app, ctx);
  auditRoutes(app, ctx);
  lineageRoutes(app, ctx);
  lineageWriteRoutes(app, ctx);
  opsRoutes(app, ctx, gauges);
  verifyPageRoutes(app);
  return app;
}
