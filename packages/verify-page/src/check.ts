/**
 * What the page runs when a person asks it to verify: the verifier's own receipt check
 * (`verifyReceiptOnChain`: the record's CID from its bytes, the inclusion proof with core, the anchor on
 * chain through viem), then, when an IPFS gateway is given, the record and the decision's config from
 * IPFS through the verifier's gateway fetcher (every block checked against its CID). Nothing here
 * re-implements a check; it orders them, reports progress, and gathers what the page shows.
 */
import {
  type AncoraError,
  type AncoraRecord,
  type ConfigBody,
  type ConfigRecord,
  decodeRecord,
  parseJson,
  receiptFromJSON,
  resolveLabel,
  verifyReceiptOffline,
} from "@ancora/core";
import {
  gatewayFetcher,
  type ReceiptFailure,
  type ReceiptVerification,
  SourceError,
  verifyReceiptOnChain,
} from "@ancora/verifier";
import { createPublicClient, http } from "viem";
import { VerifyPageError } from "./errors.js";
import { MAX_RECEIPT_TEXT } from "./link.js";

/**
 * How many records before a config the page reads to name its labels. The SDK writes a stream's label
 * records right before the config that uses them, so a few suffice; each is one gateway request.
 */
export const LABEL_WALK = 16;

/** The steps the page shows, in order. */
export const STEPS = ["record", "chain", "ipfs"] as const;
export type StepId = (typeof STEPS)[number];
/** `error`: the step could not be run (a source did not answer), which says nothing about the receipt. */
export type StepState = "running" | "passed" | "failed" | "error" | "skipped";

/** Options of {@link checkReceiptText}. */
export interface PageCheckOptions {
  /** The chain's JSON-RPC endpoint (http or https). */
  readonly rpcUrl: string;
  /** An IPFS gateway base URL, to fetch the record and its config; optional. */
  readonly gatewayUrl?: string;
  /** Called as each step starts and ends. */
  readonly onStep?: (step: StepId, state: StepState) => void;
  /** Time allowed for each gateway request (default 15 s). */
  readonly gatewayTimeoutMs?: number;
}

/** The config in force for a decision, read from IPFS and bound by the decision's `config` link. */
export type ConfigInForce =
  | {
      readonly found: true;
      readonly cid: string;
      readonly seq: number;
      readonly ts: string;
      readonly body: ConfigBody;
      readonly resolvedLabel: string | undefined;
      /**
       * Label names by id, from the label records just before the config (walked back through `prev`,
       * at most {@link LABEL_WALK} records): the names when the rule was set. Ids not found are absent.
       */
      readonly labelNames: ReadonlyMap<string, string>;
    }
  | { readonly found: false; readonly cid: string; readonly reason: string };

/** What IPFS says about the record and its config (absent when no gateway was given). */
export interface IpfsFindings {
  /** The record is served by the gateway under its CID (bytes checked against the CID). */
  readonly record: { readonly published: true } | { readonly published: false; readonly reason: string };
  /** For a decision: its config record. */
  readonly config?: ConfigInForce;
}

export type PageOutcome =
  | {
      readonly kind: "verified";
      readonly result: Extract<ReceiptVerification, { ok: true }>;
      readonly ipfs?: IpfsFindings;
      /** Time from the start of the check to its result, in ms (IPFS included). */
      readonly ms: number;
    }
  | { readonly kind: "not-verified"; readonly failure: ReceiptFailure; readonly ms: number }
  | { readonly kind: "error"; readonly error: AncoraError; readonly ms: number };

/** An http(s) URL, or the page's typed error for `field`. */
export function httpUrl(text: string, field: "rpc" | "gateway"): string {
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw field === "rpc"
      ? new VerifyPageError("PAGE_RPC_URL_INVALID", "The chain RPC URL is not an http(s) URL", {
          hint: "Enter the JSON-RPC URL of a node of the receipt's chain, such as https://rpc.example.org.",
        })
      : new VerifyPageError("PAGE_GATEWAY_URL_INVALID", "The IPFS gateway is not an http(s) URL", {
          hint: "Enter a gateway's base URL, such as https://ipfs.example.org, or leave it empty.",
        });
  }
  return url.toString();
}

