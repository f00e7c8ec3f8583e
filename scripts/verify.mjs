/**
 * `node scripts/verify.ts …`: the auditor's `ancora-verify`, run from the repository (after `tsc -b`)
 * instead of the installed bin. Same options, output and exit codes; see README, "For auditors".
 *
 *   node scripts/verify.ts --rpc URL --registry 0x… --ipfs /ip4/…/p2p/…   # chain and IPFS only
 *   node scripts/verify.ts --db copy-of-ancora.db [--rpc URL --registry 0x…]
 *   node scripts/verify.ts --receipt receipt.json --rpc URL
 */
import { runVerify } from "@ancora/verifier/cli";

process.exitCode = await runVerify(process.argv);
