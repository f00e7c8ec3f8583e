/**
 * The anchorer through chain outages: reported once per backoff step, backlogs anchored in one
 * transaction on return, backed-off jobs tried at once, dropped simulations, dead RPC URLs.
 */
/**
 * The anchorer against Hardhat's in-process network (EDR), with real SQLite files: anchors land and
 * match the local roots, manifests chain, restarts resume, an unreachable chain only grows the backlog,
 * a checkpoint already on chain is recognised, a reorg that drops an anchor is detected and re-submitted,
 * the fee cap holds, receipts verify offline and on chain, and an ethers signer can anchor.
 */
import { createRegistryReader, encodeStreamId, provenanceRegistryAbi, retireStream } from "@ancora/contracts";
import {
  AncoraError,
  decodeManifest,
  MAX_MANIFEST_RECORDS,
  manifestCidFromDigest,
  verifyConsistency,
} from "@ancora/core";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import {
  type AbiFunction,
  createPublicClient,
  getAbiItem,
  type Hex,
  hexToBytes,
  http,
  type PublicClient,
  toFunctionSelector,
  toHex,
} from "viem";
import { hardhat } from "viem/chains";
import { afterEach, describe, expect, it } from "vitest";
import { connectionOf } from "../internal/store-handle.js";
import {
  anchorerFor,
  chain,
  cleanUpAnchoring,
  dueAt,
  expectChainMatchesLocal,
  log,
  manualClock,
  newLogger,
  STREAM,
  settle,
  settleWithClock,
  twoStreamsCheckpointed,
} from "../testing/anchoring-chain.js";
import { getManifestBytes } from "./anchor-store.js";
import type { AnchorErrorContext, Recovery } from "./anchorer-options.js";

afterEach(cleanUpAnchoring);

