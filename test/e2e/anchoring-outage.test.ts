/**
 * Outages, end to end: `ancora serve`'s service (anchoring and pinning on the worker thread) in front
 * of a real `hardhat node` and the pinning double, each behind a TCP proxy on 127.0.0.1 that the test
 * stops (connections refused, open ones cut) and starts again on the same port, while three clients
 * keep posting decisions. Every outage lasts until several checkpoints are queued, not a number of
 * seconds, and every assertion is about outcomes and their order, never about durations:
 * - every acknowledged decision is in the log, byte for byte (0 lost);
 * - the first anchor after the chain returns covers every checkpoint queued by then (one transaction
 *   for the backlog, not one per checkpoint);
 * - the backlog is anchored and pinned in the end, the metrics read 0 (present, not absent);
 * - `ancora-verify` exits 0 in chain mode and in public mode (over the service's IPFS gateway).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pinataService } from "@ancora/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PinningDouble } from "../../packages/sdk/src/testing/pinning-double.ts";
import { TcpProxy } from "../../packages/sdk/src/testing/tcp-proxy.ts";
import {
  CONFIG,
  decision,
  type TestService,
  testService,
} from "../../packages/service/src/testing/test-service.ts";
import {
  deployLocalRegistry,
  HARDHAT_DEV_KEY,
  type LocalChain,
  startLocalChain,
} from "../../scripts/lib/local-chain.ts";
import { runVerifyBin as verify } from "./support/verify-bin.ts";

const JWT = "anchoring-outage-test-jwt";
const STREAM = "loans";

let chain: LocalChain;
let double: PinningDouble;
let chainProxy: TcpProxy;
let pinProxy: TcpProxy;
let svc: TestService;
let registry: `0x${string}`;
const work = mkdtempSync(join(tmpdir(), "ancora-outage-"));

beforeAll(async () => {
  chain = await startLocalChain();
  registry = await deployLocalRegistry(chain, [STREAM]);
  double = new PinningDouble("pinata", JWT);
  const uploadUrl = await double.start();
  chainProxy = new TcpProxy(chain.url);
  pinProxy = new TcpProxy(new URL(uploadUrl).origin);
  await chainProxy.start();
  await pinProxy.start();
  svc = await testService({
    anchoring: {
      rpcUrl: chainProxy.url,
      privateKey: HARDHAT_DEV_KEY,
      registry,
      everyRecords: 200,
      everyMs: 300,
      confirmations: 1,
      pollIntervalMs: 50,
    },
    pinning: {
      service: pinataService({
        jwt: JWT,
        uploadUrl: uploadUrl.replace(new URL(uploadUrl).origin, pinProxy.url),
      }),
      intervalMs: 50,
    },
    ipfs: { gateway: true },
  });
}, 120_000);

afterAll(async () => {
  await svc?.cleanup();
  await chainProxy?.stop();
  await pinProxy?.stop();
  await double?.stop();
  await chain?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Unfinished anchor jobs (checkpoints waiting for the chain). */
function queuedAnchors(): number {
  return svc.service.store.dueJobs({ kind: "anchor", limit: 10_000, now: new Date(8.64e15) }).length;
}

/** Unfinished pin jobs (manifests waiting for the pinning service), and those that failed at least once. */
function pinJobs() {
  return svc.service.store.dueJobs({ kind: "pin:pinata", limit: 10_000, now: new Date(8.64e15) });
}
const queuedPins = () => pinJobs().length;
const failedPins = () => pinJobs().filter((j) => j.attempts > 0).length;

function confirmedSizes(): number[] {
  return svc.service.store
    .anchors(STREAM)
    .filter((a) => a.status === "confirmed")
    .map((a) => a.size);
}

