/**
 * The service configured as `ancora serve` configures it (an RPC URL and a key): anchoring and pinning
 * run on the SDK's anchoring worker thread, against a real `hardhat node` over HTTP and the pinning
 * double. Decisions posted over HTTP end up anchored (each anchor equal to the local root) and every
 * record pinned, while the HTTP thread only logs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createRegistryReader,
  deployRegistry,
  encodeStreamId,
  grantAnchorer,
  registerStream,
} from "@ancora/contracts";
import { pinataService } from "@ancora/sdk";
import { toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PinningDouble } from "../../packages/sdk/src/testing/pinning-double.ts";
import {
  CONFIG,
  decision,
  type TestService,
  testService,
} from "../../packages/service/src/testing/test-service.ts";
import {
  HARDHAT_DEV_KEY,
  type LocalChain,
  localClients,
  startLocalChain,
} from "../../scripts/lib/local-chain.ts";

const JWT = "service-anchoring-test-jwt";
const STREAM = "loans";
let chain: LocalChain;
let double: PinningDouble;
let svc: TestService;
let registry: `0x${string}`;
const work = mkdtempSync(join(tmpdir(), "ancora-service-anchoring-"));

beforeAll(async () => {
  chain = await startLocalChain();
  const { account, publicClient, walletClient } = localClients(chain);
  ({ address: registry } = await deployRegistry(walletClient, publicClient, { admin: account.address }));
  await grantAnchorer(walletClient, publicClient, { registry, account: account.address });
  await registerStream(walletClient, publicClient, {
    registry,
    streamId: encodeStreamId(STREAM),
    metadata: STREAM,
  });
  double = new PinningDouble("pinata", JWT);
  const uploadUrl = await double.start();
  svc = await testService({
    anchoring: {
      rpcUrl: chain.url,
      privateKey: HARDHAT_DEV_KEY,
      registry,
      everyRecords: 100,
      everyMs: 500,
      confirmations: 1,
      pollIntervalMs: 20,
    },
    pinning: { service: pinataService({ jwt: JWT, uploadUrl }), intervalMs: 50 },
  });
}, 120_000);

afterAll(async () => {
  await svc?.cleanup();
  await double?.stop();
  await chain?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("service anchoring on the worker thread", () => {
  it("anchors and pins what is posted over HTTP; each anchor equals the local root", async () => {
    // The stream does not exist when the service starts: its first config starts the worker.
    const config = await svc.call(`/v1/streams/${STREAM}/config`, { token: svc.tokens.admin, body: CONFIG });
    expect(config.status).toBeLessThan(300);
    for (let round = 0; round < 3; round++) {
      const decisions = Array.from({ length: 150 }, (_, i) => decision(round * 150 + i));
      const res = await svc.call(`/v1/streams/${STREAM}/decisions`, {
        token: svc.tokens.write,
        body: { decisions },
      });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      // Each batch is checkpointed on its own (policy: 100 records) before the next is posted.
      const posted = svc.service.store.stream(STREAM).size;
      await expect
        .poll(() => svc.service.store.checkpoints(STREAM).at(-1)?.size, { timeout: 30_000 })
        .toBe(posted);
    }
    const store = svc.service.store;
    const size = store.stream(STREAM).size;
    // The time bound (500 ms) takes the tail: everything ends up anchored without a manual checkpoint.
    await expect
      .poll(
        () =>
          store
            .anchors(STREAM)
            .filter((a) => a.status === "confirmed")
            .at(-1)?.size,
        {
          timeout: 60_000,
          interval: 100,
        },
      )
      .toBe(size);
    const { publicClient } = localClients(chain);
    const history = await createRegistryReader(publicClient, registry).verifyHistory(encodeStreamId(STREAM));
    expect(history.anchors.length).toBeGreaterThanOrEqual(3);
    for (const event of history.anchors) {
      const at = Number(event.treeSize);
      expect(toHex(store.consistencyProof(STREAM, at, at).root2)).toBe(event.root);
    }
    const cids = Array.from({ length: size }, (_, seq) => store.get(STREAM, seq)?.cid as string);
    await expect
      .poll(() => cids.filter((cid) => !double.stored.has(cid)).length, { timeout: 30_000 })
      .toBe(0);
    // The lag the metrics report is read from the log, where the worker records its anchors.
    const metrics = await (await svc.call("/metrics", { token: svc.tokens.admin })).text();
    expect(metrics).toMatch(new RegExp(`ancora_anchor_lag_records\\{stream="${STREAM}"\\} 0\\b`));
  });
});
