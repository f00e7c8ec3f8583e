/** Test helpers: a service on loopback over a fresh data directory, with one key per scope. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiKey } from "../keys.js";
import type { ServiceOptions } from "../options.js";
import { type RunningService, startService } from "../service.js";

export const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` } as const;
export const CONFIG = {
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "risk-team@example.org",
  changeReason: "initial calibration",
};

export interface TestService extends RunningService {
  dir: string;
  tokens: { admin: string; write: string; read: string };
  /** fetch against the service with a token (or none). */
  call(
    path: string,
    init?: { method?: string; token?: string | undefined; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  cleanup(): Promise<void>;
}

export function decision(i: number) {
  return {
    model: MODEL,
    input: { age: 20 + (i % 60), income: 30_000 + i },
    output: { p: (i % 100) / 100 },
    score: (i % 100) / 100,
  };
}

export async function testService(options: Partial<ServiceOptions> = {}): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), "ancora-service-"));
  const tokens = {
    admin: createApiKey(dir, ["admin"]).token,
    write: createApiKey(dir, ["write"]).token,
    read: createApiKey(dir, ["read"]).token,
  };
  const running = await startService({ dataDir: dir, log: false, port: 0, ...options });
  const call: TestService["call"] = (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      headers["content-type"] ??= "application/json";
    }
    return fetch(`${running.url}${path}`, {
      method: init.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      ...(body === undefined ? {} : { body }),
    });
  };
  return {
    ...running,
    dir,
    tokens,
    call,
    cleanup: async () => {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
