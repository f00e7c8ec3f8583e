/** `ancora export`: a stream's JSONL audit log, or its EU AI Act evidence pack. */

import { once } from "node:events";
import { createWriteStream, renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Writable } from "node:stream";
import { evidencePack, exportJsonl, renderEvidencePack } from "@ancora/sdk";
import { Command, Option } from "commander";
import { type CliContext, handler, integerFlag } from "../command.js";
import { dbPath } from "../config.js";
import { CliError } from "../errors.js";
import type { TextSink } from "../io.js";
import { type Progress, progressBar } from "../progress.js";
import { openExistingStore } from "../store.js";

interface ExportFlags {
  db?: string;
  dir?: string;
  stream: string;
  format: "jsonl" | "eu-ai-act";
  model?: string;
  retentionMonths?: number;
  out?: string;
  json?: boolean;
}

/** Passes text through to a sink, counting lines for the progress bar. */
function countingSink(sink: NodeJS.WritableStream | TextSink, progress: Progress): Writable {
  let lines = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const byte of chunk) if (byte === 0x0a) lines++;
      progress.update(lines);
      const text = chunk.toString("utf8");
      const ok = sink.write(text);
      const waitable = sink as { once?: (event: string, fn: () => void) => unknown };
      if (ok === false && typeof waitable.once === "function") waitable.once("drain", () => callback());
      else callback();
    },
  });
}

/** Writes to `<out>.partial`, renamed to `out` only when complete: a failed export leaves no file. */
async function toFile<T>(out: string, write: (stream: NodeJS.WritableStream) => Promise<T>): Promise<T> {
  const partial = `${out}.partial`;
  const file = createWriteStream(partial);
  try {
    const result = await write(file);
    file.end();
    await once(file, "finish");
    renameSync(partial, out);
    return result;
  } catch (error) {
    file.destroy();
    rmSync(partial, { force: true });
    if ((error as { syscall?: unknown }).syscall !== undefined) {
      throw new CliError("FILE_UNWRITABLE", "The export file cannot be written", {
        cause: error,
        hint: "Check --out's directory and permissions.",
        evidence: { code: (error as { code?: unknown }).code ?? null },
      });
    }
    throw error;
  }
}

function parseModel(value: string | undefined): { id: string; version?: string } {
  if (value === undefined || value.length === 0) {
    throw new CliError("USAGE", "--format eu-ai-act needs --model ID[@VERSION]", {
      hint: "Name the model the evidence pack is about, e.g. --model loan_scorer or --model loan_scorer@2.3.1.",
    });
  }
  const at = value.lastIndexOf("@");
  return at <= 0 ? { id: value } : { id: value.slice(0, at), version: value.slice(at + 1) };
}

/** The `export` command. */
export function exportCommand(ctx: CliContext): Command {
  return new Command("export")
    .description("export a stream: its JSONL audit log, or the EU AI Act evidence pack for a model")
    .option("--db <file>", "the SQLite store")
    .option("--dir <dir>", "data directory (its ancora.db), instead of --db")
    .requiredOption("--stream <name>", "the stream")
    .addOption(
      new Option("--format <format>", "what to export").choices(["jsonl", "eu-ai-act"]).default("jsonl"),
    )
    .option("--model <id[@version]>", "eu-ai-act: the model the pack is about")
    .option("--retention-months <n>", "eu-ai-act: retention committed to (default 6)", (v) =>
      integerFlag(v, "--retention-months", 1),
    )
    .option("--out <file>", "write here instead of stdout")
    .option("--json", "eu-ai-act: the pack as JSON; with --out: print a JSON summary")
    .action(
      handler<ExportFlags>(ctx, async (options) => {
        const { io } = ctx;
        const out = options.out === undefined ? undefined : resolve(io.cwd, options.out);
        const store = openExistingStore(dbPath(options, io.env, io.cwd), { readonly: true });
        try {
          const size = store.stream(options.stream).size;
          if (options.format === "eu-ai-act") {
            const pack = evidencePack(store, {
              stream: options.stream,
              model: parseModel(options.model),
              ...(options.retentionMonths === undefined ? {} : { retentionMonths: options.retentionMonths }),
            });
            const content =
              options.json === true ? `${JSON.stringify(pack, null, 2)}\n` : renderEvidencePack(pack);
            if (out === undefined) {
              io.stdout.write(content);
              return { json: undefined, text: [] };
            }
            await toFile(out, async () => writeFileSync(`${out}.partial`, content));
            return {
              json: {
                stream: options.stream,
                format: options.format,
                out,
                bytes: Buffer.byteLength(content),
              },
              text: [`wrote the evidence pack for ${options.stream} to ${out}`],
            };
          }
          const progress = progressBar(io.stderr, "export", size + 2);
          const run = async (sink: NodeJS.WritableStream | TextSink) => {
            const counting = countingSink(sink, progress);
            const result = await exportJsonl(store, { stream: options.stream, out: counting });
            // Everything the export wrote has reached the sink once the pass-through has finished.
            counting.end();
            await once(counting, "finish");
            return result;
          };
          const summary = out === undefined ? await run(io.stdout) : await toFile(out, run);
          progress.finish();
          const verified = summary.verification.ok;
          const line = `exported ${summary.records} records of ${options.stream}${out === undefined ? "" : ` to ${out}`}; verification ${verified ? "ok" : "FAILED"}`;
          if (out === undefined) {
            io.stderr.write(`${line}\n`);
            return { json: undefined, text: [], exitCode: verified ? 0 : 1 };
          }
          return {
            json: {
              stream: options.stream,
              format: options.format,
              out,
              records: summary.records,
              lines: summary.lines,
              bytes: summary.bytes,
              verification: summary.verification,
            },
            text: [line],
            exitCode: verified ? 0 : 1,
          };
        } finally {
          store.close();
        }
      }),
    );
}
