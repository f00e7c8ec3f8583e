/**
 * Bounded parallel fetching for public verification. `fetchAll` in ../sources/blocks.ts does the same
 * for the node entry, but that module is node-only (the gateway fetcher's timers) while
 * `verifyPublic` belongs to the pure entry, which a browser can load.
 */
import type { BlockFetcher } from "../sources/types.js";

/**
 * Fetches every CID with at most `concurrency` fetches in flight and returns the blocks in the order of
 * `cids`. The first error rejects at once and aborts the fetches still in flight (through the signal
 * each was given); nothing new starts after it.
 *
 * @example
 * ```ts
 * const blocks = await fetchInParallel(fetchBlock, manifest.records.map(String), 32);
 * ```
 */
export function fetchInParallel(
  fetch: BlockFetcher,
  cids: readonly string[],
  concurrency: number,
  signal?: AbortSignal,
): Promise<Uint8Array[]> {
  const results = new Array<Uint8Array>(cids.length);
  if (cids.length === 0) return Promise.resolve(results);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cids.length) {
      controller.signal.throwIfAborted();
      const index = next++;
      results[index] = await fetch(cids[index] as string, { signal: controller.signal });
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, cids.length) }, worker);
  return Promise.all(workers)
    .then(() => results)
    .catch((error: unknown) => {
      controller.abort(error);
      throw error;
    })
    .finally(() => signal?.removeEventListener("abort", onAbort));
}
