import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { computeCid } from "@ancora/core";
import { afterEach, describe, expect, it } from "vitest";
import { SourceError } from "../errors.js";
import { httpBlockFetcher } from "./http-blocks.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A plain trustless gateway (one raw block per GET) with no Ancora batch endpoint. */
async function plainGateway(blocks: Map<string, Uint8Array>, calls: string[]): Promise<string> {
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const match = /^\/ipfs\/([a-z0-9]+)\?format=raw$/.exec(req.url ?? "");
    const bytes = req.method === "GET" && match?.[1] !== undefined ? blocks.get(match[1]) : undefined;
    if (bytes === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/vnd.ipld.raw" }).end(Buffer.from(bytes));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("httpBlockFetcher", () => {
  it("falls back to one request per block when the gateway has no batch endpoint, after one try", async () => {
    const blocks = new Map<string, Uint8Array>();
    for (let i = 0; i < 20; i++) {
      const bytes = new TextEncoder().encode(`record ${i}`);
      blocks.set(computeCid(bytes).toString(), bytes);
    }
    const calls: string[] = [];
    const fetchBlock = httpBlockFetcher(await plainGateway(blocks, calls));
    const cids = [...blocks.keys()];
    const fetched = await Promise.all(cids.map((cid) => fetchBlock(cid)));
    expect(fetched).toStrictEqual([...blocks.values()]);
    expect(calls.filter((c) => c.startsWith("POST"))).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith("GET"))).toHaveLength(cids.length);
  });

  it("still reports a block the gateway does not have as BLOCK_NOT_FOUND", async () => {
    const calls: string[] = [];
    const fetchBlock = httpBlockFetcher(await plainGateway(new Map(), calls));
    const missing = computeCid(new TextEncoder().encode("never published")).toString();
    const error = await fetchBlock(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe("BLOCK_NOT_FOUND");
  });
});
