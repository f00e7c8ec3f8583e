/**
 * The evidence bundle: one ustar archive to hand to an assessor (layout in @ancora/verifier's
 * `BUNDLE_FILES`): the pack as Markdown, HTML and JSON, the model's decisions and the stream's config
 * and label records with their exact bytes, the batch manifests of the anchors that cover the
 * decisions, receipts of a sample of anchored decisions, and `SHA256SUMS` over every file. Written as
 * a stream (the decisions are read twice, once to size them for the tar header), so its size is not
 * bounded by memory. `verifyEvidenceBundle` (`ancora-verify --pack FILE`) checks it against the chain.
 */

import { createHash } from "node:crypto";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { InvariantError, receiptToJSON } from "@ancora/core";
import {
  BUNDLE_FILES,
  BUNDLE_MANIFESTS,
  BUNDLE_RECEIPTS,
  TAR_END,
  tarHeader,
  tarPadding,
} from "@ancora/verifier";
import { searchTable } from "../internal/record-index.js";
import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";
import { type EvidencePackOptions, evidencePack } from "./pack.js";
import { renderEvidencePack, renderEvidencePackHtml } from "./render.js";
import type { EvidencePack } from "./types.js";

/** Receipts included by default (an evenly spread sample of the model's anchored decisions). */
export const DEFAULT_BUNDLE_RECEIPTS = 10;

/** Options of {@link writeEvidenceBundle}. */
export interface EvidenceBundleOptions extends EvidencePackOptions {
  /** Where the archive goes. */
  out: Writable;
  /** How many decisions get a receipt (default {@link DEFAULT_BUNDLE_RECEIPTS}). */
  receipts?: number;
}

/** What {@link writeEvidenceBundle} wrote. */
export interface EvidenceBundleSummary {
  pack: EvidencePack;
  /** Files in the archive, SHA256SUMS included. */
  files: number;
  decisions: number;
  receipts: number;
}

const encoder = new TextEncoder();

function readme(pack: EvidencePack): string {
  const model =
    pack.scope.model.version === undefined
      ? pack.scope.model.id
      : `${pack.scope.model.id}@${pack.scope.model.version}`;
  return [
    `# Evidence bundle: ${model}, stream ${pack.scope.stream}`,
    "",
    `Generated ${pack.generatedAt} by Ancora. Read evidence-pack.md (or .html) first.`,
    "",
    "| file | what |",
    "|---|---|",
    "| evidence-pack.md, .html, .json | the EU AI Act evidence pack (the JSON is the data the others render) |",
    "| decisions.jsonl | every decision of the model: seq, CID and the record's exact bytes |",
    "| config-and-labels.jsonl | the stream's genesis, config and label records: the config and label history |",
    "| manifests/ | the batch manifests of the anchors that commit those decisions |",
    "| receipts/ | receipts of a sample of the anchored decisions (`ancora-verify --receipt FILE --rpc URL`) |",
    "| SHA256SUMS | the SHA-256 of every other file (`sha256sum -c SHA256SUMS` in this folder) |",
    "",
    "To check the whole bundle against the chain (every digest, every record's CID, every anchored",
    "decision in an anchored manifest, every anchor and receipt on chain), with an RPC endpoint of the",
    "chain the pack names:",
    "",
    "```sh",
    'ancora-verify --pack BUNDLE.tar --rpc "$ANCORA_RPC_URL"',
    "```",
    "",
    ...(pack.assessor === null
      ? []
      : [
          "To rebuild every anchored record of the stream from IPFS as well:",
          "",
          "```sh",
          pack.assessor.command,
          "```",
          "",
        ]),
  ].join("\n");
}

/**
 * Writes the evidence bundle of one model in one stream to `out` and resolves when the last byte is
 * written (it does not end `out`).
 *
 * @throws as {@link evidencePack} (`STREAM_UNKNOWN`, `MODEL_UNKNOWN`, chain errors), before anything is written.
 * @example
 * ```ts
 * await writeFileAtomically("evidence.tar", (out) => writeEvidenceBundle(store, { stream: "credit", model: "credit-risk", chain: { publicClient }, out }));
 * ```
 */
