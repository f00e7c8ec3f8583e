/**
 * The gateway fetcher against a real HTTP server on 127.0.0.1 that serves right bytes, wrong bytes,
 * 404, 500-then-200, an oversized body and a response that never ends; and fetchAll's ordering,
 * concurrency bound and abort on first error.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ArgumentError, computeCid } from "@ancora/core";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SourceError } from "../errors.js";
import { MAX_BLOCK_BYTES } from "./block-check.js";
import { fetchAll, gatewayFetcher } from "./blocks.js";
import type { BlockFetcher } from "./types.js";

const block = (text: string) => new TextEncoder().encode(text);
const cidOf = (bytes: Uint8Array) => computeCid(bytes).toString();

const GOOD = block('{"hello":"world"}');
const LIE = block('{"hello":"moon"}');
const FLAKY = block('{"flaky":true}');
const BIG = new Uint8Array(MAX_BLOCK_BYTES + 1);
const HANGING = block('{"hang":true}');
const GONE = block('{"gone":true}');

/** Per CID path: what the server does. */
type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;
const behaviours = new Map<string, Behaviour>();
const hits = new Map<string, number>();
const seen: IncomingMessage[] = [];
let server: Server;
let base: string;
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const behave = behaviours.get(path);
    if (behave === undefined) {
      res.writeHead(404).end();
      return;
    }
    behave(req, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const serve =
    (bytes: Uint8Array): Behaviour =>
    (_, res) =>
      res.writeHead(200, { "content-type": "application/vnd.ipld.raw" }).end(bytes);
  behaviours.set(`/ipfs/${cidOf(GOOD)}`, serve(GOOD));
  behaviours.set(`/ipfs/${cidOf(LIE)}`, serve(GOOD));
  behaviours.set(`/ipfs/${cidOf(GONE)}`, (_, res) => res.writeHead(410).end());
  behaviours.set(`/ipfs/${cidOf(FLAKY)}`, (req, res) => {
    if ((hits.get(new URL(req.url ?? "", "http://x").pathname) ?? 0) < 2) res.writeHead(500).end();
    else serve(FLAKY)(req, res);
  });
  behaviours.set(`/ipfs/${cidOf(BIG)}`, (_, res) => {
    // No content-length: the fetcher must stop reading by itself.
    res.writeHead(200);
    res.write(BIG.subarray(0, 512 * 1024));
    res.write(BIG.subarray(512 * 1024));
    res.end();
  });
  behaviours.set(`/ipfs/${cidOf(HANGING)}`, (_, res) => {
    res.writeHead(200);
    res.write(HANGING.subarray(0, 3)); // then nothing, ever
    hanging.push(res);
  });
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  hits.clear();
  seen.length = 0;
});

async function errorOf(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe("gatewayFetcher", () => {
  it("returns the right bytes, asking for a raw block", async () => {
    const fetch = gatewayFetcher(base, { headers: { authorization: "Bearer secret-token" } });
    expect(await fetch(cidOf(GOOD))).toEqual(GOOD);
    const req = seen[0];
    expect(req?.url).toBe(`/ipfs/${cidOf(GOOD)}?format=raw`);
    expect(req?.headers.accept).toBe("application/vnd.ipld.raw");
    expect(req?.headers.authorization).toBe("Bearer secret-token");
  });

  it("keeps a base path", async () => {
    const fetch = gatewayFetcher(`${base}/prefix`, { retries: 0 });
    await errorOf(fetch(cidOf(GOOD)));
    expect(seen[0]?.url).toBe(`/prefix/ipfs/${cidOf(GOOD)}?format=raw`);
  });

  it("refuses bytes that hash to another CID: BLOCK_CID_MISMATCH with both CIDs", async () => {
    const error = await errorOf(gatewayFetcher(base)(cidOf(LIE)));
    expect(error.code).toBe("BLOCK_CID_MISMATCH");
    expect(error.evidence).toMatchObject({ expected: cidOf(LIE), found: cidOf(GOOD) });
  });

  it("404 and 410: BLOCK_NOT_FOUND, not retried", async () => {
    const fetch = gatewayFetcher(base);
    const missing = cidOf(block("nowhere"));
    expect((await errorOf(fetch(missing))).code).toBe("BLOCK_NOT_FOUND");
    expect(hits.get(`/ipfs/${missing}`)).toBe(1);
    expect((await errorOf(fetch(cidOf(GONE)))).code).toBe("BLOCK_NOT_FOUND");
  });

  it("500 then 200: retried, then the bytes", async () => {
    expect(await gatewayFetcher(base, { retries: 1 })(cidOf(FLAKY))).toEqual(FLAKY);
    expect(hits.get(`/ipfs/${cidOf(FLAKY)}`)).toBe(2);
  });

  it("5xx every time: SOURCE_UNREACHABLE after the retries", async () => {
    const error = await errorOf(gatewayFetcher(base, { retries: 0 })(cidOf(FLAKY)));
    expect(error.code).toBe("SOURCE_UNREACHABLE");
    expect(error.evidence).toMatchObject({ status: 500 });
  });

  it("a refused connection: retried, then SOURCE_UNREACHABLE", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const error = await errorOf(gatewayFetcher(`http://127.0.0.1:${port}`, { retries: 1 })(cidOf(GOOD)));
    expect(error.code).toBe("SOURCE_UNREACHABLE");
    expect(error.evidence).toMatchObject({ attempts: 2 });
  });

  it("a response that never ends: SOURCE_TIMEOUT", async () => {
    const error = await errorOf(gatewayFetcher(base, { timeoutMs: 300 })(cidOf(HANGING)));
    expect(error.code).toBe("SOURCE_TIMEOUT");
  });

  it("a body over 1 MiB: BLOCK_TOO_LARGE", async () => {
    expect((await errorOf(gatewayFetcher(base)(cidOf(BIG)))).code).toBe("BLOCK_TOO_LARGE");
  });

  it("a CID in any other form: SOURCE_UNSUPPORTED_CID, with no request", async () => {
    const fetch = gatewayFetcher(base);
    const good = cidOf(GOOD);
    for (const cid of [
      good.toUpperCase(),
      "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
      `${good}/x`,
      "",
      "../x",
    ]) {
      expect((await errorOf(fetch(cid))).code).toBe("SOURCE_UNSUPPORTED_CID");
    }
    expect(seen).toHaveLength(0);
  });

  it("the caller's abort rejects with its reason", async () => {
    const controller = new AbortController();
    const pending = gatewayFetcher(base, { timeoutMs: 10_000 })(cidOf(HANGING), {
      signal: controller.signal,
    });
    const reason = new Error("stop");
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });

  it("rejects bad options at construction", () => {
    for (const url of ["not a url", "ftp://x", "http://user:pw@x", "http://x/?key=1"]) {
      expect(() => gatewayFetcher(url)).toThrow(ArgumentError);
    }
    expect(() => gatewayFetcher(base, { timeoutMs: 0 })).toThrow(ArgumentError);
    expect(() => gatewayFetcher(base, { retries: -1 })).toThrow(ArgumentError);
  });

  it("never puts a header value in an error", async () => {
    const error = await errorOf(
      gatewayFetcher(base, { headers: { authorization: "Bearer secret-token" } })("x"),
    );
    expect(JSON.stringify(error.toJSON())).not.toContain("secret-token");
    const other = await errorOf(
      gatewayFetcher(base, { headers: { authorization: "Bearer secret-token" }, retries: 0 })(cidOf(FLAKY)),
    );
    expect(`${other.message}${JSON.stringify(other.toJSON())}`).not.toContain("secret-token");
  });
});

