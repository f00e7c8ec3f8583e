/**
 * `node scripts/verify.mjs …`: the auditor's `ancora-verify`, run from the repository (after `tsc -b`)
 * instead of the installed bin. Same options, output and exit codes; see README, "For auditors".
 * JavaScript, not TypeScript: a Node.js too old to strip types must still reach the version check
 * below and say what it needs, in one line.
 *
 *   node scripts/verify.mjs --rpc URL --registry 0x… --ipfs /ip4/…/p2p/…   # chain and IPFS only
 *   node scripts/verify.mjs --db copy-of-ancora.db [--rpc URL --registry 0x…]
 *   node scripts/verify.mjs --receipt receipt.json --rpc URL
 */
import { requireNode } from "@ancora/verifier/require-node";

requireNode("node scripts/verify.mjs");
const { runVerify } = await import("@ancora/verifier/cli");
process.exitCode = await runVerify(process.argv);
