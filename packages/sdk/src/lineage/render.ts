/**
 * Renders a lineage graph for people: Graphviz DOT, SVG (DOT laid out by Graphviz compiled to
 * WebAssembly, `@viz-js/viz`), Mermaid, or JSON. Kinds are told apart by shape and colour, CIDs are
 * shortened, and labels carry name, version and place in the log (stream#seq).
 */
import { InputError } from "../errors.js";
import { type LineageGraph, type LineageNode, type LineageNodeKind, shortCid } from "./graph.js";

/** Output formats of {@link renderLineage}. */
export type LineageFormat = "svg" | "dot" | "mermaid" | "json";

interface KindStyle {
  shape: string;
  fill: string;
  stroke: string;
  mermaid: [open: string, close: string];
}

/** One look per kind; colours from a colour-blind-safe palette (Okabe–Ito), light fills, dark strokes. */
const STYLES: Readonly<Record<LineageNodeKind, KindStyle>> = {
  source: { shape: "note", fill: "#eeeeee", stroke: "#555555", mermaid: ["[/", "/]"] },
  dataset: { shape: "cylinder", fill: "#d6ecfa", stroke: "#0072b2", mermaid: ["[(", ")]"] },
  training: { shape: "box", fill: "#fde7c7", stroke: "#e69f00", mermaid: ["[[", "]]"] },
  model: { shape: "box3d", fill: "#f3dcea", stroke: "#cc79a7", mermaid: ["{{", "}}"] },
  decision: { shape: "hexagon", fill: "#d5f0e3", stroke: "#009e73", mermaid: ["([", "])"] },
  reproducibility: { shape: "folder", fill: "#f4f4d0", stroke: "#8a8a00", mermaid: ["[", "]"] },
};

function titleOf(node: LineageNode): string {
  return node.version === undefined ? node.name : `${node.name} v${node.version}`;
}

/** The lines of a node's label: kind, name and version, short CID, stream#seq. */
function labelLines(node: LineageNode): string[] {
  const lines = [node.kind.toUpperCase(), titleOf(node)];
  if (node.kind !== "source") lines.push(shortCid(node.id));
  if (node.stream !== undefined && node.seq !== undefined) lines.push(`${node.stream}#${node.seq}`);
  return lines;
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * The graph as Graphviz DOT (left to right, in the direction data flows).
 *
 * @example
 * ```ts
 * writeFileSync("lineage.dot", lineageToDot(graph)); // dot -Tpng lineage.dot > lineage.png
 * ```
 */
export function lineageToDot(graph: LineageGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const out = [
    "digraph lineage {",
    '  graph [rankdir=LR, fontname="DejaVu Sans", nodesep=0.35, ranksep=0.7, bgcolor="white", pad=0.3];',
    '  node [fontname="DejaVu Sans", fontsize=11, style="filled", penwidth=1.6, margin="0.18,0.08"];',
    '  edge [fontname="DejaVu Sans", fontsize=9, color="#555555", fontcolor="#555555", arrowsize=0.7];',
  ];
  for (const node of graph.nodes) {
    const style = STYLES[node.kind];
    const root = node.id === graph.root;
    const attributes = [
      `label=${dotString(labelLines(node).join("\n"))}`,
      `shape=${style.shape}`,
      `fillcolor=${dotString(style.fill)}`,
      `color=${dotString(style.stroke)}`,
      ...(root ? ["penwidth=3.2"] : []),
      `tooltip=${dotString(node.id)}`,
    ];
    out.push(`  ${ids.get(node.id)} [${attributes.join(", ")}];`);
  }
  for (const edge of graph.edges) {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from !== undefined && to !== undefined)
      out.push(`  ${from} -> ${to} [label=${dotString(edge.relation)}];`);
  }
  if (graph.omittedDecisions > 0) {
    out.push(
      `  omitted [shape=plaintext, style="", label=${dotString(`+ ${graph.omittedDecisions} more decisions`)}];`,
    );
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}

function mermaidText(text: string): string {
  // Mermaid reads "…" as a literal label; `#quot;` is its escape for a double quote.
  return `"${text.replace(/"/g, "#quot;").replace(/\n/g, "<br/>")}"`;
}

/**
 * The graph as a Mermaid flowchart (GitHub and many wikis render it inline).
 *
 * @example
 * ```ts
 * const markdown = "```mermaid\n" + lineageToMermaid(graph) + "```\n";
 * ```
 */
export function lineageToMermaid(graph: LineageGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const out = ["flowchart LR"];
  for (const node of graph.nodes) {
    const [open, close] = STYLES[node.kind].mermaid;
    out.push(`  ${ids.get(node.id)}${open}${mermaidText(labelLines(node).join("\n"))}${close}`);
  }
  for (const edge of graph.edges) {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from !== undefined && to !== undefined) out.push(`  ${from} -->|${edge.relation}| ${to}`);
  }
  for (const [kind, style] of Object.entries(STYLES)) {
    out.push(`  classDef ${kind} fill:${style.fill},stroke:${style.stroke},stroke-width:2px`);
  }
  for (const node of graph.nodes) out.push(`  class ${ids.get(node.id)} ${node.kind}`);
  const root = ids.get(graph.root);
  if (root !== undefined) out.push(`  style ${root} stroke-width:4px`);
  return `${out.join("\n")}\n`;
}

let vizPromise: Promise<import("@viz-js/viz").Viz> | undefined;

/** Graphviz (WebAssembly) is loaded once per process, on the first SVG. */
async function viz(): Promise<import("@viz-js/viz").Viz> {
  vizPromise ??= import("@viz-js/viz").then((m) => m.instance());
  return vizPromise;
}

/**
 * The graph as an SVG document, laid out by Graphviz (`dot` engine) running as WebAssembly.
 *
 * @example
 * ```ts
 * writeFileSync("lineage.svg", await lineageToSvg(graph));
 * ```
 */
export async function lineageToSvg(graph: LineageGraph): Promise<string> {
  const result = (await viz()).render(lineageToDot(graph), { format: "svg", engine: "dot" });
  if (result.status !== "success") {
    throw new InputError("INVALID_OPTION", "Graphviz could not lay out the lineage graph", {
      evidence: { errors: result.errors.map((e) => e.message) },
    });
  }
  return result.output;
}

/**
 * Renders a lineage graph as `svg`, `dot`, `mermaid` or `json` (the graph itself, indented).
 *
 * @example
 * ```ts
 * const graph = lineageGraph(store, decisionCid);
 * writeFileSync("lineage.svg", await renderLineage(graph, "svg"));
 * ```
 */
export async function renderLineage(graph: LineageGraph, format: LineageFormat): Promise<string> {
  switch (format) {
    case "svg":
      return lineageToSvg(graph);
    case "dot":
      return lineageToDot(graph);
    case "mermaid":
      return lineageToMermaid(graph);
    case "json":
      return `${JSON.stringify(graph, null, 2)}\n`;
    default:
      throw new InputError("INVALID_OPTION", 'format must be "svg", "dot", "mermaid" or "json"', {
        evidence: { format: String(format) },
      });
  }
}
