/**
 * `ancora demo`: runs the repository's demo (scripts/demo.ts: local chain, registry, SDK logger,
 * anchoring, verification, tampering) under this Node. A thin launcher: the demo is the script's.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { CliError } from "../../errors.js";
import { type CliContext, handler } from "../command.js";

/** The checkout this module runs from: src/cli/commands and dist/cli/commands are 5 levels below it. */
export function repositoryRoot(moduleUrl: string = import.meta.url): string {
  return join(fileURLToPath(moduleUrl), "..", "..", "..", "..", "..", "..");
}

/** The `demo` command. */
export function demoCommand(ctx: CliContext): Command {
  return new Command("demo")
    .description(
      "run the repository's demo end to end (local chain, logging, anchoring, verification, tampering)",
    )
    .action(
      handler<{ json?: boolean }>(ctx, async () => {
        const root = repositoryRoot();
        const script = join(root, "scripts", "demo.ts");
        if (!existsSync(script)) {
          throw new CliError("DEMO_UNAVAILABLE", "The demo runs from a checkout of the Ancora repository", {
            hint: "Clone the repository and run `make demo` (or `ancora demo`) there.",
          });
        }
        const child = spawn(process.execPath, [script], {
          cwd: root,
          env: { ...ctx.io.env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout.setEncoding("utf8").on("data", (text: string) => ctx.io.stdout.write(text));
        child.stderr.setEncoding("utf8").on("data", (text: string) => ctx.io.stderr.write(text));
        const code = await new Promise<number>((resolve) => {
          child.on("close", (status) => resolve(status ?? 1));
          child.on("error", () => resolve(2));
        });
        return { json: { exitCode: code }, text: [], exitCode: code };
      }),
    );
}