function describe(error: unknown): string {
  if (error instanceof SourceError) return `${error.code}: ${error.shortMessage}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Label names from the records before `config`, newest first (a later label record renames an id). Each
 * block is fetched by the CID its successor links to, so the names are bound to the config; a block the
 * gateway cannot give ends the walk (names are a courtesy, not a check).
 */
async function labelNames(
  config: ConfigRecord,
  fetchBlock: ReturnType<typeof gatewayFetcher>,
): Promise<Map<string, string>> {
  const wanted = new Set([config.body.aboveLabel, config.body.belowLabel]);
  const names = new Map<string, string>();
  let prev = config.prev;
  for (let i = 0; i < LABEL_WALK && prev !== undefined && names.size < wanted.size; i++) {
    let record: AncoraRecord;
    try {
      record = decodeRecord(await fetchBlock(prev.toString()));
    } catch {
      break;
    }
    if (record.kind === "label" && wanted.has(record.body.id) && !names.has(record.body.id)) {
      names.set(record.body.id, record.body.name);
    }
    prev = record.prev;
  }
  return names;
}

async function readIpfs(
  result: Extract<ReceiptVerification, { ok: true }>,
  gatewayUrl: string,
  timeoutMs: number,
): Promise<IpfsFindings> {
  const fetchBlock = gatewayFetcher(gatewayUrl, { timeoutMs, retries: 1 });
  const { record } = result;
  const configCid = record.kind === "decision" ? record.body.config.toString() : undefined;
  const [published, config] = await Promise.allSettled([
    fetchBlock(result.cid.toString()),
    configCid === undefined ? Promise.resolve(undefined) : fetchBlock(configCid),
  ]);
  const findings: { record: IpfsFindings["record"]; config?: ConfigInForce } = {
    record:
      published.status === "fulfilled"
        ? { published: true }
        : { published: false, reason: describe(published.reason) },
  };
  if (configCid !== undefined && record.kind === "decision") {
    if (config.status === "rejected") {
      findings.config = { found: false, cid: configCid, reason: describe(config.reason) };
    } else {
      // The bytes hash to the decision's `config` link (the fetcher checked), so they are the config the
      // decision names; decoding checks they are a valid record of that kind and stream.
      try {
        const decoded = decodeRecord(config.value as Uint8Array);
        if (decoded.kind !== "config" || decoded.stream !== record.stream) {
          findings.config = {
            found: false,
            cid: configCid,
            reason: `the linked record is a ${decoded.kind} record of stream ${decoded.stream}, not a config of ${record.stream}`,
          };
        } else {
          findings.config = {
            found: true,
            cid: configCid,
            seq: decoded.seq,
            ts: decoded.ts,
            body: decoded.body,
            labelNames: await labelNames(decoded, fetchBlock),
            resolvedLabel:
              record.body.score === undefined ? undefined : resolveLabel(decoded.body, record.body.score),
          };
        }
      } catch (error) {
        findings.config = { found: false, cid: configCid, reason: describe(error) };
      }
    }
  }
  return findings;
}

/** Whether core's offline checks pass (format, record CID, record, inclusion proof): a progress step only. */
function passesOffline(text: string): boolean {
  try {
    return verifyReceiptOffline(receiptFromJSON(parseJson(text))).ok;
  } catch {
    return false;
  }
}

/**
 * Verifies the receipt in `text` (its JSON form) as the page does, reporting each step.
 *
 * @throws {VerifyPageError} for input the page cannot use (no receipt, a receipt too large, an RPC or
 *   gateway URL that is not http(s)); everything about the receipt itself is the outcome.
 * @example
 * ```ts
 * const outcome = await checkReceiptText(text, { rpcUrl: "https://rpc.example.org" });
 * if (outcome.kind === "not-verified") console.log(outcome.failure.code);
 * ```
 */
export async function checkReceiptText(text: string, options: PageCheckOptions): Promise<PageOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (text.trim() === "") {
    throw new VerifyPageError("PAGE_NO_RECEIPT", "There is no receipt to verify", {
      hint: "Paste the receipt's text, open its file, or follow the link you were given.",
    });
  }
  if (text.length > MAX_RECEIPT_TEXT) {
    throw new VerifyPageError("PAGE_RECEIPT_TOO_LARGE", "The text is larger than any receipt", {
      hint: "Check that this is the receipt file you were given.",
      evidence: { length: text.length, limit: MAX_RECEIPT_TEXT },
    });
  }
  if (options.rpcUrl.trim() === "") {
    throw new VerifyPageError("PAGE_RPC_URL_MISSING", "A chain RPC URL is needed to check the anchor", {
      hint: "Enter the JSON-RPC URL of a node of the chain the receipt names (its chain id is in the receipt).",
    });
  }
  const rpcUrl = httpUrl(options.rpcUrl, "rpc");
  const gatewayUrl =
    options.gatewayUrl === undefined || options.gatewayUrl.trim() === ""
      ? undefined
      : httpUrl(options.gatewayUrl, "gateway");
  const step = options.onStep ?? (() => {});

  const publicClient = createPublicClient({ transport: http(rpcUrl, { retryCount: 1, timeout: 20_000 }) });
  step("record", "running");
  if (!passesOffline(text)) {
    // The verifier runs the same offline checks first and answers from them without a chain read; its
    // failure is the one the page shows.
    const failed = await verifyReceiptOnChain(text, { publicClient });
    if (!failed.ok) {
      step("record", "failed");
      step("chain", "skipped");
      step("ipfs", "skipped");
      return { kind: "not-verified", failure: failed.failure, ms: elapsed() };
    }
  }
  step("record", "passed");
  step("chain", "running");
  let result: ReceiptVerification;
  try {
    result = await verifyReceiptOnChain(text, { publicClient });
  } catch (error) {
    step("chain", "error");
    step("ipfs", "skipped");
    if (error instanceof SourceError) return { kind: "error", error, ms: elapsed() };
    throw error;
  }
  if (!result.ok) {
    step("chain", "failed");
    step("ipfs", "skipped");
    return { kind: "not-verified", failure: result.failure, ms: elapsed() };
  }
  step("chain", "passed");
  if (gatewayUrl === undefined) {
    step("ipfs", "skipped");
    return { kind: "verified", result, ms: elapsed() };
  }
  step("ipfs", "running");
  const ipfs = await readIpfs(result, gatewayUrl, options.gatewayTimeoutMs ?? 15_000);
  const ipfsOk = ipfs.record.published && (ipfs.config === undefined || ipfs.config.found);
  step("ipfs", ipfsOk ? "passed" : "failed");
  return { kind: "verified", result, ipfs, ms: elapsed() };
}
