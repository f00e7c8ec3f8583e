/**
 * What `ancora-verify` prints: one summary shape for every mode, rendered either as exactly one JSON
 * document (`--json`) or as a short human report. Only codes, stream names, sequence numbers, sizes,
 * hashes, CIDs and addresses are printed: never a record's content, an RPC URL or a key.
 */
import { AncoraError, redactForeign, redactUrls } from "@ancora/core";
import type { VerificationFailure } from "../result.js";

/** One stream's line of the report (the `streams[]` entries of `--json`; docs/verifier.md). */
export interface StreamSummary {
  readonly stream: string;
  readonly streamId?: string | null;
  readonly ok: boolean;
  /** Records checked: the log's local size (local and chain modes), the anchored records (public). */
  readonly records: number;
  readonly anchors: number;
  /** Stored checkpoints checked (local) or manifests checked (public). */
  readonly checkpoints?: number;
  /** The latest anchored tree size, as the chain holds it (chain, public and receipt modes). */
  readonly anchoredSize?: number;
  /** The latest anchored root, as the chain holds it (0x-hex; `null` before the first anchor). */
  readonly anchoredRoot?: string | null;
  /** Chain mode: records of the log beyond the latest anchor, which the chain does not protect yet. */
  readonly unanchored?: number;
  /** Chain mode: the `ts` of the oldest of them. */
  readonly oldestUnanchoredTs?: string;
  /** The root recomputed from all of the log's records (local and chain modes; the anchored records in public). */
  readonly root?: string;
  /** How the anchor history was proven (chain and public modes). */
  readonly history?: string;
  readonly failureCount: number;
  readonly firstBadSeq?: number;
}

/** The result of a run, whatever the mode. */
export interface Summary {
  readonly ok: boolean;
  readonly records: number;
  readonly anchors: number;
  readonly failures: readonly VerificationFailure[];
  readonly mode: "local" | "chain" | "public" | "receipt" | "pack";
  /** Failures found in all (`failures` keeps at most 100 per stream). */
  readonly failureCount: number;
  readonly streams: readonly StreamSummary[];
  readonly warnings?: readonly VerificationFailure[];
  /** Where the chain was read (chain, public and receipt modes). */
  readonly chain?: { readonly chainId: number; readonly registry: string; readonly blockNumber: string };
  /** Receipt mode: what the receipt proves. */
  readonly receipt?: Readonly<Record<string, unknown>>;
  /** Pack mode: what the bundle holds and how much of it was checked on chain. */
  readonly pack?: Readonly<Record<string, unknown>>;
  /** Wall-clock time of the run in ms. */
  readonly elapsedMs: number;
}

/** The JSON document of a run (the fields of the issue first, then ours). */
export function summaryJson(summary: Summary): string {
  const { ok, records, anchors, failures, ...rest } = summary;
  return JSON.stringify({ ok, records, anchors, failures, ...rest });
}

/** The JSON document of a run that could not be completed (exit 2 or 3). */
export function errorJson(error: unknown): string {
  const { code, message, hint } = errorParts(error);
  return JSON.stringify({ ok: false, error: { code, message, ...(hint === undefined ? {} : { hint }) } });
}

/**
 * Code, message and hint of an error for the CLI's output, with URLs removed (and 32-byte hex strings
 * from foreign errors). Not the SDK's `describeError` (one line for logs) nor record-checks' `decodeFailure`.
 */
