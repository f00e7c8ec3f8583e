import type { BlockCid } from "@ancora/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StoredRecord } from "../source.js";
import { anchor, buildLog, check, replaceRow, rootAt } from "../testing/chain-log.js";

/** Distinct sorted anchor sizes within 1..n. */
const anchorSizes = (n: number) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: 5 })
    .map((s) => s.sort((a, b) => a - b));

const scenario = fc
  .integer({ min: 6, max: 40 })
  .chain((n) =>
    fc.record({ n: fc.constant(n), sizes: anchorSizes(n), at: fc.integer({ min: 1, max: n - 2 }) }),
  );

/** The anchor covering `seq` (the first with size > seq) and the start of its range. */
function covering(sizes: readonly number[], seq: number): { size: number; start: number } | undefined {
  const i = sizes.findIndex((s) => s > seq);
  return i < 0 ? undefined : { size: sizes[i] as number, start: i === 0 ? 0 : (sizes[i - 1] as number) };
}

describe("verifyAgainstChain, properties", () => {
  const runs = process.env.CI === "true" ? 60 : 25;

  it("an untouched log verifies with no failure", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes }) => {
        const log = buildLog(n);
        const result = await check({ log, chain: anchor(log, sizes, 4) });
        expect(result.failures).toEqual([]);
        expect(result.unanchored).toBe(n - (sizes.at(-1) as number));
      }),
      { numRuns: runs },
    );
  });

  it("edited bytes (CID column left alone): ANCHOR_ROOT_MISMATCH at the edited seq", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes, at }) => {
        const log = buildLog(n);
        const chain = anchor(log, sizes, 4);
        const edited = buildLog(n, (seq) => (seq === at ? "edited" : `name${seq}`)).rows[at] as StoredRecord;
        const row = { ...(log.rows[at] as StoredRecord), bytes: edited.bytes };
        const result = await check({ log: replaceRow(log, at, row), chain });
        expect(result.local.failures[0]?.code).toBe("CID_MISMATCH");
        const cover = covering(sizes, at);
        if (cover === undefined) return;
        expect(result.failures).toContainEqual(
          expect.objectContaining({ code: "ANCHOR_ROOT_MISMATCH", seq: at }),
        );
      }),
      { numRuns: runs },
    );
  });

  it("a fully recomputed rewrite (CIDs, chain, checkpoints): caught at the first changed seq", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.boolean(), async ({ n, sizes, at }, rewriteManifests) => {
        const log = buildLog(n);
        const chain = anchor(log, sizes, 4);
        const forged = buildLog(n, (seq) => (seq === at ? "forged" : `name${seq}`));
        const forgedChain = anchor(forged, sizes, 4);
        const checkpoints = sizes.map((size) => ({
          size,
          root: rootAt(forged.cids, size),
          head: (forged.cids[size - 1] as BlockCid).toString(),
        }));
        const result = await check({
          log: forged,
          chain,
          checkpoints,
          // The attacker may rewrite the log's manifests and anchor rows too: the digests on chain still differ.
          ...(rewriteManifests
            ? { localManifests: forgedChain.manifests, localAnchors: forgedChain.anchors }
            : {}),
        });
        expect(result.local.failures).toEqual([]);
        const cover = covering(sizes, at);
        if (cover === undefined) {
          // A fork after the last anchor: not (yet) a failure, counted as unanchored.
          expect(result.failures).toEqual([]);
          expect(result.unanchored).toBe(n - (sizes.at(-1) as number));
          return;
        }
        const first = result.failures.find((x) => x.code === "ANCHOR_ROOT_MISMATCH");
        expect(first?.seq).toBe(rewriteManifests ? cover.start : at);
        if (rewriteManifests) {
          expect(result.failures).toContainEqual(
            expect.objectContaining({ code: "ANCHOR_MANIFEST_MISMATCH", seq: cover.start }),
          );
          expect(result.failures).toContainEqual(expect.objectContaining({ code: "ANCHOR_NOT_ON_CHAIN" }));
        }
      }),
      { numRuns: runs },
    );
  });

  it("a fork after the last anchor is caught at the next anchor, at the first forked seq", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes }) => {
        const last = sizes.at(-1) as number;
        if (last >= n) return;
        const log = buildLog(n);
        const chain = anchor(log, [...sizes, n], 4);
        const fork = buildLog(n, (seq) => (seq >= last ? `fork${seq}` : `name${seq}`));
        const result = await check({ log: fork, chain });
        expect(result.failures.find((x) => x.code === "ANCHOR_ROOT_MISMATCH")?.seq).toBe(last);
        expect(result.failures[0]?.seq).toBe(last);
      }),
      { numRuns: runs },
    );
  });

  it("a deleted middle record or two swapped records: caught at that seq", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.boolean(), async ({ n, sizes, at }, swap) => {
        const log = buildLog(n);
        const chain = anchor(log, sizes, 4);
        const rows = [...log.rows];
        if (swap) [rows[at], rows[at + 1]] = [rows[at + 1] as StoredRecord, rows[at] as StoredRecord];
        else rows.splice(at, 1);
        const result = await check({ log: { ...log, rows }, chain });
        expect(result.local.ok).toBe(false);
        if (covering(sizes, at) === undefined) return;
        // The first failure against the chain (a root, or a manifest listing another CID) is at `at`.
        const chainFailures = result.failures.filter((x) => /^(ANCHOR|MANIFEST)_/.test(x.code));
        expect(chainFailures[0]?.seq).toBe(at);
      }),
      { numRuns: runs },
    );
  });

  it("a log truncated below an anchored size: ANCHOR_BEYOND_LOG at the first missing record", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, sizes, at }) => {
        const log = buildLog(n);
        const chain = anchor(log, sizes, 4);
        const cut = Math.min(at, (sizes.at(-1) as number) - 1);
        const result = await check({ log: { ...log, rows: log.rows.slice(0, cut) }, chain });
        const beyond = result.failures.filter((x) => x.code === "ANCHOR_BEYOND_LOG");
        expect(beyond.length).toBe(sizes.filter((s) => s > cut).length);
        for (const failure of beyond) expect(failure.seq).toBe(cut);
      }),
      { numRuns: runs },
    );
  });
});
