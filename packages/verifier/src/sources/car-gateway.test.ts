/**
 * The CAR gateway fetcher against a real HTTP server on 127.0.0.1 that answers honestly, lies about
 * bytes, leaves blocks out, sends malformed CAR or has no batch endpoint; and the CAR reader against
 * arbitrary bytes (it fails with SOURCE_INVALID, never with anything else).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ArgumentError, computeCid, encodeVarint } from "@ancora/core";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SourceError } from "../errors.js";
import { carGatewayFetcher, readCarBlocks } from "./car-gateway.js";

const block = (text: string) => new TextEncoder().encode(text);
const blocks = Array.from({ length: 300 }, (_, i) => block(`{"i":${i}}`));
const byCid = new Map(blocks.map((b) => [computeCid(b).toString(), b]));
const cids = [...byCid.keys()];

const varint = encodeVarint;
const section = (cid: string, bytes: Uint8Array) => {
  const c = computeCid(byCid.get(cid) ?? bytes).bytes;
  return Buffer.concat([varint(c.length + bytes.length), c, bytes]);
};
const header = Buffer.concat([varint(3), Uint8Array.of(0xa0, 0xa0, 0xa0)]);

type Mode = "honest" | "lie" | "omit-odd" | "malformed" | "no-endpoint";
let mode: Mode = "honest";
let requests = 0;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    let body = "";
    for await (const chunk of req) body += chunk;
    if (mode === "no-endpoint" || req.url !== "/ancora/v1/blocks" || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    const asked = body.split("\n").filter((l) => l !== "");
    res.writeHead(200, { "content-type": "application/vnd.ipld.car; version=1" });
    res.write(header);
    if (mode === "malformed") {
      res.end(Uint8Array.of(0x05, 0x01, 0x02));
      return;
    }
    for (const [i, cid] of asked.entries()) {
      if (mode === "omit-odd" && i % 2 === 1) continue;
      const bytes = byCid.get(cid) as Uint8Array;
      res.write(section(cid, mode === "lie" && i === 0 ? block('{"forged":1}') : bytes));
    }
    res.end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  mode = "honest";
  requests = 0;
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return (error as SourceError).code;
  }
}

describe("carGatewayFetcher", () => {
  it("gathers concurrent fetches into batches and returns every block, checked", async () => {
    const fetch = carGatewayFetcher(base, { batchSize: 128 });
    const got = await Promise.all(cids.map((cid) => fetch(cid)));
    expect(got.map((b) => computeCid(b).toString())).toEqual(cids);
    expect(requests).toBe(3); // 300 CIDs in batches of 128
  });

  it("bytes that hash to another CID fail that fetch alone with BLOCK_CID_MISMATCH", async () => {
    mode = "lie";
    const fetch = carGatewayFetcher(base);
    const outcomes = await Promise.all(cids.slice(0, 3).map((cid) => codeOf(fetch(cid))));
    expect(outcomes).toEqual(["BLOCK_CID_MISMATCH", "resolved", "resolved"]);
  });

  it("a block left out of the answer is BLOCK_NOT_FOUND for that CID only", async () => {
    mode = "omit-odd";
    const fetch = carGatewayFetcher(base);
    const outcomes = await Promise.all(cids.slice(0, 4).map((cid) => codeOf(fetch(cid))));
    expect(outcomes).toEqual(["resolved", "BLOCK_NOT_FOUND", "resolved", "BLOCK_NOT_FOUND"]);
  });

  it("a malformed CAR is SOURCE_INVALID; a gateway without the endpoint is SOURCE_UNREACHABLE", async () => {
    mode = "malformed";
    expect(await codeOf(carGatewayFetcher(base)(cids[0] as string))).toBe("SOURCE_INVALID");
    mode = "no-endpoint";
    expect(await codeOf(carGatewayFetcher(base)(cids[0] as string))).toBe("SOURCE_UNREACHABLE");
  });

  it("refuses a CID that is not an Ancora block CID before any request, and bad options", async () => {
    expect(await codeOf(carGatewayFetcher(base)("QmNotOurs"))).toBe("SOURCE_UNSUPPORTED_CID");
    expect(requests).toBe(0);
    expect(() => carGatewayFetcher(base, { batchSize: 0 })).toThrow(ArgumentError);
    expect(() => carGatewayFetcher(base, { batchSize: 1025 })).toThrow(ArgumentError);
    expect(() => carGatewayFetcher("http://user:pw@127.0.0.1/")).toThrow(ArgumentError);
  });

  it("a caller's abort rejects its own fetch with its reason; the others still resolve", async () => {
    const fetch = carGatewayFetcher(base);
    const controller = new AbortController();
    const reason = new Error("stop");
    const aborted = fetch(cids[0] as string, { signal: controller.signal });
    const other = fetch(cids[1] as string);
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(computeCid(await other).toString()).toBe(cids[1]);
  });
});

describe("readCarBlocks", () => {
  it("reads the sections of a CAR by CID", () => {
    const car = Buffer.concat([header, section(cids[0] as string, blocks[0] as Uint8Array)]);
    const read = readCarBlocks(car, "test");
    expect([...read.values()].map((b) => Buffer.from(b).toString())).toEqual(['{"i":0}']);
  });

  it("any bytes: a map of blocks or SOURCE_INVALID, never another exception", () => {
    const valid = Buffer.concat([
      header,
      ...cids.slice(0, 3).map((c) => section(c, byCid.get(c) as Uint8Array)),
    ]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.integer({ min: 0, max: valid.length - 1 }).map((n) => valid.subarray(0, n)),
          fc
            .tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }))
            .map(([at, byte]) => Uint8Array.from(valid).fill(byte, at, at + 1)),
        ),
        (bytes) => {
          try {
            readCarBlocks(bytes, "test");
          } catch (error) {
            expect(error).toBeInstanceOf(SourceError);
            expect((error as SourceError).code).toBe("SOURCE_INVALID");
          }
        },
      ),
      { numRuns: process.env.CI === "true" ? 2_000 : 300 },
    );
  });
});
