/**
 * A real SDK log (SQLite file), anchored by the SDK's anchorer on Hardhat's in-process network, checked
 * by the verifier's `registryView` + `openLocalLog` + `verifyAgainstChain`: the untouched log verifies;
 * a copy tampered with plain SQL, and a fully recomputed rewrite (a genuine log that differs from seq
 * k on, carrying the original's anchor rows and manifests), are caught at the right seq; a node that
 * refuses old logs makes the verifier prove the history from the log's own anchors.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import { createAnchorer, createLogger, type ProvenanceLogger } from "@ancora/sdk";
import { registryView, verifyAgainstChain } from "@ancora/verifier";
import { nodeSha256, openLocalLog } from "@ancora/verifier/node";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import Database from "better-sqlite3";
import { network } from "hardhat";
import { type Address, createPublicClient, createWalletClient, custom, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unreachableClient } from "./support/unreachable.ts";

/** Hardhat's well-known development key #1 (funded on the local chain only). */
const KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
const STREAM = "loans";
const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` } as const;
const CONFIG = {
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "risk-team@example.org",
  changeReason: "initial calibration",
} as const;
/** Records logged, the anchorer's policy, and the seq the forged log starts differing at. */
const DECISIONS = 130;
const EVERY = 40;
const FORK_AT = 57;

let dir: string;
let path: string;
let publicClient: PublicClient;
let provider: { request(args: { method: string; params?: unknown }): Promise<unknown> };
let registry: Address;

const NOW = Date.parse("2025-03-01T09:00:00.000Z");

/** A logger with a fixed clock: two of them given the same calls write the same records. */
function newLogger(file: string): ProvenanceLogger {
  const logger = createLogger({
    path: file,
    stream: STREAM,
    model: MODEL,
    commitment: "plain",
    clock: () => new Date(NOW),
  });
  if (logger.config() === undefined) logger.setConfig(CONFIG);
  return logger;
}

async function logDecisions(
  logger: ProvenanceLogger,
  count: number,
  variant = (_i: number) => 0,
  offset = 0,
): Promise<void> {
  for (let i = offset; i < offset + count; i++) {
    await logger.record({ features: { i, v: variant(i) }, output: { ok: i % 2 }, score: (i % 10) / 10 });
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-verify-chain-"));
  path = join(dir, "ancora.db");
  const connection = await network.create();
  provider = connection.provider;
  publicClient = (await connection.viem.getPublicClient()) as unknown as PublicClient;
  const [admin] = await connection.viem.getWalletClients();
  if (admin === undefined) throw new Error("no wallet");
  ({ address: registry } = await deployRegistry(admin, publicClient, { admin: admin.account.address }));
  await registerStream(admin, publicClient, { registry, streamId: encodeStreamId(STREAM), metadata: "{}" });
  await grantAnchorer(admin, publicClient, { registry, account: privateKeyToAccount(KEY_1).address });

  const logger = newLogger(path);
  const walletClient = createWalletClient({
    account: privateKeyToAccount(KEY_1),
    chain: hardhat,
    transport: custom(provider, { retryCount: 0 }),
  });
  const anchorer = createAnchorer({
    store: logger.store,
    streams: STREAM,
    registry,
    publicClient,
    walletClient,
    policy: { everyRecords: EVERY, everyMs: 3_600_000 },
    confirmations: 1,
    backoff: { baseMs: 1, maxMs: 5 },
    pollIntervalMs: 1,
  });
  for (let round = 0; round < DECISIONS / 10; round++) {
    await logDecisions(logger, 10, undefined, round * 10);
    await anchorer.tick();
    await provider.request({ method: "hardhat_mine", params: ["0x1"] });
  }
  for (let i = 0; i < 100 && anchorer.backlog().jobs > 0; i++) {
    await anchorer.tick();
    await provider.request({ method: "hardhat_mine", params: ["0x1"] });
  }
  await anchorer.stop();
  await logger.close();
}, 120_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function verify(file: string, client: PublicClient = publicClient) {
  const local = openLocalLog(file);
  try {
    const view = await registryView(client, registry);
    const result = await verifyAgainstChain({ local, registry: view, sha256: nodeSha256 });
    const stream = result.streams[0];
    if (stream === undefined) throw new Error("no stream");
    return stream;
  } finally {
    local.close();
  }
}

function copyOf(name: string): string {
  const target = join(dir, name);
  copyFileSync(path, target);
  return target;
}

describe("verifyAgainstChain on a real anchored log", () => {
  it("verifies the untouched log from events, every anchor checked, the tail unanchored", async () => {
    const result = await verify(path);
    expect(result.failures).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.history).toBe("events");
    expect(result.anchors).toBeGreaterThanOrEqual(3);
    expect(result.records).toBeGreaterThan(DECISIONS);
    expect(result.unanchored).toBe(result.records - result.anchoredSize);
    expect(result.consistency).toEqual({ consistent: true, by: "local-tree" });
  });

  it("catches a record's bytes edited with plain SQL at that seq", async () => {
    const file = copyOf("edited.db");
    const db = new Database(file);
    const row = db.prepare("SELECT bytes FROM records WHERE seq = 20").get() as { bytes: Buffer };
    const bytes = Buffer.from(row.bytes);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0x01;
    db.prepare("UPDATE records SET bytes = ? WHERE seq = 20").run(bytes);
    db.close();
    const result = await verify(file);
    expect(result.ok).toBe(false);
    expect(result.failures).toContainEqual(
      expect.objectContaining({ code: "ANCHOR_ROOT_MISMATCH", seq: 20 }),
    );
    expect(result.failures).toContainEqual(
      expect.objectContaining({ code: "MANIFEST_RECORD_MISMATCH", seq: 20 }),
    );
  });

  it("catches a log truncated with plain SQL below an anchored size", async () => {
    const file = copyOf("truncated.db");
    const db = new Database(file);
    db.prepare("DELETE FROM records WHERE seq >= 30").run();
    db.close();
    const result = await verify(file);
    expect(result.failures).toContainEqual(expect.objectContaining({ code: "ANCHOR_BEYOND_LOG", seq: 30 }));
  });

  it("catches a fully recomputed rewrite (a log that verifies alone) at the first changed seq", async () => {
    const forged = join(dir, "forged.db");
    const logger = newLogger(forged);
    // Same calls as the original up to FORK_AT (config and genesis included), different after.
    const before = FORK_AT - (await verify(path)).records + DECISIONS;
    await logDecisions(logger, DECISIONS, (i) => (i >= before ? 1 : 0));
    logger.checkpoint();
    await logger.close();
    // Carry over the original's anchor rows and manifests, as an attacker would.
    const db = new Database(forged);
    db.prepare("ATTACH DATABASE ? AS original").run(path);
    db.exec(
      "INSERT INTO anchors SELECT * FROM original.anchors; INSERT OR IGNORE INTO manifests SELECT * FROM original.manifests;",
    );
    db.exec("DETACH DATABASE original");
    db.close();
    const result = await verify(forged);
    expect(result.local.failures).toEqual([]);
    const first = result.failures.find((f) => f.code === "ANCHOR_ROOT_MISMATCH");
    expect(first?.seq).toBe(FORK_AT);
    expect(result.failures[0]?.seq).toBe(FORK_AT);
    expect(result.consistency.consistent).toBe(true);
  });

  it("proves the history from the log's own anchors when the node refuses old logs", async () => {
    const pruned = createPublicClient({
      chain: hardhat,
      transport: custom(
        {
          async request({ method, params }) {
            if (method === "eth_getLogs")
              throw Object.assign(new Error("pruned history unavailable"), { code: -32000 });
            return provider.request({ method, params });
          },
        },
        { retryCount: 0 },
      ),
    }) as PublicClient;
    const result = await verify(path, pruned);
    expect(result.failures).toEqual([]);
    expect(result.history).toBe("local-anchors");
  });

  it("rejects with SOURCE_UNREACHABLE when the node cannot be reached", async () => {
    const down = unreachableClient();
    await expect(registryView(down, registry)).rejects.toMatchObject({ code: "SOURCE_UNREACHABLE" });
  });
});
