/**
 * Renders a lineage graph for people: Graphviz DOT, SVG (DOT laid out by Graphviz compiled to
 * WebAssembly, `@viz-js/viz`), Mermaid, or JSON. Kinds are told apart by shape and colour, CIDs are
 * shortened, and labels carry name, version and place in the log (stream#seq).
 */
import { importOptional } from "@ancora/verifier/node";
import { InputError } from "../errors.js";
import { plural } from "../evidence/document.js";
import { GRAPHVIZ_PACKAGES } from "../optional-packages.js";
import { type LineageGraph, type LineageNode, type LineageNodeKind, shortCid } from "./graph.js";

/** Output formats of {@link renderLineage}. */
export type LineageFormat = "svg" | "dot" | "mermaid" | "json";

interface KindStyle {
  shape: string;
  fill: string;
  stroke: string;
  /** Graphviz `margin` (inches, x,y) around the label: slanted shapes need less to stay compact. */
  margin: string;
  mermaid: [open: string, close: string];
}

/** One look per kind; colours from a colour-blind-safe palette (Okabe–Ito), light fills, dark strokes. */
const STYLES: Readonly<Record<LineageNodeKind, KindStyle>> = {
  source: { shape: "note", fill: "#eeeeee", stroke: "#555555", margin: "0.18,0.08", mermaid: ["[/", "/]"] },
  dataset: {
    shape: "cylinder",
    fill: "#d6ecfa",
    stroke: "#0072b2",
    margin: "0.18,0.08",
    mermaid: ["[(", ")]"],
  },
  training: { shape: "box", fill: "#fde7c7", stroke: "#e69f00", margin: "0.18,0.08", mermaid: ["[[", "]]"] },
  model: { shape: "box3d", fill: "#f3dcea", stroke: "#cc79a7", margin: "0.18,0.08", mermaid: ["{{", "}}"] },
  // A hexagon is sized to hold its label's box inside the slanted sides: a default margin makes it
  // twice as wide as the other nodes.
  decision: {
    shape: "hexagon",
    fill: "#d5f0e3",
    stroke: "#009e73",
    margin: "0.02,0.02",
    mermaid: ["([", "])"],
  },
  reproducibility: {
    shape: "folder",
    fill: "#f4f4d0",
    stroke: "#8a8a00",
    margin: "0.18,0.08",
    mermaid: ["[", "]"],
  },
};

/** Longest name or version shown in a label; records may carry up to 256 characters in each. */
const MAX_LABEL_TEXT = 40;

/** Cuts long text to {@link MAX_LABEL_TEXT} characters (whole code points) with an ellipsis. */
function clip(text: string): string {
  const chars = [...text.replace(/\p{Cc}/gu, " ")];
  return chars.length <= MAX_LABEL_TEXT ? chars.join("") : `${chars.slice(0, MAX_LABEL_TEXT - 1).join("")}…`;
}

function titleOf(node: LineageNode): string {
  return node.version === undefined ? clip(node.name) : `${clip(node.name)} v${clip(node.version)}`;
}

/** The lines of a node's label: kind, name and version, short CID, stream#seq. */
function labelLines(node: LineageNode): string[] {
  const lines = [node.kind.toUpperCase(), titleOf(node)];
  if (node.kind !== "source") lines.push(shortCid(node.id));
  if (node.stream !== undefined && node.seq !== undefined) lines.push(`${node.stream}#${node.seq}`);
  return lines;
}

