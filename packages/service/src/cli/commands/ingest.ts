/** `ancora ingest`: JSONL decisions and config changes from a file or stdin into a store. */
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import { isPostgresUrl } from "@ancora/verifier/node";
import { Command, Option } from "commander";
import { CliError } from "../../errors.js";
import { type CliContext, handler } from "../command.js";
import { dbPath } from "../config.js";
import { ingest } from "../ingest.js";
import { parseIngestInput } from "../ingest-parse.js";
import { readAll } from "../io.js";
import { progressBar } from "../progress.js";

interface IngestFlags {
  db?: string;
  dir?: string;
  json?: boolean;
  createdBy?: string;
  commitment: "salted" | "plain";
}

/** The `ingest` command. */
export function ingestCommand(ctx: CliContext): Command {
  return new Command("ingest")
    .description("log JSON lines (decisions and config changes) from FILE or stdin; all or nothing")
    .argument("[file]", "JSONL input; - or nothing for stdin")
    .option("--db <file|url>", "the SQLite store (created when missing), or a PostgreSQL log: postgres://…")
    .option("--dir <dir>", "data directory (its ancora.db), instead of --db")
    .option("--created-by <actor>", "genesis author of streams this input creates", "ancora-cli")
    .addOption(
      new Option("--commitment <scheme>", "how inputs and outputs are committed to")
        .choices(["salted", "plain"])
        .default("salted"),
    )
    .option("--json", "print { records, streams } as JSON")
    .action(
      handler<IngestFlags>(ctx, async (options, args) => {
        const { io } = ctx;
        // A PostgreSQL URL is taken as it is (keep its password in the environment: --db "$ANCORA_DATABASE_URL").
        const db =
          options.db !== undefined && isPostgresUrl(options.db)
            ? options.db
            : dbPath(options, io.env, io.cwd);
        const file = args[0];
        let text: string;
        try {
          text = await readAll(
            file === undefined || file === "-" ? io.stdin : createReadStream(resolve(io.cwd, file)),
          );
        } catch (error) {
          throw new CliError("FILE_UNREADABLE", "The input file cannot be read", {
            cause: error,
            hint: "Check the path and its permissions; pass - to read stdin.",
            evidence: { code: (error as { code?: unknown }).code ?? null },
          });
        }
        const lines = parseIngestInput(text);
        const summary = await ingest({
          db,
          lines,
          commitment: options.commitment,
          ...(options.createdBy === undefined ? {} : { createdBy: options.createdBy }),
          progress: progressBar(io.stderr, "ingest", lines.length),
        });
        return {
          json: summary,
          text: [
            `ingested ${lines.length} lines: ${summary.records} records written`,
            ...Object.entries(summary.streams).map(
              ([name, s]) => `  ${name}: size ${s.size}, head ${s.head}`,
            ),
          ],
        };
      }),
    );
}
