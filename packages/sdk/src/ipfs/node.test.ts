/**
 * Two Helia nodes on loopback, no bootstrap or discovery: one serves a store's records and manifests
 * straight from SQLite, the other fetches them by CID over bitswap and checks their hashes.
 */

import { type BlockCid, computeCid, decodeManifest, manifestBlock, parseBlockCid } from "@ancora/core";
import { afterEach, describe, expect, it } from "vitest";
import { putManifest } from "../anchoring/anchor-store.js";
import { connectionOf } from "../internal/store-handle.js";
import type { ProvenanceLogger } from "../logger.js";
import { configuredLogger } from "../testing/configured-logger.js";
import { type IpfsNode, startIpfsNode } from "./node.js";
import { SqliteBlockstore } from "./sqlite-blockstore.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ logger: ProvenanceLogger; server: IpfsNode; client: IpfsNode }> {
  const logger = await configuredLogger(cleanups, { decisions: 40 });
  const server = await startIpfsNode({ store: logger.store });
  cleanups.push(() => server.stop());
  expect(server.addresses.every((a) => a.startsWith("/ip4/127.0.0.1/tcp/"))).toBe(true);
  const client = await startIpfsNode({ peers: [server.addresses[0] as string] });
  cleanups.push(() => client.stop());
  return { logger, server, client };
}

describe("embedded IPFS node", () => {
  it("serves every record by CID over bitswap; the bytes hash to the CID", async () => {
    const { logger, client } = await setup();
    const size = logger.store.stream("loans").size;
    const cids = Array.from({ length: size }, (_, seq) =>
      parseBlockCid(logger.store.get("loans", seq)?.cid ?? ""),
    );
    const blocks = await Promise.all(
      cids.map((cid) => client.fetch(cid as NonNullable<typeof cid>, { timeoutMs: 10_000 })),
    );
    for (const [seq, bytes] of blocks.entries()) {
      expect(computeCid(bytes).toString()).toBe(cids[seq]?.toString());
      expect(Buffer.from(bytes).equals(Buffer.from(logger.store.get("loans", seq)?.bytes ?? []))).toBe(true);
    }
    // A manifest stored by the anchorer is served the same way.
    const manifest = manifestBlock({
      v: 1,
      stream: "loans",
      from: 0,
      size,
      root: logger.store.consistencyProof("loans", size, size).root2,
      head: cids[size - 1] as BlockCid,
      records: cids as BlockCid[],
    });
    putManifest(connectionOf(logger.store), 1, {
      cid: manifest.cid.toString(),
      from: 0,
      size,
      bytes: manifest.bytes,
    });
    const fetched = await client.fetch(manifest.cid, { timeoutMs: 10_000 });
    expect(decodeManifest(fetched).records.map(String)).toStrictEqual(cids.map(String));
    // Records logged after the node started are served too (the CID index catches up on a miss).
    const late = await logger.record({ features: { late: true }, output: {}, score: 0.9 });
    const bytes = await client.fetch(
      parseBlockCid(late.cid) as NonNullable<ReturnType<typeof parseBlockCid>>,
    );
    expect(computeCid(bytes).toString()).toBe(late.cid);
  });

  it("a missing block fails at the caller's timeout, no hang", async () => {
    const { client } = await setup();
    const missing = computeCid(new TextEncoder().encode("not in any store"));
    const started = Date.now();
    await expect(client.fetch(missing, { timeoutMs: 500 })).rejects.toThrow();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(3_000);
  });

  it("the blockstore answers has/get from SQLite and refuses nothing it does not hold", async () => {
    const { logger } = await setup();
    const blockstore = new SqliteBlockstore(logger.store);
    const record = logger.store.get("loans", 3);
    const cid = parseBlockCid(record?.cid ?? "");
    if (cid === undefined) throw new Error("no cid");
    expect(blockstore.has(cid)).toBe(true);
    expect([...blockstore.get(cid)][0]).toStrictEqual(new Uint8Array(record?.bytes ?? []));
    const other = computeCid(new TextEncoder().encode("x"));
    expect(blockstore.has(other)).toBe(false);
    expect(() => [...blockstore.get(other)]).toThrow(expect.objectContaining({ name: "NotFoundError" }));
  });
});
