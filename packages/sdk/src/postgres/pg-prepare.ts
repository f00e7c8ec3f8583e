/**
 * Preparing a PostgreSQL log ahead of its replicas (`ancora init --db`). Its own module: the public
 * declarations of `@ancora/sdk` must not name the `pg` driver's types, which a consumer without the
 * optional peer does not have (pg-pool.ts's do).
 */
import { openPostgresPool } from "./pg-pool.js";
import { PG_SCHEMA_VERSION } from "./pg-schema.js";

/**
 * Creates or upgrades the schema of the PostgreSQL log at `url` (what `ancora init --db` does; loggers
 * and replicas also do it on first use, so this is for running it once with a role that may create
 * tables). Returns the schema version now in place.
 *
 * @example
 * ```ts
 * const version = await preparePostgresStore(process.env.ANCORA_DATABASE_URL as string); // 1
 * ```
 */
export async function preparePostgresStore(url: string): Promise<number> {
  const pool = await openPostgresPool(url, 1);
  await pool.end();
  return PG_SCHEMA_VERSION;
}
