/**
 * The four things `ancora-verify` can do, each opening its sources, running the library's checks and
 * returning a {@link Summary}. Sources are always closed, whatever happens.
 */

import { readFile } from "node:fs/promises";
import { parseJson } from "@ancora/core";
import { createPublicClient, type PublicClient } from "viem";
import { verifyEvidenceBundle } from "../bundle/verify-bundle.js";
import { verifyAgainstChain } from "../chain/local-vs-chain.js";
import { registryView } from "../chain/viem-registry.js";
import { SourceError, UsageError } from "../errors.js";
import { toHex0x } from "../internal/hex.js";
import { verifyLocalLog } from "../parallel/verify-local.js";
import { createVerifyPool } from "../parallel/worker-pool.js";
import { verifyPublic } from "../public/verify-public.js";
import { verifyReceiptOnChain } from "../receipt/receipt-on-chain.js";
import type { SourceVerificationResult } from "../result.js";
import { startBitswapFetcher } from "../sources/bitswap.js";
import { HTTP_FETCH_CONCURRENCY, httpBlockFetcher } from "../sources/http-blocks.js";
import { readJsonlExport } from "../sources/jsonl.js";
import { nodeSha256, nodeSha256Text } from "../sources/node-sha256.js";
import { isPostgresUrl, openPostgresLog, type PostgresLog } from "../sources/postgres.js";
import { type RpcEndpoints, rpcTransport } from "../sources/rpc-transport.js";
import { openLocalLog } from "../sources/sqlite.js";
import type { LocalLog } from "../sources/types.js";
import { combineResults, resolveAcrossStreams, streamPass, verifyStreamAsync } from "../verify-streams.js";
import type { VerifyMode } from "./args.js";
import type { Progress } from "./progress.js";
import type { StreamSummary, Summary } from "./report.js";

/** Time allowed per JSON-RPC request: a node that does not answer is "unreachable", not a hang. */
export const RPC_TIMEOUT_MS = 30_000;

type Timed = Omit<Summary, "elapsedMs">;

function client(rpc: RpcEndpoints): PublicClient {
  return createPublicClient({ transport: rpcTransport(rpc, { timeoutMs: RPC_TIMEOUT_MS, retryCount: 1 }) });
}

/** The log of `--db FILE` or `--jsonl FILE`. */
async function openLog(mode: { db?: string; jsonl?: string }): Promise<LocalLog> {
  if (mode.db !== undefined) return openLocalLog(mode.db);
  return await readJsonlExport(mode.jsonl as string);
}

/** The log of `--db FILE|URL` or `--jsonl FILE` in chain mode: a PostgreSQL log is read asynchronously. */
async function openChainLog(mode: { db?: string; jsonl?: string }): Promise<LocalLog | PostgresLog> {
  if (mode.db !== undefined && isPostgresUrl(mode.db)) return await openPostgresLog(mode.db);
  return await openLog(mode);
}

function selectStreams(log: { streams(): string[] }, wanted: readonly string[]): string[] {
  const present = log.streams();
  if (wanted.length === 0) return present;
  for (const name of wanted) {
    if (!present.includes(name)) {
      throw new UsageError("USAGE_BAD_VALUE", `the log has no stream ${JSON.stringify(name)}`, {
        hint: `Pass one of the log's streams: ${present.join(", ") || "(none)"}.`,
      });
    }
  }
  return [...new Set(wanted)];
}

/**
 * The serial checks of {@link verifyStreams} over a log (an export), with progress: each stream's pass,
 * then the references across streams.
 */
function verifySerially(
  log: LocalLog,
  names: readonly string[],
  total: number,
  progress: Progress,
): SourceVerificationResult {
  let done = 0;
  const passes = names.map((name) =>
    streamPass(log.source, name, { sha256: nodeSha256, sha256Text: nodeSha256Text }, (records) => {
      done += records;
      progress.update(done, total);
    }),
  );
  return resolveAcrossStreams(log.source, names, passes, { sha256: nodeSha256, sha256Text: nodeSha256Text });
}

