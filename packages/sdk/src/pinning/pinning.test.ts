/**
 * The Pinata and Kubo adapters against local HTTP servers on 127.0.0.1 that behave like the real APIs
 * (multipart upload, bearer auth with 401, 429 with Retry-After, 5xx, a CID computed from the uploaded
 * bytes or a wrong one), and the pinning worker's per-record retries through the outbox. Per-batch
 * pinning (one CAR per manifest) is tested in manifest-pinning.test.ts.
 */
import { computeCid } from "@ancora/core";
import { afterEach, describe, expect, it } from "vitest";
import type { Recovery } from "../anchoring/anchorer-options.js";
import { PinError } from "../errors.js";
import { connectionOf } from "../internal/store-handle.js";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import { PinningDouble } from "../testing/pinning-double.js";
import { type PinningService, pinBlock } from "./adapter.js";
import { parseRetryAfter } from "./http-status.js";
import { kuboService } from "./kubo.js";
import { pinataService } from "./pinata.js";
import { createPinner, PIN_PROBE_MAX_MS } from "./pinner.js";

const JWT = "test-jwt-0123456789-very-secret";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function double(flavour: "pinata" | "kubo"): Promise<{ d: PinningDouble; url: string }> {
  const d = new PinningDouble(flavour, JWT);
  const url = await d.start();
  cleanups.push(() => d.stop());
  return { d, url };
}

async function logger(n = 5): Promise<ProvenanceLogger> {
  const temp = tempStore();
  cleanups.push(temp.cleanup);
  const l = createLogger({ path: temp.path, stream: "loans", model: MODEL, commitment: "plain" });
  cleanups.push(() => l.close());
  l.setConfig(CONFIG);
  await Promise.all(
    Array.from({ length: n }, (_, i) => l.record({ features: { i }, output: {}, score: 0.5 })),
  );
  return l;
}

const block = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return { cid: computeCid(bytes).toString(), bytes };
};

function expectNoSecret(error: unknown): void {
  const text = `${String(error)} ${JSON.stringify(error instanceof PinError ? error.toJSON() : {})}`;
  expect(text).not.toContain(JWT);
  expect(text).not.toMatch(/127\.0\.0\.1/);
}

describe("Pinata adapter", () => {
  it("uploads the exact bytes as a file; the reported CID equals the local one", async () => {
    const { d, url } = await double("pinata");
    const service = pinataService({ jwt: JWT, uploadUrl: url });
    const b = block('{"v":1}');
    await pinBlock(service, b);
    expect(d.bodies[0]).toStrictEqual(b.bytes);
    expect(d.stored.get(b.cid)).toBe(1);
  });

  it("maps 401, 429, 5xx and a different CID to typed errors without the JWT or URL", async () => {
    const { d, url } = await double("pinata");
    const bad = pinataService({ jwt: "wrong-jwt", uploadUrl: url });
    const e401 = await pinBlock(bad, block("a")).catch((e: unknown) => e);
    expect(e401).toMatchObject({ code: "PIN_UNAUTHORIZED", status: 401 });
    const service = pinataService({ jwt: JWT, uploadUrl: url, rateLimitWaitMs: 1234 });
    d.script = [
      { status: 429, headers: { "retry-after": "7" } },
      { status: 503 },
      { status: 200, wrongCid: true },
    ];
    const e429 = await pinBlock(service, block("b")).catch((e: unknown) => e);
    expect(e429).toMatchObject({ code: "PIN_RATE_LIMITED", status: 429, retryAfterMs: 1234 });
    const e503 = await pinBlock(service, block("c")).catch((e: unknown) => e);
    expect(e503).toMatchObject({ code: "PIN_UNAVAILABLE", status: 503 });
    const b = block("d");
    const mismatch = await pinBlock(service, b).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(PinError);
    expect(mismatch).toMatchObject({
      code: "PIN_CID_MISMATCH",
      evidence: { expected: b.cid, found: computeCid(new TextEncoder().encode("other")).toString() },
    });
    for (const e of [e401, e429, e503, mismatch]) expectNoSecret(e);
  });

  it("needs a JWT", () => {
    const saved = process.env.PINATA_JWT;
    delete process.env.PINATA_JWT;
    try {
      expect(() => pinataService()).toThrow(expect.objectContaining({ code: "PIN_INVALID_OPTION" }));
    } finally {
      if (saved !== undefined) process.env.PINATA_JWT = saved;
    }
  });
});

