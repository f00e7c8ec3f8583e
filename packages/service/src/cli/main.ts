/**
 * The `ancora` bin (packages/service/bin/ancora.js imports the compiled module): runs the CLI with
 * the process's arguments and leaves with its exit code.
 */
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2));
