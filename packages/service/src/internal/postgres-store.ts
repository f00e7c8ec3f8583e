/**
 * The read side of a service whose log is kept in PostgreSQL, as of 0.1.0: not served yet. Every use
 * of it (reading a record, a receipt, search, exports, evidence packs, lineage) answers 501
 * NOT_ON_POSTGRES with what to do instead, so no route can answer from a log that is not the one
 * written.
 */
import type { AncoraStore } from "@ancora/sdk";
import { ServiceError } from "../errors.js";

function notOnPostgres(): ServiceError {
  return new ServiceError("NOT_ON_POSTGRES", "This route is not served from a PostgreSQL log yet", {
    hint: "Verify the log with `ancora-verify --db postgres://…`; reads, receipts, search and exports need a SQLite log until a later release.",
  });
}

/** An AncoraStore whose every method throws NOT_ON_POSTGRES. */
export function storeNotOnPostgres(): AncoraStore {
  return new Proxy({} as AncoraStore, {
    get(_target, property) {
      // Not a promise, and printable: only the store's own members throw.
      if (typeof property === "symbol" || property === "then" || property === "toJSON") return undefined;
      return () => {
        throw notOnPostgres();
      };
    },
  });
}

export { notOnPostgres };
