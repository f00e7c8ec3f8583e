/**
 * The service's background log lines: one per failed attempt with its code, hint and when it is tried
 * again, and one when the chain or the pinning service answers again, with the backlog; never a URL.
 */
import { AnchorError, PinError } from "@ancora/sdk";
import { describe, expect, it } from "vitest";
import { logFailure, logRecovery } from "./background.js";

function capture() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, log: { warn: at("warn"), info: at("info") } as never };
}

describe("background log lines", () => {
  it("a failed attempt: code, hint, next attempt time and the wait in seconds", () => {
    const { lines, log } = capture();
    const nextAttemptAt = new Date(Date.now() + 30_000).toISOString();
    logFailure(
      log,
      new AnchorError("ANCHOR_CHAIN_UNAVAILABLE", "HttpRequestError: HTTP request failed. URL: <url>", {
        hint: "The RPC endpoint failed; the job is retried with backoff.",
      }),
      { stream: "loans", size: 200, jobId: 3, nextAttemptAt },
    );
    logFailure(log, new PinError("PIN_UNAVAILABLE", "Pinata answered 503"), { jobId: 4 });
    logFailure(log, new Error("connect ECONNREFUSED https://user:secret@rpc.example/key"), {});
    expect(lines[0]).toMatchObject({
      level: "warn",
      fields: {
        code: "ANCHOR_CHAIN_UNAVAILABLE",
        hint: "The RPC endpoint failed; the job is retried with backoff.",
        stream: "loans",
        size: 200,
        jobId: 3,
        nextAttemptAt,
      },
    });
    expect(lines[0]?.message).toMatch(/^anchoring attempt failed: .*; next attempt in (29|30) s$/);
    expect(lines[1]).toMatchObject({ fields: { code: "PIN_UNAVAILABLE", jobId: 4 } });
    expect(lines[1]?.message).toBe("pinning attempt failed: Pinata answered 503");
    expect(lines[2]?.fields).toStrictEqual({ code: "UNKNOWN" });
    expect(JSON.stringify(lines)).not.toMatch(/secret|https?:/);
  });

  it("recovery: one line naming the service, the outage and the backlog", () => {
    const { lines, log } = capture();
    logRecovery(log, { service: "chain", unreachableMs: 120_400, jobs: 60, unanchoredRecords: 8_259 });
    logRecovery(log, { service: "pinning", unreachableMs: 9_600, jobs: 3 });
    expect(lines.map((l) => [l.level, l.message])).toStrictEqual([
      ["info", "chain reachable again after 120 s; backlog: 60 jobs, 8259 records not yet anchored"],
      ["info", "pinning service reachable again after 10 s; backlog: 3 jobs"],
    ]);
    expect(lines[0]?.fields).toMatchObject({ service: "chain", jobs: 60, unanchoredRecords: 8_259 });
  });
});
