/**
 * Per-batch pinning as one CAR per manifest: the Pinata and Kubo adapters' CAR uploads against the
 * local doubles (success, 401, 429, 5xx, a wrong root, an incomplete or corrupted CAR), and the pinner's
 * batch mode with real SQLite stores: one upload per manifest holding exactly the directory, the
 * manifest and its records; retries; a restart with a pending job; the per-block fallback for a service
 * without CAR uploads; and the anchorer's manifests on Hardhat's in-process chain.
 */
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import {
  type BlockCid,
  computeCid,
  decodeManifest,
  MAX_MANIFEST_RECORDS,
  manifestBlock,
  parseBlockCid,
} from "@ancora/core";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { network } from "hardhat";
import { createWalletClient, custom, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterEach, describe, expect, it } from "vitest";
import { getManifestBytes, putManifest } from "../anchoring/anchor-store.js";
import { createAnchorer } from "../anchoring/anchorer.js";
import { PinError } from "../errors.js";
import { connectionOf } from "../internal/store-handle.js";
import { encodeCar, readCar } from "../ipfs/car.js";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { openStore } from "../store.js";
import { CONFIG, DEV_KEY_1, MODEL, tempStore } from "../testing/fixtures.js";
import { PinningDouble } from "../testing/pinning-double.js";
import { type PinningService, pinCar } from "./adapter.js";
import { kuboService } from "./kubo.js";
import { manifestCar } from "./manifest-directory.js";
import { pinataService } from "./pinata.js";
import { createPinner } from "./pinner.js";

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

const services = {
  pinata: (url: string, jwt = JWT) => pinataService({ jwt, uploadUrl: url, rateLimitWaitMs: 1234 }),
  kubo: (url: string, jwt = JWT) =>
    kuboService({ url: `${url}/api/v0`, headers: { authorization: `Bearer ${jwt}` } }),
};

function newLogger(path?: string): { logger: ProvenanceLogger; path: string } {
  let p = path;
  if (p === undefined) {
    const temp = tempStore();
    cleanups.push(temp.cleanup);
    p = temp.path;
  }
  const logger = createLogger({ path: p, stream: "loans", model: MODEL, commitment: "plain" });
  cleanups.push(() => logger.close().catch(() => undefined));
  if (logger.config() === undefined) logger.setConfig(CONFIG);
  return { logger, path: p };
}

async function log(l: ProvenanceLogger, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) => l.record({ features: { i }, output: {}, score: 0.5 })),
  );
}

/** Stores (as the anchorer does) the manifest of records from … size − 1 and returns its CID and records. */
function storeManifest(l: ProvenanceLogger, from: number): { cid: string; records: string[] } {
  const size = l.store.stream("loans").size;
  const records = Array.from(
    { length: size - from },
    (_, i) => parseBlockCid(l.store.get("loans", from + i)?.cid ?? "") as BlockCid,
  );
  const m = manifestBlock({
    v: 1,
    stream: "loans",
    from,
    size,
    root: l.store.consistencyProof("loans", size, size).root2,
    head: records[records.length - 1] as BlockCid,
    records,
  });
  putManifest(connectionOf(l.store), 1, { cid: m.cid.toString(), from, size, bytes: m.bytes });
  return { cid: m.cid.toString(), records: records.map(String) };
}

/** The blocks of a CAR, in order (the tests' own CARs: raw records and manifests). */
function readCarBlocks(bytes: Uint8Array): Array<{ cid: BlockCid; bytes: Uint8Array }> {
  return readCar(bytes).blocks as Array<{ cid: BlockCid; bytes: Uint8Array }>;
}

/** A small CAR as the pinner builds it: directory, manifest, two records. */
function smallCar() {
  const b = (s: string) => {
    const bytes = new TextEncoder().encode(s);
    return { cid: computeCid(bytes), bytes };
  };
  const car = manifestCar({ manifest: b("manifest"), from: 3, records: [b("r3"), b("r4")] });
  return { root: car.directory.cid.toString(), bytes: car.bytes, car };
}

function expectNoSecret(error: unknown): void {
  const text = `${String(error)} ${JSON.stringify(error instanceof PinError ? error.toJSON() : {})}`;
  expect(text).not.toContain(JWT);
  expect(text).not.toMatch(/127\.0\.0\.1/);
}