function failureTotal(results: readonly { failureCount: number }[]): number {
  return results.reduce((sum, r) => sum + r.failureCount, 0);
}

/**
 * `--db FILE` or `--jsonl FILE`: every rule of every stream, and the stored checkpoints. A `--db` log's
 * long streams are verified in ranges on `threads` worker threads (`verifyLocalLog`).
 */
export async function runLocal(
  mode: { db?: string; jsonl?: string },
  streams: readonly string[],
  progress: Progress,
  threads?: number,
): Promise<Timed> {
  if (mode.db !== undefined && isPostgresUrl(mode.db)) {
    if (threads !== undefined) {
      throw new UsageError("USAGE_CONFLICT", "--threads does not apply to a PostgreSQL log", {
        hint: "Drop --threads: a PostgreSQL log is read from one snapshot and checked on one thread.",
      });
    }
    return runPostgres(mode.db, streams, progress);
  }
  const log = await openLog(mode);
  let names: string[];
  try {
    names = selectStreams(log, streams);
    if (mode.db === undefined) {
      const total = names.reduce((sum, s) => sum + (log.source.head?.(s)?.size ?? 0), 0);
      return summariseLocal(verifySerially(log, names, total, progress), progress);
    }
  } finally {
    log.close();
  }
  // verifyLocalLog opens the log again and verifies it in one snapshot of its own.
  const result = await verifyLocalLog(mode.db, {
    streams: names,
    ...(threads === undefined ? {} : { threads }),
    onProgress: (p) => progress.update(p.records, p.total),
  });
  return summariseLocal(result, progress);
}

/**
 * `--db postgres://…`: every rule of every stream of a log kept in PostgreSQL, read in pages from one
 * snapshot; serial (one stream after another), with progress by record.
 */
async function runPostgres(url: string, streams: readonly string[], progress: Progress): Promise<Timed> {
  const log = await openPostgresLog(url);
  try {
    const names = selectStreams(log, streams);
    let total = 0;
    for (const name of names) total += (await log.source.head?.(name))?.size ?? 0;
    let done = 0;
    const counted = {
      ...log.source,
      records: async function* (stream: string) {
        for await (const record of log.source.records(stream)) {
          yield record;
          if (++done % 1_000 === 0) progress.update(done, total);
        }
      },
    };
    const results = [];
    for (const name of names)
      results.push(
        await verifyStreamAsync(counted, name, { sha256: nodeSha256, sha256Text: nodeSha256Text }),
      );
    return summariseLocal(combineResults(results), progress);
  } finally {
    await log.close();
  }
}

function summariseLocal(result: SourceVerificationResult, progress: Progress): Timed {
  progress.done();
  const results = result.streams;
  return {
    ok: result.ok,
    records: result.checked,
    anchors: 0,
    failures: result.failures,
    mode: "local",
    failureCount: failureTotal(results),
    streams: results.map(
      (r): StreamSummary => ({
        stream: r.stream,
        ok: r.ok,
        records: r.checked,
        anchors: 0,
        checkpoints: r.checkpoints,
        ...(r.root === undefined ? {} : { root: r.root }),
        failureCount: r.failureCount,
        ...(r.firstBadSeq === undefined ? {} : { firstBadSeq: r.firstBadSeq }),
      }),
    ),
  };
}

/**
 * `--db FILE|URL --rpc URL --registry ADDRESS`: local integrity and the log against the chain, for every
 * stream of the log and every stream the registry anchors (`--stream` narrows it). An SQLite log and a
 * PostgreSQL log go through the same checks and give the same report.
 */
