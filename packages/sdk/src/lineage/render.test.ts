/** Rendering of hand-made graphs: hostile names stay inside their labels, long ones are cut, the limit note is attached. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LineageGraph, LineageNode } from "./graph.js";
import { dotOfLineage, mermaidOfLineage, svgOfLineage } from "./render.js";

const CID = (n: number) => `bafkrei${String(n).padStart(52, "a")}`;

function graph(modelName: string, omittedDecisions = 0): LineageGraph {
  const node = (id: string, kind: LineageNode["kind"], name: string, seq: number): LineageNode => ({
    id,
    kind,
    name,
    stream: "credit",
    seq,
  });
  return {
    v: 1,
    root: CID(2),
    nodes: [
      node(CID(1), "dataset", "loans / train", 1),
      { ...node(CID(2), "model", modelName, 2), version: "1.0" },
      node(CID(3), "decision", "decision L001", 3),
    ],
    edges: [
      { from: CID(1), to: CID(2), relation: "trained-on" },
      { from: CID(2), to: CID(3), relation: "made" },
    ],
    omittedDecisions,
  };
}

describe("renderLineage labels", () => {
  it("cuts long names to 40 characters and turns control characters into spaces", () => {
    const dot = dotOfLineage(graph(`${"m".repeat(100)}\nsecond line`));
    expect(dot).toContain(`${"m".repeat(39)}… v1.0`);
    expect(dot).not.toContain("m".repeat(41));
    expect(dotOfLineage(graph("a\nb\tc"))).toContain("a b c v1.0");
  });

  it("keeps quotes, backslashes and markup inside DOT and Mermaid labels", () => {
    const hostile = 'x" ] ; evil -> n0 [label="\\N <b>';
    const dot = dotOfLineage(graph(hostile));
    // One statement per node line: the name did not end its quoted label.
    const modelLine = dot.split("\n").find((l) => l.startsWith("  n1 ")) as string;
    expect(modelLine).toContain('x\\" ] ; evil -> n0 [label=\\"\\\\N <b>');
    expect(dot.split("\n").filter((l) => /^ {2}n\d+ -> /.test(l))).toHaveLength(2);
    const mermaid = mermaidOfLineage(graph(hostile));
    expect(mermaid).toContain("x#quot; ] ; evil -#62; n0 [label=#quot;\\N #60;b#62;");
    expect(mermaid).not.toContain("<b>");
    expect(mermaidOfLineage(graph("a#quot;b"))).toContain("a#35;quot;b v1.0");
  });

  it("hangs the note on omitted decisions off the models that made decisions", () => {
    const dot = dotOfLineage(graph("model", 7));
    expect(dot).toContain('label="+ 7 more decisions"');
    expect(dot).toContain("  n1 -> omitted [style=dashed];");
    expect(mermaidOfLineage(graph("model", 7))).toContain("n1 -.-> omitted");
    expect(dotOfLineage(graph("model", 0))).not.toContain("omitted");
  });

  it("lays out any name as three nodes and two edges, its text escaped", async () => {
    const name = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom('"];\n n9 [label="x', "<script>", "\\N\\G"),
    );
    await fc.assert(
      fc.asyncProperty(name, async (name) => {
        const svg = await svgOfLineage(graph(name));
        expect(svg.match(/<g id="node\d+" class="node">/g)).toHaveLength(3);
        expect(svg.match(/<g id="edge\d+" class="edge">/g)).toHaveLength(2);
        expect(svg).not.toMatch(/<script/i);
      }),
      { numRuns: process.env.CI === "true" ? 200 : 40 },
    );
  });
});