export function errorParts(error: unknown): { code: string; message: string; hint?: string } {
  if (error instanceof AncoraError) {
    return {
      code: error.code,
      message: redactUrls(error.shortMessage),
      ...(error.hint === undefined ? {} : { hint: redactUrls(error.hint) }),
    };
  }
  const name = error instanceof Error ? error.name : "Error";
  return {
    code: "UNEXPECTED_ERROR",
    message: redactForeign(
      `${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    ),
    hint: "This is a bug in ancora-verify or a source it did not expect; please report it with this output.",
  };
}

/** The human form of an error, for stderr. */
export function errorText(error: unknown): string {
  const { code, message, hint } = errorParts(error);
  return `ancora-verify: error ${code}: ${message}\n${hint === undefined ? "" : `  What to do: ${hint}\n`}`;
}

function short(hash: string | null | undefined): string {
  if (hash === null || hash === undefined) return "-";
  return hash.length > 22 ? `${hash.slice(0, 18)}…` : hash;
}

/** "1 record", "3,005 records". */
function count(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}

function streamLine(s: StreamSummary): string {
  const parts = [count(s.records, "record")];
  if (s.checkpoints !== undefined) parts.push(count(s.checkpoints, "checkpoint"));
  if (s.anchoredSize !== undefined) {
    // Only the chain's root goes beside the anchored size: the log's root covers its unanchored
    // records too, and a tampered log's root would read as the chain's.
    const root =
      s.anchoredRoot === undefined || s.anchoredRoot === null ? "" : ` root ${short(s.anchoredRoot)}`;
    parts.push(
      `${count(s.anchors, "anchor")}, anchored size ${s.anchoredSize.toLocaleString("en-US")}${root}`,
    );
  } else if (s.root !== undefined) {
    parts.push(`root ${short(s.root)}`);
  }
  if (s.unanchored !== undefined) {
    parts.push(
      s.unanchored === 0
        ? "no unanchored records"
        : `${count(s.unanchored, "unanchored record")}${s.oldestUnanchoredTs === undefined ? "" : ` (oldest ${s.oldestUnanchoredTs})`}`,
    );
  }
  if (s.history !== undefined) parts.push(`history: ${s.history}`);
  const verdict = s.ok ? "OK" : `FAILED (${count(s.failureCount, "failure")})`;
  return `  ${s.stream}: ${parts.join(", ")} — ${verdict}\n`;
}

const MODE_TITLE: Record<Summary["mode"], string> = {
  local: "local log",
  chain: "local log against the chain",
  public: "public verification from the chain and IPFS",
  receipt: "receipt on chain",
  pack: "evidence bundle against the chain",
};

/**
 * The human report: a line per stream, then for each failing stream its first bad record with the
 * evidence, and how many failures there are besides.
 */
export function summaryText(summary: Summary): string {
  let out = `ancora-verify: ${MODE_TITLE[summary.mode]}`;
  if (summary.chain !== undefined) {
    out += ` (registry ${summary.chain.registry}, chain ${summary.chain.chainId}, block ${summary.chain.blockNumber})`;
  }
  out += "\n";
  for (const s of summary.streams) out += streamLine(s);
  for (const w of summary.warnings ?? []) out += `  warning ${w.code} (${w.stream}): ${w.found}\n`;
  for (const details of [summary.receipt, summary.pack]) {
    for (const [key, value] of Object.entries(details ?? {})) out += `  ${key}: ${String(value)}\n`;
  }
  const shown: VerificationFailure[] = [];
  for (const stream of new Set(summary.failures.map((f) => f.stream))) {
    const first = summary.failures.find((f) => f.stream === stream);
    if (first !== undefined) shown.push(first);
  }
  for (const f of shown) {
    // A misstated anchor is the anchorer's doing, not a bad record: the log matches what was anchored.
    out +=
      f.code === "ANCHOR_SIZE_MISSTATED"
        ? `\nAnchorer misbehaviour in ${f.stream} (the log is intact): ${f.code}\n`
        : `\nFirst bad record of ${f.stream}: seq ${f.seq}, ${f.code}\n`;
    out += `  expected: ${f.expected}\n  found:    ${f.found}\n`;
  }
  const rest = summary.failureCount - shown.length;
  if (rest > 0) out += `  … and ${rest} more failure${rest === 1 ? "" : "s"} (--json lists them)\n`;
  const seconds = (summary.elapsedMs / 1000).toFixed(1);
  out += summary.ok
    ? `\nVERIFIED: ${count(summary.records, "record")}, ${count(summary.anchors, "anchor")} (${seconds} s).\n`
    : `\nFAILED: ${count(summary.failureCount, "failure")} in ${count(summary.records, "record")} checked (${seconds} s).\n`;
  const unanchored = summary.streams.reduce((sum, s) => sum + (s.unanchored ?? 0), 0);
  if (summary.ok && unanchored > 0) {
    out += `Not yet anchored: ${count(unanchored, "record")}. The chain does not protect them: whoever can write the log can still remove them (--require-anchored makes this a failure).\n`;
  }
  if (summary.mode === "local") {
    out +=
      "Checked without a chain: a log rewritten in full would pass. Add --rpc and --registry to check it against the anchors.\n";
  }
  return out;
}
