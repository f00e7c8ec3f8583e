/**
 * A writer process for the PostgreSQL multi-writer tests: appends `count` decisions to `stream` of the
 * database at `url`, `concurrency` at a time, and prints "seq cid" for each acknowledged one (a line is
 * printed only after its transaction committed). Usage: pg-append-child.ts <url> <stream> <count> <concurrency>
 */
import pg from "pg";
import { commitmentConfig } from "../internal/commitments.js";
import { decisionEntry } from "../postgres/pg-entries.js";
import { PgWriter } from "../postgres/pg-writer.js";
import { MODEL } from "./fixtures.js";

const [url, stream, countText, concurrencyText] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const pool = new pg.Pool({ connectionString: url, max: 4 });
const writer = new PgWriter(pool);
const id = await writer.openStream(stream as string, undefined);
const settings = {
  commitment: commitmentConfig("salted"),
  anonymise: undefined,
  maxInputBytes: 1 << 20,
  model: MODEL,
};
let next = 0;
async function worker(): Promise<void> {
  while (next < count) {
    const i = next++;
    const entry = decisionEntry(
      stream as string,
      { features: { i, pid: process.pid }, output: i % 2, score: (i % 10) / 10 },
      settings,
    );
    const outcome = await writer.append(id, stream as string, entry);
    if (!outcome.ok) throw outcome.error;
    process.stdout.write(`${outcome.value.seq} ${outcome.value.cid}\n`);
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
await pool.end();
