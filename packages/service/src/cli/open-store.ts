/** Opening an existing store for a command (a missing file is a clear error, never a new empty store). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type AncoraStore, openStore } from "@ancora/sdk";
import { CliError } from "../errors.js";
import { DB_FILE } from "./config.js";

/**
 * Opens the store at `path`, which must exist. Read-only opens need the store at the current schema
 * version (a writer migrates it); commands that only read use them.
 *
 * @example
 * ```ts
 * const store = openExistingStore("/var/lib/ancora/ancora.db", { readonly: true });
 * ```
 */
export function openExistingStore(path: string, options: { readonly?: boolean } = {}): AncoraStore {
  if (!existsSync(path)) {
    throw new CliError("FILE_UNREADABLE", "No store at the given path", {
      hint: "Check --db (or --dir); `ancora ingest` or the service create the store on first write.",
      evidence: { path },
    });
  }
  return openStore({ path, readonly: options.readonly ?? false });
}

/** The stream names of the data directory's store (none when it has no store yet). */
export function storeStreams(dir: string): string[] {
  const db = join(dir, DB_FILE);
  if (!existsSync(db)) return [];
  const store = openStore({ path: db, readonly: true });
  try {
    return store.streams().map((s) => s.name);
  } finally {
    store.close();
  }
}
