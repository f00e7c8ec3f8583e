/** `ancora receipt`: the receipt of one record (core's Receipt v2, JSON form). */
import { receiptToJSON } from "@ancora/core";
import { NotAnchoredError } from "@ancora/sdk";
import { Command } from "commander";
import { CliError } from "../../errors.js";
import { type CliContext, handler, integerFlag } from "../command.js";
import { dbPath } from "../config.js";
import { openExistingStore } from "../open-store.js";

interface ReceiptFlags {
  db?: string;
  dir?: string;
  stream: string;
  seq: number;
  registry?: string;
  chainId?: number;
  json?: boolean;
}

/** The `receipt` command. */
export function receiptCommand(ctx: CliContext): Command {
  return new Command("receipt")
    .description("print the receipt of record SEQ: record, CID, inclusion proof, checkpoint, anchor")
    .option("--db <file>", "the SQLite store")
    .option("--dir <dir>", "data directory (its ancora.db), instead of --db")
    .requiredOption("--stream <name>", "the stream")
    .requiredOption("--seq <n>", "the record's sequence number", (v) => integerFlag(v, "--seq"))
    .option("--registry <address>", "only anchors in this registry")
    .option("--chain-id <id>", "only anchors on this chain", (v) => integerFlag(v, "--chain-id", 1))
    .option("--json", "print the receipt on one line")
    .action(
      handler<ReceiptFlags>(ctx, async (options) => {
        const store = openExistingStore(dbPath(options, ctx.io.env, ctx.io.cwd), { readonly: true });
        try {
          const size = store.stream(options.stream).size;
          if (options.seq >= size) {
            throw new CliError("USAGE", `Stream "${options.stream}" has records 0 to ${size - 1}`, {
              hint: "Pass a --seq the stream holds.",
              evidence: { stream: options.stream, seq: options.seq, size },
            });
          }
          let receipt: ReturnType<typeof store.receipt>;
          try {
            receipt = store.receipt(options.stream, options.seq, {
              ...(options.registry === undefined ? {} : { registry: options.registry }),
              ...(options.chainId === undefined ? {} : { chainId: options.chainId }),
            });
          } catch (error) {
            // Core's receipt needs an anchor location, and the SDK builds none to a local checkpoint.
            if (!(error instanceof NotAnchoredError)) throw error;
            throw new CliError("NOT_ANCHORED", error.shortMessage, {
              cause: error,
              hint: "Anchor it first: `ancora anchor` commits the stream's checkpoints and waits for confirmations.",
              evidence: { stream: options.stream, seq: options.seq },
            });
          }
          const json = receiptToJSON(receipt);
          return { json, text: [JSON.stringify(json, null, 2)] };
        } finally {
          store.close();
        }
      }),
    );
}