export async function writeEvidenceBundle(
  store: AncoraStore,
  options: EvidenceBundleOptions,
): Promise<EvidenceBundleSummary> {
  const pack = await evidencePack(store, options);
  const db = connectionOf(store);
  const { out } = options;
  const mtime = Math.floor(Date.parse(pack.generatedAt) / 1000);
  const sums: string[] = [];
  let files = 0;
  const write = async (bytes: Uint8Array) => {
    if (!out.write(bytes)) await once(out, "drain");
  };
  const addFile = async (path: string, chunks: () => Iterable<Uint8Array>, size: number) => {
    await write(tarHeader(path, size, mtime));
    const hash = createHash("sha256");
    let written = 0;
    for (const chunk of chunks()) {
      hash.update(chunk);
      written += chunk.length;
      await write(chunk);
    }
    // The log is append-only and read below the pack's size: a second pass gives the same bytes.
    if (written !== size) {
      throw new InvariantError("A bundle file's bytes differ from the size announced in its header", {
        evidence: { path, written, size },
      });
    }
    await write(tarPadding(size));
    sums.push(`${hash.digest("hex")}  ${path.slice(BUNDLE_FILES.dir.length + 1)}`);
    files++;
  };
  const addBytes = (path: string, bytes: Uint8Array) => addFile(path, () => [bytes], bytes.length);

  const streamId = db
    .prepare<[string], number>("SELECT id FROM streams WHERE name = ?")
    .pluck()
    .get(pack.scope.stream);
  const below = pack.system.streamSize;
  const { model } = pack.scope;
  const modelFilter = model.version === undefined ? "" : " AND r.model_version = ?";
  const modelParams: unknown[] = model.version === undefined ? [model.id] : [model.id, model.version];
  const table = searchTable(db);
  const decisionRows = db.prepare<unknown[], { seq: number; cid: string; bytes: Buffer }>(
    `SELECT r.seq AS seq, x.cid AS cid, x.bytes AS bytes FROM ${table} r
       JOIN records x ON x.stream_id = r.stream_id AND x.seq = r.seq
      WHERE r.stream_id = ? AND r.model_id = ?${modelFilter} AND r.kind = 'decision' AND r.seq >= 0 AND r.seq < ?
      ORDER BY r.seq`,
  );
  const controlRows = db.prepare<unknown[], { seq: number; cid: string; bytes: Buffer }>(
    "SELECT seq, cid, bytes FROM records WHERE stream_id = ? AND kind IN ('genesis', 'config', 'label') AND seq >= 0 AND seq < ? ORDER BY seq",
  );
  const lines = (rows: () => Iterable<{ seq: number; cid: string; bytes: Buffer }>) =>
    function* () {
      for (const row of rows()) {
        yield encoder.encode(`{"seq":${row.seq},"cid":${JSON.stringify(row.cid)},"record":`);
        yield row.bytes;
        yield encoder.encode("}\n");
      }
    };
  const sizeOf = (chunks: () => Iterable<Uint8Array>) => {
    let size = 0;
    for (const chunk of chunks()) size += chunk.length;
    return size;
  };
  const decisionLines = lines(() => decisionRows.iterate(streamId, ...modelParams, below));
  const controlLines = lines(() => controlRows.iterate(streamId, below));

  await addBytes(BUNDLE_FILES.readme, encoder.encode(readme(pack)));
  await addBytes(BUNDLE_FILES.markdown, encoder.encode(renderEvidencePack(pack)));
  await addBytes(BUNDLE_FILES.html, encoder.encode(renderEvidencePackHtml(pack)));
  await addBytes(BUNDLE_FILES.json, encoder.encode(`${JSON.stringify(pack, null, 2)}\n`));
  await addFile(BUNDLE_FILES.decisions, decisionLines, sizeOf(decisionLines));
  await addFile(BUNDLE_FILES.control, controlLines, sizeOf(controlLines));

  const manifests = db.prepare<[number, number, number], { cid: string; bytes: Buffer }>(
    "SELECT cid, bytes FROM manifests WHERE stream_id = ? AND from_seq >= ? AND size <= ? ORDER BY size",
  );
  const seen = new Set<string>();
  for (const anchor of pack.anchors) {
    for (const m of manifests.all(streamId as number, anchor.fromSeq, anchor.size)) {
      if (seen.has(m.cid)) continue;
      seen.add(m.cid);
      await addBytes(`${BUNDLE_MANIFESTS}${m.cid}.json`, m.bytes);
    }
  }

  // Receipts of decisions spread evenly over the anchored range (the receipt names the pack's registry).
  let receipts = 0;
  const anchoredSize = pack.anchors.reduce((m, a) => Math.max(m, a.size), 0);
  const wanted = options.receipts ?? DEFAULT_BUNDLE_RECEIPTS;
  if (pack.chain !== null && anchoredSize > 0 && wanted > 0) {
    const anchoredSeqs = db
      .prepare<unknown[], number>(
        `SELECT r.seq FROM ${table} r WHERE r.stream_id = ? AND r.model_id = ?${modelFilter} AND r.kind = 'decision' AND r.seq >= 0 AND r.seq < ? ORDER BY r.seq`,
      )
      .pluck()
      .all(streamId, ...modelParams, anchoredSize);
    const step = anchoredSeqs.length / Math.min(wanted, anchoredSeqs.length);
    const picks = new Set<number>();
    for (let i = 0; i < anchoredSeqs.length && picks.size < wanted; i += step)
      picks.add(anchoredSeqs[Math.floor(i)] as number);
    for (const seq of picks) {
      const receipt = store.receipt(pack.scope.stream, seq, {
        registry: pack.chain.registry,
        chainId: pack.chain.chainId,
      });
      await addBytes(
        `${BUNDLE_RECEIPTS}seq-${seq}.json`,
        encoder.encode(`${JSON.stringify(receiptToJSON(receipt), null, 2)}\n`),
      );
      receipts++;
    }
  }

  const sumsBytes = encoder.encode(`${sums.join("\n")}\n`);
  await write(tarHeader(BUNDLE_FILES.sums, sumsBytes.length, mtime));
  await write(sumsBytes);
  await write(tarPadding(sumsBytes.length));
  await write(TAR_END);
  return { pack, files: files + 1, decisions: pack.logging.decisions, receipts };
}
