/**
 * Opening a PostgreSQL log for writing: the `pg` driver (an optional peer, loaded on first use), a pool
 * that survives connections the server drops, and the schema created or upgraded when needed.
 */
import { importOptional, POSTGRES_PACKAGES } from "@ancora/verifier/node";
import type pg from "pg";
import { InputError, StoreError } from "../errors.js";
import { migratePostgres } from "./pg-schema.js";

/**
 * A pool of at most `max` connections on `url`, its schema migrated. A failure is a StoreError
 * (STORE_WRITE_FAILED, or the schema's own code) that names neither the URL nor its password.
 */
export async function openPostgresPool(url: string, max: number): Promise<pg.Pool> {
  const { default: driver } = await importOptional(
    "Keeping the log in PostgreSQL",
    POSTGRES_PACKAGES,
    () => import("pg"),
  );
  const pool = new driver.Pool({ connectionString: url, max });
  // An idle connection the server drops is reported by the next query; without a listener node-postgres
  // would throw it as an uncaught error and end the process.
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client);
    } finally {
      client.release();
    }
    return pool;
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof StoreError || error instanceof InputError) throw error;
    throw new StoreError("STORE_WRITE_FAILED", "The PostgreSQL store cannot be opened; nothing was written", {
      cause: error,
      hint: "Check the URL, that the server is reachable and that the role may create tables (or run the migration once with one that may).",
    });
  }
}
