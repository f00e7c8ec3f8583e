/** `ancora lineage` in-process, over a real SQLite log holding dataset → training → model → decisions. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { hashLeaf, parseBlockCid, verifyInclusion } from "@ancora/core";
import type { LineageGraph } from "@ancora/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LineageChain, writeLineageChain } from "../../testing/lineage.js";
import type { CliIo } from "../io.js";
import { svgToPng } from "../lineage-png.js";
import { runCli } from "../program.js";

let dir: string;
let chain: LineageChain;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-cli-lineage-"));
  chain = await writeLineageChain(join(dir, "a.db"), 4);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([""]),
    env: {},
    cwd: dir,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

const hexBytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), "hex"));

describe("ancora lineage", () => {
  it("prints the graph of a decision as JSON, every node with a valid inclusion proof", async () => {
    const decision = chain.decisions[1] as { cid: string };
    const run = await cli(["lineage", decision.cid, "--db", "a.db", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const graph = JSON.parse(run.stdout) as LineageGraph;
    expect(graph.root).toBe(decision.cid);
    expect(new Set(graph.nodes.map((n) => n.id))).toEqual(
      new Set([decision.cid, chain.model.cid, chain.training.cid, chain.train.cid, chain.validation.cid]),
    );
    expect(graph.edges).toContainEqual({ from: chain.model.cid, to: decision.cid, relation: "made" });
    expect(graph.edges).toContainEqual({
      from: chain.training.cid,
      to: chain.model.cid,
      relation: "produced",
    });
    for (const node of graph.nodes) {
      const proof = node.proof as NonNullable<typeof node.proof>;
      expect(proof.checkpointed).toBe(true);
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
    // --format json prints the same graph.
    const same = await cli(["lineage", decision.cid, "--db", "a.db", "--format", "json"]);
    expect(JSON.parse(same.stdout)).toEqual(graph);
  });

  it("names a record by stream and seq, and limits the decisions listed", async () => {
    const run = await cli([
      "lineage",
      String(chain.train.seq),
      "--stream",
      chain.stream,
      "--db",
      "a.db",
      "--max-decisions",
      "1",
      "--json",
    ]);
    expect(run.code).toBe(0);
    const graph = JSON.parse(run.stdout) as LineageGraph;
    expect(graph.root).toBe(chain.train.cid);
    expect(graph.nodes.filter((n) => n.kind === "decision")).toHaveLength(1);
    expect(graph.omittedDecisions).toBe(3);
  });

  it("draws SVG by default, DOT and Mermaid on request", async () => {
    const cid = chain.model.cid;
    const svg = await cli(["lineage", cid, "--db", "a.db"]);
    expect(svg.code).toBe(0);
    expect(svg.stdout).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    // Short CIDs on screen, the full CID as tooltip.
    expect(svg.stdout).toContain(`${cid.slice(0, 8)}…${cid.slice(-6)}`);
    expect(svg.stdout).toContain(cid);
    expect(svg.stdout).toContain("credit&#45;risk v2.3.1"); // Graphviz writes "-" as an entity
    expect(svg.stdout).toContain(`${chain.stream}#${chain.model.seq}`);

    const dot = await cli(["lineage", cid, "--db", "a.db", "--format", "dot"]);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph lineage \{/);
    expect(dot.stdout.match(/ -> /g)?.length).toBe(8); // 4 ancestor edges + 4 decisions

    const mermaid = await cli(["lineage", cid, "--db", "a.db", "--format", "mermaid"]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
    expect(mermaid.stdout).toContain("-->|made|");
  });

  it("writes --out atomically and prints a summary (JSON with --json)", async () => {
    const text = await cli(["lineage", chain.model.cid, "--db", "a.db", "--out", "model.svg"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^wrote the lineage of bafkrei\w+ \(8 nodes\) to .*model\.svg\n$/);
    expect(readFileSync(join(dir, "model.svg"), "utf8")).toContain("<svg");
    // Counts with their right plural: one node, one decision left out.
    const one = await cli(["lineage", "0", "--stream", chain.stream, "--db", "a.db", "--out", "one.svg"]);
    expect(one.stdout).toMatch(/ \(1 node\) to .*one\.svg\n$/);
    const cut = ["lineage", chain.model.cid, "--db", "a.db", "--max-decisions", "3", "--out", "cut.svg"];
    expect((await cli(cut)).stdout).toMatch(/ \(7 nodes\) \(1 more decision left out\) to .*cut\.svg\n$/);
    const json = await cli(["lineage", chain.model.cid, "--db", "a.db", "--out", "model.json", "--json"]);
    const summary = JSON.parse(json.stdout);
    expect(summary).toMatchObject({ root: chain.model.cid, format: "json", nodes: 8, omittedDecisions: 0 });
    expect(JSON.parse(readFileSync(join(dir, "model.json"), "utf8")).root).toBe(chain.model.cid);
    const unwritable = await cli(["lineage", chain.model.cid, "--db", "a.db", "--out", "no/such/dir/x.svg"]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/^error FILE_UNWRITABLE: /);
    expect(readdirSync(dir).some((f) => f.endsWith(".partial"))).toBe(false);
  });

  it("draws a PNG with --png (or --format png) into --out, and says what it needs", async () => {
    const run = await cli(["lineage", chain.model.cid, "--db", "a.db", "--png", "--out", "model.png"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^wrote the lineage of bafkrei\w+ \(8 nodes\) to .*model\.png\n$/);
    const png = readFileSync(join(dir, "model.png"));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR: the picture is as wide as the SVG (points, 4/3 px each) at twice its size, and not empty.
    const svg = (await cli(["lineage", chain.model.cid, "--db", "a.db"])).stdout;
    const svgWidth = Number(/<svg width="(\d+)pt"/.exec(svg)?.[1]);
    expect(Math.abs(png.readUInt32BE(16) - (svgWidth * 4 * 2) / 3)).toBeLessThanOrEqual(2);
    expect(png.readUInt32BE(20)).toBeGreaterThan(0);
    const json = await cli([
      "lineage",
      chain.model.cid,
      "--db",
      "a.db",
      "--format",
      "png",
      "--out",
      "m.png",
      "--json",
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      format: "png",
      nodes: 8,
      bytes: readFileSync(join(dir, "m.png")).length,
    });

    const noOut = await cli(["lineage", chain.model.cid, "--db", "a.db", "--png"]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^error USAGE: A PNG is written to a file: pass --out FILE\.png/);
    const both = await cli([
      "lineage",
      chain.model.cid,
      "--db",
      "a.db",
      "--png",
      "--format",
      "dot",
      "--out",
      "x",
    ]);
    expect(both.code).toBe(2);
    expect(existsSync(join(dir, "x"))).toBe(false);
    await expect(svgToPng(svg, [join(dir, "no-fonts-here")])).rejects.toMatchObject({
      code: "FONTS_MISSING",
    });
  });

  it("refuses an unknown record with LINEAGE_UNKNOWN and a hint (exit 2)", async () => {
    // A well-formed CID of bytes the log does not hold.
    const { computeCid } = await import("@ancora/core");
    const unknown = computeCid(new TextEncoder().encode("not a record")).toString();
    const json = await cli(["lineage", unknown, "--db", "a.db", "--json"]);
    expect(json.code).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error).toMatchObject({ code: "LINEAGE_UNKNOWN", hint: expect.stringContaining("ancora export") });
    const text = await cli(["lineage", "999", "--stream", chain.stream, "--db", "a.db"]);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/^error LINEAGE_UNKNOWN: .*\nWhat to do: Check --stream and the seq/);
  });

  it.each([
    [["lineage", "not-a-cid", "--db", "a.db"]],
    [["lineage", "BAFKREI", "--db", "a.db"]],
    [["lineage", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "--db", "a.db"]],
    [["lineage", "3", "--db", "a.db"]], // a seq needs --stream
    [["lineage", "-1", "--stream", "credit", "--db", "a.db"]],
    [["lineage", "1.5", "--stream", "credit", "--db", "a.db"]],
    [["lineage", "3", "--stream", "credit", "--db", "a.db", "--max-decisions", "-2"]],
    [["lineage", "3", "--stream", "credit", "--db", "a.db", "--format", "png"]],
    [["lineage", "3", "--stream", "credit", "--db", "a.db", "--format", "svg", "--json"]],
    [["lineage", "--db", "a.db"]],
  ])("exits 2 with USAGE for %j", async (argv) => {
    const run = await cli(argv.includes("--json") ? argv : [...argv, "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error.code).toBe("USAGE");
  });

  it("refuses a CID with --stream, and a store that does not exist", async () => {
    const both = await cli(["lineage", chain.model.cid, "--stream", "credit", "--db", "a.db", "--json"]);
    expect(JSON.parse(both.stdout).error.code).toBe("USAGE");
    const none = await cli(["lineage", chain.model.cid, "--db", "none.db", "--json"]);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout).error.code).toBe("FILE_UNREADABLE");
    expect(existsSync(join(dir, "none.db"))).toBe(false);
  });
});
