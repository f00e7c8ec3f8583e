/**
 * What a service whose log is kept in PostgreSQL does not serve yet, as of 0.1.0: lineage, consent and
 * erasure writes (they go through the SQLite logger's API). They answer 501 NOT_ON_POSTGRES with what to
 * do instead; reads, receipts, search and exports are answered from the replica's copy of the log
 * (postgres-replica.ts).
 */
import { ServiceError } from "../errors.js";

/** The error of a route that a PostgreSQL log does not serve yet. */
export function notOnPostgres(): ServiceError {
  return new ServiceError("NOT_ON_POSTGRES", "This route is not served from a PostgreSQL log yet", {
    hint: "Lineage, consent and erasure records need a SQLite log until a later release; decisions, configs, reads, receipts and exports work on PostgreSQL.",
  });
}