export async function runChain(
  mode: Extract<VerifyMode, { kind: "chain" }>,
  streams: readonly string[],
  requireAnchored = false,
): Promise<Timed> {
  const log = await openChainLog(mode);
  try {
    const registry = await registryView(client(mode.rpc), mode.registry);
    const result = await verifyAgainstChain({
      local: log,
      registry,
      ...(streams.length === 0 ? {} : { streams }),
      sha256: nodeSha256,
      requireAnchored,
    });
    return {
      ok: result.ok,
      records: result.streams.reduce((sum, s) => sum + s.records, 0),
      anchors: result.streams.reduce((sum, s) => sum + s.anchors, 0),
      failures: result.failures,
      mode: "chain",
      failureCount: failureTotal(result.streams),
      streams: result.streams.map(
        (s): StreamSummary => ({
          stream: s.stream,
          streamId: s.streamId,
          ok: s.ok,
          records: s.records,
          anchors: s.anchors,
          checkpoints: s.local.checkpoints,
          anchoredSize: s.anchoredSize,
          anchoredRoot: s.anchoredRoot,
          unanchored: s.unanchored,
          ...(s.oldestUnanchoredTs === undefined ? {} : { oldestUnanchoredTs: s.oldestUnanchoredTs }),
          ...(s.local.root === undefined ? {} : { root: s.local.root }),
          history: s.history,
          failureCount: s.failureCount,
          ...(s.failures[0] === undefined ? {} : { firstBadSeq: s.failures[0].seq }),
        }),
      ),
      warnings: result.warnings,
      chain: { chainId: result.chainId, registry: result.registry, blockNumber: result.blockNumber },
    };
  } finally {
    await log.close();
  }
}

/** `--rpc URL --registry ADDRESS --ipfs ADDRESS`: every anchored stream from the chain and IPFS alone. */
export async function runPublic(
  mode: Extract<VerifyMode, { kind: "public" }>,
  streams: readonly string[],
  progress: Progress,
  threads?: number,
): Promise<Timed> {
  const registry = await registryView(client(mode.rpc), mode.registry);
  const bitswap =
    mode.ipfs.kind === "bitswap" ? await startBitswapFetcher({ peers: [mode.ipfs.peer] }) : undefined;
  const pool = createVerifyPool(threads === undefined ? {} : { threads });
  try {
    const fetchBlock = bitswap?.fetch ?? httpBlockFetcher((mode.ipfs as { url: string }).url);
    const result = await verifyPublic({
      registry,
      fetchBlock,
      // Over HTTP, many blocks in flight fill the batch endpoint's requests; bitswap keeps the default.
      ...(bitswap === undefined ? { concurrency: HTTP_FETCH_CONCURRENCY } : {}),
      sha256: nodeSha256,
      ...(streams.length === 0 ? {} : { streams }),
      ...(pool.threads > 1 ? { pool } : {}),
      onProgress: (p) => progress.update(p.records, p.total),
    });
    progress.done();
    return {
      ok: result.ok,
      records: result.checked,
      anchors: result.anchors,
      failures: result.failures,
      mode: "public",
      failureCount: failureTotal(result.streams),
      streams: result.streams.map(
        (s): StreamSummary => ({
          stream: s.stream,
          streamId: s.streamId,
          ok: s.ok,
          records: s.checked,
          anchors: s.anchors,
          checkpoints: s.manifests,
          anchoredSize: s.anchoredSize,
          anchoredRoot: s.anchoredRoot,
          ...(s.root === undefined ? {} : { root: s.root }),
          history: s.history,
          failureCount: s.failureCount,
          ...(s.firstBadSeq === undefined ? {} : { firstBadSeq: s.firstBadSeq }),
        }),
      ),
      chain: { chainId: result.chainId, registry: result.registry, blockNumber: String(result.blockNumber) },
    };
  } finally {
    await pool.close();
    await bitswap?.close();
  }
}

