import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/**
 * Codes of {@link ChainVerifyError}.
 *
 * - `CHAIN_UNKNOWN_STREAM`: a stream asked for is neither in the log nor anchored in the registry.
 */
export type ChainVerifyErrorCode = "CHAIN_UNKNOWN_STREAM";

/**
 * `verifyAgainstChain` was asked something it cannot do (the caller's configuration, not a finding
 * about the organisation: a stream the registry anchors and the log lacks is a `STREAM_MISSING`
 * failure instead).
 */
export class ChainVerifyError extends AncoraError<ChainVerifyErrorCode> {
  override name = "ChainVerifyError";
  constructor(code: ChainVerifyErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}
