import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type AncoraRecord, type BlockCid, decodeRecord, encodeRecordBlock } from "@ancora/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVerifyPool, type VerifyPool } from "../parallel/worker-pool.js";
import { gatewayFetcher } from "../sources/blocks.js";
import type { BlockFetcher } from "../sources/types.js";
import { sha256, World } from "../testing/public-world.js";
import { verifyPublic } from "./verify-public.js";

/** A record of `records` replaced by `change` of it, re-encoded (its CID changes; manifests list the new one). */
function replaced(
  records: { bytes: Uint8Array; cid: BlockCid }[],
  seq: number,
  change: (r: AncoraRecord) => AncoraRecord,
): { bytes: Uint8Array; cid: BlockCid }[] {
  const out = [...records];
  out[seq] = encodeRecordBlock(change(decodeRecord((records[seq] as { bytes: Uint8Array }).bytes)), sha256);
  return out;
}

/** Ways an organisation can anchor and publish a bad stream, each at a seq. */
const BAD_STREAMS: Record<string, (world: World, count: number, seq: number) => void> = {
  "a record swapped with the next one (anchored so)": (world, count, at) =>
    world.publish("loans", count, [count], 9, undefined, (records) => {
      const out = [...records];
      const seq = Math.min(at, count - 2); // the last record has no next one
      [out[seq], out[seq + 1]] = [
        records[seq + 1] as (typeof records)[number],
        records[seq] as (typeof records)[number],
      ];
      return out;
    }),
  "an edited record (its successor's prev breaks)": (world, count, seq) =>
    world.publish("loans", count, [count], 9, undefined, (records) =>
      replaced(records, Math.max(1, seq), (r) => ({ ...r, ts: "2031-01-01T00:00:00.000Z" }) as AncoraRecord),
    ),
  "a decision with a label its config does not give": (world, count, seq) =>
    world.publish("loans", count, [Math.ceil(count / 2), count], 7, undefined, (records) =>
      replaced(records, Math.max(4, seq), (r) =>
        r.kind === "decision" ? ({ ...r, body: { ...r.body, label: "L009" } } as AncoraRecord) : r,
      ),
    ),
  "a record block not published": (world, count, seq) => {
    const loans = world.publish("loans", count, [count], 9);
    world.blocks.delete((loans.records[seq] as { cid: BlockCid }).cid.toString());
  },
  "an intact stream": (world, count) => world.publish("loans", count, [Math.floor(count / 3), count], 11),
};

describe("verifyPublic with a worker pool", { timeout: 60_000 }, () => {
  let pool: VerifyPool;
  let server: Server;
  const world = { current: new World() };
  beforeAll(async () => {
    pool = startVerifyPool({ threads: 2 });
    // A real block source: a trustless gateway on loopback serving the current world's blocks.
    server = createServer((request, response) => {
      const cid = /^\/ipfs\/([a-z0-9]+)/.exec(request.url ?? "")?.[1] ?? "";
      const bytes = world.current.blocks.get(cid);
      if (bytes === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/vnd.ipld.raw" }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await pool.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function both(w: World, extra: Partial<Parameters<typeof verifyPublic>[0]> = {}) {
    world.current = w;
    const { port } = server.address() as AddressInfo;
    const fetchBlock = gatewayFetcher(`http://127.0.0.1:${port}`, { retries: 0 });
    const serial = await verifyPublic({ registry: w.view(), fetchBlock, sha256, ...extra });
    const seen: number[] = [];
    const parallel = await verifyPublic({
      registry: w.view(),
      fetchBlock,
      sha256,
      pool,
      rangeRecords: 16,
      onProgress: (p) => seen.push(p.records),
      ...extra,
    });
    const { streams, ...rest } = parallel;
    expect({ ...rest, streams: streams.map(({ serialFallback: _, ...s }) => s) }).toEqual(serial);
    return { serial, parallel, seen };
  }

  it("gives the serial result on intact streams, checked in ranges", async () => {
    const w = new World();
    w.publish("loans", 100, [10, 57, 100], 9);
    w.publish("fraud", 40, [40]);
    w.publish("tiny", 12, [12]); // one range: this thread
    const { parallel, seen } = await both(w);
    expect(parallel.ok).toBe(true);
    expect(parallel.checked).toBe(152);
    expect(parallel.streams.every((s) => s.serialFallback === undefined)).toBe(true);
    expect(seen.at(-1)).toBe(152);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("reports every bad stream exactly as the serial path, at random places (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(BAD_STREAMS)),
        fc.integer({ min: 40, max: 90 }),
        fc.oneof(fc.constantFrom(15, 16, 17, 31, 32, 33), fc.integer({ min: 1, max: 39 })),
        async (name, count, seq) => {
          const w = new World();
          (BAD_STREAMS[name] as (world: World, count: number, seq: number) => void)(w, count, seq);
          w.publish("fraud", 33, [33]);
          const { serial, parallel } = await both(w);
          const loans = parallel.streams[0];
          if (serial.streams[0]?.ok === false) expect(loans?.serialFallback).toBeDefined();
          else expect(loans?.serialFallback).toBeUndefined();
          if (name !== "an intact stream") expect(serial.ok).toBe(false);
        },
      ),
      { numRuns: process.env.CI ? 60 : 20 },
    );
  });

  it("asks for a missing block once, though the stream is verified twice", async () => {
    const w = new World();
    const loans = w.publish("loans", 80, [80], 9);
    const missing = (loans.records[50] as { cid: BlockCid }).cid.toString();
    w.blocks.delete(missing);
    let asked = 0;
    const inner = w.fetcher();
    const counting: BlockFetcher = (cid, o) => {
      if (cid === missing) asked++;
      return inner(cid, o);
    };
    const { parallel } = await both(w, { fetchBlock: counting });
    expect(asked).toBe(2); // once by the serial run, once by the pooled one
    expect(parallel.streams[0]?.serialFallback).toBe("BLOCK_MISSING at seq 50");
    expect(parallel.failures).toEqual([expect.objectContaining({ code: "BLOCK_MISSING", seq: 50 })]);
  });

  it("a pool whose workers cannot start: the serial result, and why", async () => {
    const broken = startVerifyPool(
      { threads: 2 },
      { workerUrl: new URL("./no-such-worker.js", import.meta.url) },
    );
    try {
      const w = new World();
      w.publish("loans", 64, [30, 64], 9);
      const { parallel } = await both(w, { pool: broken });
      expect(parallel.ok).toBe(true);
      expect(parallel.streams[0]?.serialFallback).toMatch(/could not start/);
    } finally {
      await broken.close();
    }
  });

  it("refuses a range size that is not a multiple of 16", async () => {
    await expect(
      verifyPublic({ registry: new World().view(), fetchBlock: new World().fetcher(), rangeRecords: 20 }),
    ).rejects.toMatchObject({ code: "PUBLIC_BAD_OPTION" });
  });
});
