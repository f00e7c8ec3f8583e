import { describe, expect, it } from "vitest";
import { Metrics } from "./metrics.js";
import { InflightGate } from "./pushback.js";

describe("metrics", () => {
  it("renders cumulative histogram buckets and escaped labels", () => {
    const m = new Metrics();
    m.appended('a"b', 3);
    m.commitLatency(0.002);
    m.commitLatency(0.3);
    const text = m.render(
      {
        outbox: new Map([
          ["anchor", 2],
          ["pin:pinata", 0],
        ]),
        anchorLag: new Map([["loans", 7]]),
        anchorLagSeconds: new Map([
          ["loans", 12.5],
          ["cards", 0],
        ]),
        inflight: 4,
      },
      { rss: 100, heapUsed: 50 } as NodeJS.MemoryUsage,
    );
    expect(text).toContain('ancora_appends_total{stream="a\\"b"} 3');
    expect(text).toContain('ancora_commit_latency_seconds_bucket{le="0.001"} 0');
    expect(text).toContain('ancora_commit_latency_seconds_bucket{le="0.0025"} 1');
    expect(text).toContain('ancora_commit_latency_seconds_bucket{le="0.5"} 2');
    expect(text).toContain('ancora_commit_latency_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain("ancora_commit_latency_seconds_count 2");
    expect(text).toContain('ancora_outbox_backlog{kind="anchor"} 2');
    expect(text).toContain('ancora_anchor_lag_records{stream="loans"} 7');
    // Gauges at 0 are written, not left out: a scrape tells "nothing waits" from "no data".
    expect(text).toContain('ancora_outbox_backlog{kind="pin:pinata"} 0');
    expect(text).toContain('ancora_anchor_lag_seconds{stream="loans"} 12.5');
    expect(text).toContain('ancora_anchor_lag_seconds{stream="cards"} 0');
    expect(text).toContain("ancora_inflight_decisions 4");
    expect(text).toContain("process_resident_memory_bytes 100");
    expect(text.endsWith("\n")).toBe(true);
  });
});

describe("pushback", () => {
  it("admits up to the limit and refuses beyond it with OVERLOADED", () => {
    const gate = new InflightGate(3, 2);
    gate.acquire(2);
    expect(() => gate.acquire(2)).toThrow(
      expect.objectContaining({ code: "OVERLOADED", status: 503, retryAfter: 2 }),
    );
    gate.acquire(1);
    expect(gate.full).toBe(true);
    gate.release(3);
    expect(gate.count).toBe(0);
  });
});
