/**
 * Exports for auditors and regulators: a streaming JSON-lines audit log of a stream (verified while it
 * is written), and an EU AI Act evidence pack per stream and model, as JSON and as Markdown.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { decodeRecord } from "@ancora/core";
import { StreamVerifier, type VerificationResult, verifyStream } from "@ancora/verifier";
import { sqliteRecordSource } from "@ancora/verifier/node";
import type Database from "better-sqlite3";
import { InputError, StreamUnknownError } from "./errors.js";
import { nodeSha256 } from "./internal/crypto.js";
import { openDatabase } from "./internal/database.js";
import { type AncoraStore, connectionOf } from "./store.js";

/** What an export wrote. */
export interface JsonlExportSummary {
  stream: string;
  /** Records written. */
  records: number;
  /** Lines written, header and trailer included. */
  lines: number;
  bytes: number;
  /** The verification of exactly the records written (the last line of the file). */
  verification: VerificationResult;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const hex0x = (bytes: Uint8Array) => `0x${Array.from(bytes, (b) => HEX[b]).join("")}`;

function streamIdIn(db: Database.Database, stream: string): number {
  const id = db.prepare<[string], number>("SELECT id FROM streams WHERE name = ?").pluck().get(stream);
  if (id === undefined) throw new StreamUnknownError(stream);
  return id;
}

/**
 * Writes one stream's audit log as JSON lines, streaming, from one consistent snapshot (its own
 * read-only connection, so writers go on meanwhile):
 *
 * - line 1: `{"type":"header","format":"ancora.audit-log","version":1,"stream":…,"size":…,"head":…,"exportedAt":…}`
 * - one line per record, in seq order: `{"type":"record","seq":…,"cid":…,"record":<record>}`, where
 *   `<record>` is the record's canonical DAG-JSON spliced in byte for byte (always the last field:
 *   a reader recovers the exact hashed bytes as the line between `"record":` and the final `}`);
 * - one line per stored checkpoint: `{"type":"checkpoint","size":…,"root":"0x…","head":…,"ts":…}`;
 * - last line: `{"type":"verification",…}`, the verifier's result over exactly the records above.
 *
 * @example
 * ```ts
 * const summary = await exportJsonl(logger.store, { stream: "credit", out: "credit-audit.jsonl" });
 * summary.verification.ok; // true
 * ```
 */
export async function exportJsonl(
  store: AncoraStore,
  options: { stream: string; out: Writable | string; clock?: () => Date },
): Promise<JsonlExportSummary> {
  connectionOf(store); // fails on a closed store
  const db = openDatabase(store.path, { readonly: true });
  const out = typeof options.out === "string" ? createWriteStream(options.out) : options.out;
  let bytes = 0;
  let lines = 0;
  let buffer = "";
  const write = async (line: string, force = false) => {
    buffer += `${line}\n`;
    lines++;
    if (buffer.length < 64 * 1024 && !force) return;
    bytes += Buffer.byteLength(buffer);
    const ok = out.write(buffer);
    buffer = "";
    if (!ok) await once(out, "drain");
  };
  try {
    db.exec("BEGIN"); // one read snapshot for the whole export
    const id = streamIdIn(db, options.stream);
    const source = sqliteRecordSource(db, new Map([[options.stream, id]]));
    const head = source.head?.(options.stream);
    const checkpoints = [...source.checkpoints(options.stream)];
    const verifier = new StreamVerifier(options.stream, checkpoints, {
      sha256: nodeSha256,
      nodes: (level, index) => source.node?.(options.stream, level, index),
    });
    await write(
      JSON.stringify({
        type: "header",
        format: "ancora.audit-log",
        version: 1,
        stream: options.stream,
        size: head?.size ?? 0,
        head: head?.head ?? null,
        exportedAt: (options.clock?.() ?? new Date()).toISOString(),
      }),
    );
    const decoder = new TextDecoder();
    let records = 0;
    for (const record of source.records(options.stream)) {
      verifier.add(record);
      records++;
      await write(
        `{"type":"record","seq":${record.seq},"cid":${JSON.stringify(record.cid)},"record":${decoder.decode(record.bytes)}}`,
      );
    }
    for (const c of checkpoints) {
      await write(
        JSON.stringify({ type: "checkpoint", size: c.size, root: hex0x(c.root), head: c.head, ts: c.ts }),
      );
    }
    const verification = verifier.finish(head);
    await write(JSON.stringify({ type: "verification", ...verification }), true);
    if (typeof options.out === "string") {
      out.end();
      await once(out, "finish");
    }
    return { stream: options.stream, records, lines, bytes, verification };
  } finally {
    if (db.inTransaction) db.exec("COMMIT");
    db.close();
    if (typeof options.out === "string" && !out.writableFinished) out.destroy();
  }
}

/** Options of {@link evidencePack}. */
export interface EvidencePackOptions {
  stream: string;
  /** The model the pack is about: its id, or id and version. */
  model: string | { id: string; version?: string };
  /** The retention period the deployer commits to, in months (default 6: AI Act Art. 19(1), 26(6)). */
  retentionMonths?: number;
  clock?: () => Date;
}

/** A config record as the pack lists it. */
export interface EvidenceConfig {
  seq: number;
  cid: string;
  ts: string;
  threshold: number;
  aboveLabel: { id: string; name: string };
  belowLabel: { id: string; name: string };
  changedBy: string;
  changeReason: string;
  /** Decisions of this model made under this config. */
  decisions: number;
}

/** An EU AI Act evidence pack for one model in one stream. JSON-safe. */
export interface EvidencePack {
  format: "ancora.evidence-pack";
  version: 1;
  generatedAt: string;
  scope: { stream: string; model: { id: string; version?: string } };
  system: {
    stream: string;
    genesis: { seq: 0; cid: string; ts: string; createdBy: string; org?: string; description?: string };
    registry?: { chainId: number; address: string };
    streamSize: number;
    head: string | null;
  };
  /** Art. 12: automatic recording of events over the system's lifetime. */
  logging: {
    decisions: number;
    firstDecision: string | null;
    lastDecision: string | null;
    modelVersions: { version: string; hash: string; decisions: number; first: string; last: string }[];
    statement: string;
  };
  /** Art. 19(1) and 26(6): retention. */
  retention: { months: number; oldestRecord: string; covered: boolean; statement: string };
  /** Every config record of the stream, with who changed it and why. */
  configHistory: EvidenceConfig[];
  /** Every label id of the stream with its names over time. */
  labels: {
    id: string;
    name: string;
    history: { seq: number; ts: string; name: string; changedBy?: string; changeReason?: string }[];
  }[];
  /** This model's decisions by label id and by model version. */
  distribution: { label: string; name: string; version: string; decisions: number }[];
  checkpoints: { size: number; root: string; head: string; ts: string; anchored: boolean }[];
  verification: {
    ok: boolean;
    checked: number;
    checkpoints: number;
    failureCount: number;
    firstBadSeq?: number;
    failures: VerificationResult["failures"];
  };
}

/**
 * The evidence pack of one model in one stream: what it logged over its lifetime (AI Act Art. 12),
 * the retention statement (Art. 19(1), 26(6)), the config history with actors and reasons, the label
 * registry, the decision distribution, the checkpoints, and the verification result. It counts and
 * names only this model's decisions: another model's records never appear in it (config and label
 * records are the stream's own, not any model's).
 *
 * @example
 * ```ts
 * const pack = evidencePack(logger.store, { stream: "credit", model: "credit-risk" });
 * writeFileSync("credit-risk.json", JSON.stringify(pack, null, 2));
 * writeFileSync("credit-risk.md", renderEvidencePack(pack));
 * ```
 */
export function evidencePack(store: AncoraStore, options: EvidencePackOptions): EvidencePack {
  const db = connectionOf(store);
  const model = typeof options.model === "string" ? { id: options.model } : options.model;
  const months = options.retentionMonths ?? 6;
  if (!Number.isSafeInteger(months) || months < 6) {
    throw new InputError("INVALID_OPTION", "retentionMonths must be an integer of at least 6", {
      hint: "The AI Act requires deployers to keep logs for at least six months (Art. 26(6)).",
    });
  }
  const now = options.clock?.() ?? new Date();
  return db.transaction((): EvidencePack => {
    const id = streamIdIn(db, options.stream);
    const head = db
      .prepare<[number], { size: number; head_cid: string | null }>(
        "SELECT size, head_cid FROM streams WHERE id = ?",
      )
      .get(id) ?? { size: 0, head_cid: null };
    const control = db
      .prepare<[number], { seq: number; cid: string; bytes: Buffer }>(
        "SELECT seq, cid, bytes FROM records WHERE stream_id = ? AND kind <> 'decision' ORDER BY seq",
      )
      .all(id)
      .map((row) => ({ ...row, record: decodeRecord(row.bytes) }));
    const modelFilter = model.version === undefined ? "" : " AND model_version = ?";
    const modelParams: unknown[] =
      model.version === undefined ? [id, model.id] : [id, model.id, model.version];
    const countBetween = db
      .prepare<unknown[], number>(
        `SELECT count(*) FROM records WHERE stream_id = ? AND model_id = ?${modelFilter} AND seq > ? AND seq < ?`,
      )
      .pluck();

    const labels = new Map<string, EvidencePack["labels"][number]>();
    const configs: EvidenceConfig[] = [];
    let genesis: EvidencePack["system"]["genesis"] | undefined;
    let registry: EvidencePack["system"]["registry"];
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
        registry = record.body.registry;
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
          decisions: countBetween.get(...modelParams, seq, next) ?? 0,
        });
      }
    }
    if (genesis === undefined) throw new StreamUnknownError(options.stream);

    const versions = db
      .prepare<
        unknown[],
        { version: string; decisions: number; first: string; last: string; maxSeq: number }
      >(
        `SELECT model_version AS version, count(*) AS decisions, min(ts) AS first, max(ts) AS last, max(seq) AS maxSeq
         FROM records WHERE stream_id = ? AND model_id = ?${modelFilter} GROUP BY model_version ORDER BY min(seq)`,
      )
      .all(...modelParams);
    const hashOf = db
      .prepare<[number, number], Buffer>("SELECT bytes FROM records WHERE stream_id = ? AND seq = ?")
      .pluck();
    const modelVersions = versions.map((v) => {
      const bytes = hashOf.get(id, v.maxSeq);
      const record = bytes === undefined ? undefined : decodeRecord(bytes);
      const hash = record?.kind === "decision" ? record.body.model.hash : "";
      return { version: v.version, hash, decisions: v.decisions, first: v.first, last: v.last };
    });
    const decisions = modelVersions.reduce((sum, v) => sum + v.decisions, 0);
    const first = modelVersions.reduce<string | null>(
      (m, v) => (m === null || v.first < m ? v.first : m),
      null,
    );
    const last = modelVersions.reduce<string | null>((m, v) => (m === null || v.last > m ? v.last : m), null);

    const distribution = db
      .prepare<unknown[], { label: string; version: string; decisions: number }>(
        `SELECT label, model_version AS version, count(*) AS decisions FROM records
         WHERE stream_id = ? AND model_id = ?${modelFilter} GROUP BY label, model_version ORDER BY label, model_version`,
      )
      .all(...modelParams)
      .map((d) => ({ ...d, name: labels.get(d.label)?.name ?? d.label }));

    const anchored = new Set(
      db
        .prepare<[number], string>(
          "SELECT payload FROM outbox WHERE stream_id = ? AND kind = 'anchor' AND done_at IS NOT NULL",
        )
        .pluck()
        .all(id)
        .map((p) => (JSON.parse(p) as { size?: number }).size),
    );
    const checkpoints = db
      .prepare<[number], { size: number; root: Buffer; head_cid: string; ts: string }>(
        "SELECT size, root, head_cid, ts FROM checkpoints WHERE stream_id = ? ORDER BY size",
      )
      .all(id)
      .map((c) => ({
        size: c.size,
        root: hex0x(c.root),
        head: c.head_cid,
        ts: c.ts,
        anchored: anchored.has(c.size),
      }));

    const result = verifyStream(sqliteRecordSource(db, new Map([[options.stream, id]])), options.stream, {
      sha256: nodeSha256,
      maxFailures: 20,
    });
    const oldest = genesis.ts;
    const horizon = new Date(now);
    horizon.setUTCMonth(horizon.getUTCMonth() - months);
    const modelName = model.version === undefined ? model.id : `${model.id} ${model.version}`;
    return {
      format: "ancora.evidence-pack",
      version: 1,
      generatedAt: now.toISOString(),
      scope: { stream: options.stream, model },
      system: {
        stream: options.stream,
        genesis,
        ...(registry === undefined ? {} : { registry }),
        streamSize: head.size,
        head: head.head_cid,
      },
      logging: {
        decisions,
        firstDecision: first,
        lastDecision: last,
        modelVersions,
        statement:
          `Every decision of ${modelName} in stream "${options.stream}" was recorded automatically when it was made ` +
          "(AI Act Art. 12(1)): a hash-chained record with the model version and artefact digest, commitments to " +
          "the input and output, the score, the resulting label and the configuration in force. Records are " +
          "append-only; each is an IPFS block whose CID covers its exact bytes.",
      },
      retention: {
        months,
        oldestRecord: oldest,
        // Complete since genesis is what verification establishes: no gap, no truncation, no edit.
        covered: result.ok,
        statement:
          `Logs are kept for at least ${months} months (AI Act Art. 19(1) for providers, Art. 26(6) for deployers). ` +
          (result.ok
            ? `The log is append-only and verified complete since ${oldest}` +
              (oldest <= horizon.toISOString()
                ? `, which covers the whole ${months}-month period before ${now.toISOString()}.`
                : `, the start of the system's lifetime (less than ${months} months ago).`)
            : "Verification failed (section 8): completeness over the retention period cannot be attested."),
      },
      configHistory: configs,
      labels: [...labels.values()].sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1))),
      distribution,
      checkpoints,
      verification: {
        ok: result.ok,
        checked: result.checked,
        checkpoints: result.checkpoints,
        failureCount: result.failureCount,
        ...(result.firstBadSeq === undefined ? {} : { firstBadSeq: result.firstBadSeq }),
        failures: result.failures,
      },
    };
  })();
}