describe("anchorer", () => {
  it("keeps logging while the chain is down, reporting the outage once per backoff step; on return one transaction anchors the backlog", async () => {
    const c = await chain();
    const logger = newLogger();
    const errors: Array<{ error: unknown; context: AnchorErrorContext }> = [];
    const recoveries: Recovery[] = [];
    const clock = manualClock();
    const anchorer = anchorerFor(c, logger, {
      onError: (error, context) => errors.push({ error, context }),
      onRecovered: (r) => recoveries.push(r),
      now: clock.now,
      random: () => 0,
      pollIntervalMs: 1_000,
      backoff: { baseMs: 1_000, maxMs: 300_000 },
      confirmations: 1,
    });
    await log(logger, 120);
    await settleWithClock(c, anchorer, clock);
    c.flaky.down = true;
    // A minute of outage, one pass a second, a checkpoint every 100 records.
    for (let i = 0; i < 60; i++) {
      if (i % 12 === 0) await log(logger, 100); // never blocked by the chain
      clock.advance(1_000);
      await anchorer.tick();
    }
    const backlog = anchorer.backlog();
    expect(backlog.jobs).toBe(5);
    // The jobs were not tried while the probe failed, so none has grown a backoff.
    expect(backlog.failingJobs).toBe(0);
    expect(backlog.lastError).not.toMatch(/secret|https?:/);
    // Reported at passes 0, 1, 2, 4, 8, 16, 32 (steps of baseMs·2^n/2 with no jitter), not 60 times.
    expect(errors.map((e) => e.context.nextAttemptAt)).toHaveLength(7);
    const reportedAt = errors.map((e) => Date.parse(e.context.nextAttemptAt as string) - 1_000);
    const gaps = reportedAt.slice(1).map((t, i) => t - (reportedAt[i] as number));
    expect(gaps).toStrictEqual([...gaps].sort((a, b) => a - b));
    expect(gaps.at(-1)).toBeGreaterThan(gaps[0] as number);
    for (const { error } of errors) {
      expect(error).toMatchObject({ code: "ANCHOR_CHAIN_UNAVAILABLE", hint: expect.any(String) });
      expect(`${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause)}`).not.toMatch(
        /secret|https?:/,
      );
    }
    expect(recoveries).toHaveLength(0);
    c.flaky.down = false;
    clock.advance(1_000);
    const first = await anchorer.tick();
    // The first pass after the chain returns anchors the newest checkpoint, covering the four before it.
    expect(first).toMatchObject({ submitted: 1, superseded: 4, failed: 0 });
    expect(recoveries).toStrictEqual([
      { service: "chain", unreachableMs: 60_000, jobs: 5, unanchoredRecords: 500 },
    ]);
    await settleWithClock(c, anchorer, clock);
    const sizes = await expectChainMatchesLocal(c, logger);
    const checkpoints = logger.store.checkpoints(STREAM).map((cp) => cp.size);
    expect(checkpoints).toHaveLength(6);
    expect(sizes).toStrictEqual([checkpoints[0], checkpoints.at(-1)]);
    // Every checkpoint in between is provable against the root the coalesced anchor put on chain.
    const state = await createRegistryReader(c.publicClient, c.registry).streamState(encodeStreamId(STREAM));
    const last = Number(state.treeSize);
    for (const checkpoint of logger.store.checkpoints(STREAM).slice(1, -1)) {
      const { proof } = logger.store.consistencyProof(STREAM, checkpoint.size, last);
      const input = { size1: checkpoint.size, size2: last, root1: checkpoint.root, proof };
      expect(verifyConsistency({ ...input, root2: hexToBytes(state.root) })).toBe(true);
      expect(verifyConsistency({ ...input, root2: new Uint8Array(32) })).toBe(false);
    }
  });

  it("after an outage, a job backed off by earlier failures is tried at once, not after its grown delay", async () => {
    const c = await chain();
    const logger = newLogger();
    const clock = manualClock();
    const anchorer = anchorerFor(c, logger, {
      now: clock.now,
      random: () => 0,
      pollIntervalMs: 1_000,
      backoff: { baseMs: 1_000, maxMs: 300_000 },
    });
    await log(logger, 10);
    logger.checkpoint();
    // The provider answers reads but drops every transaction: the job fails and backs off, six times.
    c.flaky.failMethod = (method) => method === "eth_sendRawTransaction";
    for (let i = 0; i < 6; i++) {
      const due = dueAt(logger);
      clock.set(due);
      expect(await anchorer.tick()).toMatchObject({ failed: 1 });
    }
    const waitedMs = dueAt(logger) - clock.now();
    expect(waitedMs).toBe(16_000); // the sixth failure's 2^5 s, halved by the (zero) jitter
    // Now the chain goes away and comes back: the probe sees both.
    c.flaky.failMethod = undefined;
    c.flaky.down = true;
    clock.advance(1_000);
    expect(await anchorer.tick()).toMatchObject({ submitted: 0, failed: 0 });
    c.flaky.down = false;
    clock.advance(1_000);
    expect(dueAt(logger) - clock.now()).toBeGreaterThan(0); // still backed off before the probe
    expect(await anchorer.tick()).toMatchObject({ submitted: 1, failed: 0 });
  });

  it("a new anchorer on a store left backed off by an outage tries its jobs at once; a revert keeps its backoff", async () => {
    const { c, loans, cards } = await twoStreamsCheckpointed();
    const clock = manualClock();
    const options = {
      streams: ["loans", "cards"],
      now: clock.now,
      random: () => 0,
      pollIntervalMs: 1_000,
      backoff: { baseMs: 60_000, maxMs: 300_000 },
    } as const;
    const old = anchorerFor(c, loans, options);
    // "cards" is retired (a typed failure an outage does not explain), "loans" cannot be sent: both
    // back off for at least 30 s.
    await retireStream(c.admin, c.publicClient, { registry: c.registry, streamId: encodeStreamId("cards") });
    c.flaky.failMethod = (method) => method === "eth_sendRawTransaction";
    expect(await old.tick()).toMatchObject({ failed: 2 });
    await old.stop();
    c.flaky.failMethod = undefined;
    clock.advance(1_000);
    const fresh = anchorerFor(c, cards, options);
    const tick = await fresh.tick();
    expect(tick).toMatchObject({ submitted: 1, failed: 0 });
    expect(loans.store.anchors("loans")).toHaveLength(1);
    expect(cards.store.anchors("cards")).toHaveLength(0);
    const reverted = dueAt(cards, "cards") - clock.now();
    expect(reverted).toBeGreaterThan(20_000);
  });

  it("an anchor is confirmed in the pass that sent it when the node mines at once, reading the head once a pass", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { confirmations: 1, policy: false });
    const calls = new Map<string, number>();
    c.flaky.failMethod = (method) => {
      calls.set(method, (calls.get(method) ?? 0) + 1);
      return false;
    };
    for (let pass = 1; pass <= 3; pass++) {
      await log(logger, 10);
      logger.checkpoint();
      calls.clear();
      expect(await anchorer.tick()).toMatchObject({ submitted: 1, confirmed: 1, failed: 0 });
      // The receipt right after the send is the one confirmation asked for; from the second pass on, the
      // reorg check also reads the previous anchor's once (it was confirmed after that pass's check), and
      // none older: their blocks are under the head of the last check, which is still on the chain.
      expect(calls.get("eth_getTransactionReceipt")).toBe(pass === 1 ? 1 : 2);
      // After the first pass (which also plans the confirmations): the probe's head only, and the nonce
      // and the previous manifest known locally.
      if (pass > 1) {
        expect(calls.get("eth_blockNumber")).toBe(1);
        expect(calls.get("eth_getTransactionCount") ?? 0).toBe(0);
        expect(calls.get("eth_getLogs") ?? 0).toBe(0);
      }
    }
    c.flaky.failMethod = undefined;
    const checkpoints = logger.store.checkpoints(STREAM).map((cp) => cp.size);
    expect(checkpoints).toHaveLength(3);
    expect(await expectChainMatchesLocal(c, logger)).toStrictEqual(checkpoints);
  });

  it("a pass that confirms a stream's anchor in flight sends the stream's next one in the same pass", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { confirmations: 1, policy: false });
    await log(logger, 10);
    logger.checkpoint();
    await c.provider.request({ method: "evm_setAutomine", params: [false] });
    expect(await anchorer.tick()).toMatchObject({ submitted: 1, confirmed: 0 });
    await c.mine();
    await c.provider.request({ method: "evm_setAutomine", params: [true] });
    await log(logger, 10);
    logger.checkpoint();
    await new Promise((r) => setTimeout(r, 5)); // past pollIntervalMs (1 ms): the anchor is looked at again
    expect(await anchorer.tick()).toMatchObject({ confirmed: 2, submitted: 1, failed: 0 });
    const checkpoints = logger.store.checkpoints(STREAM).map((cp) => cp.size);
    expect(checkpoints).toHaveLength(2);
    expect(await expectChainMatchesLocal(c, logger)).toStrictEqual(checkpoints);
  });

  it("builds the backlog's full manifests while the chain is down; the anchor after it builds only the last", async () => {
    const c = await chain();
    const logger = newLogger();
    const announced: string[] = [];
    const anchorer = anchorerFor(c, logger, {
      confirmations: 1,
      policy: false,
      onManifest: (m) => {
        announced.push(m.cid);
      },
    });
    await log(logger, 10);
    logger.checkpoint();
    await settle(c, anchorer);
    const first = announced.at(-1);
    const db = connectionOf(logger.store);
    const stored = () => db.prepare("SELECT count(*) FROM manifests").pluck().get() as number;
    const before = stored();
    c.flaky.down = true;
    await log(logger, 2 * MAX_MANIFEST_RECORDS + 50);
    logger.checkpoint();
    // At least one manifest a pass (each pass has a time budget for them).
    for (let pass = 0; pass < 10 && stored() < before + 2; pass++) await anchorer.tick();
    // The two full manifests are built and stored, the partial one is left; nothing is announced.
    expect(stored()).toBe(before + 2);
    expect(announced).toHaveLength(1);
    c.flaky.down = false;
    await settle(c, anchorer);
    expect(stored()).toBe(before + 3);
    expect(announced).toHaveLength(4); // every manifest of the anchor is announced (pinned) once
    // The anchored manifest chains back through the two built ahead to the previous anchor's.
    let cid = announced.at(-1) as string;
    let records = 0;
    while (cid !== first) {
      const manifest = decodeManifest(getManifestBytes(db, cid) as Uint8Array);
      for (const [i, record] of manifest.records.entries()) {
        expect(record.toString()).toBe(logger.store.get(STREAM, manifest.from + i)?.cid);
      }
      records += manifest.records.length;
      cid = manifest.prev?.toString() as string;
    }
    expect(records).toBe(2 * MAX_MANIFEST_RECORDS + 50);
    // One anchor for the backlog, of the log's root, naming that last manifest.
    const history = await createRegistryReader(c.publicClient, c.registry).verifyHistory(
      encodeStreamId(STREAM),
    );
    const last = history.anchors.at(-1);
    const size = logger.store.stream(STREAM).size;
    expect(history.anchors).toHaveLength(2);
    expect(Number(last?.treeSize)).toBe(size);
    expect(last?.root).toBe(toHex(logger.store.consistencyProof(STREAM, size, size).root2));
    expect(manifestCidFromDigest(hexToBytes(last?.manifestDigest as Hex)).toString()).toBe(announced.at(-1));
  });

  it("an anchor in flight when the chain went away, dropped and sent again on its return, leaves the manifests built ahead to the backlog's anchor", async () => {
    const c = await chain();
    const logger = newLogger();
    const anchorer = anchorerFor(c, logger, { confirmations: 1, policy: false });
    await log(logger, 10);
    logger.checkpoint();
    await settle(c, anchorer);
    const db = connectionOf(logger.store);
    const stored = () => db.prepare("SELECT count(*) FROM manifests").pluck().get() as number;
    // The next anchor is sent, and the chain goes away before it is mined.
    await c.provider.request({ method: "evm_setAutomine", params: [false] });
    await log(logger, 10);
    logger.checkpoint();
    expect(await anchorer.tick()).toMatchObject({ submitted: 1 });
    const inFlight = logger.store.anchors(STREAM).at(-1);
    expect(inFlight?.status).toBe("submitted");
    c.flaky.down = true;
    const before = stored();
    await log(logger, 2 * MAX_MANIFEST_RECORDS + 50);
    logger.checkpoint();
    for (let pass = 0; pass < 10 && stored() < before + 2; pass++) await anchorer.tick();
    expect(stored()).toBe(before + 2); // the backlog's two full manifests, chained from the one in flight
    // The node lost the transaction meanwhile: on return it is neither mined nor pending.
    await c.provider.request({ method: "hardhat_dropTransaction", params: [inFlight?.txHash as Hex] });
    await c.provider.request({ method: "evm_setAutomine", params: [true] });
    c.flaky.down = false;
    let reused = 0;
    for (let pass = 0; pass < 20 && anchorer.backlog().jobs > 0; pass++) {
      reused += (await anchorer.tick()).manifestsReused;
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(anchorer.backlog().jobs).toBe(0);
    // The dropped anchor was sent again (same manifest, same CID); the backlog's anchor then used the
    // two manifests built during the outage instead of building them again.
    expect(reused).toBe(2);
    expect(stored()).toBe(before + 3);
    // One anchor per checkpoint, each chaining from the one before (the backlog's through three manifests).
    const checkpoints = logger.store.checkpoints(STREAM).map((cp) => cp.size);
    expect(checkpoints).toHaveLength(3);
    expect(await expectChainMatchesLocal(c, logger)).toStrictEqual(checkpoints);
  });

  it("a manifest built ahead and damaged in the store is not handed on: the anchor fails as STORE_CORRUPT, then is built again from the records", async () => {
    const c = await chain();
    const logger = newLogger();
    const announced = new Map<string, Uint8Array>();
    const errors: string[] = [];
    const clock = manualClock();
    const anchorer = anchorerFor(c, logger, {
      confirmations: 1,
      policy: false,
      now: clock.now,
      random: () => 0,
      onManifest: (m) => {
        announced.set(m.cid, m.bytes);
      },
      onError: (error) => errors.push(error instanceof AncoraError ? error.code : "UNTYPED"),
    });
    await log(logger, 10);
    logger.checkpoint();
    await settleWithClock(c, anchorer, clock);
    const db = connectionOf(logger.store);
    const ids = () => db.prepare("SELECT cid FROM manifests ORDER BY id").pluck().all() as string[];
    const before = ids().length;
    c.flaky.down = true;
    await log(logger, MAX_MANIFEST_RECORDS + 50);
    logger.checkpoint();
    for (let pass = 0; pass < 10 && ids().length < before + 1; pass++) await anchorer.tick();
    const ahead = ids().at(-1) as string;
    const original = getManifestBytes(db, ahead) as Uint8Array;
    db.prepare("UPDATE manifests SET bytes = ? WHERE cid = ?").run(
      Buffer.concat([original, Buffer.from([0])]),
      ahead,
    );
    c.flaky.down = false;
    expect(await anchorer.tick()).toMatchObject({ submitted: 0, failed: 1 });
    expect(errors).toContain("STORE_CORRUPT");
    expect(announced.has(ahead)).toBe(false);
    // The retry (after its backoff) builds the manifest from the records: same CID, the stored row
    // repaired, the right bytes handed on, and the anchor lands.
    await settleWithClock(c, anchorer, clock);
    expect(announced.get(ahead)).toStrictEqual(original);
    expect(getManifestBytes(db, ahead)).toStrictEqual(original);
    expect(await expectChainMatchesLocal(c, logger)).toStrictEqual(
      logger.store.checkpoints(STREAM).map((cp) => cp.size),
    );
  });

  it("a simulation the transport drops is retried; dropped on every attempt (three) it is the chain unavailable, not a revert", async () => {
    const c = await chain();
    const logger = newLogger();
    const errors: unknown[] = [];
    const anchorer = anchorerFor(c, logger, { onError: (e) => errors.push(e), policy: false });
    const selector = toFunctionSelector(
      getAbiItem({ abi: provenanceRegistryAbi, name: "anchorWithConsistency" }) as AbiFunction,
    );
    let drops = 3;
    let dropped = 0;
    c.flaky.dropCall = (data) => {
      if (!data.startsWith(selector) || drops === 0) return false;
      drops--;
      dropped++;
      return true;
    };
    logger.checkpoint();
    expect(await anchorer.tick()).toMatchObject({ submitted: 0, failed: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "ANCHOR_CHAIN_UNAVAILABLE" });
    expect(JSON.stringify(errors[0])).not.toMatch(/secret|https?:/);
    drops = 2; // two keep-alive connections closed: the third attempt goes through
    await new Promise((r) => setTimeout(r, 10)); // past the job's backoff (1–5 ms here)
    expect(await anchorer.tick()).toMatchObject({ submitted: 1, failed: 0 });
    expect(dropped).toBe(5);
  });

  it("a dead RPC URL fails fast and leaves the jobs queued", async () => {
    const c = await chain();
    const logger = newLogger();
    const dead = createPublicClient({
      chain: hardhat,
      transport: http("http://127.0.0.1:1", { retryCount: 0 }),
    });
    const anchorer = anchorerFor(c, logger, { publicClient: dead as PublicClient });
    logger.checkpoint();
    const started = Date.now();
    await anchorer.tick();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(anchorer.backlog().jobs).toBe(1);
    expect(anchorer.backlog().lastError).not.toMatch(/127\.0\.0\.1:1/);
  });
});
