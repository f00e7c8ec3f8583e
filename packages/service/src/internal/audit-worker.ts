/**
 * Worker thread of the audit endpoints: runs one whole-log job (verify, evidence pack) over its own
 * read-only connection, so a long verification never stalls the event loop that serves writes.
 * Posts `{ result }` or `{ error }` (code, message and hint only: typed errors never carry values).
 */
import { Writable } from "node:stream";
import { parentPort, workerData } from "node:worker_threads";
import type { AuditJob } from "./audit-job.js";

const job = workerData as AuditJob;
/** Per JSON-RPC request of the evidence pack's chain check: a node that does not answer is an error, not a hang. */
const RPC_TIMEOUT_MS = 30_000;

try {
  const {
    evidencePack,
    openStore,
    renderEvidencePack,
    renderEvidencePackHtml,
    rpcTransport,
    writeEvidenceBundle,
  } = await import("@ancora/sdk");
  const store = openStore({ path: job.path, readonly: true });
  try {
    if (job.op === "verify") {
      const result = store.verify({
        threads: 1,
        ...(job.stream === undefined ? {} : { stream: job.stream }),
      });
      parentPort?.postMessage({ result });
    } else {
      const { createPublicClient } = await import("viem");
      const chain =
        job.chain === undefined
          ? undefined
          : {
              publicClient: createPublicClient({
                transport: rpcTransport(
                  {
                    urls: job.chain.urls,
                    ...(job.chain.headers === undefined ? {} : { headers: job.chain.headers }),
                  },
                  { timeoutMs: RPC_TIMEOUT_MS, retryCount: 1 },
                ),
              }),
              registry: job.chain.registry,
            };
      const packOptions = {
        stream: job.stream,
        model: job.model,
        ...(chain === undefined ? {} : { chain }),
      };
      if (job.form === "bundle") {
        // Held in memory to cross to the event loop: a bundle over HTTP is bounded by the worker's heap
        // (`ancora export --format eu-ai-act-bundle` streams to a file instead).
        const chunks: Buffer[] = [];
        const out = new Writable({
          write(chunk: Buffer, _encoding, callback) {
            chunks.push(chunk);
            callback();
          },
        });
        await writeEvidenceBundle(store, { ...packOptions, out });
        const bytes = new Uint8Array(Buffer.concat(chunks));
        parentPort?.postMessage({ result: bytes }, [bytes.buffer]);
      } else {
        const pack = await evidencePack(store, packOptions);
        const result =
          job.form === "markdown"
            ? renderEvidencePack(pack)
            : job.form === "html"
              ? renderEvidencePackHtml(pack)
              : pack;
        parentPort?.postMessage({ result });
      }
    }
  } finally {
    store.close();
  }
} catch (error) {
  const e = error as { code?: unknown; shortMessage?: unknown; hint?: unknown };
  parentPort?.postMessage({
    error: {
      code: typeof e.code === "string" ? e.code : "INTERNAL",
      message: typeof e.shortMessage === "string" ? e.shortMessage : "Internal error",
      ...(typeof e.hint === "string" ? { hint: e.hint } : {}),
    },
  });
}