describe("Kubo adapter", () => {
  it("adds with CIDv1 raw leaves; maps 401, 429 + Retry-After, 5xx and a different CID", async () => {
    const { d, url } = await double("kubo");
    const service = kuboService({ url: `${url}/api/v0`, headers: { authorization: `Bearer ${JWT}` } });
    const b = block('{"v":2}');
    await pinBlock(service, b);
    expect(d.bodies[0]).toStrictEqual(b.bytes);
    const unauthorized = kuboService({ url: `${url}/api/v0` });
    const e401 = await pinBlock(unauthorized, block("a")).catch((e: unknown) => e);
    expect(e401).toMatchObject({ code: "PIN_UNAUTHORIZED" });
    d.script = [
      { status: 429, headers: { "retry-after": "2" } },
      { status: 500 },
      { status: 200, wrongCid: true },
    ];
    const e429 = await pinBlock(service, block("b")).catch((e: unknown) => e);
    expect(e429).toMatchObject({ code: "PIN_RATE_LIMITED", retryAfterMs: 2000 });
    const e500 = await pinBlock(service, block("c")).catch((e: unknown) => e);
    expect(e500).toMatchObject({ code: "PIN_UNAVAILABLE", status: 500 });
    const mismatch = await pinBlock(service, block("d")).catch((e: unknown) => e);
    expect(mismatch).toMatchObject({ code: "PIN_CID_MISMATCH" });
    for (const e of [e401, e429, e500, mismatch]) expectNoSecret(e);
  });

  it("parses Retry-After in seconds and as a date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("pinning worker", () => {
  it("per record: 429 then 500 then success is retried with backoff and stored once", async () => {
    const { d, url } = await double("pinata");
    const l = await logger(3);
    let now = Date.now();
    const pinner = createPinner({
      store: l.store,
      service: pinataService({ jwt: JWT, uploadUrl: url, rateLimitWaitMs: 5_000 }),
      mode: "record",
      streams: "loans",
      backoff: { baseMs: 100, maxMs: 1_000 },
      now: () => now,
    });
    d.script = [{ status: 429 }, { status: 500 }];
    expect(await pinner.tick()).toMatchObject({ pinned: 0, failed: 1 });
    expect(await pinner.tick()).toMatchObject({ pinned: 0, failed: 0 }); // waiting out the 429
    now += 5_001;
    expect(await pinner.tick()).toMatchObject({ pinned: 0, failed: 1 }); // the 500
    now += 1_001;
    const size = l.store.stream("loans").size;
    expect(await pinner.tick()).toMatchObject({ pinned: size, failed: 0 });
    expect(pinner.backlog().jobs).toBe(0);
    for (let seq = 0; seq < size; seq++) expect(d.stored.get(l.store.get("loans", seq)?.cid ?? "")).toBe(1);
    // New records are picked up by the next pass, and only those.
    await l.record({ features: { late: 1 }, output: {}, score: 0.1 });
    expect(await pinner.tick()).toMatchObject({ pinned: 1 });
    expect([...d.stored.values()].every((n) => n === 1)).toBe(true);
  });

  it("during an outage probes with one waiting job every few seconds; its success makes every backed-off job due", async () => {
    const l = await logger(520); // 523 records: 3 jobs of at most 256
    let now = Date.now();
    let down = true;
    const attempts: string[] = [];
    const service: PinningService = {
      name: "flaky",
      upload: async ({ cid }) => {
        attempts.push(cid);
        if (down) throw new PinError("PIN_UNAVAILABLE", "The pinning service is unreachable");
        return { cid };
      },
    };
    const recoveries: Recovery[] = [];
    const errors: Array<string | undefined> = [];
    const pinner = createPinner({
      store: l.store,
      service,
      mode: "record",
      streams: "loans",
      backoff: { baseMs: 1_000, maxMs: 300_000 },
      random: () => 0,
      now: () => now,
      onError: (_, context) => errors.push(context.nextAttemptAt),
      onRecovered: (r) => recoveries.push(r),
    });
    // Three minutes of outage, a pass a second: each job's backoff grows to a minute and more.
    for (let i = 0; i < 180; i++) {
      await pinner.tick();
      now += 1_000;
    }
    // Each failure is reported with its next attempt; the jobs' own schedules alone would allow only
    // ~8 attempts each in three minutes, the probe adds one every PIN_PROBE_MAX_MS at most.
    expect(errors.every((t) => t !== undefined && Date.parse(t) > 0)).toBe(true);
    expect(attempts.length).toBeLessThanOrEqual(3 * 8 + 180_000 / PIN_PROBE_MAX_MS);
    const waiting = connectionOf(l.store)
      .prepare("SELECT min(next_attempt_at) FROM outbox WHERE done_at IS NULL AND kind = 'pin:flaky'")
      .pluck()
      .get() as number;
    expect(waiting - now).toBeGreaterThan(PIN_PROBE_MAX_MS); // every job waits longer than a probe step
    down = false;
    // Within one probe step a pass tries a waiting job; its success makes the others due at once.
    let passes = 0;
    while (recoveries.length === 0 && passes < PIN_PROBE_MAX_MS / 1_000) {
      await pinner.tick();
      now += 1_000;
      passes++;
    }
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]).toMatchObject({ service: "pinning", jobs: 2 });
    expect(recoveries[0]?.unreachableMs).toBeGreaterThanOrEqual(180_000);
    expect(await pinner.tick()).toMatchObject({ failed: 0 });
    expect(pinner.backlog().jobs).toBe(0);
  }, 60_000);

  it("works on up to `concurrency` jobs at once, and on every job once", async () => {
    const l = await logger(1_000); // 1,003 records: 4 jobs of at most 256
    let inFlight = 0;
    let most = 0;
    const uploaded: string[] = [];
    const service: PinningService = {
      name: "slow",
      upload: async ({ cid }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        uploaded.push(cid);
        return { cid };
      },
    };
    const pinner = createPinner({
      store: l.store,
      service,
      mode: "record",
      streams: "loans",
      concurrency: 3,
    });
    const size = l.store.stream("loans").size;
    expect(await pinner.tick()).toMatchObject({ pinned: size, failed: 0 });
    expect(most).toBe(3);
    expect(new Set(uploaded).size).toBe(size);
    expect(uploaded).toHaveLength(size);
    expect(pinner.backlog().jobs).toBe(0);
    for (const concurrency of [0, 65, 1.5]) {
      expect(() => createPinner({ store: l.store, service, mode: "record", concurrency })).toThrow(
        expect.objectContaining({ code: "PIN_INVALID_OPTION" }),
      );
    }
  });
});
