/**
 * What the local log says about one model in one stream, read in one transaction (one snapshot): the
 * genesis, configs, labels, the model's decisions by version and label, checkpoints, confirmed anchors
 * and the local re-derivation of the whole stream.
 */
import { decodeRecord } from "@ancora/core";
import { type VerificationResult, verifyStream } from "@ancora/verifier";
import { sqliteRecordSource } from "@ancora/verifier/node";
import type Database from "better-sqlite3";
import { bytesToHex as hex0x } from "viem";
import { ModelUnknownError, StreamUnknownError } from "../errors.js";
import { nodeSha256 } from "../internal/crypto.js";
import { searchTable } from "../internal/record-index.js";
import type { EvidenceConfig, EvidencePack } from "./types.js";

/** A confirmed anchor of the stream as the local log records it. */
export interface LocalAnchorRow {
  chainId: number;
  registry: string;
  size: number;
  root: string;
  manifestCid: string;
  transaction: string;
  block: number | null;
  confirmations: number;
  /** Decisions of the model among the records new in this anchor. */
  decisions: number;
  fromSeq: number;
}

/** The facts of {@link readLocalFacts}. */
export interface LocalFacts {
  streamId: number;
  system: EvidencePack["system"];
  /** The registry the genesis record names, if any. */
  genesisRegistry?: { chainId: number; address: string };
  logging: Omit<EvidencePack["logging"], "statement">;
  configHistory: EvidenceConfig[];
  labels: EvidencePack["labels"];
  distribution: EvidencePack["distribution"];
  checkpoints: { size: number; root: string; head: string; ts: string }[];
  /** Confirmed anchors of the stream, all registries, by size. */
  anchors: LocalAnchorRow[];
  /** Time of the record at `seq` (for the unanchored tail), `null` beyond the log. */
  timeAt(seq: number): string | null;
  /** The model's decisions with `seq >= from`. */
  decisionsFrom(from: number): number;
  verification: VerificationResult;
}

/**
 * Reads the facts of `model` in `stream` from `db` in one read transaction.
 *
 * @throws {StreamUnknownError} `STREAM_UNKNOWN` when the store has no such stream.
 * @throws {ModelUnknownError} `MODEL_UNKNOWN` when the stream holds no decision of the model (or of
 *   that version of it).
 */
