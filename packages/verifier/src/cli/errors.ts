import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

/**
 * Codes of {@link UsageError}: the command line cannot be run as given.
 *
 * - `USAGE_UNKNOWN_OPTION`: an option `ancora-verify` does not have.
 * - `USAGE_MISSING_VALUE`: an option given without its value.
 * - `USAGE_BAD_VALUE`: a value of the wrong form (an address, a URL, a multiaddr).
 * - `USAGE_CONFLICT`: options that cannot be combined, or an incomplete combination.
 * - `USAGE_NOTHING_TO_VERIFY`: no source given.
 */
export type UsageErrorCode =
  | "USAGE_UNKNOWN_OPTION"
  | "USAGE_MISSING_VALUE"
  | "USAGE_BAD_VALUE"
  | "USAGE_CONFLICT"
  | "USAGE_NOTHING_TO_VERIFY";

/** The command line is wrong (exit code 2). */
export class UsageError extends AncoraError<UsageErrorCode> {
  override name = "UsageError";
  constructor(code: UsageErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, { hint: "Run `ancora-verify --help` for the options.", ...options });
  }
}
