/** `ancora export`: a stream's JSONL audit log, or the EU AI Act evidence pack of one of its models. */

import { once } from "node:events";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import {
  type EvidencePack,
  type EvidencePackOptions,
  evidencePack,
  exportJsonl,
  renderEvidencePack,
  renderEvidencePackHtml,
  rpcTransport,
  writeEvidenceBundle,
  writeFileAtomically,
} from "@ancora/sdk";
import { Command, Option } from "commander";
import { createPublicClient, isAddress } from "viem";
import { CliError } from "../../errors.js";
import { RPC_TIMEOUT_MS, rpcEndpointsOf, unreachable } from "../chain.js";
import { type CliContext, handler, integerFlag } from "../command.js";
import { type AncoraConfig, CONFIG_FILE, dbPath, loadConfig } from "../config.js";
import type { TextSink } from "../io.js";
import { openExistingStore } from "../open-store.js";
import { type Progress, progressBar } from "../progress.js";

/** The formats `--format` takes. */
export const EXPORT_FORMATS = ["jsonl", "eu-ai-act", "eu-ai-act-html", "eu-ai-act-bundle"] as const;

interface ExportFlags {
  db?: string;
  dir?: string;
  stream: string;
  format: (typeof EXPORT_FORMATS)[number];
  model?: string;
  retentionMonths?: number;
  rpc?: string;
  registry?: string;
  ipfs?: string;
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

function parseModel(value: string | undefined): { id: string; version?: string } {
  if (value === undefined || value.length === 0) {
    throw new CliError("USAGE", "The evidence pack needs --model ID[@VERSION]", {
      hint: "Name the model the evidence pack is about, e.g. --model loan_scorer or --model loan_scorer@2.3.1.",
    });
  }
  const at = value.lastIndexOf("@");
  return at <= 0 ? { id: value } : { id: value.slice(0, at), version: value.slice(at + 1) };
}

/** The data directory's config, when the store is named by --dir (or ANCORA_DIR) and has one. */
function configOf(options: ExportFlags, env: Readonly<Record<string, string | undefined>>, cwd: string) {
  if (options.db !== undefined) return undefined;
  const dir = options.dir ?? env.ANCORA_DIR;
  if (dir === undefined || !existsSync(join(resolve(cwd, dir), CONFIG_FILE))) return undefined;
  return loadConfig(resolve(cwd, dir));
}

/**
 * The chain to check the pack against: an RPC endpoint from --rpc, ANCORA_RPC_URL or the config (none:
 * the pack says it was not checked on chain), the registry from --registry or the config (else the
 * stream's own anchors name it), and the config's deployment block.
 */
function chainOf(
  options: ExportFlags,
  env: Readonly<Record<string, string | undefined>>,
  config: AncoraConfig | undefined,
): EvidencePackOptions["chain"] {
  if (options.registry !== undefined && !isAddress(options.registry, { strict: false })) {
    throw new CliError("USAGE", "--registry is not an address", {
      hint: "Pass the ProvenanceRegistry's address: 0x followed by 40 hex digits.",
    });
  }
  if (options.rpc === undefined && env.ANCORA_RPC_URL === undefined && !config?.chain.rpcUrl)
    return undefined;
  const endpoints = rpcEndpointsOf(options.rpc, env, config);
  const publicClient = createPublicClient({
    transport: rpcTransport(endpoints, { timeoutMs: RPC_TIMEOUT_MS, retryCount: 1 }),
  });
  const registry = options.registry ?? config?.chain.registry ?? undefined;
  const block = config?.chain.deploymentBlock;
  return {
    publicClient,
    ...(registry === undefined ? {} : { registry }),
    ...(block === null || block === undefined ? {} : { deploymentBlock: BigInt(block) }),
  };
}

/**
 * The export's clock: SOURCE_DATE_EPOCH (seconds since 1970, the reproducible-builds convention) when
 * set, so that the same log exported twice gives the same bytes; else the time now.
 */
function clockOf(env: Readonly<Record<string, string | undefined>>): (() => Date) | undefined {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch === undefined) return undefined;
  if (!/^[0-9]{1,12}$/.test(epoch)) {
    throw new CliError("USAGE", "SOURCE_DATE_EPOCH is not a number of seconds", {
      hint: "Set SOURCE_DATE_EPOCH to whole seconds since 1970-01-01 (e.g. $(date +%s)), or unset it.",
    });
  }
  const at = new Date(Number(epoch) * 1000);
  return () => at;
}

/** The chain's and the verifier's "cannot reach it" errors as CHAIN_UNREACHABLE (exit 3). */
function reachable(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === "SOURCE_UNREACHABLE" || code === "SOURCE_TIMEOUT") {
    return new CliError("CHAIN_UNREACHABLE", "The RPC endpoint could not be reached", {
      cause: error,
      hint: "Check --rpc (or ANCORA_RPC_URL) and that the node is running, then run the command again.",
    });
  }
  return unreachable(error);
}

/** The evidence pack in the form `--format` (and `--json`) ask for. */
function renderPack(pack: EvidencePack, format: ExportFlags["format"], json: boolean): string {
  if (format === "eu-ai-act-html") return renderEvidencePackHtml(pack);
  return json ? `${JSON.stringify(pack, null, 2)}\n` : renderEvidencePack(pack);
}

