/**
 * Writes packages/sdk/src/generated/chain-names.ts: every chain id viem lists in `viem/chains`, with the
 * name(s) it lists the id by, so that naming a chain in an evidence pack does not load viem's whole
 * chain list (~780 modules, most of a process's start-up) at run time.
 *
 *   node scripts/generate-chain-names.ts           # (re)write the file
 *   node scripts/generate-chain-names.ts --check   # exit 1 when the file differs from what it would write
 *
 * Run it after upgrading viem; `chain-name.test.ts` fails until then. Deterministic: ids ascending,
 * several names for one id sorted and joined with " / " (31337 is Anvil, Foundry and Hardhat).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const OUT = fileURLToPath(new URL("../packages/sdk/src/generated/chain-names.ts", import.meta.url));
const BIOME = fileURLToPath(new URL("../node_modules/@biomejs/biome/bin/biome", import.meta.url));
// viem as the SDK resolves it (the version its lockfile entry pins).
const fromSdk = createRequire(new URL("../packages/sdk/package.json", import.meta.url));
const viemVersion = (fromSdk("viem/package.json") as { version: string }).version;
const chains = (await import(pathToFileURL(fromSdk.resolve("viem/chains")).href)) as Record<string, unknown>;

const byId = new Map<number, Set<string>>();
for (const chain of Object.values(chains) as { id?: unknown; name?: unknown }[]) {
  if (typeof chain?.id !== "number" || typeof chain.name !== "string") continue;
  const names = byId.get(chain.id) ?? new Set<string>();
  names.add(chain.name);
  byId.set(chain.id, names);
}
const entries = [...byId]
  .sort(([a], [b]) => a - b)
  .map(([id, names]) => `  [${id}, ${JSON.stringify([...names].sort().join(" / "))}],`);

const source = `/**
 * Chain ids and the names viem ${viemVersion} lists them by in \`viem/chains\`, written by
 * scripts/generate-chain-names.ts (do not edit): the table costs nothing to load, where viem's chain
 * list is ~780 modules. chain-name.test.ts fails when viem's list changes: run the script again.
 */
export const CHAIN_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
${entries.join("\n")}
]);
`;
const formatted = spawnSync(process.execPath, [BIOME, "format", `--stdin-file-path=${OUT}`], {
  input: source,
  encoding: "utf8",
});
if (formatted.status !== 0) throw new Error(`biome format failed: ${formatted.stderr}`);
if (process.argv.includes("--check")) {
  const current = readFileSync(OUT, "utf8");
  if (current !== formatted.stdout) {
    console.error(`${OUT} is out of date: run node scripts/generate-chain-names.ts`);
    process.exit(1);
  }
} else {
  writeFileSync(OUT, formatted.stdout);
  console.log(`wrote ${byId.size} chain ids to ${OUT}`);
}
