/**
 * Calls and events between the anchoring worker and the thread that started it, over one MessagePort.
 *
 * Both ends call each other: the owner asks the worker to tick, drain or stop; the worker asks the owner
 * to sign a transaction (keys never leave the thread that holds them) or to upload through a pinning
 * service that cannot be rebuilt inside the worker. Errors cross as plain data and are rebuilt as the
 * same typed classes, so `code`, `hint`, `evidence` and a pinning service's `retryAfterMs` survive.
 */

import type { MessagePort, Worker } from "node:worker_threads";
import { AncoraError } from "@ancora/core";
import { AnchorError, type AnchorErrorCode, PinError, type PinErrorCode } from "../errors.js";

/** An error as it crosses threads: an AncoraError's fields, or a bare message for anything else. */
export interface PortableError {
  name: string;
  code?: string;
  shortMessage: string;
  hint?: string;
  details?: string;
  evidence?: Record<string, unknown>;
  status?: number;
  retryAfterMs?: number;
}

type Message =
  | { rpc: "call"; id: number; method: string; args: unknown[] }
  | { rpc: "result"; id: number; value: unknown }
  | { rpc: "error"; id: number; error: PortableError }
  | { rpc: "event"; name: string; payload: unknown };

/** What one end answers: `method(...args)` → value or a thrown error. */
export type Handlers = Record<string, (...args: never[]) => unknown>;

/** Turns any thrown value into data that survives structured cloning (no causes, no stack: no secrets). */
export function toPortable(error: unknown): PortableError {
  if (error instanceof AncoraError) {
    const e = error as AncoraError & { status?: unknown; retryAfterMs?: unknown };
    return {
      name: e.name,
      code: e.code,
      shortMessage: e.shortMessage,
      ...(e.hint === undefined ? {} : { hint: e.hint }),
      ...(e.details === undefined ? {} : { details: e.details }),
      ...(e.evidence === undefined ? {} : { evidence: cloneable(e.evidence) }),
      ...(typeof e.status === "number" ? { status: e.status } : {}),
      ...(typeof e.retryAfterMs === "number" ? { retryAfterMs: e.retryAfterMs } : {}),
    };
  }
  // Foreign errors (viem transport errors carry the RPC URL, often with an API key): the name only.
  return { name: error instanceof Error ? error.name : typeof error, shortMessage: "unexpected failure" };
}

/** Rebuilds a {@link PortableError} as the class it was (PinError, AnchorError, else AncoraError). */
export function fromPortable(e: PortableError): AncoraError {
  const options = {
    ...(e.hint === undefined ? {} : { hint: e.hint }),
    ...(e.details === undefined ? {} : { details: e.details }),
    ...(e.evidence === undefined ? {} : { evidence: e.evidence }),
  };
  if (e.name === "PinError") {
    return new PinError(e.code as PinErrorCode, e.shortMessage, {
      ...options,
      ...(e.status === undefined ? {} : { status: e.status }),
      ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
    });
  }
  if (e.name === "AnchorError") return new AnchorError(e.code as AnchorErrorCode, e.shortMessage, options);
  if (e.code === undefined) {
    return new AnchorError("ANCHOR_WORKER_FAILED", `The anchoring worker failed (${e.name})`, {
      ...options,
      hint: "See the worker's error reports; queued jobs stay in the outbox.",
    });
  }
  const rebuilt = new AncoraError(e.code, e.shortMessage, options);
  rebuilt.name = e.name;
  return rebuilt;
}

/** Evidence is meant to be plain data; anything that would not clone is dropped rather than thrown on. */
function cloneable(evidence: Readonly<Record<string, unknown>>): Record<string, unknown> {
  try {
    return structuredClone({ ...evidence });
  } catch {
    return Object.fromEntries(
      Object.entries(evidence).filter(([, v]) => {
        try {
          structuredClone(v);
          return true;
        } catch {
          return false;
        }
      }),
    );
  }
}

/** One end of the conversation. */
export class Rpc {
  readonly #port: MessagePort | Worker;
  readonly #handlers: Handlers;
  readonly #onEvent: (name: string, payload: unknown) => void;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 1;
  #closedBy: AncoraError | undefined;

  constructor(
    port: MessagePort | Worker,
    handlers: Handlers,
    onEvent: (name: string, payload: unknown) => void = () => {},
  ) {
    this.#port = port;
    this.#handlers = handlers;
    this.#onEvent = onEvent;
    port.on("message", (message: Message) => void this.#receive(message));
  }

  /** Calls `method` on the other end. Rejects with the other end's error, rebuilt. */
  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#closedBy !== undefined) return Promise.reject(this.#closedBy);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#port.postMessage({ rpc: "call", id, method, args } satisfies Message);
    });
  }

  /** Tells the other end something; no answer. */
  emit(name: string, payload: unknown): void {
    this.#port.postMessage({ rpc: "event", name, payload } satisfies Message);
  }

  /** Fails every unanswered call with `error` and every later one too (the other end is gone). */
  close(error: AncoraError): void {
    this.#closedBy = error;
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  async #receive(message: Message): Promise<void> {
    if (message.rpc === "event") {
      this.#onEvent(message.name, message.payload);
      return;
    }
    if (message.rpc === "call") {
      const handler = this.#handlers[message.method] as ((...args: unknown[]) => unknown) | undefined;
      try {
        if (handler === undefined)
          throw new AnchorError("ANCHOR_WORKER_FAILED", `No method ${message.method}`);
        const value = await handler(...message.args);
        this.#port.postMessage({ rpc: "result", id: message.id, value } satisfies Message);
      } catch (error) {
        this.#port.postMessage({ rpc: "error", id: message.id, error: toPortable(error) } satisfies Message);
      }
      return;
    }
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    if (message.rpc === "result") pending.resolve(message.value);
    else pending.reject(fromPortable(message.error));
  }
}
