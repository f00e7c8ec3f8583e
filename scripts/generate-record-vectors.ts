/**
 * Writes packages/core/test-vectors/records.json, receipts.json (receipt format v1, frozen) and
 * receipts-v2.json: Ancora's published vectors for records, commitments and receipts (format in
 * packages/core/test-vectors/README.md).
 *
 *   node scripts/generate-record-vectors.ts           # (re)write both files
 *   node scripts/generate-record-vectors.ts --check   # exit 1 when a file differs from what it would write
 *
 * It builds @ancora/core (tsc -b, incremental) and uses it to lay out the vectors. That is not circular:
 * the vectors test in core checks every accepted vector against independent implementations as well —
 * @ipld/dag-json for the canonical bytes, node:crypto and a hand-built CID for the CIDs and digests,
 * node:crypto's HMAC for commitments — and the expected rejections below are written here by hand (the
 * script refuses to write a vector whose outcome core does not agree with). Deterministic: fixed salts,
 * keys and timestamps, so every run writes the same bytes.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = fileURLToPath(new URL("../packages/core/test-vectors/", import.meta.url));
const BIOME = fileURLToPath(new URL("../node_modules/@biomejs/biome/bin/biome", import.meta.url));
const TSC = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));

const build = spawnSync(process.execPath, [TSC, "-b", "packages/core"], { cwd: ROOT, encoding: "utf8" });
if (build.status !== 0) {
  console.error(`building @ancora/core failed:\n${build.stdout}${build.stderr}`);
  process.exit(1);
}
// Imported only now: they read the core just built.
const { recordsDocument } = await import("./vectors/records.ts");
const { receiptsDocument, receiptsV2Document } = await import("./vectors/receipts.ts");
const { lineageDocument } = await import("./vectors/lineage.ts");

/** The JSON laid out as the repository's formatter lays it out, so `biome check` and `--check` agree. */
function formatted(path: string, json: string): string {
  const result = spawnSync(process.execPath, [BIOME, "format", `--stdin-file-path=${path}`], {
    input: json,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

let stale = false;
for (const [name, document] of [
  ["records.json", recordsDocument],
  ["receipts.json", receiptsDocument],
  ["receipts-v2.json", receiptsV2Document],
  ["lineage.json", lineageDocument],
] as const) {
  const path = `${OUT_DIR}${name}`;
  const output = formatted(path, JSON.stringify(document, null, 2));
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = "";
    }
    if (current !== output) {
      console.error(`${path} is out of date: run node scripts/generate-record-vectors.ts`);
      stale = true;
    } else {
      console.log(`${path} is up to date`);
    }
  } else {
    writeFileSync(path, output);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);