/** Models that made at least one decision of the graph (the ones a decision limit can cut). */
function modelsWithDecisions(graph: LineageGraph): string[] {
  const models = new Set(graph.nodes.filter((n) => n.kind === "model").map((n) => n.id));
  return [
    ...new Set(graph.edges.filter((e) => e.relation === "made" && models.has(e.from)).map((e) => e.from)),
  ];
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * The graph as Graphviz DOT (left to right, in the direction data flows).
 *
 * @example
 * ```ts
 * writeFileSync("lineage.dot", dotOfLineage(graph)); // dot -Tpng lineage.dot > lineage.png
 * ```
 */
export function dotOfLineage(graph: LineageGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const out = [
    "digraph lineage {",
    '  graph [rankdir=LR, fontname="DejaVu Sans", nodesep=0.35, ranksep=0.7, bgcolor="white", pad=0.3];',
    '  node [fontname="DejaVu Sans", fontsize=11, style="filled", penwidth=1.6];',
    '  edge [fontname="DejaVu Sans", fontsize=9, color="#555555", fontcolor="#555555", arrowsize=0.7];',
  ];
  for (const node of graph.nodes) {
    const style = STYLES[node.kind];
    const root = node.id === graph.root;
    const attributes = [
      `label=${dotString(labelLines(node).join("\n"))}`,
      `shape=${style.shape}`,
      `margin=${dotString(style.margin)}`,
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
    // The note hangs off the models whose decisions were cut, so it sits beside those decisions.
    out.push(
      `  omitted [shape=plaintext, style="", fontcolor="#333333", label=${dotString(`+ ${plural(graph.omittedDecisions, "more decision", "more decisions")}`)}];`,
    );
    for (const id of modelsWithDecisions(graph)) out.push(`  ${ids.get(id)} -> omitted [style=dashed];`);
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}

function mermaidText(text: string): string {
  // Mermaid reads "…" as a literal label but renders it as HTML. Its entity codes (`#quot;`, `#60;`)
  // keep a name from a record from ending the label or injecting markup; `#` itself is escaped first
  // so that a name cannot spell an entity code.
  const escaped = text
    .replace(/#/g, "#35;")
    .replace(/"/g, "#quot;")
    .replace(/</g, "#60;")
    .replace(/>/g, "#62;");
  return `"${escaped.replace(/\n/g, "<br/>")}"`;
}

/**
 * The graph as a Mermaid flowchart (GitHub and many wikis render it inline).
 *
 * @example
 * ```ts
 * const markdown = "```mermaid\n" + mermaidOfLineage(graph) + "```\n";
 * ```
 */
export function mermaidOfLineage(graph: LineageGraph): string {
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
  if (graph.omittedDecisions > 0) {
    out.push(
      `  omitted[${mermaidText(`+ ${plural(graph.omittedDecisions, "more decision", "more decisions")}`)}]`,
    );
    for (const id of modelsWithDecisions(graph)) out.push(`  ${ids.get(id)} -.-> omitted`);
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
  vizPromise ??= importOptional(
    "Lineage as SVG (Graphviz)",
    GRAPHVIZ_PACKAGES,
    () => import("@viz-js/viz"),
  ).then((m) => m.instance());
  // A failed load is not kept: installing the package and trying again works without a restart.
  vizPromise.catch(() => {
    vizPromise = undefined;
  });
  return vizPromise;
}

/**
 * The graph as an SVG document, laid out by Graphviz (`dot` engine) running as WebAssembly.
 * `@viz-js/viz` is an optional peer dependency: without it this throws `OPTIONAL_DEPENDENCY_MISSING`
 * (the message names the `npm install` to run). The other formats need nothing extra.
 *
 * @example
 * ```ts
 * writeFileSync("lineage.svg", await svgOfLineage(graph));
 * ```
 */
export async function svgOfLineage(graph: LineageGraph): Promise<string> {
  const result = (await viz()).render(dotOfLineage(graph), { format: "svg", engine: "dot" });
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
      return svgOfLineage(graph);
    case "dot":
      return dotOfLineage(graph);
    case "mermaid":
      return mermaidOfLineage(graph);
    case "json":
      return `${JSON.stringify(graph, null, 2)}\n`;
    default:
      throw new InputError("INVALID_OPTION", 'format must be "svg", "dot", "mermaid" or "json"', {
        evidence: { format: String(format) },
      });
  }
}