export function readLocalFacts(
  db: Database.Database,
  stream: string,
  model: { id: string; version?: string },
): LocalFacts {
  // Catch the search index up first: inside the read transaction below it could not write.
  const table = searchTable(db);
  return db.transaction((): LocalFacts => {
    const id = db.prepare<[string], number>("SELECT id FROM streams WHERE name = ?").pluck().get(stream);
    if (id === undefined) throw new StreamUnknownError(stream);
    const head = db
      .prepare<[number], { size: number; head_cid: string | null }>(
        "SELECT size, head_cid FROM streams WHERE id = ?",
      )
      .get(id) ?? { size: 0, head_cid: null };
    const modelFilter = model.version === undefined ? "" : " AND model_version = ?";
    const modelParams: unknown[] =
      model.version === undefined ? [id, model.id] : [id, model.id, model.version];

    const versions = db
      .prepare<
        unknown[],
        { version: string; decisions: number; first: string; last: string; maxSeq: number }
      >(
        `SELECT model_version AS version, count(*) AS decisions, min(ts) AS first, max(ts) AS last, max(seq) AS maxSeq
         FROM ${table} WHERE stream_id = ? AND model_id = ?${modelFilter} GROUP BY model_version ORDER BY min(seq)`,
      )
      .all(...modelParams);
    if (versions.length === 0) {
      const known = db
        .prepare<[number], { id: string; version: string }>(
          `SELECT DISTINCT model_id AS id, model_version AS version FROM ${table} WHERE stream_id = ? AND model_id IS NOT NULL ORDER BY 1, 2`,
        )
        .all(id)
        .map((m) => `${m.id}@${m.version}`);
      throw new ModelUnknownError(stream, model, known);
    }

    const control = db
      .prepare<[number], { seq: number; cid: string; bytes: Buffer }>(
        "SELECT seq, cid, bytes FROM records WHERE stream_id = ? AND kind <> 'decision' ORDER BY seq",
      )
      .all(id)
      .map((row) => ({ ...row, record: decodeRecord(row.bytes) }));
    const countBetween = db
      .prepare<unknown[], number>(
        `SELECT count(*) FROM ${table} WHERE stream_id = ? AND model_id = ?${modelFilter} AND seq >= ? AND seq < ?`,
      )
      .pluck();
    const decisionsBetween = (from: number, to: number) => countBetween.get(...modelParams, from, to) ?? 0;

    const labels = new Map<string, EvidencePack["labels"][number]>();
    const configs: EvidenceConfig[] = [];
    let genesis: EvidencePack["system"]["genesis"] | undefined;
    let genesisRegistry: LocalFacts["genesisRegistry"];
    const configSeqs = control.filter((c) => c.record.kind === "config").map((c) => c.seq);
    for (const { seq, cid, record } of control) {
      if (record.kind === "genesis") {
        const { createdBy, org, description } = record.body;
        genesis = {
          seq: 0,
          cid,
          ts: record.ts,
          createdBy,
          ...(org === undefined ? {} : { org }),
          ...(description === undefined ? {} : { description }),
        };
        genesisRegistry = record.body.registry;
      } else if (record.kind === "label") {
        const { id: labelId, name, changedBy, changeReason } = record.body;
        const entry = labels.get(labelId) ?? { id: labelId, name, history: [] };
        entry.name = name;
        entry.history.push({
          seq,
          ts: record.ts,
          name,
          ...(changedBy === undefined ? {} : { changedBy }),
          ...(changeReason === undefined ? {} : { changeReason }),
        });
        labels.set(labelId, entry);
      } else if (record.kind === "config") {
        const next = configSeqs.find((s) => s > seq) ?? Number.MAX_SAFE_INTEGER;
        const nameOf = (label: string) => ({ id: label, name: labels.get(label)?.name ?? label });
        configs.push({
          seq,
          cid,
          ts: record.ts,
          threshold: record.body.threshold,
          aboveLabel: nameOf(record.body.aboveLabel),
          belowLabel: nameOf(record.body.belowLabel),
          changedBy: record.body.changedBy,
          changeReason: record.body.changeReason,
          decisions: decisionsBetween(seq + 1, next),
        });
      }
    }
    if (genesis === undefined) throw new StreamUnknownError(stream);

    const hashOf = db
      .prepare<[number, number], Buffer>("SELECT bytes FROM records WHERE stream_id = ? AND seq = ?")
      .pluck();
    const modelVersions = versions.map((v) => {
      const bytes = hashOf.get(id, v.maxSeq);
      const record = bytes === undefined ? undefined : decodeRecord(bytes);
      const hash = record?.kind === "decision" ? record.body.model.hash : "";
      return { version: v.version, hash, decisions: v.decisions, first: v.first, last: v.last };
    });
    const distribution = db
      .prepare<unknown[], { label: string; version: string; decisions: number }>(
        `SELECT label, model_version AS version, count(*) AS decisions FROM ${table}
         WHERE stream_id = ? AND model_id = ?${modelFilter} GROUP BY label, model_version ORDER BY label, model_version`,
      )
      .all(...modelParams)
      .map((d) => ({ ...d, name: labels.get(d.label)?.name ?? d.label }));

    const checkpoints = db
      .prepare<[number], { size: number; root: Buffer; head_cid: string; ts: string }>(
        "SELECT size, root, head_cid, ts FROM checkpoints WHERE stream_id = ? ORDER BY size",
      )
      .all(id)
      .map((c) => ({ size: c.size, root: hex0x(c.root), head: c.head_cid, ts: c.ts }));

    const anchorRows = db
      .prepare<
        [number],
        {
          chain_id: number;
          registry: string;
          size: number;
          root: Buffer;
          manifest_cid: string;
          tx_hash: string;
          block_number: number | null;
          confirmations: number;
        }
      >(
        `SELECT chain_id, registry, size, root, manifest_cid, tx_hash, block_number, confirmations
         FROM anchors WHERE stream_id = ? AND status = 'confirmed' ORDER BY chain_id, registry, size`,
      )
      .all(id);
    const anchors: LocalAnchorRow[] = [];
    let previous: { key: string; size: number } | undefined;
    for (const a of anchorRows) {
      const key = `${a.chain_id}:${a.registry.toLowerCase()}`;
      const fromSeq = previous?.key === key ? previous.size : 0;
      previous = { key, size: a.size };
      anchors.push({
        chainId: a.chain_id,
        registry: a.registry.toLowerCase(),
        size: a.size,
        root: hex0x(a.root),
        manifestCid: a.manifest_cid,
        transaction: a.tx_hash,
        block: a.block_number,
        confirmations: a.confirmations,
        fromSeq,
        decisions: decisionsBetween(fromSeq, a.size),
      });
    }

    const verification = verifyStream(sqliteRecordSource(db, new Map([[stream, id]])), stream, {
      sha256: nodeSha256,
      maxFailures: 20,
    });
    const decisions = modelVersions.reduce((sum, v) => sum + v.decisions, 0);
    const timeAt = db
      .prepare<[number, number], string>("SELECT ts FROM records WHERE stream_id = ? AND seq = ?")
      .pluck();
    const tail = new Map<number, { ts: string | null; decisions: number }>();
    for (const from of new Set([0, ...anchors.map((a) => a.size)])) {
      tail.set(from, {
        ts: timeAt.get(id, from) ?? null,
        decisions: decisionsBetween(from, Number.MAX_SAFE_INTEGER),
      });
    }
    return {
      streamId: id,
      system: { stream, genesis, streamSize: head.size, head: head.head_cid },
      ...(genesisRegistry === undefined ? {} : { genesisRegistry }),
      logging: {
        decisions,
        firstDecision: modelVersions.reduce<string | null>(
          (m, v) => (m === null || v.first < m ? v.first : m),
          null,
        ),
        lastDecision: modelVersions.reduce<string | null>(
          (m, v) => (m === null || v.last > m ? v.last : m),
          null,
        ),
        modelVersions,
      },
      configHistory: configs,
      labels: [...labels.values()].sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1))),
      distribution,
      checkpoints,
      anchors,
      // The transaction is over once this returns: answers come from what was read inside it.
      timeAt: (seq) => tail.get(seq)?.ts ?? null,
      decisionsFrom: (from) => tail.get(from)?.decisions ?? 0,
      verification,
    };
  })();
}
