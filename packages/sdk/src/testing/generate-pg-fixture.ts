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
 * config and 3 plain ones. From version 2 on the log is also anchored (Hardhat's in-process network, a
 * fresh registry: the anchors name chain 31337 and that registry) from an anchoring copy, whose anchors
 * and manifests are copied back; then 10 more decisions of "loans" are left unanchored.
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAnchorer, createLogger, openPostgresMirror, openStore } from "@ancora/sdk";
import { createPublicClient, createWalletClient, defineChain, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { PG_SCHEMA_VERSION } from "../postgres/pg-schema.js";
import { CONFIG, DEV_KEY_1, MODEL, tempStore } from "./fixtures.js";
import { httpChain } from "./http-chain.js";
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
  if (PG_SCHEMA_VERSION >= 2) await anchorFixture(server.url);
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

/** Anchors the log at `url` as a fleet's anchoring replica does, then leaves 10 decisions unanchored. */
async function anchorFixture(url: string): Promise<void> {
  const chain = await httpChain({ streams: ["loans", "fraud"], anchorers: [DEV_KEY_1] });
  const temp = tempStore();
  const mirror = await openPostgresMirror(url, openStore({ path: temp.path }));
  try {
    await mirror.pull();
    const local = defineChain({
      id: 31337,
      name: "hardhat",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [chain.rpc.url] } },
    });
    const anchorer = createAnchorer({
      store: mirror.store,
      streams: ["loans", "fraud"],
      registry: chain.registry,
      publicClient: createPublicClient({ chain: local, transport: http(chain.rpc.url) }),
      walletClient: createWalletClient({
        account: privateKeyToAccount(DEV_KEY_1),
        chain: local,
        transport: http(chain.rpc.url),
      }),
      policy: { everyRecords: 256, everyMs: 1 },
      confirmations: 1,
    });
    for (let round = 0; round < 50; round++) {
      await anchorer.tick();
      if (anchorer.backlog().jobs === 0 && round > 0) break;
    }
    await anchorer.stop();
    await mirror.push();
    const loans = createLogger({ url, stream: "loans", model: MODEL, commitment: "salted" });
    for (let i = 0; i < 10; i++) await loans.record({ features: { late: i }, output: 1, score: 0.9 });
    await loans.close();
  } finally {
    await mirror.close();
    mirror.store.close();
    temp.cleanup();
    await chain.rpc.stop();
  }
}