/** A fetcher over a map that records concurrency, resolving after `delay` ms. */
function fakeFetcher(blocks: Map<string, Uint8Array>, delay: () => number) {
  let inFlight = 0;
  let maxInFlight = 0;
  const aborted: string[] = [];
  const fetch: BlockFetcher = (cid, options = {}) =>
    new Promise((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        inFlight--;
        const bytes = blocks.get(cid);
        if (bytes === undefined) reject(new SourceError("BLOCK_NOT_FOUND", "missing", { evidence: { cid } }));
        else resolve(bytes);
      }, delay());
      options.signal?.addEventListener("abort", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight--;
        aborted.push(cid);
        reject(options.signal?.reason);
      });
    });
  return { fetch, maxInFlight: () => maxInFlight, aborted };
}

describe("fetchAll", () => {
  it("returns blocks in input order with at most `concurrency` in flight", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (texts, concurrency) => {
          const blocks = new Map(texts.map((t) => [cidOf(block(t)), block(t)]));
          const cids = texts.map((t) => cidOf(block(t)));
          const fake = fakeFetcher(blocks, () => Math.floor(Math.random() * 3));
          const progress: number[] = [];
          const result = await fetchAll(fake.fetch, cids, {
            concurrency,
            onProgress: (done) => progress.push(done),
          });
          expect(result.map((b) => new TextDecoder().decode(b))).toEqual(texts);
          expect(fake.maxInFlight()).toBeLessThanOrEqual(concurrency);
          expect(progress).toEqual(cids.map((_, i) => i + 1));
        },
      ),
      { numRuns: process.env.CI ? 100 : 25 },
    );
  });

  it("rejects with the first error and aborts the fetches in flight", async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `block ${i}`);
    const blocks = new Map(texts.map((t) => [cidOf(block(t)), block(t)]));
    const missing = cidOf(block("missing"));
    const cids = [
      ...texts.slice(0, 5).map((t) => cidOf(block(t))),
      missing,
      ...texts.slice(5).map((t) => cidOf(block(t))),
    ];
    let calls = 0;
    const fake = fakeFetcher(blocks, () => (calls++ === 5 ? 1 : 200));
    const error = await errorOf(fetchAll(fake.fetch, cids, { concurrency: 8 }));
    expect(error.code).toBe("BLOCK_NOT_FOUND");
    expect(error.evidence).toMatchObject({ cid: missing });
    expect(fake.aborted).toHaveLength(7); // the other seven in flight; the rest never started
  });

  it("the caller's abort rejects with its reason", async () => {
    const blocks = new Map([[cidOf(GOOD), GOOD]]);
    const fake = fakeFetcher(blocks, () => 10_000);
    const controller = new AbortController();
    const pending = fetchAll(fake.fetch, [cidOf(GOOD)], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("cancelled")), 20);
    await expect(pending).rejects.toThrow("cancelled");
    expect(fake.aborted).toEqual([cidOf(GOOD)]);
  });

  it("an empty list, and a bad concurrency", async () => {
    const fake = fakeFetcher(new Map(), () => 0);
    expect(await fetchAll(fake.fetch, [])).toEqual([]);
    await expect(fetchAll(fake.fetch, ["x"], { concurrency: 0 })).rejects.toThrow(ArgumentError);
  });

  it("drives the gateway fetcher end to end", async () => {
    const result = await fetchAll(gatewayFetcher(base), [cidOf(GOOD), cidOf(GOOD)], { concurrency: 2 });
    expect(result).toEqual([GOOD, GOOD]);
  });
});
