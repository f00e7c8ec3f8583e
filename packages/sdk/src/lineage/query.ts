/**
 * Lineage queries over a store: the graph of ancestors and descendants of any record (decision → model
 * → training run → datasets, and back down), each record with its inclusion proof, and the proof chain
 * that ties one training sample to a decision. Reading only: the links come from the `lineage` tables
 * (written with the records) and from the records themselves.
 */
import {
  type AncoraRecord,
  CompactRange,
  decodeRecord,
  inclusionProof,
  MemoryNodeStore,
  toHex,
} from "@ancora/core";
import type { ChainLink, SampleChain } from "@ancora/verifier";
import type Database from "better-sqlite3";
import { InputError, LineageError } from "../errors.js";
import { findRecordByCid } from "../internal/cid-index.js";
import { nodeSha256 } from "../internal/crypto.js";
import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";
import {
  LINEAGE_GRAPH_VERSION,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  type LineageNodeKind,
  type LineageProof,
} from "./graph.js";

export type { ChainLink, SampleChain };

/** Default number of descendant decisions listed in a graph. */
export const DEFAULT_LINEAGE_DECISIONS = 20;

/** A record named by CID, or by stream and seq. */
export type RecordRef = string | { stream: string; seq: number };

interface Located {
  cid: string;
  stream: string;
  seq: number;
  bytes: Buffer;
  record: AncoraRecord;
}

const hex0x = (bytes: Uint8Array) => `0x${toHex(bytes)}`;

function locate(db: Database.Database, ref: RecordRef): Located | undefined {
  const row =
    typeof ref === "string"
      ? (db
          .prepare<[string], { cid: string; stream: string; seq: number; bytes: Buffer }>(
            `SELECT r.cid, s.name AS stream, r.seq, r.bytes FROM lineage l
               JOIN records r ON r.stream_id = l.stream_id AND r.seq = l.seq
               JOIN streams s ON s.id = r.stream_id WHERE l.cid = ?`,
          )
          .get(ref) ??
        // Decisions and other records are not in the lineage index: the CID index finds them.
        findRecordByCid(db, ref))
      : db
          .prepare<[string, number], { cid: string; stream: string; seq: number; bytes: Buffer }>(
            "SELECT r.cid, s.name AS stream, r.seq, r.bytes FROM records r JOIN streams s ON s.id = r.stream_id WHERE s.name = ? AND r.seq = ?",
          )
          .get(ref.stream, ref.seq);
  if (row === undefined) return undefined;
  return { ...row, record: decodeRecord(row.bytes) };
}

function require(db: Database.Database, ref: RecordRef): Located {
  const found = locate(db, ref);
  if (found === undefined) {
    throw new LineageError("LINEAGE_UNKNOWN", "The store holds no such record", {
      evidence: typeof ref === "string" ? { cid: ref } : { ...ref },
      hint: "Pass a record CID (bafkrei…) or { stream, seq } of this store.",
    });
  }
  return found;
}

/** The record's inclusion proof at the latest checkpoint covering it, else at the stream's head. */
function proofOf(store: AncoraStore, located: Located): LineageProof {
  const latest = store.latestCheckpoint(located.stream);
  const covering = latest !== undefined && latest.size > located.seq ? latest : undefined;
  const size = covering?.size;
  const info = store.inclusionProof(located.stream, located.seq, size);
  return {
    index: info.index,
    size: info.size,
    leafHash: hex0x(info.leafHash),
    proof: info.proof.map(hex0x),
    root: hex0x(info.root),
    checkpointed: covering !== undefined,
  };
}

/**
 * A label's name by its id in one stream (a decision records its label as an id such as `L002`; the
 * stream's label records name it). Read once per stream per graph; the last definition of an id wins.
 */
function labelNames(db: Database.Database): (stream: string, id: string) => string | undefined {
  const select = db
    .prepare<[string], Buffer>(
      `SELECT r.bytes FROM records r JOIN streams s ON s.id = r.stream_id
        WHERE s.name = ? AND r.kind = 'label' ORDER BY r.seq`,
    )
    .pluck();
  const byStream = new Map<string, Map<string, string>>();
  return (stream, id) => {
    let names = byStream.get(stream);
    if (names === undefined) {
      names = new Map();
      for (const bytes of select.iterate(stream)) {
        const record = decodeRecord(bytes);
        if (record.kind === "label") names.set(record.body.id, record.body.name);
      }
      byStream.set(stream, names);
    }
    return names.get(id);
  };
}

function describe(
  located: Located,
  labelName: (stream: string, id: string) => string | undefined,
): Pick<LineageNode, "kind" | "name" | "version"> {
  const { record } = located;
  const body = record.body as unknown as Record<string, unknown>;
  switch (record.kind) {
    case "dataset-split":
      return { kind: "dataset", name: `${String(body.id)} / ${String(body.split)}` };
    case "model":
      return { kind: "model", name: String(body.name), version: String(body.version) };
    case "training":
      return { kind: "training", name: `training on ${String(body.backend)}` };
    case "reproducibility":
      return { kind: "reproducibility", name: "reproducibility manifest" };
    case "decision":
      return {
        kind: "decision",
        name: `decision ${labelName(located.stream, String(body.label)) ?? String(body.label)}`,
      };
    default:
      return { kind: "source" as LineageNodeKind, name: record.kind };
  }
}