/** `--receipt FILE --rpc URL`: one decision's receipt, against the chain it names. */
export async function runReceipt(mode: Extract<VerifyMode, { kind: "receipt" }>): Promise<Timed> {
  let text: string;
  try {
    text = await readFile(mode.receipt, "utf8");
  } catch (error) {
    const missing = (error as { code?: unknown }).code === "ENOENT";
    throw new SourceError(
      missing ? "SOURCE_NOT_FOUND" : "SOURCE_UNREADABLE",
      `the receipt file cannot be read`,
      {
        hint: missing ? "Check the path of the receipt file." : "Check the file's permissions.",
        evidence: { path: mode.receipt },
        cause: error,
      },
    );
  }
  // Malformed JSON is handed on as text: the receipt check reports it as RECEIPT_INVALID evidence.
  let input: unknown = text;
  try {
    input = parseJson(text);
  } catch {
    input = text;
  }
  const result = await verifyReceiptOnChain(input, { publicClient: client(mode.rpc), sha256: nodeSha256 });
  if (!result.ok) {
    const f = result.failure;
    return {
      ok: false,
      records: 0,
      anchors: 0,
      failures: [f],
      mode: "receipt",
      failureCount: 1,
      streams: [{ stream: f.stream, ok: false, records: 0, anchors: 0, failureCount: 1, firstBadSeq: f.seq }],
    };
  }
  const { checkpoint, anchor, record } = result;
  return {
    ok: true,
    records: 1,
    anchors: 1,
    failures: [],
    mode: "receipt",
    failureCount: 0,
    streams: [
      {
        stream: checkpoint.stream,
        ok: true,
        records: 1,
        anchors: 1,
        anchoredSize: result.anchoredSize,
        failureCount: 0,
      },
    ],
    chain: {
      chainId: anchor.chainId,
      registry: anchor.registry.toLowerCase(),
      blockNumber: String(anchor.blockNumber),
    },
    receipt: {
      version: result.version,
      seq: record.seq,
      kind: record.kind,
      cid: result.cid.toString(),
      checkpointSize: checkpoint.size,
      checkpointRoot: toHex0x(checkpoint.root),
      transaction: anchor.txHash,
      anchoredAt: result.anchoredAt,
      confirmations: result.confirmations,
      latest: result.latest,
      // Only a v1 receipt has fields nothing binds; they are named so nobody takes them as evidence.
      ...(result.ignored.length === 0
        ? {}
        : {
            ignored: result.ignored,
            note: "receipt v1: the ignored fields are bound by nothing and are not evidence; ask for a v2 receipt",
          }),
    },
  };
}

/** `--pack FILE --rpc URL`: an evidence bundle, every file and record, against the chain its pack names. */
export async function runPack(mode: Extract<VerifyMode, { kind: "pack" }>): Promise<Timed> {
  let archive: Uint8Array;
  try {
    archive = await readFile(mode.pack);
  } catch (error) {
    const missing = (error as { code?: unknown }).code === "ENOENT";
    throw new SourceError(
      missing ? "SOURCE_NOT_FOUND" : "SOURCE_UNREADABLE",
      "the evidence bundle cannot be read",
      {
        hint: missing ? "Check the path of the bundle." : "Check the file's permissions.",
        evidence: { path: mode.pack },
        cause: error,
      },
    );
  }
  const result = await verifyEvidenceBundle(archive, { publicClient: client(mode.rpc), sha256: nodeSha256 });
  const stream = result.stream ?? "";
  const failures = result.failures.map((f) => ({
    code: f.code,
    stream,
    seq: f.seq ?? 0,
    expected: f.file === undefined ? f.expected : `${f.file}: ${f.expected}`,
    found: f.found,
  }));
  return {
    ok: result.ok,
    records: result.decisions,
    anchors: result.anchors,
    failures,
    mode: "pack",
    failureCount: failures.length,
    streams: [
      {
        stream,
        ok: result.ok,
        records: result.decisions,
        anchors: result.anchors,
        failureCount: failures.length,
        ...(failures[0] === undefined ? {} : { firstBadSeq: failures[0].seq }),
      },
    ],
    ...(result.chain === null ? {} : { chain: result.chain }),
    pack: {
      model:
        result.model === null
          ? ""
          : `${result.model.id}${result.model.version === undefined ? "" : `@${result.model.version}`}`,
      files: result.files,
      decisions: result.decisions,
      anchoredDecisions: result.anchoredDecisions,
      receipts: result.receipts,
    },
  };
}