describe.each(["pinata", "kubo"] as const)("%s adapter: CAR uploads", (flavour) => {
  it("imports the CAR in one request; the reported root equals the local directory CID", async () => {
    const { d, url } = await double(flavour);
    const car = smallCar();
    await pinCar(services[flavour](url), car);
    expect(d.requests).toBe(1);
    expect(d.uploads).toStrictEqual([
      {
        kind: "car",
        cid: car.root,
        blocks: readCarBlocks(car.bytes).map((b) => b.cid.toString()),
      },
    ]);
    expect(Buffer.from(d.bodies[0] ?? [])).toStrictEqual(Buffer.from(car.bytes));
  });

  it("maps 401, 429, 5xx and another root to typed errors without the credentials or URL", async () => {
    const { d, url } = await double(flavour);
    const e401 = await pinCar(services[flavour](url, "wrong-jwt"), smallCar()).catch((e: unknown) => e);
    expect(e401).toMatchObject({ code: "PIN_UNAUTHORIZED", status: 401 });
    const service = services[flavour](url);
    d.script = [
      { status: 429, headers: { "retry-after": "2" } },
      { status: 500 },
      { status: 200, wrongCid: true },
    ];
    const e429 = await pinCar(service, smallCar()).catch((e: unknown) => e);
    // The Pinata SDK hides Retry-After (the adapter waits rateLimitWaitMs); Kubo's is honoured.
    expect(e429).toMatchObject({
      code: "PIN_RATE_LIMITED",
      status: 429,
      retryAfterMs: flavour === "pinata" ? 1234 : 2000,
    });
    const e500 = await pinCar(service, smallCar()).catch((e: unknown) => e);
    expect(e500).toMatchObject({ code: "PIN_UNAVAILABLE", status: 500 });
    const car = smallCar();
    const mismatch = await pinCar(service, car).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(PinError);
    expect(mismatch).toMatchObject({
      code: "PIN_CID_MISMATCH",
      evidence: { expected: car.root, found: computeCid(new TextEncoder().encode("other")).toString() },
    });
    for (const e of [e401, e429, e500, mismatch]) expectNoSecret(e);
  });

  it("is refused when a block does not match its CID or a linked block is missing", async () => {
    const { d, url } = await double(flavour);
    const service = services[flavour](url);
    const { car } = smallCar();
    const blocks = readCarBlocks(car.bytes);
    // The last record's bytes changed: the CAR section no longer matches its CID.
    const corrupted = encodeCar(car.directory.cid, [
      ...blocks.slice(0, -1),
      { cid: blocks.at(-1)?.cid as BlockCid, bytes: new TextEncoder().encode("tampered") },
    ]);
    const bad = await pinCar(service, { root: car.directory.cid.toString(), bytes: corrupted }).catch(
      (e: unknown) => e,
    );
    // Kubo answers a failed import with 500 (its error shape); Pinata refuses the upload.
    expect(bad).toMatchObject({ code: flavour === "kubo" ? "PIN_UNAVAILABLE" : "PIN_REJECTED" });
    const incomplete = encodeCar(car.directory.cid, blocks.slice(0, -1));
    const partial = await pinCar(service, {
      root: car.directory.cid.toString(),
      bytes: incomplete,
    }).catch((e: unknown) => e);
    expect(partial).toMatchObject({ code: "PIN_REJECTED" });
    expect(d.uploads.filter((u) => u.kind === "car" && d.stored.get(u.cid) !== undefined)).toHaveLength(
      flavour === "kubo" ? 1 : 0, // Kubo keeps the blocks it imported but reports the failed pin
    );
  });
});

