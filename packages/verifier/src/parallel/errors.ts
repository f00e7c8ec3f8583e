/** Errors of the parallel verification options (see ./worker-pool.ts and ./verify-local.ts). */
import { AncoraError, type AncoraErrorOptions } from "@ancora/core";

export type ParallelOptionErrorCode = "PARALLEL_BAD_OPTION";

/** A thread count or range size that cannot be used; the caller's fault, raised before any work. */
export class ParallelOptionError extends AncoraError<ParallelOptionErrorCode> {
  override name = "ParallelOptionError";
  constructor(code: ParallelOptionErrorCode, shortMessage: string, options: AncoraErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}
