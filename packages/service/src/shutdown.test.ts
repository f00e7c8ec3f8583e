/**
 * Graceful shutdown over real HTTP: many concurrent writes, close() in the middle, then the log is
 * reopened and every acknowledged (seq, CID) must be in it, and it must verify.
 */
import { openStore } from "@ancora/sdk";
import { expect, it } from "vitest";
import { LOG_FILE } from "./options.js";
import { CONFIG, decision, testService } from "./testing/test-service.js";

it("loses nothing that was acknowledged when closed mid-stream", { timeout: 60_000 }, async () => {
  const svc = await testService({ limits: { maxInflight: 100_000 } });
  const acked: { seq: number; cid: string }[] = [];
  let refused = 0;
  try {
    expect(
      (await svc.call("/v1/streams/loans/config", { token: svc.tokens.admin, body: CONFIG })).status,
    ).toBe(201);
    let closed: Promise<void> | undefined;
    const writer = async (w: number) => {
      for (let i = 0; i < 40; i++) {
        try {
          const res = await svc.call("/v1/streams/loans/decisions", {
            token: svc.tokens.write,
            body: decision(w * 1000 + i),
          });
          if (res.status === 201) {
            acked.push((await res.json()) as { seq: number; cid: string });
            if (acked.length === 300) closed = svc.close();
          } else {
            expect(res.status).toBe(503);
            refused++;
          }
        } catch {
          refused++; // connection refused or cut: not acknowledged
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, w) => writer(w)));
    await closed;
  } finally {
    await svc.close();
  }
  expect(acked.length).toBeGreaterThanOrEqual(300);
  expect(refused).toBeGreaterThan(0);
  const store = openStore({ path: `${svc.dir}/${LOG_FILE}`, readonly: true });
  try {
    for (const { seq, cid } of acked) expect(store.get("loans", seq)?.cid).toBe(cid);
    expect(new Set(acked.map((a) => a.seq)).size).toBe(acked.length);
    expect(store.verify().ok).toBe(true);
  } finally {
    store.close();
    await svc.cleanup();
  }
});