describe("pinner, batch mode", () => {
  it("pins a manifest as ONE upload: exactly the directory, the manifest and its records", async () => {
    const { d, url } = await double("pinata");
    const { logger } = newLogger();
    await log(logger, 40);
    const m = storeManifest(logger, 0);
    const pinner = createPinner({ store: logger.store, service: services.pinata(url), mode: "batch" });
    pinner.enqueueManifest({ stream: "loans", cid: m.cid });
    pinner.enqueueManifest({ stream: "loans", cid: m.cid }); // handed over twice: queued once
    expect(pinner.backlog().jobs).toBe(1);
    // A timer's tick and drain() at once share one pass: the job is uploaded once.
    const [timer, drained] = await Promise.all([pinner.tick(), pinner.drain({ timeoutMs: 10_000 })]);
    expect(timer).toStrictEqual({ pinned: m.records.length + 2, failed: 0 });
    expect(drained).toBe(true);
    expect(pinner.backlog().jobs).toBe(0);
    expect(d.requests).toBe(1);
    expect(d.uploads).toHaveLength(1);
    const upload = d.uploads[0];
    expect(upload?.kind).toBe("car");
    expect(new Set(upload?.blocks.slice(1))).toStrictEqual(new Set([m.cid, ...m.records]));
    expect(upload?.blocks).toHaveLength(m.records.length + 2);
    // The root is the directory the pinner computes locally, recorded in the done job.
    const job = connectionOf(logger.store)
      .prepare<[], { payload: string }>("SELECT payload FROM outbox WHERE kind = 'pin:pinata'")
      .get();
    expect(JSON.parse(job?.payload ?? "{}")).toMatchObject({ cid: m.cid, root: upload?.cid });
    expect(upload?.cid).toMatch(/^bafybei/);
    expect(await pinner.tick()).toStrictEqual({ pinned: 0, failed: 0 });
  });

  it("retries after 429 (Retry-After) and 500 with backoff, and uploads once when it succeeds", async () => {
    const { d, url } = await double("kubo");
    const { logger } = newLogger();
    await log(logger, 10);
    const m = storeManifest(logger, 0);
    let now = Date.now();
    const pinner = createPinner({
      store: logger.store,
      service: services.kubo(url),
      mode: "batch",
      backoff: { baseMs: 100, maxMs: 1_000 },
      now: () => now,
    });
    pinner.enqueueManifest({ stream: "loans", cid: m.cid });
    d.script = [{ status: 429, headers: { "retry-after": "5" } }, { status: 500 }];
    expect(await pinner.tick()).toStrictEqual({ pinned: 0, failed: 1 });
    expect(pinner.backlog().lastError).toContain("PIN_RATE_LIMITED");
    now += 4_000;
    expect(await pinner.tick()).toStrictEqual({ pinned: 0, failed: 0 }); // Retry-After not over
    now += 1_001;
    expect(await pinner.tick()).toStrictEqual({ pinned: 0, failed: 1 }); // the 500
    now += 1_001;
    expect(await pinner.tick()).toStrictEqual({ pinned: m.records.length + 2, failed: 0 });
    expect(d.requests).toBe(3);
    expect(d.uploads).toHaveLength(1);
    expect([...d.stored.values()].every((n) => n === 1)).toBe(true);
    expect(pinner.backlog().jobs).toBe(0);
  });

  it("completes a job left pending by a restart, once; a crash after the upload re-sends the same CAR", async () => {
    const { d, url } = await double("kubo");
    const first = newLogger();
    await log(first.logger, 12);
    const m = storeManifest(first.logger, 0);
    // The service took the CAR, but the process died before the job was recorded as done.
    const kubo = services.kubo(url);
    const crashing: PinningService = {
      name: "kubo",
      upload: (b) => kubo.upload(b),
      async uploadCar(car) {
        await kubo.uploadCar?.(car);
        throw new PinError("PIN_UNAVAILABLE", "the process stopped here");
      },
    };
    const before = createPinner({ store: first.logger.store, service: crashing, mode: "batch" });
    before.enqueueManifest({ stream: "loans", cid: m.cid });
    expect(await before.tick()).toStrictEqual({ pinned: 0, failed: 1 });
    await first.logger.close();

    const store = openStore({ path: first.path });
    cleanups.push(() => store.close());
    const after = createPinner({
      store,
      service: kubo,
      mode: "batch",
      backoff: { baseMs: 1, maxMs: 1 },
    });
    expect(after.backlog().jobs).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(await after.drain({ timeoutMs: 10_000 })).toBe(true);
    expect(d.uploads).toHaveLength(2);
    expect(d.uploads[0]?.cid).toBe(d.uploads[1]?.cid);
    expect(Buffer.from(d.bodies[0] ?? [])).toStrictEqual(Buffer.from(d.bodies[1] ?? []));
    const done = connectionOf(store)
      .prepare<[], { n: number }>(
        "SELECT count(*) AS n FROM outbox WHERE kind = 'pin:kubo' AND done_at IS NOT NULL",
      )
      .get();
    expect(done?.n).toBe(1);
    expect(await after.tick()).toStrictEqual({ pinned: 0, failed: 0 });
    expect(d.uploads).toHaveLength(2);
  });

  it("falls back to one upload per block for a service without CAR uploads", async () => {
    const { d, url } = await double("kubo");
    const { logger } = newLogger();
    await log(logger, 4);
    const m = storeManifest(logger, 0);
    const kubo = services.kubo(url);
    const filesOnly: PinningService = { name: "kubo-files", upload: (b, o) => kubo.upload(b, o) };
    const pinner = createPinner({ store: logger.store, service: filesOnly, mode: "batch" });
    pinner.enqueueManifest({ stream: "loans", cid: m.cid });
    expect(await pinner.drain({ timeoutMs: 10_000 })).toBe(true);
    expect(d.uploads.every((u) => u.kind === "file")).toBe(true);
    expect(new Set(d.stored.keys())).toStrictEqual(new Set([m.cid, ...m.records]));
    expect(d.requests).toBe(m.records.length + 1);
  });

  it("fails the job, pinning nothing, when a listed record is missing or its stored bytes were altered", async () => {
    const { d, url } = await double("pinata");
    const { logger } = newLogger();
    await log(logger, 3);
    const m = storeManifest(logger, 0);
    // Another store holding the manifest but other records under the same seqs.
    const other = newLogger();
    const bytes = getManifestBytes(connectionOf(logger.store), m.cid) as Uint8Array;
    const size = decodeManifest(bytes).size;
    putManifest(connectionOf(other.logger.store), 1, { cid: m.cid, from: 0, size, bytes });
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    const wrong = createPinner({
      store: other.logger.store,
      service: services.pinata(url),
      mode: "batch",
      onError,
    });
    wrong.enqueueManifest({ stream: "loans", cid: m.cid });
    expect(await wrong.tick()).toStrictEqual({ pinned: 0, failed: 1 });
    expect(errors[0]).toMatchObject({ code: "PIN_INVALID_OPTION", evidence: { seq: 0 } });
    expect(d.requests).toBe(0);
    // The right store, with one record's bytes changed behind the SDK's back: the double (like a
    // service that checks blocks against their CIDs) refuses the CAR; nothing is recorded as pinned.
    connectionOf(logger.store)
      .prepare("UPDATE records SET bytes = ? WHERE stream_id = 1 AND seq = 2")
      .run(Buffer.from('{"tampered":true}'));
    const tampered = createPinner({
      store: logger.store,
      service: services.pinata(url),
      mode: "batch",
      onError,
    });
    tampered.enqueueManifest({ stream: "loans", cid: m.cid });
    expect(await tampered.tick()).toStrictEqual({ pinned: 0, failed: 1 });
    expect(errors[1]).toMatchObject({ code: "PIN_REJECTED", status: 400 });
    expect(d.uploads).toHaveLength(0);
    expect(tampered.backlog().jobs).toBe(1);
  });
});

