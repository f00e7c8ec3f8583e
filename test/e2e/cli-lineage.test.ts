/**
 * `ancora lineage` as a child process run from the TypeScript sources, over a real SQLite file holding
 * dataset → training → model → decisions written with the SDK: the SVG file it writes, the JSON graph
 * it prints (every proof checked with core), and exit 2 with LINEAGE_UNKNOWN for a record it lacks.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeCid, hashLeaf, parseBlockCid, verifyInclusion } from "@ancora/core";
import type { LineageGraph } from "@ancora/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "../../packages/service/src/testing/cli.ts";
import { type LineageChain, writeLineageChain } from "../../packages/service/src/testing/lineage.ts";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ancora ARGS` as a child process from the sources, in `cwd`, with an empty environment. */
function ancora(args: string[], cwd: string): Promise<Run> {
  return spawnCli(args, cwd).done;
}

let dir: string;
let chain: LineageChain;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-e2e-lineage-"));
  chain = await writeLineageChain(join(dir, "ancora.db"), 3);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hexBytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), "hex"));

describe("ancora lineage (child process)", () => {
  it("writes the SVG, prints the JSON graph with valid proofs, and exits 2 for an unknown record", async () => {
    const decision = chain.decisions[0] as { cid: string; seq: number };
    const [svg, json, unknown] = await Promise.all([
      ancora(["lineage", decision.cid, "--db", "ancora.db", "--format", "svg", "--out", "lineage.svg"], dir),
      ancora(["lineage", String(decision.seq), "--stream", chain.stream, "--db", "ancora.db", "--json"], dir),
      ancora(
        ["lineage", computeCid(new TextEncoder().encode("absent")).toString(), "--db", "ancora.db", "--json"],
        dir,
      ),
    ]);

    expect(svg.code, svg.stderr).toBe(0);
    expect(svg.stdout).toContain("lineage.svg");
    const drawing = readFileSync(join(dir, "lineage.svg"), "utf8");
    expect(drawing).toMatch(/<svg[\s\S]*<\/svg>/);
    for (const cid of [decision.cid, chain.model.cid, chain.training.cid, chain.train.cid]) {
      expect(drawing).toContain(cid); // as each node's tooltip
    }

    expect(json.code, json.stderr).toBe(0);
    const graph = JSON.parse(json.stdout) as LineageGraph;
    expect(graph.root).toBe(decision.cid);
    expect(graph.nodes).toHaveLength(5);
    for (const node of graph.nodes) {
      const proof = node.proof as NonNullable<typeof node.proof>;
      const cid = parseBlockCid(node.id) as NonNullable<ReturnType<typeof parseBlockCid>>;
      expect(
        verifyInclusion({
          leafHash: hashLeaf(cid.bytes),
          index: proof.index,
          size: proof.size,
          proof: proof.proof.map(hexBytes),
          root: hexBytes(proof.root),
        }),
      ).toBe(true);
    }

    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({
      code: "LINEAGE_UNKNOWN",
      hint: expect.any(String),
    });
  });
});