/** Options of {@link lineageGraph}. */
export interface LineageGraphOptions {
  /** Most descendant decisions to list (default 20); the rest are counted in `omittedDecisions`. */
  maxDecisions?: number;
}

/**
 * The lineage graph around a record: its ancestors (what it was made from) and its descendants (what
 * was made from it), each node with its inclusion proof. Edges run the way data flows: dataset →
 * training → model → decision. Throws LineageError `LINEAGE_UNKNOWN` for a record the store lacks.
 *
 * @example
 * ```ts
 * const graph = lineageGraph(store, decision.cid);
 * writeFileSync("lineage.svg", await renderLineage(graph, "svg"));
 * ```
 */
export function lineageGraph(
  store: AncoraStore,
  ref: RecordRef,
  options: LineageGraphOptions = {},
): LineageGraph {
  const db = connectionOf(store);
  const maxDecisions = options.maxDecisions ?? DEFAULT_LINEAGE_DECISIONS;
  if (!Number.isSafeInteger(maxDecisions) || maxDecisions < 0) {
    throw new InputError("INVALID_OPTION", "maxDecisions must be an integer of 0 or more", {
      hint: "Pass how many descendant decisions to list (default 20); the rest are counted.",
      evidence: { field: "maxDecisions" },
    });
  }
  return db.transaction((): LineageGraph => {
    const root = require(db, ref);
    const labelName = labelNames(db);
    const nodes = new Map<string, LineageNode>();
    const edges = new Map<string, LineageEdge>();
    let omittedDecisions = 0;
    const link = (from: string, to: string, relation: LineageEdge["relation"]) =>
      edges.set(`${from}>${to}`, { from, to, relation });
    const add = (located: Located): void => {
      if (nodes.has(located.cid)) return;
      const node: LineageNode = {
        id: located.cid,
        ...describe(located, labelName),
        stream: located.stream,
        seq: located.seq,
        ts: located.record.ts,
        proof: proofOf(store, located),
      };
      nodes.set(located.cid, node);
      // A dataset's sources end the chain: nodes outside the log, pinned by the digests it commits to.
      if (located.record.kind === "dataset-split") {
        for (const source of located.record.body.sources ?? []) {
          const id = `source:${source.name}`;
          if (!nodes.has(id)) {
            nodes.set(id, {
              id,
              kind: "source",
              name: source.name,
              digest: source.digest,
              ...(source.uri === undefined ? {} : { uri: source.uri }),
            });
          }
          link(id, located.cid, "source-of");
        }
      }
    };
    const incoming = db.prepare<[string], { from_cid: string; relation: string }>(
      "SELECT from_cid, relation FROM lineage_edges WHERE to_cid = ?",
    );
    const outgoing = db.prepare<[string], { to_cid: string; relation: string }>(
      "SELECT to_cid, relation FROM lineage_edges WHERE from_cid = ?",
    );
    const modelByWeights = db
      .prepare<[string], string>("SELECT cid FROM lineage WHERE kind = 'model' AND key = ?")
      .pluck();
    add(root);

    // Ancestors: follow edges against their direction; a decision's model is found by its weights digest.
    const up = [root];
    const seenUp = new Set([root.cid]);
    while (up.length > 0) {
      const current = up.shift() as Located;
      const parents: { cid: string; relation: LineageEdge["relation"] }[] = incoming
        .all(current.cid)
        .map((e) => ({ cid: e.from_cid, relation: e.relation as LineageEdge["relation"] }));
      if (current.record.kind === "decision") {
        for (const cid of modelByWeights.all(current.record.body.model.hash))
          parents.push({ cid, relation: "made" });
      }
      for (const parent of parents) {
        const located = locate(db, parent.cid);
        if (located === undefined) continue;
        add(located);
        link(parent.cid, current.cid, parent.relation);
        if (!seenUp.has(parent.cid)) {
          seenUp.add(parent.cid);
          up.push(located);
        }
      }
    }

    // Descendants: follow edges; a model's decisions are found through the model index of records.
    const down = [root];
    const seenDown = new Set([root.cid]);
    while (down.length > 0) {
      const current = down.shift() as Located;
      for (const child of outgoing.all(current.cid)) {
        const located = locate(db, child.to_cid);
        if (located === undefined) continue;
        add(located);
        link(current.cid, child.to_cid, child.relation as LineageEdge["relation"]);
        if (!seenDown.has(child.to_cid)) {
          seenDown.add(child.to_cid);
          down.push(located);
        }
      }
      if (current.record.kind === "model") {
        const decisions = modelDecisions(db, current.record.body as unknown as ModelView);
        for (const decision of decisions.slice(0, maxDecisions)) {
          add(decision);
          link(current.cid, decision.cid, "made");
        }
        omittedDecisions += Math.max(0, decisions.length - maxDecisions);
      }
    }
    return {
      v: LINEAGE_GRAPH_VERSION,
      root: root.cid,
      nodes: [...nodes.values()],
      edges: [...edges.values()],
      omittedDecisions,
    };
  })();
}

