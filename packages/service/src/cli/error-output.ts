/**
 * The one mapping from any error to an exit code of `ancora` and to what it prints (the CLI's typed
 * errors are in ../errors.ts).
 *
 * Exit codes are a contract with scripts: 0 ok, 1 a verification failure or tampering found, 2 a
 * usage or configuration error (and any other failure), 3 a source (RPC, IPFS) that could not be
 * reached. Printed text never carries secrets: messages of foreign errors lose their URLs (RPC URLs
 * often embed an API key) and are cut to their first line.
 */
import { describeRegistryRevert } from "@ancora/contracts";
import { AncoraError, redactForeign } from "@ancora/core";

/** Exit codes of every `ancora` command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** Codes meaning "a source could not be reached" (exit 3). */
const UNREACHABLE_CODES = new Set([
  "CHAIN_UNREACHABLE",
  "ANCHOR_CHAIN_UNAVAILABLE",
  "IPFS_UNREACHABLE",
  "PIN_UNAVAILABLE",
]);

/** Codes meaning "something does not verify" (exit 1): tampering, a fork, a bad proof. */
const FAILURE_CODES = new Set([
  "ANCHOR_FORK",
  "ANCHOR_SIZE_MISSTATED",
  "ANCHOR_NOT_MISSTATED",
  "CID_MISMATCH",
  "INCLUSION_PROOF_INVALID",
  "CONSISTENCY_PROOF_INVALID",
  "ROOT_MISMATCH",
  "CHAIN_BROKEN",
  "RECEIPT_INVALID",
  "COMMITMENT_MISMATCH",
  "ANCHOR_HISTORY_MISMATCH",
  "ANCHOR_HISTORY_GAP",
  "STORE_CORRUPT",
]);

/** viem's transport failures, found by name along the cause chain (no viem import needed here). */
const TRANSPORT_ERRORS = new Set([
  "HttpRequestError",
  "TimeoutError",
  "WebSocketRequestError",
  "SocketClosedError",
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && !chain.includes(current) && chain.length < 16) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** True when the error (or one of its causes) is a failure to reach an RPC endpoint. */
export function isTransportError(error: unknown): boolean {
  return causes(error).some((e) => {
    const name = (e as { name?: unknown }).name;
    const code = (e as { code?: unknown }).code;
    return (
      (typeof name === "string" && TRANSPORT_ERRORS.has(name)) ||
      code === "ECONNREFUSED" ||
      code === "ENOTFOUND" ||
      code === "ECONNRESET"
    );
  });
}

/** The exit code an error ends a command with. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof AncoraError) {
    if (UNREACHABLE_CODES.has(error.code)) return EXIT.unreachable;
    if (FAILURE_CODES.has(error.code)) return EXIT.failed;
    return EXIT.usage;
  }
  if (isTransportError(error)) return EXIT.unreachable;
  return EXIT.usage;
}

const REVERT_HINT =
  "The contract's error names what it checked (a role, a stream, a tree size): fix that (`ancora roles list`, `ancora stream list` show the registry's state) and run the command again.";

/** A message with the decoded revert: in place of the bare error name it names, else appended. */
function withRevert(message: string, revert: string | undefined): string {
  if (revert === undefined || message.includes(revert)) return message;
  const open = revert.indexOf("(");
  const name = open > 0 ? revert.slice(0, open) : undefined;
  return name !== undefined && message.includes(name)
    ? message.replace(name, revert)
    : `${message}: ${revert}`;
}

/** What is printed for an error: `{ code, message, hint?, evidence? }`. */
export interface PrintedError {
  code: string;
  message: string;
  hint?: string;
  evidence?: Record<string, unknown>;
}

/** Turns any error into what the CLI prints about it (no secrets, no stack, no URLs). */
export function printedError(error: unknown): PrintedError {
  const revert = describeRegistryRevert(error);
  if (error instanceof AncoraError) {
    return {
      code: error.code,
      message: withRevert(error.shortMessage, revert),
      ...(error.hint !== undefined
        ? { hint: error.hint }
        : revert !== undefined
          ? { hint: REVERT_HINT }
          : {}),
      ...(error.evidence === undefined ? {} : { evidence: { ...error.evidence } }),
    };
  }
  if (isTransportError(error)) {
    return {
      code: "CHAIN_UNREACHABLE",
      message: "The RPC endpoint could not be reached",
      hint: "Check --rpc (or ANCORA_RPC_URL) and that the node is running, then run the command again.",
    };
  }
  if (revert !== undefined) {
    return {
      code: "REGISTRY_REVERTED",
      message: `The registry refused the call: ${revert}`,
      hint: REVERT_HINT,
    };
  }
  const short = (error as { shortMessage?: unknown } | null)?.shortMessage;
  const message =
    typeof short === "string"
      ? short
      : error instanceof Error
        ? (error.message.split("\n")[0] ?? "")
        : String(error);
  return {
    code: "UNEXPECTED",
    message: redactForeign(message).slice(0, 500),
    hint: "Run the command again; if it keeps failing, report it with the command line (without secrets).",
  };
}

/** Text form: `error CODE: message` and `What to do: hint`. */
export function formatError(printed: PrintedError): string {
  const lines = [`error ${printed.code}: ${printed.message}`];
  if (printed.hint !== undefined) lines.push(`What to do: ${printed.hint}`);
  return `${lines.join("\n")}\n`;
}

/** JSON form: `{ ok: false, error: { code, message, hint, evidence } }`. */
export function jsonError(printed: PrintedError): string {
  // Evidence may hold bigints (a revert's sizes and block numbers): printed as decimal strings.
  return `${JSON.stringify({ ok: false, error: printed }, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}\n`;
}
