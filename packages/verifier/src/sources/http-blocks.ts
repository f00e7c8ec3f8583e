/**
 * Blocks from any HTTP gateway: in bulk through an Ancora node's batch endpoint when the gateway has
 * one, one trustless-gateway request per block otherwise (Kubo, Pinata and public gateways). The
 * choice is made by the gateway's first answer, so an auditor passes a URL and nothing else.
 */
import { SourceError } from "../errors.js";
import { gatewayFetcher } from "./blocks.js";
import { carGatewayFetcher } from "./car-gateway.js";
import { nodeSha256 } from "./node-sha256.js";
import type { BlockFetcher } from "./types.js";

/** Blocks requested at once over HTTP: enough to fill the batch endpoint's requests of 256 CIDs. */
export const HTTP_FETCH_CONCURRENCY = 512;

function lacksBatchEndpoint(error: unknown): boolean {
  if (!(error instanceof SourceError) || error.code !== "SOURCE_UNREACHABLE") return false;
  const status = error.evidence?.status;
  return status === 404 || status === 405 || status === 501;
}

/**
 * A {@link BlockFetcher} over the gateway at `baseUrl`: the batch endpoint first; after an answer that
 * says it has none (404, 405, 501), every fetch (the failed ones again included) goes block by block.
 * Every block is checked against its CID either way.
 *
 * @example
 * ```ts
 * const result = await verifyPublic({ registry, fetchBlock: httpBlockFetcher(url), concurrency: HTTP_FETCH_CONCURRENCY });
 * ```
 */
export function httpBlockFetcher(
  baseUrl: string,
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): BlockFetcher {
  const batch = carGatewayFetcher(baseUrl, options);
  const single = gatewayFetcher(baseUrl, { ...options, sha256: nodeSha256 });
  let batched = true;
  return async (cid, fetchOptions) => {
    if (!batched) return await single(cid, fetchOptions);
    try {
      return await batch(cid, fetchOptions);
    } catch (error) {
      if (!lacksBatchEndpoint(error)) throw error;
      batched = false;
      return await single(cid, fetchOptions);
    }
  };
}
