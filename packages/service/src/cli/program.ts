/**
 * The `ancora` program: commander wiring, exit-code discipline and error printing. `runCli` is what
 * the bin and the in-process tests call; it never calls process.exit and never throws.
 */
import { Command, CommanderError } from "commander";
import { CliError } from "../errors.js";
import { type CliContext, reportError } from "./command.js";
import { anchorCommand } from "./commands/anchor.js";
import { demoCommand } from "./commands/demo.js";
import { deployCommand } from "./commands/deploy.js";
import { exportCommand } from "./commands/export.js";
import { ingestCommand } from "./commands/ingest.js";
import { initCommand } from "./commands/init.js";
import { keysCommand } from "./commands/keys.js";
import { lineageCommand } from "./commands/lineage.js";
import { receiptCommand } from "./commands/receipt.js";
import { rolesCommand } from "./commands/roles.js";
import { serveCommand } from "./commands/serve.js";
import { streamCommand } from "./commands/stream.js";
import { verifyCommand } from "./commands/verify.js";
import { EXIT } from "./error-output.js";
import { type CliIo, processIo } from "./io.js";

/** The CLI's version, printed by `ancora --version`. */
export const CLI_VERSION = "0.1.0";

function program(ctx: CliContext): Command {
  const root = new Command("ancora")
    .description("Provable AI decisions: log, anchor, verify, serve.")
    .version(CLI_VERSION)
    .enablePositionalOptions() // `verify` passes its flags through untouched
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
      // Usage errors are printed by runCli in the CLI's own format.
      outputError: () => {},
    });
  for (const make of [
    initCommand,
    deployCommand,
    keysCommand,
    rolesCommand,
    streamCommand,
    serveCommand,
    ingestCommand,
    anchorCommand,
    verifyCommand,
    receiptCommand,
    exportCommand,
    lineageCommand,
    demoCommand,
  ]) {
    const command = make(ctx);
    // Settings are not inherited by commands built apart from the program: copy them.
    command.copyInheritedSettings(root);
    for (const sub of command.commands) sub.copyInheritedSettings(command);
    // `verify --help` is the verifier's own help: the help flag copied from the root is taken off again.
    if (command.name() === "verify") command.helpOption(false);
    root.addCommand(command);
  }
  return root;
}

/**
 * Runs the `ancora` CLI with `argv` (the arguments after the program name) and returns its exit code:
 * 0 ok, 1 a verification failure or tampering found, 2 a usage or configuration error, 3 a source
 * that could not be reached.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(["ingest", "--db", "ancora.db", "decisions.jsonl", "--json"]);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.ok };
  try {
    await program(ctx).parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with exit code 0; everything else commander raises is a usage error.
      if (error.exitCode === 0) return EXIT.ok;
      // `ancora` alone: commander has printed the help on stderr.
      if (error.code === "commander.help") return EXIT.usage;
      const message = error.message.replace(/^error: /, "");
      return reportError(
        io,
        new CliError("USAGE", message, {
          hint: "Run `ancora --help` or `ancora <command> --help` for the flags.",
        }),
        argv.includes("--json"),
      );
    }
    return reportError(io, error, argv.includes("--json"));
  }
}
