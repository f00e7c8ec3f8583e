/**
 * The page's link format: `…/verify#receipt=<base64url of the receipt's JSON text>`, optionally with
 * `&rpc=<URL>&gateway=<URL>`. A URL fragment never leaves the browser (RFC 9110 §4.2.4: it is not sent
 * in requests), so a receipt in a link reaches no server, the one serving the page included. The
 * service's record answer and `make demo` build links with {@link verifyPageLink}; the page reads them
 * with {@link readFragment}.
 */
import { MAX_RECEIPT_BYTES, type ReceiptJSON, type ReceiptV1JSON } from "@ancora/core";
import { VerifyPageError } from "./errors.js";

/** Where `ancora serve` serves the page. */
export const VERIFY_PAGE_PATH = "/verify";

/**
 * The longest receipt text the page reads: a receipt's canonical form is at most `MAX_RECEIPT_BYTES`;
 * its JSON form spells the record in base64 (4/3) and hashes in hex, so twice that is ample.
 */
export const MAX_RECEIPT_TEXT = 2 * MAX_RECEIPT_BYTES;

/** What a link's fragment holds. */
export interface FragmentParams {
  /** The receipt's JSON text. */
  receipt?: string;
  /** A chain JSON-RPC endpoint. */
  rpc?: string;
  /** An IPFS gateway base URL. */
  gateway?: string;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new VerifyPageError("PAGE_FRAGMENT_INVALID", "The link's receipt is not base64url text", {
      hint: "Copy the whole link again (it may have been cut short), or paste the receipt file's text.",
    });
  }
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * The fragment (`#receipt=…`, with `rpc` and `gateway` when given) for a receipt in JSON form.
 *
 * @example
 * ```ts
 * const href = `${VERIFY_PAGE_PATH}${receiptFragment(receiptToJSON(receipt))}`;
 * ```
 */
export function receiptFragment(
  receipt: ReceiptJSON | ReceiptV1JSON,
  extra: Omit<FragmentParams, "receipt"> = {},
) {
  const params = new URLSearchParams({
    receipt: base64url(new TextEncoder().encode(JSON.stringify(receipt))),
  });
  if (extra.rpc !== undefined) params.set("rpc", extra.rpc);
  if (extra.gateway !== undefined) params.set("gateway", extra.gateway);
  return `#${params.toString()}`;
}

/**
 * A link to the page at `base` (a page URL or a path such as {@link VERIFY_PAGE_PATH}) that opens
 * `receipt`. Never pass an RPC URL that carries an API key: a link is shared and kept in history.
 *
 * @example
 * ```ts
 * verifyPageLink("http://127.0.0.1:8080/verify", receiptJSON, { rpc: "http://127.0.0.1:8545" });
 * ```
 */
export function verifyPageLink(
  base: string,
  receipt: ReceiptJSON | ReceiptV1JSON,
  extra: Omit<FragmentParams, "receipt"> = {},
): string {
  return `${base}${receiptFragment(receipt, extra)}`;
}

/**
 * Reads a page URL's fragment (`location.hash`, with or without `#`).
 *
 * @throws {VerifyPageError} `PAGE_FRAGMENT_INVALID` when `receipt` is not base64url of UTF-8 text,
 *   `PAGE_RECEIPT_TOO_LARGE` when it is larger than {@link MAX_RECEIPT_TEXT}.
 */
export function readFragment(hash: string): FragmentParams {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const out: FragmentParams = {};
  const encoded = params.get("receipt");
  if (encoded !== null && encoded !== "") {
    if (encoded.length > Math.ceil((MAX_RECEIPT_TEXT * 4) / 3)) {
      throw new VerifyPageError("PAGE_RECEIPT_TOO_LARGE", "The link's receipt is larger than any receipt", {
        hint: "Open the receipt file instead of a link.",
      });
    }
    try {
      out.receipt = new TextDecoder("utf-8", { fatal: true }).decode(fromBase64url(encoded));
    } catch (error) {
      if (error instanceof VerifyPageError) throw error;
      throw new VerifyPageError("PAGE_FRAGMENT_INVALID", "The link's receipt is not UTF-8 text", {
        hint: "Copy the whole link again, or paste the receipt file's text.",
        cause: error,
      });
    }
  }
  const rpc = params.get("rpc");
  if (rpc !== null && rpc !== "") out.rpc = rpc;
  const gateway = params.get("gateway");
  if (gateway !== null && gateway !== "") out.gateway = gateway;
  return out;
}
