/**
 * The embedded node's HTTP block gateway: the store's records and manifests by CID, for auditors who
 * verify a whole log. Bitswap in Helia 7 tops out below ~2,000 blocks/s on one core (every block
 * received is offered to every pending want; see docs/benchmarks.md), so a public verification of
 * millions of records needs blocks in bulk:
 *
 * - `GET /ipfs/{cid}?format=raw` (or `Accept: application/vnd.ipld.raw`): one raw block, as the IPFS
 *   trustless gateway specification says, so any trustless-gateway client can read it;
 * - `POST /ancora/v1/blocks` with up to {@link MAX_GATEWAY_BATCH} CIDs (text, one per line): the blocks
 *   the store holds, in request order, as a CAR v1 stream (`application/vnd.ipld.car; version=1`). A
 *   block it does not hold is left out. The client checks every block against its CID: the gateway is
 *   trusted for nothing but availability.
 *
 * Only Ancora block CIDs (CIDv1, raw, sha2-256, base32 lower) are served; the gateway has no other
 * content and no write method.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type BlockCid, parseBlockCid } from "@ancora/core";
import { carHeader, carSection } from "./car.js";

/** The batch path. */
export const GATEWAY_BATCH_PATH = "/ancora/v1/blocks";
/** Most CIDs one batch request may name. */
export const MAX_GATEWAY_BATCH = 1_024;
/** Largest batch request body: {@link MAX_GATEWAY_BATCH} CIDs of 59 characters and their newlines. */
const MAX_BATCH_BODY = MAX_GATEWAY_BATCH * 64;
const RAW = "application/vnd.ipld.raw";
const CAR = "application/vnd.ipld.car; version=1";

/** Options of {@link startBlockGateway}. */
export interface BlockGatewayOptions {
  /** Interface to listen on (default `127.0.0.1`: loopback only). */
  host?: string;
  /** TCP port (default 0: any free port). */
  port?: number;
}

/** A running gateway. */
export interface BlockGateway {
  /** Base URL, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Every block is public and checked by its reader, so any web page may read them: the receipt page
 * (served by the service on another port, or from anywhere) fetches a record's config from here.
 */
const CORS = { "access-control-allow-origin": "*" } as const;

function answer(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, {
    ...CORS,
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(`${message}\n`);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Starts the block gateway over `lookup` (e.g. {@link SqliteBlockstore.lookup}).
 *
 * Answers: 200 with the block or the CAR; 400 for a CID that is not an Ancora block CID (the batch
 * names its line) or an empty batch; 404 for a single block the store does not hold or an unknown
 * path; 405 for another method; 406 when a single block is asked for in another format than raw; 413
 * for a batch over {@link MAX_GATEWAY_BATCH} CIDs; 500 when the store cannot be read.
 *
 * @example
 * ```ts
 * const gateway = await startBlockGateway((cid) => blockstore.lookup(cid));
 * const fetch = carGatewayFetcher(gateway.url); // from @ancora/verifier/node
 * ```
 */
export async function startBlockGateway(
  lookup: (cid: BlockCid) => Uint8Array | undefined,
  options: BlockGatewayOptions = {},
): Promise<BlockGateway> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, "the store cannot be read");
      else res.destroy();
    });
  });
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 30_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway");
    if (url.pathname === GATEWAY_BATCH_PATH) {
      if (req.method !== "POST") return answer(res, 405, "use POST with one CID per line");
      const body = await readBody(req, MAX_BATCH_BODY);
      if (body === undefined) return answer(res, 413, `at most ${MAX_GATEWAY_BATCH} CIDs per request`);
      const lines = body.split("\n").map((l) => l.trim());
      if (lines.at(-1) === "") lines.pop();
      if (lines.length === 0) return answer(res, 400, "no CID in the request");
      if (lines.length > MAX_GATEWAY_BATCH) {
        return answer(res, 413, `at most ${MAX_GATEWAY_BATCH} CIDs per request`);
      }
      const cids: BlockCid[] = [];
      for (const [i, line] of lines.entries()) {
        const cid = parseBlockCid(line);
        if (cid === undefined) return answer(res, 400, `line ${i + 1} is not an Ancora block CID`);
        cids.push(cid);
      }
      const blocks = cids.map((cid) => lookup(cid));
      res.writeHead(200, {
        "content-type": CAR,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      });
      if (!res.write(carHeader(cids[0] as BlockCid))) await once(res, "drain");
      for (const [i, bytes] of blocks.entries()) {
        if (bytes === undefined) continue;
        if (!res.write(carSection(cids[i] as BlockCid, bytes))) await once(res, "drain");
      }
      res.end();
      return;
    }
    const match = /^\/ipfs\/([^/]+)$/.exec(url.pathname);
    if (match === null) return answer(res, 404, "not found");
    if (req.method !== "GET" && req.method !== "HEAD") return answer(res, 405, "use GET");
    const format = url.searchParams.get("format");
    const wantsRaw = format === "raw" || (format === null && (req.headers.accept ?? "").includes(RAW));
    if (!wantsRaw) return answer(res, 406, "only raw blocks are served: add ?format=raw");
    const cid = parseBlockCid(match[1] as string);
    if (cid === undefined) return answer(res, 400, "not an Ancora block CID");
    const bytes = lookup(cid);
    if (bytes === undefined) return answer(res, 404, "block not found");
    res.writeHead(200, {
      ...CORS,
      "content-type": RAW,
      "content-length": bytes.length,
      "content-disposition": `attachment; filename="${cid.toString()}.bin"`,
      "cache-control": "public, max-age=29030400, immutable",
      etag: `"${cid.toString()}.raw"`,
      "x-content-type-options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : bytes);
  }

  const host = options.host ?? "127.0.0.1";
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
