/**
 * The evidence pack's document ({@link packDocument}) as Markdown or as a self-contained HTML page
 * (no script, no external resource: it opens offline and prints as it reads).
 */
import { type Block, type Inline, packDocument } from "./document.js";
import type { EvidencePack } from "./types.js";

function mdCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function mdInline(inline: Inline): string {
  if (typeof inline === "string") return inline;
  if ("strong" in inline) return `**${inline.strong}**`;
  return `\`${inline.code}\``;
}

function mdBlock(block: Block): string {
  if ("paragraph" in block) return `${block.paragraph.map(mdInline).join("")}\n`;
  if ("codeBlock" in block) return `\`\`\`sh\n${block.codeBlock}\n\`\`\`\n`;
  const { header, rows } = block.table;
  if (rows.length === 0) return "_None._\n";
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map((c) => mdCell(mdInline(c))).join(" | ")} |`),
    "",
  ].join("\n");
}

/**
 * The evidence pack as a readable Markdown report.
 *
 * @example
 * ```ts
 * writeFileSync("evidence.md", renderEvidencePack(await evidencePack(store, { stream: "credit", model: "credit-risk" })));
 * ```
 */
export function renderEvidencePack(pack: EvidencePack, options: { organisation?: string } = {}): string {
  const doc = packDocument(pack, options);
  const parts = [`# ${doc.title.map(mdInline).join("")}`, "", doc.intro.map(mdInline).join(""), ""];
  doc.sections.forEach((section, i) => {
    parts.push(`## ${i + 1}. ${section.title}`, "");
    for (const block of section.blocks) parts.push(mdBlock(block));
  });
  return `${parts.join("\n").trimEnd()}\n`;
}

const escapeHtml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

function htmlInline(inline: Inline): string {
  if (typeof inline === "string") return escapeHtml(inline);
  if ("strong" in inline) return `<strong>${escapeHtml(inline.strong)}</strong>`;
  return `<code>${escapeHtml(inline.code)}</code>`;
}

function htmlBlock(block: Block): string {
  if ("paragraph" in block) return `<p>${block.paragraph.map(htmlInline).join("")}</p>`;
  if ("codeBlock" in block) return `<pre><code>${escapeHtml(block.codeBlock)}</code></pre>`;
  const { header, rows } = block.table;
  if (rows.length === 0) return "<p><em>None.</em></p>";
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${htmlInline(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

const STYLE =
  "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45}" +
  "table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}" +
  "code,pre{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}pre{background:#f4f4f4;padding:.75rem;white-space:pre-wrap}";

/**
 * The evidence pack as one self-contained HTML page (the same content as {@link renderEvidencePack}).
 *
 * @example
 * ```ts
 * writeFileSync("evidence.html", renderEvidencePackHtml(pack));
 * ```
 */
export function renderEvidencePackHtml(pack: EvidencePack, options: { organisation?: string } = {}): string {
  const doc = packDocument(pack, options);
  const title = doc.title
    .map((i) => (typeof i === "string" ? i : "strong" in i ? i.strong : i.code))
    .join("");
  const sections = doc.sections
    .map((s, i) => `<h2>${i + 1}. ${escapeHtml(s.title)}</h2>\n${s.blocks.map(htmlBlock).join("\n")}`)
    .join("\n");
  return [
    "<!doctype html>",
    '<html lang="en">',
    `<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    "<body>",
    `<h1>${doc.title.map(htmlInline).join("")}</h1>`,
    `<p>${doc.intro.map(htmlInline).join("")}</p>`,
    sections,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
