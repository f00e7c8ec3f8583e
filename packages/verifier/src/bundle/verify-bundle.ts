/**
 * An EU AI Act evidence bundle (`ancora export --format eu-ai-act-bundle`) checked end to end against
 * the chain, with nothing from the organisation but the archive:
 *
 * 1. the archive reads as plain ustar, and every file's SHA-256 is the one `SHA256SUMS` lists (no file
 *    missing, none unlisted);
 * 2. the JSON pack is an `ancora.evidence-pack` v2 naming a chain and registry; the RPC endpoint serves
 *    that chain;
 * 3. the stream's anchor history is proven from the registry's events against the chained head in
 *    contract state, and every anchor the pack lists is one of them (size, root, manifest, transaction);
 * 4. each manifest in the bundle hashes to its name; those whose digest is anchored, and those their
 *    `prev` links reach, are trusted;
 * 5. every decision (and config and label record) hashes to its CID, is the model's, and when its seq
 *    is below the anchored size is listed at that seq by a trusted manifest: it is what was anchored;
 *    the decisions are as many as the pack states;
 * 6. every receipt verifies on chain (`verifyReceiptOnChain`).
 */
import { encodeStreamId } from "@ancora/contracts";
import {
  computeCid,
  decodeRecord,
  manifestDigest,
  parseBlockCid,
  parseJson,
  type Sha256,
  toHex,
} from "@ancora/core";
import type { PublicClient } from "viem";
import { proveHistoryFromEvents } from "../chain/history-proof.js";
import { listsCid, type ManifestSummary, summariseManifests } from "../chain/manifest-checks.js";
import { registryView } from "../chain/viem-registry.js";
import { TarFormatError } from "../errors.js";
import { toHex0x } from "../internal/hex.js";
import { verifyReceiptOnChain } from "../receipt/receipt-on-chain.js";
import type { BundleFailureCode } from "../result.js";
import { BUNDLE_FILES, BUNDLE_MANIFESTS, BUNDLE_RECEIPTS } from "./format.js";
import { readTar } from "./tar.js";

/** One finding, with the file (and seq) it concerns and what was expected and found. */
export interface BundleFailure {
  readonly code: BundleFailureCode;
  readonly file?: string;
  readonly seq?: number;
  readonly expected: string;
  readonly found: string;
}

/** The result of {@link verifyEvidenceBundle}. */
export interface BundleVerification {
  readonly ok: boolean;
  readonly stream: string | null;
  readonly model: { id: string; version?: string } | null;
  readonly chain: { chainId: number; registry: string; blockNumber: string } | null;
  readonly files: number;
  readonly decisions: number;
  /** Decisions at a seq the chain has anchored, each found in an anchored manifest. */
  readonly anchoredDecisions: number;
  readonly anchors: number;
  readonly receipts: number;
  readonly failures: readonly BundleFailure[];
}

/** Options of {@link verifyEvidenceBundle}. */
export interface VerifyBundleOptions {
  /** A client of the chain the pack names (any endpoint the assessor trusts). */
  readonly publicClient: PublicClient;
  readonly sha256: Sha256;
}

interface PackShape {
  format: string;
  version: number;
  scope: { stream: string; model: { id: string; version?: string } };
  chain: { chainId: number; registry: string } | null;
  logging: { decisions: number };
  anchors: { size: number; root: string; manifestCid: string; transaction: string; block: string | null }[];
}

function isPack(value: unknown): value is PackShape {
  const p = value as Partial<PackShape> | null;
  return (
    typeof p === "object" &&
    p !== null &&
    p.format === "ancora.evidence-pack" &&
    p.version === 2 &&
    typeof p.scope?.stream === "string" &&
    typeof p.scope.model?.id === "string" &&
    typeof p.logging?.decisions === "number" &&
    Array.isArray(p.anchors) &&
    (p.chain === null || (typeof p.chain?.chainId === "number" && typeof p.chain.registry === "string"))
  );
}

