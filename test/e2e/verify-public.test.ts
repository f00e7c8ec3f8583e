/**
 * Public verification end to end: a real SDK log anchored on a real `hardhat node` and served by the
 * SDK's embedded IPFS node is rebuilt by `verifyPublic` from nothing but the registry (read through
 * viem) and bitswap; a block the organisation stops serving is a BLOCK_MISSING failure, and a node that
 * cannot be dialled is an error, not a finding.
 */
import { registryView, verifyPublic } from "@ancora/verifier";
import { type BlockFetcher, nodeSha256, SourceError, startBitswapFetcher } from "@ancora/verifier/node";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnchoredLog, STREAM, startAnchoredLog } from "./support/anchored-log.ts";

let org: AnchoredLog;

beforeAll(async () => {
  org = await startAnchoredLog({ batches: 3, perBatch: 40 });
}, 120_000);

afterAll(async () => {
  await org?.stop();
});

describe("verifyPublic over a real chain and a real IPFS node", () => {
  it("rebuilds the anchored log from the registry and bitswap alone", async () => {
    const registry = await registryView(org.publicClient, org.registry);
    const bitswap = await startBitswapFetcher({ peers: org.ipfs.addresses });
    try {
      const progress: number[] = [];
      const result = await verifyPublic({
        registry,
        fetchBlock: bitswap.fetch,
        sha256: nodeSha256,
        onProgress: (p) => progress.push(p.records),
      });
      expect(result.failures).toEqual([]);
      expect(result).toMatchObject({ ok: true, checked: org.records, anchors: org.anchors });
      expect(result.streams[0]).toMatchObject({ stream: STREAM, anchoredSize: org.records, complete: true });
      expect(progress.at(-1)).toBe(org.records);
    } finally {
      await bitswap.close();
    }
  });

  it("reports a record the organisation no longer serves as BLOCK_MISSING at its seq", async () => {
    const db = new Database(org.db, { readonly: true });
    const { cid: missing } = db.prepare("SELECT cid FROM records WHERE seq = 57").get() as { cid: string };
    db.close();
    const bitswap = await startBitswapFetcher({ peers: org.ipfs.addresses, timeoutMs: 1_500 });
    try {
      // The organisation's node withholding one block: the fetcher answers "not found" for it.
      const withholding: BlockFetcher = (c, o) =>
        c === missing ? Promise.reject(new SourceError("BLOCK_NOT_FOUND", "withheld")) : bitswap.fetch(c, o);
      const result = await verifyPublic({
        registry: await registryView(org.publicClient, org.registry),
        fetchBlock: withholding,
        sha256: nodeSha256,
      });
      expect(result.ok).toBe(false);
      expect(result.failures[0]).toMatchObject({
        code: "BLOCK_MISSING",
        stream: STREAM,
        seq: 57,
        expected: missing,
      });
    } finally {
      await bitswap.close();
    }
  });

  it("is an error, not a finding, when the IPFS node cannot be dialled", async () => {
    const dead = org.ipfs.addresses[0]?.replace(/\/tcp\/\d+/, "/tcp/1") ?? "";
    await expect(startBitswapFetcher({ peers: [dead], dialTimeoutMs: 2_000 })).rejects.toMatchObject({
      code: "SOURCE_UNREACHABLE",
    });
  });
});
