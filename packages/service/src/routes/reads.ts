/** Read routes: one record with its receipt, and search with keyset pagination. */
import { parseJson, receiptToJSON } from "@ancora/core";
import type { SearchQuery } from "@ancora/sdk";
import { VERIFY_PAGE_PATH, verifyPageLink } from "@ancora/verify-page/link";
import type { ServiceContext } from "../context.js";
import { ServiceError } from "../errors.js";
import { errors, RecordParams, SearchPage, StoredRecord, StreamParams, searchQuery } from "../schemas.js";
import { checkStreamName } from "../streams.js";
import { type App, BEARER } from "./app-type.js";

const decoder = new TextDecoder();

export function readRoutes(app: App, ctx: ServiceContext): void {
  app.get(
    "/v1/streams/:stream/records/:seq",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getRecord",
        summary: "One record, its canonical bytes and, once anchored, its receipt",
        tags: ["records"],
        security: BEARER,
        params: RecordParams,
        response: { 200: StoredRecord, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { stream } = request.params;
      const seq = Number(request.params.seq);
      checkStreamName(stream);
      const found = ctx.store.get(stream, seq);
      if (found === undefined) {
        throw new ServiceError("NOT_FOUND", `Stream "${stream}" has no record ${seq}`, {
          hint: "Sequence numbers run from 0 (the genesis record) to the stream's size - 1.",
        });
      }
      let receipt = null;
      try {
        receipt = receiptToJSON(ctx.store.receipt(stream, seq));
      } catch (error) {
        if ((error as { code?: unknown }).code !== "NOT_ANCHORED") throw error;
      }
      const text = decoder.decode(found.bytes);
      return {
        stream,
        seq,
        cid: found.cid,
        kind: found.record.kind,
        ts: found.record.ts,
        bytes: Buffer.from(found.bytes).toString("base64"),
        record: parseJson(text),
        receipt,
        // Relative: the service does not know the origin its clients reach it by. The receipt rides in
        // the fragment, which the browser keeps to itself.
        verifyUrl: receipt === null ? null : verifyPageLink(VERIFY_PAGE_PATH, receipt),
      };
    },
  );

  app.get(
    "/v1/streams/:stream/records",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listRecords",
        summary: "Search a stream's records (decisions by default), one page at a time",
        tags: ["records"],
        security: BEARER,
        params: StreamParams,
        querystring: searchQuery(ctx.options.maxPageSize),
        response: { 200: SearchPage, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { stream } = request.params;
      checkStreamName(stream);
      const q = request.query;
      if (q.version !== undefined && q.model === undefined) {
        throw new ServiceError("BAD_REQUEST", "version needs model", {
          hint: "Pass model=<id>&version=<v>.",
        });
      }
      const limit = q.limit === undefined ? Math.min(100, ctx.options.maxPageSize) : Number(q.limit);
      if (limit > ctx.options.maxPageSize) {
        throw new ServiceError("BAD_REQUEST", `querystring/limit must be <= ${ctx.options.maxPageSize}`, {
          hint: "Page with the cursor instead of a larger limit.",
        });
      }
      const query: SearchQuery = {
        stream,
        limit,
        ...(q.kind === undefined ? {} : { kind: q.kind }),
        ...(q.model === undefined
          ? {}
          : { model: q.version === undefined ? q.model : { id: q.model, version: q.version } }),
        ...(q.label === undefined ? {} : { label: q.label }),
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      };
      const page = ctx.store.search(query);
      return {
        items: page.items.map((i) => ({
          seq: i.seq,
          cid: i.cid,
          kind: i.kind,
          ts: i.ts,
          label: i.label,
          model: i.model,
        })),
        ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      };
    },
  );
}
