/**
 * Whole-log audit jobs (verification, evidence packs) run on a worker thread, one at a time: they read
 * every record, and on the event loop they would stall every write for as long.
 */
import { Worker } from "node:worker_threads";
import { AncoraError } from "@ancora/core";
import { workerScript } from "@ancora/verifier/node";
import { ServiceError } from "../errors.js";

/** What a worker is asked to do. */
export type AuditJob =
  | { op: "verify"; path: string; stream?: string }
  | {
      op: "evidence";
      path: string;
      stream: string;
      model: { id: string; version?: string };
      /** `bundle`: the evidence bundle (a tar archive, as bytes). */
      form: "json" | "markdown" | "html" | "bundle";
      /** The chain to check the pack against: the anchoring RPC endpoints and registry, when known. */
      chain?: { urls: readonly string[]; headers?: Readonly<Record<string, string>>; registry: string };
    };

const { url: WORKER_URL, execArgv: EXEC_ARGV } = workerScript(import.meta.url, "audit-worker");

/** Runs audit jobs one at a time; a second concurrent job is refused with 503 (OVERLOADED). */
export class AuditRunner {
  readonly #retryAfter: number;
  readonly #running = new Set<Worker>();

  constructor(retryAfterSeconds: number) {
    this.#retryAfter = retryAfterSeconds;
  }

  /** Runs `job`; rejects with a typed error (the job's own code, or OVERLOADED). */
  run(job: AuditJob): Promise<unknown> {
    if (this.#running.size > 0) {
      return Promise.reject(
        new ServiceError("OVERLOADED", "Another verification or evidence pack is being computed", {
          hint: "These read the whole log; retry after the Retry-After delay.",
          retryAfter: this.#retryAfter,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { workerData: job, execArgv: EXEC_ARGV });
      this.#running.add(worker);
      let settled = false;
      worker.once(
        "message",
        (message: { result?: unknown; error?: { code: string; message: string; hint?: string } }) => {
          settled = true;
          // The job is done once it has answered; the thread's exit may come a little later.
          this.#running.delete(worker);
          if (message.error === undefined) resolve(message.result);
          else {
            const { code, message: text, hint } = message.error;
            reject(new AncoraError(code, text, hint === undefined ? {} : { hint }));
          }
        },
      );
      worker.once("error", (error) => {
        settled = true;
        reject(error);
      });
      worker.once("exit", () => {
        this.#running.delete(worker);
        if (!settled) reject(new ServiceError("INTERNAL", "The audit worker stopped"));
      });
    });
  }

  /** Stops running jobs (shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.#running].map((w) => w.terminate()));
  }
}