interface ModelView {
  name: string;
  version: string;
  weights: string;
}

/** Decisions made by a model (same id, version and weights digest), in every stream, log order. */
function modelDecisions(db: Database.Database, model: ModelView): Located[] {
  const rows = db
    .prepare<[string, string], { cid: string; stream: string; seq: number; bytes: Buffer }>(
      `SELECT r.cid, s.name AS stream, r.seq, r.bytes FROM records r JOIN streams s ON s.id = r.stream_id
        WHERE r.model_id = ? AND r.model_version = ? ORDER BY r.stream_id, r.seq`,
    )
    .all(model.name, model.version);
  const out: Located[] = [];
  for (const row of rows) {
    const record = decodeRecord(row.bytes);
    if (record.kind === "decision" && record.body.model.hash === model.weights) out.push({ ...row, record });
  }
  return out;
}

function chainLink(store: AncoraStore, located: Located): ChainLink {
  return {
    cid: located.cid,
    stream: located.stream,
    seq: located.seq,
    record: Buffer.from(located.bytes).toString("base64"),
    proof: proofOf(store, located),
  };
}

/**
 * The proof chain for one training sample: the dataset record whose root includes it (with the
 * sample's membership proof), a training run over that dataset, the model it produced and a decision
 * of that model (the one given, else the first), each with its record and inclusion proof. Check it
 * with the pure {@link verifySampleChain}. A sample that is in no dataset of any training run (or not
 * behind the decision given) gets no proof: LineageError `SAMPLE_NOT_IN_TRAINING`.
 *
 * @example
 * ```ts
 * const chain = proveSampleInTraining(store, sampleHash, { decision: decisionCid });
 * verifySampleChain(chain).ok; // true
 * ```
 */
export function proveSampleInTraining(
  store: AncoraStore,
  sampleHash: Uint8Array,
  options: { decision?: string } = {},
): SampleChain {
  const db = connectionOf(store);
  if (!(sampleHash instanceof Uint8Array) || sampleHash.length !== 32) {
    throw new LineageError("SAMPLE_NOT_IN_TRAINING", "A sample hash is 32 bytes", {
      evidence: { field: "sampleHash" },
    });
  }
  return db.transaction((): SampleChain => {
    const hits = db
      .prepare<[Buffer], { dataset_cid: string; idx: number }>(
        "SELECT dataset_cid, idx FROM samples WHERE hash = ?",
      )
      .all(Buffer.from(sampleHash));
    const produced = db
      .prepare<[string], string>(
        "SELECT to_cid FROM lineage_edges WHERE from_cid = ? AND relation = 'produced'",
      )
      .pluck();
    const trainings = db
      .prepare<[string], string>(
        "SELECT e.to_cid FROM lineage_edges e JOIN lineage l ON l.cid = e.to_cid WHERE e.from_cid = ? AND l.kind = 'training'",
      )
      .pluck();
    for (const hit of hits) {
      for (const trainingCid of trainings.all(hit.dataset_cid)) {
        for (const modelCid of produced.all(trainingCid)) {
          const model = locate(db, modelCid);
          if (model?.record.kind !== "model") continue;
          const decisions = modelDecisions(db, model.record.body as unknown as ModelView);
          const decision =
            options.decision === undefined ? decisions[0] : decisions.find((d) => d.cid === options.decision);
          if (options.decision !== undefined && decision === undefined) continue;
          const dataset = require(db, hit.dataset_cid);
          const hashes = db
            .prepare<[string], Buffer>("SELECT hash FROM samples WHERE dataset_cid = ? ORDER BY idx")
            .pluck()
            .all(hit.dataset_cid);
          const tree = new CompactRange(nodeSha256);
          const nodes = new MemoryNodeStore();
          for (const h of hashes) nodes.putAll(tree.appendLeaf(h).nodes);
          return {
            v: 1,
            sample: hex0x(sampleHash),
            dataset: chainLink(store, dataset),
            sampleProof: {
              index: hit.idx,
              size: hashes.length,
              proof: inclusionProof(nodes, hit.idx, hashes.length, nodeSha256).map(hex0x),
            },
            training: chainLink(store, require(db, trainingCid)),
            model: chainLink(store, model),
            ...(decision === undefined ? {} : { decision: chainLink(store, decision) }),
          };
        }
      }
    }
    throw new LineageError("SAMPLE_NOT_IN_TRAINING", "No training run behind a model used this sample", {
      evidence: {
        sample: hex0x(sampleHash),
        ...(options.decision === undefined ? {} : { decision: options.decision }),
      },
      hint: "The sample is in no logged dataset of a logged training run (or not behind that decision).",
    });
  })();
}
