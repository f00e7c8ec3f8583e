/** Write routes: decisions (one or a batch) and a stream's config. */
import { performance } from "node:perf_hooks";
import type { RecordedDecision as SdkRecordedDecision } from "@ancora/sdk";
import { type Static, Type } from "typebox";
import type { ServiceContext } from "../context.js";
import { ServiceError } from "../errors.js";
import { toHttpError } from "../http-errors.js";
import {
  BatchResult,
  ConfigBody,
  type Decision,
  decisionBody,
  errors,
  RecordedConfig,
  RecordedDecision,
  StreamParams,
} from "../schemas.js";
import { checkStreamName, type StreamWriterLogger } from "../streams.js";
import { type App, BEARER } from "./app-type.js";

type DecisionInput = Static<typeof Decision>;

function configRequired(stream: string): ServiceError {
  return new ServiceError(
    "CONFIG_REQUIRED",
    `Stream "${stream}" has no config: a decision's label cannot be resolved`,
    {
      hint: "POST /v1/streams/{stream}/config (admin scope) first.",
    },
  );
}

/** A stream that does not exist has no config either. */
function streamUnknownAsConfig(error: unknown, stream: string): unknown {
  return (error as { code?: unknown } | null)?.code === "STREAM_UNKNOWN" ? configRequired(stream) : error;
}

/** The stream's logger for decisions. */
function decisionLogger(ctx: ServiceContext, stream: string): StreamWriterLogger {
  try {
    return ctx.loggers.writer(stream, { create: false });
  } catch (error) {
    throw streamUnknownAsConfig(error, stream);
  }
}

async function labelName(
  ctx: ServiceContext,
  logger: StreamWriterLogger,
  id: string,
): Promise<string | undefined> {
  let names = ctx.labelNames.get(logger.stream);
  if (names?.has(id) !== true) {
    names = new Map((await logger.labels()).map((l) => [l.id, l.name]));
    ctx.labelNames.set(logger.stream, names);
  }
  return names.get(id);
}

async function answer(
  ctx: ServiceContext,
  logger: StreamWriterLogger,
  r: SdkRecordedDecision,
): Promise<Static<typeof RecordedDecision>> {
  const name = await labelName(ctx, logger, r.label);
  return {
    stream: r.stream,
    seq: r.seq,
    cid: r.cid,
    ts: r.ts,
    label: r.label,
    ...(name === undefined ? {} : { labelName: name }),
    config: r.config,
  };
}

export function writeRoutes(app: App, ctx: ServiceContext): void {
  app.post(
    "/v1/streams/:stream/decisions",
    {
      config: { scope: "write" },
      bodyLimit: ctx.options.bodyLimit,
      schema: {
        operationId: "logDecisions",
        summary: "Log one decision or a batch; answers once every accepted decision is durable",
        tags: ["decisions"],
        security: BEARER,
        params: StreamParams,
        body: decisionBody(ctx.options.maxBatch),
        response: {
          201: Type.Union([RecordedDecision, BatchResult]),
          ...errors(400, 401, 403, 409, 413, 415, 503),
        },
      },
      preValidation: async (request) => {
        const decisions = (request.body as { decisions?: unknown } | null)?.decisions;
        if (Array.isArray(decisions) && decisions.length > ctx.options.maxBatch) {
          throw new ServiceError(
            "BATCH_TOO_LARGE",
            `A batch holds at most ${ctx.options.maxBatch} decisions`,
            {
              hint: "Split the batch.",
              evidence: { maxBatch: ctx.options.maxBatch },
            },
          );
        }
      },
    },
    async (request, reply) => {
      const { stream } = request.params;
      checkStreamName(stream);
      const body = request.body;
      const batch = "decisions" in body;
      const items: DecisionInput[] = batch ? body.decisions : [body];
      ctx.gate.acquire(items.length);
      try {
        const logger = decisionLogger(ctx, stream);
        const start = performance.now();
        const settled = await Promise.allSettled(
          items.map((d) =>
            logger.record({ features: d.input, output: d.output, score: d.score, model: d.model }),
          ),
        );
        const accepted = settled.filter((s) => s.status === "fulfilled").length;
        if (accepted > 0) {
          ctx.metrics.commitLatency((performance.now() - start) / 1000);
          ctx.metrics.appended(stream, accepted);
        }
        if (!batch) {
          const [one] = settled as [PromiseSettledResult<SdkRecordedDecision>];
          if (one.status === "rejected") throw streamUnknownAsConfig(one.reason, stream);
          return reply.status(201).send(await answer(ctx, logger, one.value));
        }
        const first = settled.find((s) => s.status === "rejected");
        // Nothing written: the batch fails as a whole, with the first decision's reason.
        if (accepted === 0 && first !== undefined) throw streamUnknownAsConfig(first.reason, stream);
        const results = [];
        for (const s of settled) {
          results.push(
            s.status === "fulfilled" ? await answer(ctx, logger, s.value) : toHttpError(s.reason).body,
          );
        }
        return reply.status(201).send({ stream, accepted, rejected: settled.length - accepted, results });
      } finally {
        ctx.gate.release(items.length);
      }
    },
  );

  app.post(
    "/v1/streams/:stream/config",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "setStreamConfig",
        summary:
          "Write a stream's config (creating the stream on first use): the rule resolving scores to labels",
        tags: ["streams"],
        security: BEARER,
        params: StreamParams,
        body: ConfigBody,
        response: { 201: RecordedConfig, ...errors(400, 401, 403, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { stream } = request.params;
      checkStreamName(stream);
      const logger = ctx.loggers.writer(stream, { create: true });
      const written = await logger.setConfig(request.body);
      ctx.labelNames.delete(stream);
      ctx.metrics.appended(stream, written.definedLabels.length + 1);
      return reply.status(201).send(written);
    },
  );
}