/** The `export` command. */
export function exportCommand(ctx: CliContext): Command {
  return new Command("export")
    .description("export a stream: its JSONL audit log, or the EU AI Act evidence pack for a model")
    .option("--db <file>", "the SQLite store")
    .option("--dir <dir>", "data directory (its ancora.db and ancora.json), instead of --db")
    .requiredOption("--stream <name>", "the stream")
    .addOption(
      new Option(
        "--format <format>",
        "jsonl (audit log), eu-ai-act (evidence pack, Markdown; JSON with --json), eu-ai-act-html, eu-ai-act-bundle (tar)",
      )
        .choices(EXPORT_FORMATS)
        .default("jsonl"),
    )
    .option("--model <id[@version]>", "evidence pack: the model it is about")
    .option("--retention-months <n>", "evidence pack: retention committed to (default 6)", (v) =>
      integerFlag(v, "--retention-months", 1),
    )
    .option("--rpc <url>", "evidence pack: check it against the chain (or ANCORA_RPC_URL, or the config's)")
    .option("--registry <address>", "evidence pack: the ProvenanceRegistry (default: the stream's anchors')")
    .option("--ipfs <address>", "evidence pack: the IPFS gateway URL or peer the assessor's command names")
    .option("--out <file>", "write here (atomically: complete or not at all) instead of stdout")
    .option("--json", "evidence pack: as JSON; with --out: print a JSON summary")
    .action(
      handler<ExportFlags>(ctx, async (options) => {
        const { io } = ctx;
        const out = options.out === undefined ? undefined : resolve(io.cwd, options.out);
        const store = openExistingStore(dbPath(options, io.env, io.cwd), { readonly: true });
        try {
          const size = store.stream(options.stream).size;
          const clock = clockOf(io.env);
          if (options.format !== "jsonl") {
            const config = configOf(options, io.env, io.cwd);
            const chain = chainOf(options, io.env, config);
            const packOptions = {
              stream: options.stream,
              model: parseModel(options.model),
              ...(options.retentionMonths === undefined ? {} : { retentionMonths: options.retentionMonths }),
              ...(chain === undefined ? {} : { chain }),
              ...(options.ipfs === undefined ? {} : { ipfs: options.ipfs }),
              ...(clock === undefined ? {} : { clock }),
            };
            if (options.format === "eu-ai-act-bundle") {
              if (out === undefined) {
                throw new CliError("USAGE", "The bundle is a tar archive: it needs --out FILE", {
                  hint: "Pass --out evidence.tar (written atomically).",
                });
              }
              let written: Awaited<ReturnType<typeof writeEvidenceBundle>>;
              let bytes: number;
              try {
                ({ result: written, bytes } = await writeFileAtomically(out, (file) =>
                  writeEvidenceBundle(store, { ...packOptions, out: file }),
                ));
              } catch (error) {
                throw reachable(error);
              }
              const ok = written.pack.verification.ok;
              return {
                json: {
                  stream: options.stream,
                  model: written.pack.scope.model,
                  format: options.format,
                  out,
                  bytes,
                  files: written.files,
                  decisions: written.decisions,
                  receipts: written.receipts,
                  verification: { ok, chain: written.pack.verification.chain.checked },
                },
                text: [
                  `wrote the evidence bundle of ${packOptions.model.id} in ${options.stream} to ${out} (${bytes.toLocaleString("en-US")} bytes: ${written.files} files, ${written.decisions} decisions, ${written.receipts} receipts); check it with ancora-verify --pack ${out} --rpc URL`,
                ],
                exitCode: ok ? 0 : 1,
              };
            }
            let pack: EvidencePack;
            try {
              pack = await evidencePack(store, packOptions);
            } catch (error) {
              throw reachable(error);
            }
            const content = renderPack(pack, options.format, options.json === true);
            const exitCode = pack.verification.ok ? 0 : 1;
            if (out === undefined) {
              io.stdout.write(content);
              return { json: undefined, text: [], exitCode };
            }
            const { bytes } = await writeFileAtomically(out, async (file) => {
              file.write(content);
            });
            const chainState = !pack.verification.chain.checked
              ? "not checked against the chain"
              : pack.verification.chain.ok
                ? "verified against the chain"
                : "chain check FAILED";
            return {
              json: {
                stream: options.stream,
                model: pack.scope.model,
                format: options.format,
                out,
                bytes,
                verification: { ok: pack.verification.ok, chain: pack.verification.chain.checked },
              },
              text: [
                `wrote the evidence pack of ${parseModel(options.model).id} in ${options.stream} to ${out} (${bytes.toLocaleString("en-US")} bytes); local log ${pack.verification.local.ok ? "verified" : "FAILED"}, ${chainState}`,
              ],
              exitCode,
            };
          }
          const progress = progressBar(io.stderr, "export", size + 2);
          const run = async (sink: NodeJS.WritableStream | TextSink) => {
            const counting = countingSink(sink, progress);
            const result = await exportJsonl(store, {
              stream: options.stream,
              out: counting,
              ...(clock === undefined ? {} : { clock }),
            });
            // Everything the export wrote has reached the sink once the pass-through has finished.
            counting.end();
            await once(counting, "finish");
            return result;
          };
          let summary: Awaited<ReturnType<typeof run>>;
          let bytes: number | undefined;
          if (out === undefined) summary = await run(io.stdout);
          else ({ result: summary, bytes } = await writeFileAtomically(out, run));
          progress.finish();
          const verified = summary.verification.ok;
          const line = `exported ${summary.records} records of ${options.stream}${out === undefined ? "" : ` to ${out} (${(bytes ?? 0).toLocaleString("en-US")} bytes)`}; verification ${verified ? "ok" : "FAILED"}`;
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
              bytes,
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
