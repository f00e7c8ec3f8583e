/**
 * Runs the pinning double (pinning-double.ts) in its own process, so a benchmark measures only the
 * client's cost of pinning, not the double's parsing and hashing:
 *
 *   node --conditions=@ancora/source --import ../../../verifier/src/testing/register-source.mjs pinning-double-server.ts \
 *     <pinata | kubo> <bearer token>
 *
 * Prints the double's base URL on one line of stdout once it listens on 127.0.0.1. When stdin ends
 * (the parent closes it or exits), prints one JSON line `{ requests, uploads, blocks }` and stops.
 */
import { PinningDouble } from "./pinning-double.js";

const [flavour, token] = process.argv.slice(2);
if ((flavour !== "pinata" && flavour !== "kubo") || token === undefined || token === "") {
  process.stderr.write("usage: pinning-double-server.ts <pinata | kubo> <bearer token>\n");
  process.exit(2);
}
const double = new PinningDouble(flavour, token);
const url = await double.start();
process.stdout.write(`${url}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  const stats = { requests: double.requests, uploads: double.uploads.length, blocks: double.stored.size };
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  void double.stop().then(() => process.exit(0));
});
