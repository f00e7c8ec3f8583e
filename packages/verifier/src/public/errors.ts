import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/** Codes of {@link PublicVerifyError}. */
export type PublicVerifyErrorCode = "PUBLIC_BAD_OPTION" | "PUBLIC_UNKNOWN_STREAM";

/**
 * `verifyPublic` was asked something it cannot do: an option out of range, or a stream the registry has
 * never registered (the caller's configuration, not a finding about the organisation).
 */
export class PublicVerifyError extends AncoraError<PublicVerifyErrorCode> {
  override name = "PublicVerifyError";
  constructor(code: PublicVerifyErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}
