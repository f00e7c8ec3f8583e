/**
 * The decision's provenance as a picture, drawn only from what the page verified: the model that made
 * it (named by the decision), the rule in force (the config its `config` link names, when a gateway
 * gave it), the log it is a leaf of (the anchored checkpoint) and the anchor on chain. A dataset and
 * training lineage needs the organisation's lineage records, which a receipt does not lead to.
 * Every text is set with `textContent`; the full text of a shortened label is its `<title>`.
 */
import type { ConfigInForce, PageOutcome } from "./check.js";

const SVG = "http://www.w3.org/2000/svg";
const BOX_W = 196;
const BOX_H = 62;
const GAP = 72;
const MAX_CHARS = 24;

/** Fill and stroke per box kind (Okabe–Ito hues, as the service's lineage drawings use, lightened). */
const COLOURS = {
  model: ["#f6e3ee", "#a34f82"],
  decision: ["#d9f2ea", "#00795a"],
  rule: ["#fbeccc", "#9c6a00"],
  log: ["#dcedf8", "#1f6f9e"],
  anchor: ["#d6e6f3", "#0b4f8a"],
} as const;

interface Box {
  readonly kind: keyof typeof COLOURS;
  readonly x: number;
  readonly y: number;
  readonly title: string;
  readonly line: string;
}

function node<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function short(text: string): string {
  return text.length <= MAX_CHARS ? text : `${text.slice(0, MAX_CHARS - 1)}…`;
}

function drawBox(svg: SVGSVGElement, box: Box): void {
  const [fill, stroke] = COLOURS[box.kind];
  const group = node("g", { "data-kind": box.kind });
  const tooltip = node("title", {});
  tooltip.textContent = `${box.title}: ${box.line}`;
  group.append(
    tooltip,
    node("rect", { x: box.x, y: box.y, width: BOX_W, height: BOX_H, rx: 8, fill, stroke, "stroke-width": 2 }),
  );
  const heading = node("text", { x: box.x + 12, y: box.y + 24, "font-weight": 700, "font-size": 14 });
  heading.textContent = short(box.title);
  const line = node("text", { x: box.x + 12, y: box.y + 46, "font-size": 13 });
  line.textContent = short(box.line);
  group.append(heading, line);
  svg.append(group);
}

function arrow(svg: SVGSVGElement, x1: number, y1: number, x2: number, y2: number, label: string): void {
  svg.append(
    node("line", { x1, y1, x2, y2, stroke: "#4a4a4a", "stroke-width": 2, "marker-end": "url(#head)" }),
  );
  const text = node("text", {
    x: (x1 + x2) / 2,
    y: Math.min(y1, y2) - 6,
    "font-size": 12,
    "text-anchor": "middle",
  });
  text.textContent = label;
  svg.append(text);
}

/**
 * The picture for a verified outcome, with a text alternative that says the same in one sentence.
 *
 * @example
 * ```ts
 * if (outcome.kind === "verified") result.append(provenancePicture(outcome, config));
 * ```
 */
export function provenancePicture(
  outcome: Extract<PageOutcome, { kind: "verified" }>,
  config: ConfigInForce | undefined,
): SVGSVGElement {
  const { record, checkpoint, anchor } = outcome.result;
  const decision = record.kind === "decision" ? record : undefined;
  const top = 28;
  const boxes: Box[] = [];
  let x = 2;
  if (decision !== undefined) {
    const { model } = decision.body;
    boxes.push({ kind: "model", x, y: top, title: `Model ${model.id}`, line: `version ${model.version}` });
    x += BOX_W + GAP;
  }
  const recordBox: Box = {
    kind: "decision",
    x,
    y: top,
    title: decision === undefined ? `Record #${record.seq}` : `Decision #${record.seq}`,
    line:
      decision === undefined
        ? record.kind
        : `outcome ${(config?.found === true ? config.labelNames.get(decision.body.label) : undefined) ?? decision.body.label}`,
  };
  boxes.push(recordBox);
  x += BOX_W + GAP;
  boxes.push({
    kind: "log",
    x,
    y: top,
    title: `Log "${checkpoint.stream}"`,
    line: `one of ${checkpoint.size} records`,
  });
  x += BOX_W + GAP;
  boxes.push({
    kind: "anchor",
    x,
    y: top,
    title: `Chain ${anchor.chainId}`,
    line: `block ${anchor.blockNumber}`,
  });
  const showRule = decision !== undefined && config?.found === true;
  const height = showRule ? top + BOX_H + GAP + BOX_H + 4 : top + BOX_H + 4;
  const width = x + BOX_W + 2;
  const svg = node("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": "picture-title",
  });
  const title = node("title", { id: "picture-title" });
  const ruleText =
    showRule && config?.found === true
      ? `, under the rule set by ${config.body.changedBy} (threshold ${config.body.threshold})`
      : "";
  title.textContent = decision
    ? `Model ${decision.body.model.id} ${decision.body.model.version} made decision ${record.seq}${ruleText}; it is one of ${checkpoint.size} records of the log "${checkpoint.stream}", anchored on chain ${anchor.chainId} in block ${anchor.blockNumber}.`
    : `Record ${record.seq} is one of ${checkpoint.size} records of the log "${checkpoint.stream}", anchored on chain ${anchor.chainId} in block ${anchor.blockNumber}.`;
  const defs = node("defs", {});
  const marker = node("marker", {
    id: "head",
    viewBox: "0 0 10 10",
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: "auto",
  });
  marker.append(node("path", { d: "M0,0 L10,5 L0,10 z", fill: "#4a4a4a" }));
  defs.append(marker);
  svg.append(title, defs);
  for (const box of boxes) drawBox(svg, box);
  const labels = decision === undefined ? ["leaf of", "anchored"] : ["made", "leaf of", "anchored"];
  for (let i = 0; i + 1 < boxes.length; i++) {
    const from = boxes[i] as Box;
    const to = boxes[i + 1] as Box;
    arrow(svg, from.x + BOX_W, top + BOX_H / 2, to.x - 2, top + BOX_H / 2, labels[i] ?? "");
  }
  if (showRule && config?.found === true) {
    const rule: Box = {
      kind: "rule",
      x: recordBox.x,
      y: top + BOX_H + GAP,
      title: `Rule: threshold ${config.body.threshold}`,
      line: `set by ${config.body.changedBy}`,
    };
    drawBox(svg, rule);
    const mid = recordBox.x + BOX_W / 2;
    svg.append(
      node("line", {
        x1: mid,
        y1: rule.y,
        x2: mid,
        y2: top + BOX_H + 2,
        stroke: "#4a4a4a",
        "stroke-width": 2,
        "marker-end": "url(#head)",
      }),
    );
    const text = node("text", { x: mid + 8, y: top + BOX_H + GAP / 2 + 4, "font-size": 12 });
    text.textContent = "decided under";
    svg.append(text);
  }
  return svg;
}
