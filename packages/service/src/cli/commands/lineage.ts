/**
 * `ancora lineage`: the lineage graph around one record (decision → model → training run → datasets,
 * and back down), each record with its inclusion proof, as SVG, Graphviz DOT, Mermaid or JSON.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseBlockCid } from "@ancora/core";
import {
  DEFAULT_LINEAGE_DECISIONS,
  LineageError,
  lineageGraph,
  plural,
  type RecordRef,
  renderLineage,
} from "@ancora/sdk";
import { Command, Option } from "commander";
import { CliError } from "../../errors.js";
import { type CliContext, handler, integerFlag } from "../command.js";
import { dbPath } from "../config.js";
import { svgToPng } from "../lineage-png.js";
import { openExistingStore } from "../open-store.js";

/** Output formats of `ancora lineage`: the SDK's, and PNG (the SVG rasterised, ./lineage-png.ts). */
export const LINEAGE_FORMATS = ["svg", "png", "dot", "mermaid", "json"] as const;
type Format = (typeof LINEAGE_FORMATS)[number];

interface LineageFlags {
  db?: string;
  dir?: string;
  stream?: string;
  format?: Format;
  png?: boolean;
  out?: string;
  maxDecisions?: number;
  json?: boolean;
}

const SEQ = /^(0|[1-9][0-9]{0,14})$/;

/** The record the argument names: a record CID, or a sequence number of `--stream`. */
function recordRef(arg: string, stream: string | undefined): RecordRef {
  if (SEQ.test(arg)) {
    if (stream === undefined) {
      throw new CliError("USAGE", "A sequence number needs --stream", {
        hint: "Pass --stream NAME with a seq, or pass the record's CID (bafkrei…) instead.",
        evidence: { seq: Number(arg) },
      });
    }
    return { stream, seq: Number(arg) };
  }
  if (parseBlockCid(arg) === undefined) {
    throw new CliError("USAGE", "The record is neither a record CID nor a sequence number", {
      hint: "Pass a record CID as printed by ingest or export (bafkrei… in lower case), or a seq with --stream.",
    });
  }
  if (stream !== undefined) {
    throw new CliError("USAGE", "--stream goes with a sequence number, not with a CID", {
      hint: "A CID names its record in every stream: drop --stream.",
    });
  }
  return arg;
}

/** The format asked for: `--json` is `--format json`, `--png` is `--format png`; neither may contradict it. */
function formatOf(options: LineageFlags): Format {
  if (options.png === true) {
    if ((options.format !== undefined && options.format !== "png") || options.json === true) {
      throw new CliError("USAGE", "--png is --format png: it cannot go with another format", {
        hint: "Pass one of them (with --json and --out, the summary is printed as JSON).",
      });
    }
    return "png";
  }
  if (options.json === true && options.format === "png") return "png"; // --json: the summary as JSON
  if (options.json === true) {
    if (options.format !== undefined && options.format !== "json") {
      throw new CliError("USAGE", "--json is --format json: it cannot go with another --format", {
        hint: "Pass one of them.",
      });
    }
    return "json";
  }
  return options.format ?? "svg";
}

/** Writes `content` to `<out>.partial`, renamed to `out` when complete: a failure leaves no file. */
function writeAtomically(out: string, content: string | Uint8Array): void {
  const partial = `${out}.partial`;
  try {
    writeFileSync(partial, content);
    renameSync(partial, out);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new CliError("FILE_UNWRITABLE", "The lineage file cannot be written", {
      cause: error,
      hint: "Check --out's directory and permissions.",
      evidence: { code: (error as { code?: unknown }).code ?? null },
    });
  }
}

/** The `lineage` command. */
export function lineageCommand(ctx: CliContext): Command {
  return new Command("lineage")
    .description(
      "draw the lineage of a record (decision → model → training run → datasets, and back down), with proofs",
    )
    .argument("<record>", "the record's CID (bafkrei…), or its sequence number with --stream")
    .option("--db <file>", "the SQLite store")
    .option("--dir <dir>", "data directory (its ancora.db), instead of --db")
    .option("--stream <name>", "the stream, when <record> is a sequence number")
    .addOption(
      new Option("--format <format>", "svg (default), png (needs --out), dot, mermaid or json").choices(
        LINEAGE_FORMATS,
      ),
    )
    .option("--png", "a PNG picture (same as --format png; needs --out)")
    .option("--out <file>", "write here instead of stdout")
    .option(
      "--max-decisions <n>",
      `most descendant decisions to draw (default ${DEFAULT_LINEAGE_DECISIONS}); the rest are counted`,
      (v) => integerFlag(v, "--max-decisions"),
    )
    .option("--json", "the graph as JSON (same as --format json); with --out: print a JSON summary")
    .action(
      handler<LineageFlags>(ctx, async (options, args) => {
        const { io } = ctx;
        const ref = recordRef(args[0] ?? "", options.stream);
        const format = formatOf(options);
        const out = options.out === undefined ? undefined : resolve(io.cwd, options.out);
        if (format === "png" && out === undefined) {
          throw new CliError("USAGE", "A PNG is written to a file: pass --out FILE.png", {
            hint: "ancora lineage <record> --png --out lineage.png (or --format svg for text on stdout).",
          });
        }
        const store = openExistingStore(dbPath(options, io.env, io.cwd), { readonly: true });
        let graph: ReturnType<typeof lineageGraph>;
        try {
          graph = lineageGraph(store, ref, {
            ...(options.maxDecisions === undefined ? {} : { maxDecisions: options.maxDecisions }),
          });
        } catch (error) {
          if (!(error instanceof LineageError) || error.code !== "LINEAGE_UNKNOWN") throw error;
          throw new LineageError("LINEAGE_UNKNOWN", "The store holds no such record", {
            cause: error,
            hint:
              typeof ref === "string"
                ? "Check the CID and --db: `ancora export --stream NAME` lists every record with its CID."
                : `Check --stream and the seq: stream "${ref.stream}" has no record ${ref.seq} in this store.`,
            ...(error.evidence === undefined ? {} : { evidence: { ...error.evidence } }),
          });
        } finally {
          store.close();
        }
        // The store is closed before rendering: Graphviz may take a while on a large graph.
        const content =
          format === "png"
            ? await svgToPng(await renderLineage(graph, "svg"))
            : await renderLineage(graph, format);
        if (out === undefined) {
          io.stdout.write(content as string); // PNG needs --out (checked above)
          return { json: undefined, text: [] };
        }
        writeAtomically(out, content);
        const summary = {
          root: graph.root,
          format,
          out,
          bytes: Buffer.byteLength(content),
          nodes: graph.nodes.length,
          edges: graph.edges.length,
          omittedDecisions: graph.omittedDecisions,
        };
        const omitted =
          graph.omittedDecisions > 0
            ? ` (${plural(graph.omittedDecisions, "more decision", "more decisions")} left out)`
            : "";
        return {
          json: summary,
          text: [
            `wrote the lineage of ${graph.root} (${plural(graph.nodes.length, "node")})${omitted} to ${out}`,
          ],
        };
      }),
    );
}
