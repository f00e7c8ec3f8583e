/**
 * Package-internal: the open connection and the clock behind a store, for the SDK's own modules
 * (anchoring, pinning, lineage, consent, exports) that read or write a store's tables directly. Kept
 * apart from store.ts so that those modules and the store do not import each other.
 */
import type Database from "better-sqlite3";
import { ClosedError } from "../errors.js";
import type { Clock } from "./append-plan.js";

const connections = new WeakMap<object, Database.Database>();
const clocks = new WeakMap<object, Clock>();

/** Records the connection and clock of a store (its constructor calls this once). */
export function attachStoreHandle(store: object, db: Database.Database, clock: Clock): void {
  connections.set(store, db);
  clocks.set(store, clock);
}

/** Forgets a closed store's connection, so that {@link connectionOf} refuses it. */
export function detachStoreHandle(store: object): void {
  connections.delete(store);
}

/** The open connection of a store (throws ClosedError when closed). */
export function connectionOf(store: object): Database.Database {
  const db = connections.get(store);
  if (db === undefined || !db.open) throw new ClosedError("store");
  return db;
}

/**
 * The clock a store (and the logger over it) stamps records with, so that every record of a logger,
 * lineage and consent ones included, and every judgement of time (consent validity, retention
 * cut-offs) use one clock.
 */
export function clockOf(store: object): Clock {
  return clocks.get(store) ?? (() => new Date());
}
