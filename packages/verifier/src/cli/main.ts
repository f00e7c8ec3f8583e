/**
 * The `ancora-verify` bin (packages/verifier/bin/ancora-verify.js imports the compiled file). The exit
 * code is set, not forced, so pending output is flushed before Node exits.
 */
import { runVerify } from "./run.js";

process.exitCode = await runVerify(process.argv);
