/** The page's own input errors: what a person typed, pasted or opened cannot be used as given. */
import { AncoraError } from "@ancora/core";

/**
 * Every way the page refuses its input (verification failures are results, not errors):
 *
 * - `PAGE_NO_RECEIPT`: nothing was pasted, opened or linked.
 * - `PAGE_RECEIPT_TOO_LARGE`: the text is larger than any receipt can be.
 * - `PAGE_FRAGMENT_INVALID`: the link's `#receipt=` is not base64url of UTF-8 text.
 * - `PAGE_RPC_URL_MISSING`, `PAGE_RPC_URL_INVALID`: no chain endpoint, or not an http(s) URL.
 * - `PAGE_GATEWAY_URL_INVALID`: the IPFS gateway is not an http(s) base URL.
 * - `PAGE_BUILD_BROKEN`: the page's HTML lacks an element its script needs (a broken build).
 */
export type VerifyPageErrorCode =
  | "PAGE_NO_RECEIPT"
  | "PAGE_RECEIPT_TOO_LARGE"
  | "PAGE_FRAGMENT_INVALID"
  | "PAGE_RPC_URL_MISSING"
  | "PAGE_RPC_URL_INVALID"
  | "PAGE_GATEWAY_URL_INVALID"
  | "PAGE_BUILD_BROKEN";

/**
 * The page cannot use its input; `hint` says what to do, in words for the person at the page.
 *
 * @example
 * ```ts
 * if (error instanceof VerifyPageError && error.code === "PAGE_RPC_URL_MISSING") focus(rpcInput);
 * ```
 */
export class VerifyPageError extends AncoraError<VerifyPageErrorCode> {
  override name = "VerifyPageError";
}