describe("anchoring through outages of the chain and the pinning service", () => {
  it("loses nothing, anchors each backlog in one transaction on return, and verifies in chain and public mode", async () => {
    const config = await svc.call(`/v1/streams/${STREAM}/config`, { token: svc.tokens.admin, body: CONFIG });
    expect(config.status).toBeLessThan(300);

    // Three clients post batches of 20 until told to stop; every acknowledged decision is kept.
    const acknowledged = new Map<number, string>();
    let posting = true;
    let next = 0;
    const client = async () => {
      while (posting) {
        const decisions = Array.from({ length: 20 }, () => decision(next++));
        const res = await svc.call(`/v1/streams/${STREAM}/decisions`, {
          token: svc.tokens.write,
          body: { decisions },
        });
        expect(res.status).toBe(201);
        const body = (await res.json()) as { results: Array<{ seq: number; cid: string }> };
        for (const r of body.results) acknowledged.set(r.seq, r.cid);
        // A steady load rather than all the machine can take: the test is about outages, not throughput.
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const clients = [client(), client(), client()];

    await expect.poll(() => confirmedSizes().length, { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    const outages: Array<{ checkpointAtStop: number; checkpointAtRestore: number }> = [];
    // The chain alone, the pinning service alone (anchors go on, their uploads wait), then both.
    for (const proxies of [[chainProxy], [pinProxy], [chainProxy, pinProxy]]) {
      const checkpointAtStop = svc.service.store.checkpoints(STREAM).at(-1)?.size ?? 0;
      const anchorsBefore = queuedAnchors();
      for (const p of proxies) await p.stop();
      if (proxies.includes(chainProxy)) {
        // The outage lasts until three more checkpoints wait for the chain.
        await expect
          .poll(queuedAnchors, { timeout: 60_000, interval: 50 })
          .toBeGreaterThanOrEqual(anchorsBefore + 3);
      } else {
        // …or until three manifests wait for the pinning service, one of them having failed already.
        await expect.poll(failedPins, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(1);
        await expect.poll(queuedPins, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(3);
      }
      const checkpointAtRestore = svc.service.store.checkpoints(STREAM).at(-1)?.size ?? 0;
      if (proxies.includes(chainProxy)) outages.push({ checkpointAtStop, checkpointAtRestore });
      for (const p of proxies) await p.start();
      await expect
        .poll(() => confirmedSizes().at(-1) ?? 0, { timeout: 60_000, interval: 50 })
        .toBeGreaterThanOrEqual(checkpointAtRestore);
    }
    posting = false;
    await Promise.all(clients);

    const store = svc.service.store;
    const size = store.stream(STREAM).size;
    // The time policy takes the tail: everything ends up anchored and pinned.
    await expect.poll(() => confirmedSizes().at(-1), { timeout: 60_000, interval: 50 }).toBe(size);
    const cids = Array.from({ length: size }, (_, seq) => store.get(STREAM, seq)?.cid as string);
    await expect
      .poll(() => cids.filter((cid) => !double.stored.has(cid)).length, { timeout: 60_000, interval: 50 })
      .toBe(0);

    // 0 acknowledged decisions lost: each is in the log at its seq with its CID.
    expect(acknowledged.size).toBeGreaterThan(0);
    for (const [seq, cid] of acknowledged) expect(cids[seq], `seq ${seq}`).toBe(cid);

    // Coalesced: the first anchor past the checkpoints anchored before the outage covers every
    // checkpoint queued by the time the chain came back.
    const sizes = confirmedSizes();
    for (const { checkpointAtStop, checkpointAtRestore } of outages) {
      const first = sizes.find((s) => s > checkpointAtStop);
      expect(first).toBeGreaterThanOrEqual(checkpointAtRestore);
    }
    expect(sizes.length).toBeLessThan(store.checkpoints(STREAM).length);

    // The gauges read 0, present rather than absent.
    await expect
      .poll(async () => await (await svc.call("/metrics", { token: svc.tokens.admin })).text(), {
        timeout: 30_000,
        interval: 100,
      })
      .toMatch(/ancora_outbox_backlog\{kind="pin:pinata"\} 0\n/);
    const metrics = await (await svc.call("/metrics", { token: svc.tokens.admin })).text();
    expect(metrics).toContain('ancora_outbox_backlog{kind="anchor"} 0\n');
    expect(metrics).toContain(`ancora_anchor_lag_records{stream="${STREAM}"} 0\n`);
    expect(metrics).toContain(`ancora_anchor_lag_seconds{stream="${STREAM}"} 0\n`);

    const chainMode = await verify([
      "--db",
      store.path,
      "--rpc",
      chain.url,
      "--registry",
      registry,
      "--json",
    ]);
    expect(chainMode.code, chainMode.stdout + chainMode.stderr).toBe(0);
    expect(JSON.parse(chainMode.stdout)).toMatchObject({ ok: true, mode: "chain", anchors: sizes.length });
    const gateway = svc.service.ipfsGateway as string;
    const publicMode = await verify([
      "--rpc",
      chain.url,
      "--registry",
      registry,
      "--ipfs",
      gateway,
      "--json",
    ]);
    expect(publicMode.code, publicMode.stdout + publicMode.stderr).toBe(0);
    expect(JSON.parse(publicMode.stdout)).toMatchObject({ ok: true, anchors: sizes.length });
  }, 300_000);
});
