/**
 * Writes the fixture of the current PostgreSQL schema version to packages/sdk/test-fixtures/
 * (`pg-store-v<version>.sql`, a plain `pg_dump` of a database this code wrote). Run it once per released
 * PostgreSQL schema version and commit the file: the migration test loads every fixture into a fresh
 * database and opens it with the current code, which must migrate it and keep every record.
 *
 *   node --conditions=@ancora/source --import ./packages/verifier/src/testing/register-source.mjs \
 *     packages/sdk/src/testing/generate-pg-fixture.ts
 *
 * Starts a throwaway server (Debian's `postgresql`, see postgres-server.ts). The stream "loans" holds a
 * config, two labels and 600 salted decisions (two full Merkle tiles and a partial one); "fraud" holds a
 * config and 3 plain ones.
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@ancora/sdk";
import { PG_SCHEMA_VERSION } from "../postgres/pg-schema.js";
import { CONFIG, MODEL } from "./fixtures.js";
import { postgresBin, startPostgres } from "./postgres-server.js";

const out = fileURLToPath(new URL(`../../test-fixtures/pg-store-v${PG_SCHEMA_VERSION}.sql`, import.meta.url));
if (existsSync(out) && !process.argv.includes("--force")) {
  // A released version's fixture is what old databases look like: it is kept, never regenerated.
  console.error(`${out} exists; pass --force to overwrite it`);
  process.exit(1);
}
const server = await startPostgres();
try {
  const loans = createLogger({ url: server.url, stream: "loans", model: MODEL, commitment: "salted" });
  await loans.setConfig(CONFIG);
  await Promise.all(
    Array.from({ length: 600 }, (_, i) =>
      loans.record({ features: { applicant: i }, output: i % 2, score: (i % 10) / 10 }),
    ),
  );
  await loans.close();
  const fraud = createLogger({ url: server.url, stream: "fraud", model: MODEL, commitment: "plain" });
  await fraud.setConfig(CONFIG);
  for (let i = 0; i < 3; i++) await fraud.record({ features: { i }, output: i, score: 0.5 });
  await fraud.close();
  const dump = execFileSync(
    join(postgresBin(), "pg_dump"),
    ["--no-owner", "--no-privileges", "--inserts", "--dbname", server.url],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  writeFileSync(out, dump);
  console.log(`wrote ${out} (${dump.length} bytes)`);
} finally {
  server.stop();
}