function cell(value: unknown): string {
  return String(value).replaceAll("|", "\\|").replaceAll("\n", " ");
}

function table(header: string[], rows: unknown[][]): string {
  if (rows.length === 0) return "_None._\n";
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
    "",
  ].join("\n");
}

/**
 * The evidence pack as a readable Markdown report.
 *
 * @example
 * ```ts
 * writeFileSync("evidence.md", renderEvidencePack(evidencePack(store, { stream: "credit", model: "credit-risk" })));
 * ```
 */
export function renderEvidencePack(pack: EvidencePack, options: { organisation?: string } = {}): string {
  const { scope, system, logging, retention, verification } = pack;
  const model =
    scope.model.version === undefined ? scope.model.id : `${scope.model.id} ${scope.model.version}`;
  const org = options.organisation ?? system.genesis.org;
  const parts = [
    `# Evidence pack: ${model} — stream \`${scope.stream}\``,
    "",
    `${org === undefined ? "" : `Organisation: ${org}. `}Generated ${pack.generatedAt} by Ancora. ` +
      `Integrity: **${verification.ok ? "verified" : "FAILED"}** (${verification.checked} records, ${verification.checkpoints} checkpoints).`,
    "",
    "## 1. System and log",
    "",
    table(
      ["field", "value"],
      [
        ["stream", system.stream],
        ["created", `${system.genesis.ts} by ${system.genesis.createdBy}`],
        ["description", system.genesis.description ?? "—"],
        ["genesis record", system.genesis.cid],
        ["records in the stream", system.streamSize],
        ["head", system.head ?? "—"],
        [
          "anchoring registry",
          system.registry ? `chain ${system.registry.chainId}, ${system.registry.address}` : "—",
        ],
      ],
    ),
    "## 2. Automatic logging over the lifetime (Art. 12)",
    "",
    logging.statement,
    "",
    `Decisions of ${model}: **${logging.decisions}**, from ${logging.firstDecision ?? "—"} to ${logging.lastDecision ?? "—"}.`,
    "",
    table(
      ["model version", "artefact digest", "decisions", "first", "last"],
      logging.modelVersions.map((v) => [v.version, `\`${v.hash}\``, v.decisions, v.first, v.last]),
    ),
    "## 3. Retention (Art. 19(1), Art. 26(6))",
    "",
    retention.statement,
    "",
    "## 4. Configuration history",
    "",
    "Each change of the decision rule is itself a record in the chain, with who made it and why.",
    "",
    table(
      ["seq", "time", "threshold", "≥ threshold", "< threshold", "changed by", "reason", "decisions"],
      pack.configHistory.map((c) => [
        c.seq,
        c.ts,
        c.threshold,
        `${c.aboveLabel.id} (${c.aboveLabel.name})`,
        `${c.belowLabel.id} (${c.belowLabel.name})`,
        c.changedBy,
        c.changeReason,
        c.decisions,
      ]),
    ),
    "## 5. Label registry",
    "",
    table(
      ["id", "current name", "history"],
      pack.labels.map((l) => [l.id, l.name, l.history.map((h) => `seq ${h.seq}: "${h.name}"`).join("; ")]),
    ),
    "## 6. Decision distribution",
    "",
    table(
      ["label", "name", "model version", "decisions"],
      pack.distribution.map((d) => [d.label, d.name, d.version, d.decisions]),
    ),
    "## 7. Checkpoints and anchors",
    "",
    table(
      ["size", "root", "head", "time", "anchored"],
      pack.checkpoints.map((c) => [c.size, `\`${c.root}\``, c.head, c.ts, c.anchored ? "yes" : "pending"]),
    ),
    "## 8. Verification",
    "",
    verification.ok
      ? `Every record's CID, hash link, index columns, config and label reference, the Merkle tree and every stored checkpoint were re-derived from the stored bytes: **no failure**.`
      : `**${verification.failureCount} failure(s)**, the first at seq ${verification.firstBadSeq}:`,
    "",
    verification.ok
      ? ""
      : table(
          ["code", "seq", "expected", "found"],
          verification.failures.map((f) => [f.code, f.seq, f.expected, f.found]),
        ),
  ];
  return `${parts.join("\n").trimEnd()}\n`;
}
