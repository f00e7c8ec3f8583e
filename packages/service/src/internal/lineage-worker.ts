/**
 * Worker thread of `GET /v1/lineage/{cid}`: builds the graph over its own connection and renders it
 * (Graphviz as WebAssembly for SVG), so neither the query nor the layout stalls the event loop that
 * serves writes. The connection may write for one reason: finding a decision by CID goes through the
 * store's CID index, which the first lookup after new records catches up (derived rows only, in short
 * transactions; records themselves are never written here). It lives as long as the
 * service: Graphviz is loaded once, and each job is one message `{ id, cid, maxDecisions, format }`
 * answered by `{ id, content }` or `{ id, error }` (code, message and hint only).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { AncoraStore } from "@ancora/sdk";
import type { LineageJob, LineageWorkerData } from "./lineage-job.js";

const { path } = workerData as LineageWorkerData;
const sdk = await import("@ancora/sdk");
let store: AncoraStore | undefined;

parentPort?.on("message", (job: LineageJob) => {
  void (async () => {
    try {
      store ??= sdk.openStore({ path });
      const graph = sdk.lineageGraph(store, job.cid, { maxDecisions: job.maxDecisions });
      const content = await sdk.renderLineage(graph, job.format);
      parentPort?.postMessage({ id: job.id, content });
    } catch (error) {
      const e = error as { code?: unknown; shortMessage?: unknown; hint?: unknown };
      parentPort?.postMessage({
        id: job.id,
        error: {
          code: typeof e.code === "string" ? e.code : "INTERNAL",
          message: typeof e.shortMessage === "string" ? e.shortMessage : "Internal error",
          ...(typeof e.hint === "string" ? { hint: e.hint } : {}),
        },
      });
    }
  })();
});
