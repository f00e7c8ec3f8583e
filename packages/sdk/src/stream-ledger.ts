/**
 * The narrow view of a logger that writing lineage, consent, capsule and retention records needs: a
 * ProvenanceLogger is one. Those modules take this instead of the logger, so the logger can offer
 * them as methods without the two importing each other.
 */
import type { AncoraStore } from "./store.js";

/** A stream being written: its store, its name, and whether its writer was closed. */
export interface StreamLedger {
  readonly store: AncoraStore;
  readonly stream: string;
  readonly closed: boolean;
}
