/** The lineage worker: results, typed errors, a bounded queue, a stuck job and shutdown. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeCid } from "@ancora/core";
import { lineageGraph, openStore, renderLineage } from "@ancora/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LineageChain, writeLineageChain } from "../testing/lineage.js";
import { LineageRenderer, MAX_PENDING_LINEAGE_JOBS } from "./lineage-job.js";

let dir: string;
let path: string;
let chain: LineageChain;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-lineage-job-"));
  path = join(dir, "ancora.db");
  chain = await writeLineageChain(path, 2);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("LineageRenderer", () => {
  it("answers exactly what the SDK renders in-process, and the SDK's error code", async () => {
    const renderer = new LineageRenderer(path, 1);
    try {
      const store = openStore({ path, readonly: true });
      const expected = await renderLineage(lineageGraph(store, chain.model.cid, { maxDecisions: 1 }), "dot");
      store.close();
      expect(await renderer.render({ cid: chain.model.cid, maxDecisions: 1, format: "dot" })).toBe(expected);
      const unknown = computeCid(new TextEncoder().encode("absent")).toString();
      await expect(renderer.render({ cid: unknown, maxDecisions: 1, format: "svg" })).rejects.toMatchObject({
        code: "LINEAGE_UNKNOWN",
      });
      // The worker survives a failed job.
      expect(await renderer.render({ cid: chain.train.cid, maxDecisions: 0, format: "json" })).toContain(
        `"root": "${chain.train.cid}"`,
      );
    } finally {
      await renderer.close();
    }
  });

  it("refuses jobs beyond the queue bound with OVERLOADED and Retry-After", async () => {
    const renderer = new LineageRenderer(path, 7);
    try {
      const jobs = Array.from({ length: MAX_PENDING_LINEAGE_JOBS + 3 }, () =>
        renderer.render({ cid: chain.model.cid, maxDecisions: 2, format: "svg" }).then(
          () => "ok",
          (error: { code: string; retryAfter?: number }) => `${error.code}/${error.retryAfter}`,
        ),
      );
      const outcomes = await Promise.all(jobs);
      expect(outcomes.filter((o) => o === "ok")).toHaveLength(MAX_PENDING_LINEAGE_JOBS);
      expect(outcomes.filter((o) => o === "OVERLOADED/7")).toHaveLength(3);
      // Once the queue drains, jobs are accepted again.
      expect(await renderer.render({ cid: chain.model.cid, maxDecisions: 2, format: "mermaid" })).toMatch(
        /^flowchart/,
      );
    } finally {
      await renderer.close();
    }
  });

  it("gives up on a job past its time limit and starts a fresh worker for the next", async () => {
    // 1 ms is shorter than starting the worker, so the first job always runs out of time.
    const renderer = new LineageRenderer(path, 1, 1);
    try {
      await expect(
        renderer.render({ cid: chain.model.cid, maxDecisions: 1, format: "svg" }),
      ).rejects.toMatchObject({ code: "OVERLOADED", retryAfter: 1 });
      await expect(
        renderer.render({ cid: chain.model.cid, maxDecisions: 1, format: "svg" }),
      ).rejects.toMatchObject({ code: "OVERLOADED" });
    } finally {
      await renderer.close();
    }
  });

  it("refuses pending and later jobs once closed", async () => {
    const renderer = new LineageRenderer(path, 1);
    const pending = expect(
      renderer.render({ cid: chain.model.cid, maxDecisions: 1, format: "svg" }),
    ).rejects.toMatchObject({ code: "SHUTTING_DOWN" });
    await renderer.close();
    await pending;
    await expect(
      renderer.render({ cid: chain.model.cid, maxDecisions: 1, format: "json" }),
    ).rejects.toMatchObject({ code: "SHUTTING_DOWN" });
  });
});
