/**
 * The drivers: loops that feed a record source's streams to {@link StreamVerifier}s, then resolve the
 * references their passes left pending (within a stream, and across the streams verified together),
 * and combine the streams' results. The SDK's `verify()` and the auditor's CLI run these.
 */
import { withFailures } from "./failures.js";
import {
  addTarget,
  type ReferenceTarget,
  resolveReferences,
  type StreamReferences,
  scanTargets,
  unresolvedCids,
} from "./references.js";
import type { SourceVerificationResult, VerificationResult } from "./result.js";
import type { AsyncRecordSource, RecordSource } from "./source.js";
import { StreamVerifier } from "./stream-verifier.js";
import type { VerifyOptions } from "./verify-options.js";

/** A verifier of `stream` with the source's checkpoints and, when it has them, its stored Merkle nodes. */
function sourceVerifier(source: RecordSource, stream: string, options: VerifyOptions): StreamVerifier {
  const node = source.node?.bind(source);
  return new StreamVerifier(stream, source.checkpoints(stream), {
    ...options,
    ...(node === undefined ? {} : { nodes: (level: number, index: number) => node(stream, level, index) }),
  });
}

/**
 * Verifies one stream of a synchronous source.
 *
 * @example
 * ```ts
 * const result = verifyStream(source, "credit", { sha256: nodeSha256 });
 * result.ok; // false
 * result.failures[0]; // { code: "CID_MISMATCH", stream: "credit", seq: 17, expected: "bafkrei…", found: "bafkrei…" }
 * ```
 */
export function verifyStream(
  source: RecordSource,
  stream: string,
  options: VerifyOptions = {},
): VerificationResult {
  const verifier = sourceVerifier(source, stream, options);
  for (const record of source.records(stream)) verifier.add(record);
  const result = verifier.finish(source.head?.(stream));
  const references = verifier.references();
  // References that stay in the stream: forward ones, and those to its decisions (found by a rescan
  // that runs only when such references exist). References that leave it are verifyStreams' job.
  const wanted = unresolvedCids([references]);
  const decisions = wanted.size === 0 ? new Map() : scanTargets(source, [stream], wanted, options.sha256);
  return withFailures(result, resolveReferences([references], decisions, false), options);
}

/**
 * Verifies one stream of a source that may be asynchronous (same checks as {@link verifyStream}).
 *
 * @example
 * ```ts
 * const result = await verifyStreamAsync(ipfsSource, "credit");
 * ```
 */
export async function verifyStreamAsync(
  source: AsyncRecordSource,
  stream: string,
  options: VerifyOptions = {},
): Promise<VerificationResult> {
  // Node lookups are synchronous by nature (a local node store); an async source checks leaves only.
  const verifier = new StreamVerifier(stream, await source.checkpoints(stream), options);
  for await (const record of source.records(stream)) verifier.add(record);
  const result = verifier.finish(await source.head?.(stream));
  const references = verifier.references();
  const wanted = unresolvedCids([references]);
  const decisions = new Map<string, ReferenceTarget>();
  if (wanted.size > 0) {
    for await (const stored of source.records(stream))
      addTarget(decisions, stream, stored, wanted, options.sha256);
  }
  return withFailures(result, resolveReferences([references], decisions, false), options);
}

/** Combines per-stream results into one. */
export function combineResults(results: readonly VerificationResult[]): SourceVerificationResult {
  return {
    ok: results.every((r) => r.ok),
    checked: results.reduce((sum, r) => sum + r.checked, 0),
    failures: results.flatMap((r) => r.failures),
    streams: results,
  };
}

/**
 * Verifies several streams of one source.
 *
 * @example
 * ```ts
 * const { ok, failures } = verifyStreams(source, ["credit", "fraud"]);
 * ```
 */
export function verifyStreams(
  source: RecordSource,
  streams: Iterable<string>,
  options: VerifyOptions = {},
): SourceVerificationResult {
  const names = [...new Set(streams)];
  return resolveAcrossStreams(
    source,
    names,
    names.map((stream) => streamPass(source, stream, options)),
    options,
  );
}

/** One stream's own pass: its result, and what it learned about references for the pass across streams. */
export interface StreamPass {
  readonly result: VerificationResult;
  readonly references: StreamReferences;
}

/** Records between two progress reports of {@link streamPass}. */
const PASS_PROGRESS_EVERY = 65_536;

/**
 * The first pass of {@link verifyStreams} over one stream (every per-record, Merkle, checkpoint and
 * head check); `onProgress` is told how many more records were checked, every 65,536 and at the end.
 */
export function streamPass(
  source: RecordSource,
  stream: string,
  options: VerifyOptions = {},
  onProgress?: (records: number) => void,
): StreamPass {
  const verifier = sourceVerifier(source, stream, options);
  let n = 0;
  for (const record of source.records(stream)) {
    verifier.add(record);
    if (++n % PASS_PROGRESS_EVERY === 0) onProgress?.(PASS_PROGRESS_EVERY);
  }
  onProgress?.(n % PASS_PROGRESS_EVERY);
  return { result: verifier.finish(source.head?.(stream)), references: verifier.references() };
}

/**
 * The second pass of {@link verifyStreams}, across streams: a training run in "training" names models
 * in "models". A reference that none of the passes' remembered records satisfies may name a decision
 * (or a record of a stream whose pass remembered none): the streams are rescanned for those CIDs only.
 */
export function resolveAcrossStreams(
  source: RecordSource,
  names: readonly string[],
  passes: readonly StreamPass[],
  options: VerifyOptions = {},
): SourceVerificationResult {
  const all = passes.map((p) => p.references);
  const wanted = unresolvedCids(all);
  const decisions = wanted.size === 0 ? new Map() : scanTargets(source, names, wanted, options.sha256);
  const failures = resolveReferences(all, decisions, true);
  return combineResults(
    passes.map(({ result }) =>
      withFailures(
        result,
        failures.filter((f) => f.stream === result.stream),
        options,
      ),
    ),
  );
}
