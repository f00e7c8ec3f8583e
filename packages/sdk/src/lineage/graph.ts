/**
 * The lineage graph as data: what `lineageGraph` returns and `renderLineage` draws. Plain JSON (no
 * class instances, hashes as hex), so it can be sent over HTTP as is and checked by an auditor with the
 * pure proof functions of @ancora/core. Format: docs/lineage.md, "Lineage graphs".
 */

import type { LineageProof } from "@ancora/verifier";

export type { LineageProof };

/** Format version of {@link LineageGraph}. */
export const LINEAGE_GRAPH_VERSION = 1;

/** What a node is: a record kind of the log, or an external source a dataset names. */
export type LineageNodeKind = "source" | "dataset" | "training" | "model" | "decision" | "reproducibility";

/** One node: a record (with its CID, place in the log and proof) or an external source. */
export interface LineageNode {
  /** The record's CID; for a source, `source:` + its URI or name. */
  id: string;
  kind: LineageNodeKind;
  /** Display name (dataset/model name, training run id, decision label). */
  name: string;
  /** Version, when the kind has one. */
  version?: string;
  /** Where the record is: absent for sources. */
  stream?: string;
  seq?: number;
  ts?: string;
  /** Inclusion proof of the record (absent for sources). */
  proof?: LineageProof;
  /** For a source: the digest its dataset record commits to, and where it lives when named. */
  digest?: string;
  uri?: string;
}

/** A directed edge in the direction data flows: source → dataset → training → model → decision. */
export interface LineageEdge {
  from: string;
  to: string;
  relation: "source-of" | "trained-on" | "produced" | "made" | "reproduces";
}

/** A lineage graph around one record. */
export interface LineageGraph {
  v: typeof LINEAGE_GRAPH_VERSION;
  /** CID of the record the graph was asked for. */
  root: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
  /** Descendant decisions not listed because of the limit (0 when all are listed). */
  omittedDecisions: number;
}

/** `bafkreiabc…xyz123`: enough of a CID to tell two apart on screen. */
export function shortCid(id: string): string {
  if (id.startsWith("source:")) return id.slice("source:".length);
  return id.length <= 16 ? id : `${id.slice(0, 8)}…${id.slice(-6)}`;
}
