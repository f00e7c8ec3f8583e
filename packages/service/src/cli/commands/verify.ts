/**
 * `ancora verify`: the verifier's own CLI (`ancora-verify`, from @ancora/verifier/cli), given every
 * argument after `verify` unchanged, so both commands take the same flags and exit with the same codes.
 */
import { Command } from "commander";
import { CliError } from "../../errors.js";
import type { CliContext } from "../command.js";
import { reportError } from "../command.js";

type RunVerify = typeof import("@ancora/verifier/cli").runVerify;

/**
 * Loaded when `verify` runs: the verifier's modes pull in Helia and libp2p, which the other commands
 * do not need at start-up.
 */
async function loadRunVerify(): Promise<RunVerify> {
  try {
    return (await import("@ancora/verifier/cli")).runVerify;
  } catch (error) {
    throw new CliError("VERIFY_UNAVAILABLE", "The verifier's CLI cannot be loaded", {
      cause: error,
      hint: "Build the workspace (`npx tsc -b`), or run `ancora-verify` from @ancora/verifier directly.",
    });
  }
}

/** The `verify` command. */
export function verifyCommand(ctx: CliContext): Command {
  return (
    new Command("verify")
      .description(
        "verify a log, its anchors and IPFS copies (the ancora-verify CLI; see `ancora verify --help`)",
      )
      .argument("[args...]", "ancora-verify's flags, e.g. --db FILE --rpc URL --registry ADDRESS --json")
      // Off again after the program copies its settings (program.ts): --help goes to the verifier.
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .passThroughOptions()
      .action(async (args: string[]) => {
        const { io } = ctx;
        try {
          const runVerify = await loadRunVerify();
          // runVerify takes process.argv's shape: two entries before the arguments.
          ctx.exitCode = await runVerify(["node", "ancora verify", ...args], {
            stdout: io.stdout,
            stderr: io.stderr,
            env: io.env,
          });
        } catch (error) {
          ctx.exitCode = reportError(io, error, args.includes("--json"));
        }
      })
  );
}