/** The 0x-hex digest a manifest CID string is anchored as, `undefined` for a string that is not a block CID. */
function digestOf(cid: string): string | undefined {
  try {
    const parsed = parseBlockCid(cid);
    return parsed === undefined ? undefined : toHex0x(manifestDigest(parsed));
  } catch {
    return undefined;
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The record lines of a bundle's JSONL file: `{"seq":…,"cid":…,"record":<exact bytes>}`. */
function recordLines(bytes: Uint8Array): { seq: number; cid: string; bytes: Uint8Array }[] | undefined {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return undefined;
  }
  const lines: { seq: number; cid: string; bytes: Uint8Array }[] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    const at = line.indexOf('"record":');
    if (at < 0 || !line.endsWith("}")) return undefined;
    const head = `${line.slice(0, at).replace(/,$/, "")}}`;
    let parsed: { seq?: unknown; cid?: unknown };
    try {
      parsed = parseJson(head) as typeof parsed;
    } catch {
      return undefined;
    }
    if (!Number.isSafeInteger(parsed.seq) || typeof parsed.cid !== "string") return undefined;
    lines.push({
      seq: parsed.seq as number,
      cid: parsed.cid,
      bytes: new TextEncoder().encode(line.slice(at + 9, -1)),
    });
  }
  return lines;
}

/**
 * Verifies an evidence bundle (a ustar archive) end to end against the chain its pack names.
 *
 * @example
 * ```ts
 * const result = await verifyEvidenceBundle(readFileSync("evidence.tar"), { publicClient, sha256: nodeSha256 });
 * if (!result.ok) console.log(result.failures[0]); // { code: "BUNDLE_DIGEST_MISMATCH", file: "evidence-pack/decisions.jsonl", … }
 * ```
 */
