/**
 * What the chain protects, end to end with the `ancora-verify` bin against a real SDK log anchored on a
 * real `hardhat node`: a stream the registry anchors but a copy of the database lacks is a failure
 * (`STREAM_MISSING`, exit 1, also when asked for with `--stream`), and the report states per stream the
 * anchored size and root as the chain holds them, the local size, and the records not yet anchored with
 * the time of the oldest (`--require-anchored` makes them a failure).
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@ancora/sdk";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnchoredLog, STREAM, startAnchoredLog } from "./support/anchored-log.ts";
import { runVerifyBin } from "./support/verify-bin.ts";

const verify = runVerifyBin;

let org: AnchoredLog;
const chainArgs = () => ["--rpc", org.chain.url, "--registry", org.registry];

beforeAll(async () => {
  org = await startAnchoredLog({ batches: 2, perBatch: 20 });
}, 120_000);

afterAll(async () => {
  await org?.stop();
});

describe("ancora-verify: every anchored stream, and how much of the log the chain protects", () => {
  it("an intact, fully anchored log: the chain's size and root, no unanchored records, exit 0", async () => {
    const run = await verify(["--db", org.db, ...chainArgs(), "--require-anchored", "--json"]);
    expect(run.code).toBe(0);
    const stream = JSON.parse(run.stdout).streams[0];
    expect(stream).toMatchObject({
      stream: STREAM,
      ok: true,
      records: org.records,
      anchoredSize: org.records,
      unanchored: 0,
    });
    // Fully anchored: the chain's root is the log's root.
    expect(stream.anchoredRoot).toMatch(/^0x[0-9a-f]{64}$/);
    expect(stream.anchoredRoot).toBe(stream.root);
    expect(stream.oldestUnanchoredTs).toBeUndefined();
  });

  it("a stream deleted from a copy of the database: STREAM_MISSING, exit 1, with or without --stream", async () => {
    const copy = join(org.dir, "stream-deleted.db");
    copyFileSync(org.db, copy);
    const db = new Database(copy);
    db.pragma("foreign_keys = OFF");
    db.prepare("DELETE FROM streams WHERE name = ?").run(STREAM);
    db.close();

    const all = await verify(["--db", copy, ...chainArgs(), "--json"]);
    expect(all.code).toBe(1);
    const doc = JSON.parse(all.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.failures).toEqual([
      expect.objectContaining({
        code: "STREAM_MISSING",
        stream: STREAM,
        seq: 0,
        found: "no such stream in the log",
      }),
    ]);
    expect(doc.streams[0]).toMatchObject({ stream: STREAM, anchoredSize: org.records, records: 0 });

    const asked = await verify(["--db", copy, ...chainArgs(), "--stream", STREAM]);
    expect(asked.code).toBe(1);
    expect(asked.stdout).toContain(`First bad record of ${STREAM}: seq 0, STREAM_MISSING`);
    expect(asked.stdout).toContain("FAILED");

    // A stream that is neither in the log nor in the registry is the auditor's mistake: exit 2.
    const unknown = await verify(["--db", copy, ...chainArgs(), "--stream", "nowhere", "--json"]);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error.code).toBe("CHAIN_UNKNOWN_STREAM");
  });

  it("records beyond the last anchor: counted with the oldest time; --require-anchored fails them", async () => {
    const copy = join(org.dir, "with-tail.db");
    copyFileSync(org.db, copy);
    const logger = createLogger({
      path: copy,
      stream: STREAM,
      model: { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` },
      commitment: "plain",
    });
    for (let i = 0; i < 3; i++)
      await logger.log({ features: { applicant: 1000 + i }, output: { score: 0.9 }, score: 0.9 });
    await logger.close();

    const json = await verify(["--db", copy, ...chainArgs(), "--json"]);
    expect(json.code).toBe(0);
    const stream = JSON.parse(json.stdout).streams[0];
    expect(stream).toMatchObject({ records: org.records + 3, anchoredSize: org.records, unanchored: 3 });
    expect(stream.oldestUnanchoredTs).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The chain's root is at the anchored size; the log's covers the tail too.
    expect(stream.anchoredRoot).not.toBe(stream.root);

    const human = await verify(["--db", copy, ...chainArgs()]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`anchored size ${org.records} root ${stream.anchoredRoot.slice(0, 18)}…`);
    expect(human.stdout).toContain(`3 unanchored records (oldest ${stream.oldestUnanchoredTs})`);
    expect(human.stdout).toContain("Not yet anchored: 3 records.");

    const strict = await verify(["--db", copy, ...chainArgs(), "--require-anchored", "--json"]);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout).failures).toEqual([
      expect.objectContaining({ code: "UNANCHORED_RECORDS", stream: STREAM, seq: org.records }),
    ]);
  });

  it("--require-anchored without a chain to check against is a usage error", async () => {
    const run = await verify(["--db", org.db, "--require-anchored", "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error.code).toBe("USAGE_CONFLICT");
  });
});
