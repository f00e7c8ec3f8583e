/**
 * The verifier's node-side sources against the real parts: an SDK log in a real SQLite file, the SDK's
 * embedded Helia node serving it, and a writer in another process. The verifier fetches every record
 * over bitswap with its own light node, reads the file read-only while another process appends to it,
 * and agrees with the SDK's own verification on tampered copies.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeCid } from "@ancora/core";
import { createLogger, type IpfsNode, type ProvenanceLogger, startIpfsNode } from "@ancora/sdk";
import { verifyStreams } from "@ancora/verifier";
import { fetchAll, nodeSha256, openLocalLog, SourceError, startBitswapFetcher } from "@ancora/verifier/node";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REGISTER = fileURLToPath(
  new URL("../../packages/verifier/src/testing/register-source.mjs", import.meta.url),
);
const STREAM = "verifier-sources";
const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };
const CONFIG = {
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "risk-team@example.org",
  changeReason: "initial calibration",
};

let dir: string;
let path: string;
let logger: ProvenanceLogger;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-verifier-sources-"));
  path = join(dir, "log.db");
  logger = createLogger({ path, stream: STREAM, model: MODEL, commitment: "plain" });
  logger.setConfig(CONFIG);
  await Promise.all(
    // Past one full Merkle tile (256 records), so that the store keeps tiles to tamper with.
    Array.from({ length: 300 }, (_, i) => logger.record({ features: { i }, output: { i }, score: i / 300 })),
  );
  logger.checkpoint();
});

afterAll(async () => {
  await logger?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function verifyFile(file: string) {
  const log = openLocalLog(file);
  try {
    return verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
  } finally {
    log.close();
  }
}

describe("bitswap fetcher against the SDK's embedded IPFS node", () => {
  let node: IpfsNode;
  beforeAll(async () => {
    node = await startIpfsNode({ store: logger.store });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("fetches every record by CID; the bytes are the stored bytes", async () => {
    const log = openLocalLog(path);
    const records = [...log.source.records(STREAM)];
    log.close();
    expect(records.length).toBeGreaterThan(300);
    const bitswap = await startBitswapFetcher({ peers: node.addresses, timeoutMs: 10_000 });
    try {
      let progress = 0;
      const blocks = await fetchAll(
        bitswap.fetch,
        records.map((r) => r.cid),
        { concurrency: 16, onProgress: (done) => (progress = done) },
      );
      expect(progress).toBe(records.length);
      for (const [i, bytes] of blocks.entries()) {
        expect(Buffer.from(bytes).equals(Buffer.from(records[i]?.bytes ?? []))).toBe(true);
        expect(computeCid(bytes).toString()).toBe(records[i]?.cid);
      }
    } finally {
      await bitswap.close();
    }
  });

  it("a peer that cannot be dialled: SOURCE_UNREACHABLE", async () => {
    const peerId = (node.addresses[0] ?? "").split("/p2p/")[1];
    const error = await startBitswapFetcher({
      peers: [`/ip4/127.0.0.1/tcp/1/p2p/${peerId}`],
      dialTimeoutMs: 3_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe("SOURCE_UNREACHABLE");
  });

  it("a block no peer provides: BLOCK_NOT_FOUND within the timeout", async () => {
    const bitswap = await startBitswapFetcher({ peers: node.addresses, timeoutMs: 500 });
    try {
      const started = Date.now();
      const missing = computeCid(new TextEncoder().encode("in no store either")).toString();
      const error = await bitswap.fetch(missing).catch((e: unknown) => e);
      expect((error as SourceError).code).toBe("BLOCK_NOT_FOUND");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await bitswap.close();
    }
  });
});

describe("openLocalLog beside a writer in another process", () => {
  it("verifies snapshots while the writer appends, and the writer never waits on the reader", async () => {
    const writerPath = join(dir, "shared.db");
    const script = `
      import { createLogger } from "@ancora/sdk";
      const logger = createLogger({ path: ${JSON.stringify(writerPath)}, stream: "shared", model: ${JSON.stringify(MODEL)}, commitment: "plain", busyTimeoutMs: 0 });
      logger.setConfig(${JSON.stringify(CONFIG)});
      for (let i = 0; i < 400; i++) {
        await logger.record({ features: { i }, output: { i }, score: (i % 10) / 10 });
        if (i % 25 === 0) { logger.checkpoint(); process.stdout.write(i + "\\n"); }
      }
      await logger.close();
    `;
    const child = spawn(
      process.execPath,
      ["--conditions=@ancora/source", "--import", REGISTER, "--input-type=module", "--eval", script],
      { stdio: ["ignore", "pipe", "pipe"], cwd: fileURLToPath(new URL("../..", import.meta.url)) },
    );
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      err += c;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let done = false;
    void exited.then(() => {
      done = true;
    });
    while (out === "" && !done) await new Promise((r) => setTimeout(r, 10));

    const sizes: number[] = [];
    while (!done) {
      const log = openLocalLog(writerPath);
      try {
        const result = verifyStreams(log.source, log.streams(), { sha256: nodeSha256 });
        expect(result.failures).toEqual([]);
        sizes.push(log.source.head?.("shared")?.size ?? 0);
      } finally {
        log.close();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(err).toBe("");
    expect(await exited).toBe(0); // busyTimeoutMs: 0, so a lock held by the reader would have failed it
    expect(sizes.length).toBeGreaterThan(1);
    expect(new Set(sizes).size).toBeGreaterThan(1); // it saw the log grow
    const final = verifyFile(writerPath);
    expect(final.ok).toBe(true);
    expect(final.checked).toBeGreaterThan(400); // genesis, labels, config and the 400 decisions
  });
});

describe("the verifier and the SDK agree on tampered copies", () => {
  const cases: [string, string][] = [
    [
      "edited bytes",
      "UPDATE records SET bytes = CAST(replace(CAST(bytes AS TEXT), '\"score\":', '\"score\": ') AS BLOB) WHERE seq = 37",
    ],
    ["a deleted record", "DELETE FROM records WHERE seq = 52"],
    ["an edited CID", "UPDATE records SET cid = (SELECT cid FROM records WHERE seq = 3) WHERE seq = 11"],
    ["a dropped leaf tile", "DELETE FROM merkle_tiles WHERE level = 0 AND idx = 0"],
    ["a dropped level-8 tile", "DELETE FROM merkle_tiles WHERE level = 1"],
    [
      "a shortened leaf tile",
      "UPDATE merkle_tiles SET hashes = substr(hashes, 1, 640) WHERE level = 0 AND idx = 0",
    ],
    ["a corrupt tree_state", "UPDATE streams SET tree_state = 'garbage'"],
    ["a truncated log", "DELETE FROM records WHERE seq >= 70"],
  ];

  it.each(cases)("%s", async (name, sql) => {
    await logger.flush();
    const copy = join(dir, `tampered-${name.replaceAll(" ", "-")}.db`);
    // A consistent copy of the live file (its WAL included) through SQLite's backup API.
    const source = new Database(path, { readonly: true });
    await source.backup(copy);
    source.close();
    const db = new Database(copy);
    db.prepare(sql).run();
    db.close();

    const ours = verifyFile(copy);
    const sdk = createLogger({
      path: copy,
      stream: STREAM,
      model: MODEL,
      commitment: "plain",
      create: false,
    });
    let theirs: ReturnType<ProvenanceLogger["verify"]>;
    try {
      theirs = sdk.verify();
    } finally {
      await sdk.close();
    }
    expect(ours.ok).toBe(false);
    expect(theirs.ok).toBe(false);
    expect(ours.streams[0]?.firstBadSeq).toBe(theirs.firstBadSeq);
    expect(ours.failures[0]?.code).toBe(theirs.failures[0]?.code);
    expect(ours.failures.map((f) => [f.code, f.seq])).toEqual(theirs.failures.map((f) => [f.code, f.seq]));
  });
});
