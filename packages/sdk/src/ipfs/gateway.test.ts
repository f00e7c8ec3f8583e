/**
 * The embedded node's HTTP block gateway on a real SQLite store and real HTTP on 127.0.0.1: raw blocks
 * as the trustless gateway spec says, CARs read back by the verifier's CAR gateway fetcher (which
 * checks every block), and the answers to bad requests.
 */

import { ArgumentError, computeCid } from "@ancora/core";
import { carGatewayFetcher, readCarBlocks } from "@ancora/verifier/node";
import { afterEach, describe, expect, it } from "vitest";
import type { ProvenanceLogger } from "../logger.js";
import { configuredLogger } from "../testing/configured-logger.js";
import { MAX_GATEWAY_BATCH } from "./gateway.js";
import { type IpfsNode, startIpfsNode } from "./node.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ logger: ProvenanceLogger; node: IpfsNode; url: string; cids: string[] }> {
  const logger = await configuredLogger(cleanups, { decisions: 60 });
  const node = await startIpfsNode({ store: logger.store, gateway: true });
  cleanups.push(() => node.stop());
  const url = node.gatewayUrl as string;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const size = logger.store.stream("loans").size;
  const cids = Array.from({ length: size }, (_, seq) => logger.store.get("loans", seq)?.cid as string);
  return { logger, node, url, cids };
}

describe("block gateway", () => {
  it("serves every record, many per CAR; the verifier's CAR gateway fetcher checks each", async () => {
    const { logger, url, cids } = await setup();
    const fetch = carGatewayFetcher(url, { batchSize: 16 });
    const got = await Promise.all(cids.map((cid) => fetch(cid)));
    for (const [seq, bytes] of got.entries()) {
      expect(Buffer.from(bytes).equals(Buffer.from(logger.store.get("loans", seq)?.bytes ?? []))).toBe(true);
    }
  });

  it("leaves out what the store does not hold: BLOCK_NOT_FOUND for that CID only", async () => {
    const { url, cids } = await setup();
    const missing = computeCid(new TextEncoder().encode('{"not":"logged"}')).toString();
    const fetch = carGatewayFetcher(url);
    const [found, absent] = await Promise.allSettled([fetch(cids[0] as string), fetch(missing)]);
    expect(found.status).toBe("fulfilled");
    expect(absent.status === "rejected" && absent.reason.code).toBe("BLOCK_NOT_FOUND");
    // The CAR is readable by any CAR reader: header, then the found block's section.
    const response = await globalThis.fetch(new URL("ancora/v1/blocks", url), {
      method: "POST",
      body: `${missing}\n${cids[1]}\n`,
    });
    expect(response.headers.get("content-type")).toBe("application/vnd.ipld.car; version=1");
    const blocks = readCarBlocks(new Uint8Array(await response.arrayBuffer()), "test");
    expect(blocks.size).toBe(1);
  });

  it("serves one raw block per the trustless gateway spec, and answers bad requests", async () => {
    const { logger, url, cids } = await setup();
    const cid = cids[3] as string;
    const raw = await globalThis.fetch(new URL(`ipfs/${cid}?format=raw`, url));
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toBe("application/vnd.ipld.raw");
    // Any web page may read blocks (the receipt page does, from another origin), answers to misses too.
    expect(raw.headers.get("access-control-allow-origin")).toBe("*");
    expect(
      Buffer.from(await raw.arrayBuffer()).equals(Buffer.from(logger.store.get("loans", 3)?.bytes ?? [])),
    ).toBe(true);
    const byAccept = await globalThis.fetch(new URL(`ipfs/${cid}`, url), {
      headers: { accept: "application/vnd.ipld.raw" },
    });
    expect(byAccept.status).toBe(200);
    const status = async (path: string, init?: RequestInit) =>
      (await globalThis.fetch(new URL(path, url), init)).status;
    expect(await status(`ipfs/${cid}`)).toBe(406);
    expect(await status("ipfs/QmNotAnAncoraCid?format=raw")).toBe(400);
    const missing = computeCid(new TextEncoder().encode("{}")).toString();
    expect(await status(`ipfs/${missing}?format=raw`)).toBe(404);
    const miss = await globalThis.fetch(new URL(`ipfs/${missing}?format=raw`, url));
    expect(miss.headers.get("access-control-allow-origin")).toBe("*");
    expect(await status(`ipfs/${cid}?format=raw`, { method: "POST" })).toBe(405);
    expect(await status("ancora/v1/blocks")).toBe(405);
    expect(await status("ancora/v1/blocks", { method: "POST", body: "" })).toBe(400);
    expect(await status("ancora/v1/blocks", { method: "POST", body: `${cid}\nnot-a-cid\n` })).toBe(400);
    const tooMany = `${Array.from({ length: MAX_GATEWAY_BATCH + 1 }, () => cid).join("\n")}\n`;
    expect(await status("ancora/v1/blocks", { method: "POST", body: tooMany })).toBe(413);
    expect(await status("elsewhere")).toBe(404);
    // Nothing stored changed.
    expect(logger.store.stream("loans").size).toBe(cids.length);
  });

  it("a gateway needs a store", async () => {
    await expect(startIpfsNode({ gateway: true })).rejects.toBeInstanceOf(ArgumentError);
  });
});
