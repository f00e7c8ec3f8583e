/**
 * `verifyAgainstChain` over a log read asynchronously (as a PostgreSQL log is: records from an async
 * generator, anchors, manifests, checkpoints and head behind promises) against the same log read
 * synchronously (as an SQLite log is): the same result, whatever was done to the log. The two share
 * one walk (record-walk.ts), driven by a plain loop or by `for await`.
 */
import type { BlockCid } from "@ancora/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StoredRecord } from "../source.js";
import type { AsyncLocalLog } from "../sources/types.js";
import {
  anchor,
  buildLog,
  type Fixture,
  localLog,
  rootAt,
  STREAM,
  sha256,
  view,
} from "../testing/chain-log.js";
import { verifyAgainstChain } from "./local-vs-chain.js";

/** The fixture's log with every read asynchronous; counts the records it yields. */
function asyncLog(f: Fixture, yielded = { records: 0 }): AsyncLocalLog {
  const sync = localLog(f);
  return {
    streams: () => sync.streams(),
    source: {
      async *records(stream) {
        for (const record of sync.source.records(stream)) {
          await Promise.resolve();
          yielded.records++;
          yield record;
        }
      },
      checkpoints: async (stream) => sync.source.checkpoints(stream),
      head: async () => undefined,
    },
    anchors: async (stream) => sync.anchors(stream),
    manifests: async (stream) => sync.manifests(stream),
    close: async () => undefined,
  };
}

const TAMPERINGS = ["none", "edited", "rewritten", "truncated", "swapped"] as const;

const scenario = fc.integer({ min: 6, max: 40 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    sizes: fc
      .uniqueArray(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: 5 })
      .map((s) => s.sort((a, b) => a - b)),
    at: fc.integer({ min: 1, max: n - 2 }),
    tampering: fc.constantFrom(...TAMPERINGS),
  }),
);

/** An anchored log, then one of {@link TAMPERINGS} done to it. */
function fixture(n: number, sizes: number[], at: number, tampering: (typeof TAMPERINGS)[number]): Fixture {
  const log = buildLog(n);
  const chain = anchor(log, sizes, 4);
  const checkpoints = sizes.map((size) => ({
    size,
    root: rootAt(log.cids, size),
    head: (log.cids[size - 1] as BlockCid).toString(),
  }));
  const rows = [...log.rows];
  switch (tampering) {
    case "none":
      return { log, chain, checkpoints };
    case "edited": {
      const edited = buildLog(n, (seq) => (seq === at ? "edited" : `name${seq}`)).rows[at] as StoredRecord;
      rows[at] = { ...(rows[at] as StoredRecord), bytes: edited.bytes };
      return { log: { ...log, rows }, chain, checkpoints };
    }
    case "rewritten": {
      // A recomputed rewrite with its own manifests and anchor rows: the second pass (misstated sizes)
      // runs over the records again, since anchored roots do not match.
      const forged = buildLog(n, (seq) => (seq >= at ? `forged${seq}` : `name${seq}`));
      const forgedChain = anchor(forged, sizes, 4);
      return {
        log: forged,
        chain,
        localManifests: forgedChain.manifests,
        localAnchors: forgedChain.anchors,
      };
    }
    case "truncated":
      return { log: { ...log, rows: rows.slice(0, at) }, chain, checkpoints };
    case "swapped":
      [rows[at], rows[at + 1]] = [rows[at + 1] as StoredRecord, rows[at] as StoredRecord];
      return { log: { ...log, rows }, chain, checkpoints };
  }
}

describe("verifyAgainstChain over an asynchronous log", () => {
  const runs = process.env.CI === "true" ? 60 : 25;

  it("gives the synchronous log's result, whatever was done to the log", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes, at, tampering }) => {
        const f = fixture(n, sizes, at, tampering);
        const sync = await verifyAgainstChain({ local: localLog(f), registry: view(f), sha256 });
        const yielded = { records: 0 };
        const result = await verifyAgainstChain({ local: asyncLog(f, yielded), registry: view(f), sha256 });
        expect(result).toEqual(sync);
        expect(yielded.records).toBeGreaterThanOrEqual(f.log.rows.length);
        if (tampering === "none") expect(result.ok).toBe(true);
        else expect(result.streams[0]?.stream).toBe(STREAM);
      }),
      { numRuns: runs },
    );
  });
});