export async function verifyEvidenceBundle(
  archive: Uint8Array,
  options: VerifyBundleOptions,
): Promise<BundleVerification> {
  const { sha256 } = options;
  const failures: BundleFailure[] = [];
  const fail = (f: BundleFailure) => failures.push(f);
  const result = (extra: Partial<BundleVerification> = {}): BundleVerification => ({
    ok: failures.length === 0,
    stream: null,
    model: null,
    chain: null,
    files: 0,
    decisions: 0,
    anchoredDecisions: 0,
    anchors: 0,
    receipts: 0,
    ...extra,
    failures,
  });

  let files: Map<string, Uint8Array>;
  try {
    files = readTar(archive);
  } catch (error) {
    if (!(error instanceof TarFormatError)) throw error;
    fail({
      code: "BUNDLE_MALFORMED",
      expected: "a ustar archive of regular files",
      found: `${error.message} at byte ${error.offset}`,
    });
    return result();
  }

  // 1. Every file is the one SHA256SUMS lists.
  const sums = files.get(BUNDLE_FILES.sums);
  if (sums === undefined) {
    fail({
      code: "BUNDLE_FILE_MISSING",
      file: BUNDLE_FILES.sums,
      expected: "the digest manifest",
      found: "absent",
    });
    return result({ files: files.size });
  }
  const listed = new Map<string, string>();
  for (const line of new TextDecoder().decode(sums).split("\n")) {
    if (line.length === 0) continue;
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match === null) {
      fail({
        code: "BUNDLE_MALFORMED",
        file: BUNDLE_FILES.sums,
        expected: "lines of `<sha256>  <path>`",
        found: line.slice(0, 120),
      });
      continue;
    }
    listed.set(`${BUNDLE_FILES.dir}/${match[2]}`, match[1] as string);
  }
  for (const [name, digest] of listed) {
    const bytes = files.get(name);
    if (bytes === undefined)
      fail({ code: "BUNDLE_FILE_MISSING", file: name, expected: `sha256 ${digest}`, found: "absent" });
    else if (toHex(sha256(bytes)) !== digest) {
      fail({ code: "BUNDLE_DIGEST_MISMATCH", file: name, expected: digest, found: toHex(sha256(bytes)) });
    }
  }
  for (const name of files.keys()) {
    if (name !== BUNDLE_FILES.sums && !listed.has(name)) {
      fail({
        code: "BUNDLE_FILE_UNLISTED",
        file: name,
        expected: "listed in SHA256SUMS",
        found: "not listed",
      });
    }
  }

  // 2. The pack, and the chain it names.
  let pack: unknown;
  try {
    pack = parseJson(decoder.decode(files.get(BUNDLE_FILES.json) ?? new Uint8Array()));
  } catch {
    pack = undefined;
  }
  if (!isPack(pack)) {
    fail({
      code: "BUNDLE_PACK_INVALID",
      file: BUNDLE_FILES.json,
      expected: "an ancora.evidence-pack v2",
      found: "not one",
    });
    return result({ files: files.size });
  }
  const { stream, model } = pack.scope;
  const base = { files: files.size, stream, model };
  if (pack.chain === null) {
    fail({
      code: "BUNDLE_NOT_ANCHORED",
      file: BUNDLE_FILES.json,
      expected: "a chain and registry",
      found: "none: nothing anchored",
    });
    return result(base);
  }
  const view = await registryView(options.publicClient, pack.chain.registry as `0x${string}`);
  const chain = { chainId: view.chainId, registry: view.address, blockNumber: String(view.blockNumber) };
  if (view.chainId !== pack.chain.chainId) {
    fail({
      code: "BUNDLE_CHAIN_MISMATCH",
      expected: `chain ${pack.chain.chainId}`,
      found: `the RPC endpoint serves chain ${view.chainId}`,
    });
    return result({ ...base, chain });
  }

  // 3. The anchor history, proven against the chained head; the pack's anchors among it.
  const streamId = encodeStreamId(stream);
  const entry = await view.stream(streamId);
  let history: ReturnType<typeof proveHistoryFromEvents>;
  try {
    history = proveHistoryFromEvents(view, entry, await view.anchorHistory(streamId), stream);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "HISTORY_UNAVAILABLE") throw error;
    fail({
      code: "BUNDLE_HISTORY_UNPROVEN",
      expected: "the registry's anchor events",
      found: "the node serves no events for the stream",
    });
    return result({ ...base, chain });
  }
  for (const f of history.failures)
    fail({ code: "BUNDLE_HISTORY_UNPROVEN", seq: f.seq, expected: f.expected, found: f.found });
  const bySize = new Map(history.anchors.map((a) => [Number(a.treeSize), a]));
  for (const anchor of pack.anchors) {
    const proven = bySize.get(anchor.size);
    const digest = digestOf(anchor.manifestCid) ?? "(not a block CID)";
    const claims = `size ${anchor.size} root ${anchor.root} manifest ${digest} tx ${anchor.transaction}`;
    if (
      proven === undefined ||
      proven.root !== anchor.root.toLowerCase() ||
      proven.manifestDigest !== digest ||
      (proven.transactionHash !== undefined &&
        proven.transactionHash.toLowerCase() !== anchor.transaction.toLowerCase())
    ) {
      fail({
        code: "BUNDLE_ANCHOR_NOT_ON_CHAIN",
        seq: Math.max(0, anchor.size - 1),
        expected: claims,
        found:
          proven === undefined
            ? `no anchor of size ${anchor.size} on chain`
            : `size ${proven.treeSize} root ${proven.root} manifest ${proven.manifestDigest} tx ${proven.transactionHash}`,
      });
    }
  }
  const anchoredSize = history.anchors.reduce((m, a) => Math.max(m, Number(a.treeSize)), 0);

  // 4. Manifests: trusted when anchored, or reached from an anchored one through `prev`.
  const local = [...files]
    .filter(([name]) => name.startsWith(BUNDLE_MANIFESTS))
    .map(([name, bytes]) => ({
      stream,
      cid: name.slice(BUNDLE_MANIFESTS.length).replace(/\.json$/, ""),
      bytes,
    }));
  const summary = summariseManifests(stream, local, sha256);
  for (const f of summary.failures)
    fail({ code: "BUNDLE_MANIFEST_INVALID", seq: f.seq, expected: f.expected, found: f.found });
  const byCid = new Map(summary.manifests.map((m) => [m.cid, m]));
  const anchoredDigests = new Set(
    history.anchors.flatMap((a) => (a.manifestDigest === undefined ? [] : [a.manifestDigest])),
  );
  const trusted: ManifestSummary[] = [];
  for (const m of summary.manifests) {
    const digest = digestOf(m.cid);
    if (digest === undefined || !anchoredDigests.has(digest)) continue;
    for (
      let at: ManifestSummary | undefined = m;
      at !== undefined && !trusted.includes(at);
      at = at.prev === undefined ? undefined : byCid.get(at.prev)
    ) {
      trusted.push(at);
    }
  }
  const manifestAt = (seq: number) => trusted.find((m) => seq >= m.from && seq < m.size);

  // 5. Records: their CIDs, their scope, and that they are what was anchored.
  let decisions = 0;
  let anchoredDecisions = 0;
  for (const [file, kinds] of [
    [BUNDLE_FILES.decisions, ["decision"]],
    [BUNDLE_FILES.control, ["genesis", "config", "label"]],
  ] as const) {
    const lines = recordLines(files.get(file) ?? new Uint8Array());
    if (lines === undefined) {
      fail({
        code: "BUNDLE_MALFORMED",
        file,
        expected: 'lines of {"seq":…,"cid":…,"record":…}',
        found: "not that",
      });
      continue;
    }
    for (const line of lines) {
      const cid = computeCid(line.bytes, sha256);
      if (cid.toString() !== line.cid) {
        fail({
          code: "BUNDLE_RECORD_CID_MISMATCH",
          file,
          seq: line.seq,
          expected: line.cid,
          found: cid.toString(),
        });
        continue;
      }
      let record: ReturnType<typeof decodeRecord>;
      try {
        record = decodeRecord(line.bytes);
      } catch {
        fail({
          code: "BUNDLE_RECORD_OUT_OF_SCOPE",
          file,
          seq: line.seq,
          expected: "an Ancora record",
          found: "bytes that do not decode",
        });
        continue;
      }
      const ofModel =
        record.kind !== "decision" ||
        (record.body.model.id === model.id &&
          (model.version === undefined || record.body.model.version === model.version));
      if (record.seq !== line.seq || !(kinds as readonly string[]).includes(record.kind) || !ofModel) {
        fail({
          code: "BUNDLE_RECORD_OUT_OF_SCOPE",
          file,
          seq: line.seq,
          expected: `a ${kinds.join("/")} record of ${model.id} at seq ${line.seq}`,
          found: `a ${record.kind} record at seq ${record.seq}`,
        });
        continue;
      }
      if (record.kind === "decision") decisions++;
      if (line.seq >= anchoredSize) continue;
      const manifest = manifestAt(line.seq);
      if (manifest === undefined || !listsCid(manifest, line.seq, cid.bytes)) {
        fail({
          code: "BUNDLE_RECORD_NOT_ANCHORED",
          file,
          seq: line.seq,
          expected: `${line.cid} listed at seq ${line.seq} by an anchored manifest`,
          found: manifest === undefined ? "no anchored manifest in the bundle covers it" : "another CID",
        });
      } else if (record.kind === "decision") anchoredDecisions++;
    }
  }
  if (decisions !== pack.logging.decisions) {
    fail({
      code: "BUNDLE_DECISION_COUNT_MISMATCH",
      file: BUNDLE_FILES.decisions,
      expected: `${pack.logging.decisions} decisions (the pack)`,
      found: `${decisions}`,
    });
  }

  // 6. Receipts, each on chain.
  let receipts = 0;
  for (const [name, bytes] of files) {
    if (!name.startsWith(BUNDLE_RECEIPTS)) continue;
    receipts++;
    let input: unknown;
    try {
      input = parseJson(decoder.decode(bytes));
    } catch {
      input = "";
    }
    const checked = await verifyReceiptOnChain(input, { publicClient: options.publicClient, sha256 });
    if (!checked.ok) {
      fail({
        code: "BUNDLE_RECEIPT_INVALID",
        file: name,
        seq: checked.failure.seq,
        expected: checked.failure.expected,
        found: `${checked.failure.code}: ${checked.failure.found}`,
      });
    }
  }
  return result({ ...base, chain, decisions, anchoredDecisions, anchors: history.anchors.length, receipts });
}