describe("pinner, batch mode, with the anchorer", () => {
  it("uploads one CAR per manifest of an anchor (two chained manifests past the record limit)", async () => {
    const { viem, provider } = await network.create();
    const publicClient = (await viem.getPublicClient()) as unknown as PublicClient;
    const [admin] = await viem.getWalletClients();
    if (admin === undefined) throw new Error("no wallet");
    const { address: registry } = await deployRegistry(admin, publicClient, {
      admin: admin.account.address,
    });
    await registerStream(admin, publicClient, {
      registry,
      streamId: encodeStreamId("loans"),
      metadata: "loans",
    });
    const account = privateKeyToAccount(DEV_KEY_1);
    await grantAnchorer(admin, publicClient, { registry, account: account.address });
    const walletClient = createWalletClient({
      account,
      chain: hardhat,
      transport: custom({ request: ({ method, params }) => provider.request({ method, params }) }),
    });

    const { d, url } = await double("pinata");
    const { logger } = newLogger();
    const pinner = createPinner({ store: logger.store, service: services.pinata(url), mode: "batch" });
    const anchorer = createAnchorer({
      store: logger.store,
      streams: "loans",
      registry,
      publicClient,
      walletClient,
      policy: false,
      confirmations: 1,
      pollIntervalMs: 1,
      onManifest: pinner.enqueueManifest,
    });
    cleanups.push(() => anchorer.stop());
    await log(logger, MAX_MANIFEST_RECORDS + 7);
    logger.checkpoint();
    expect(await anchorer.drain({ timeoutMs: 60_000 })).toBe(true);
    expect(await pinner.drain({ timeoutMs: 30_000 })).toBe(true);

    const size = logger.store.stream("loans").size;
    expect(d.requests).toBe(2);
    expect(d.uploads.map((u) => u.kind)).toStrictEqual(["car", "car"]);
    const db = connectionOf(logger.store);
    const pinned = new Set(d.stored.keys());
    for (let seq = 0; seq < size; seq++)
      expect(pinned.has(logger.store.get("loans", seq)?.cid ?? "")).toBe(true);
    // Each CAR holds its manifest, whose records are exactly the CAR's other blocks.
    for (const upload of d.uploads) {
      const [, manifestCid, ...records] = upload.blocks;
      const manifest = decodeManifest(getManifestBytes(db, manifestCid ?? "") as Uint8Array);
      expect(records).toStrictEqual(manifest.records.map(String));
    }
    expect(pinned.size).toBe(size + 2 + 2);
  }, 120_000);
});
