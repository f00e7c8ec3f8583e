/**
 * Typed errors of anchoring, and the one place an error becomes text for the outbox or a log line
 * (without RPC URLs, which often carry an API key, and without request bodies).
 */
import { AncoraError, type AncoraErrorOptions, redactForeign, redactUrls } from "@ancora/core";

/** Codes of {@link AnchorError}. */
export type AnchorErrorCode =
  /** The chain holds a different root than the local log at the same size: a fork. Never retried away. */
  | "ANCHOR_FORK"
  /**
   * The chain's anchor states one size but commits the log's root at another (misstated with the
   * anchorer key): the log is intact; anchor past it with the admin key (docs/operations.md).
   */
  | "ANCHOR_SIZE_MISSTATED"
  /** Anchoring past a misstated anchor was asked for, but the chain's latest anchor is not one. */
  | "ANCHOR_NOT_MISSTATED"
  /** Anchoring past a misstated anchor needs the log to have grown past the size it states. */
  | "ANCHOR_LOG_TOO_SHORT"
  /** The current base fee is above the configured cap: the anchor waits. */
  | "ANCHOR_FEE_CAP"
  /** The registry rejected the anchor (simulation or on-chain revert). */
  | "ANCHOR_REVERTED"
  /** The stream is not registered (or retired) in the registry. */
  | "ANCHOR_STREAM_NOT_REGISTERED"
  /** The RPC endpoint could not be reached or failed. */
  | "ANCHOR_CHAIN_UNAVAILABLE"
  /** Bad anchorer options. */
  | "ANCHOR_INVALID_OPTION"
  /** The anchoring worker thread could not start, crashed or was stopped while a call waited. */
  | "ANCHOR_WORKER_FAILED";

/** An anchoring failure. Messages and evidence hold sizes, roots, CIDs and hashes only. */
export class AnchorError extends AncoraError<AnchorErrorCode> {
  override name = "AnchorError";
  constructor(code: AnchorErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

/**
 * A one-line description of an error for the outbox's `last_error` and for log lines: the error's
 * name and code and its short message (viem's `shortMessage` leaves out the URL and request body),
 * with any URL removed (and, from errors Ancora did not make, any 32-byte hex string: see core's
 * redactForeign).
 */
export function describeError(error: unknown): string {
  if (error instanceof AncoraError) return redactUrls(`${error.name} ${error.code}: ${error.shortMessage}`);
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    const text = typeof short === "string" ? short : (error.message.split("\n")[0] ?? "");
    return redactForeign(`${error.name}: ${text}`).slice(0, 500);
  }
  return "unknown error";
}

/** No confirmed anchor covers the record yet: there is no receipt to give (try again after anchoring). */
export class NotAnchoredError extends AncoraError<"NOT_ANCHORED"> {
  override name = "NotAnchoredError";
  constructor(stream: string, seq: number) {
    super("NOT_ANCHORED", `Record ${seq} of "${stream}" is not covered by a confirmed anchor yet`, {
      hint: "Wait for the anchorer (see anchorer.backlog()), then ask again.",
      evidence: { stream, seq },
    });
  }
}
