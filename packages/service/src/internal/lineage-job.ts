/**
 * Lineage graphs for the HTTP service, computed and rendered on one long-lived worker thread (see
 * lineage-worker.ts). Measured on a typical graph (8 nodes): Graphviz's first SVG costs ~70-90 ms
 * (loading the WebAssembly), each later one 4-30 ms; 200 nodes take ~130 ms. That is too long for
 * the event loop that acknowledges writes, and finding a decision by CID scans the records table.
 * Jobs queue on the worker, at most {@link MAX_PENDING_LINEAGE_JOBS} at a time (more: 503
 * OVERLOADED), each within {@link LINEAGE_JOB_TIMEOUT_MS} (else the worker is replaced).
 */
import { Worker } from "node:worker_threads";
import { AncoraError } from "@ancora/core";
import type { LineageFormat } from "@ancora/sdk";
import { workerScript } from "@ancora/verifier/node";
import { ServiceError } from "../errors.js";

/** Jobs waiting for or running on the worker beyond which requests are refused with 503. */
export const MAX_PENDING_LINEAGE_JOBS = 16;
/** How long one job may take before the worker is stopped and the job refused with 503. */
export const LINEAGE_JOB_TIMEOUT_MS = 20_000;

/** What the worker is started with. */
export interface LineageWorkerData {
  path: string;
}

/** One graph to build and render. */
export interface LineageJob {
  id: number;
  cid: string;
  maxDecisions: number;
  format: LineageFormat;
}

interface WorkerAnswer {
  id: number;
  content?: string;
  error?: { code: string; message: string; hint?: string };
}

interface Pending {
  resolve(content: string): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

const { url: WORKER_URL, execArgv: EXEC_ARGV } = workerScript(import.meta.url, "lineage-worker");

/** Builds and renders lineage graphs of the log at `path` on a worker thread, started on first use. */
export class LineageRenderer {
  readonly #path: string;
  readonly #retryAfter: number;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 0;
  #closed = false;

  constructor(path: string, retryAfterSeconds: number, timeoutMs = LINEAGE_JOB_TIMEOUT_MS) {
    this.#path = path;
    this.#retryAfter = retryAfterSeconds;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * The lineage graph around the record `cid`, rendered as `format`. Rejects with the SDK's typed
   * error (`LINEAGE_UNKNOWN`), or a ServiceError `OVERLOADED` when the queue is full or the job timed out.
   *
   * @example
   * ```ts
   * const svg = await renderer.render({ cid, maxDecisions: 20, format: "svg" });
   * ```
   */
  render(job: Omit<LineageJob, "id">): Promise<string> {
    if (this.#closed) {
      return Promise.reject(new ServiceError("SHUTTING_DOWN", "The service is shutting down"));
    }
    if (this.#pending.size >= MAX_PENDING_LINEAGE_JOBS) {
      return Promise.reject(
        new ServiceError("OVERLOADED", "Too many lineage graphs are being computed", {
          hint: "Retry after the Retry-After delay.",
          retryAfter: this.#retryAfter,
        }),
      );
    }
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A worker busy for this long is stuck on a huge graph: replace it rather than queue behind it.
        this.#fail(
          new ServiceError("OVERLOADED", "The lineage graph took too long to compute", {
            hint: "Ask for fewer decisions (maxDecisions), or retry after the Retry-After delay.",
            retryAfter: this.#retryAfter,
          }),
        );
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      worker.postMessage({ ...job, id } satisfies LineageJob);
    });
  }

  /** Stops the worker; pending jobs are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#fail(new ServiceError("SHUTTING_DOWN", "The service is shutting down"));
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_URL, {
      workerData: { path: this.#path } satisfies LineageWorkerData,
      execArgv: EXEC_ARGV,
    });
    // An idle worker must not keep the process alive.
    worker.unref();
    worker.on("message", (answer: WorkerAnswer) => {
      const pending = this.#pending.get(answer.id);
      if (pending === undefined) return;
      this.#pending.delete(answer.id);
      clearTimeout(pending.timer);
      if (answer.error === undefined) pending.resolve(answer.content ?? "");
      else {
        const { code, message, hint } = answer.error;
        pending.reject(new AncoraError(code, message, hint === undefined ? {} : { hint }));
      }
    });
    worker.once("error", () => {
      if (this.#worker === worker) void this.#fail(new ServiceError("INTERNAL", "The lineage worker failed"));
    });
    worker.once("exit", () => {
      if (this.#worker === worker)
        void this.#fail(new ServiceError("INTERNAL", "The lineage worker stopped"));
    });
    this.#worker = worker;
    return worker;
  }

  /** Rejects every pending job with `error` and stops the worker (the next job starts a new one). */
  async #fail(error: ServiceError): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
    if (worker !== undefined) await worker.terminate();
  }
}
