/**
 * Prometheus metrics in the text exposition format (version 0.0.4), written by hand: a few counters,
 * one histogram and gauges read at scrape time. No client library: the format is a dozen lines.
 */

/** Upper bounds (seconds) of the commit latency histogram's buckets. */
export const COMMIT_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Values read when /metrics is scraped. */
export interface Gauges {
  /** Outbox jobs not done yet, by kind (anchor, pin:…); a kind the service works on reads 0, not absent. */
  outbox: ReadonlyMap<string, number>;
  /** Records not yet covered by a confirmed anchor, by stream. */
  anchorLag: ReadonlyMap<string, number>;
  /** Age of the oldest record not yet covered by a confirmed anchor, by stream (0 when none waits). */
  anchorLagSeconds: ReadonlyMap<string, number>;
  /** Decisions accepted and not yet durable. */
  inflight: number;
}

/** Escapes a label value (backslash, double quote, newline), as the format requires. */
function label(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Map entries sorted by key, so the exposition is stable. */
function sorted(map: ReadonlyMap<string, number>): [string, number][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The service's counters and histogram. */
export class Metrics {
  readonly #appends = new Map<string, number>();
  readonly #rejected = new Map<string, number>();
  readonly #buckets = new Array<number>(COMMIT_LATENCY_BUCKETS.length).fill(0);
  #latencyCount = 0;
  #latencySum = 0;

  /** Counts records durably appended to a stream. */
  appended(stream: string, records: number): void {
    this.#appends.set(stream, (this.#appends.get(stream) ?? 0) + records);
  }

  /** Counts a request refused for a reason (overloaded, shutting_down). */
  rejected(reason: string): void {
    this.#rejected.set(reason, (this.#rejected.get(reason) ?? 0) + 1);
  }

  /** Observes one commit latency: from a request's decisions being queued to all being durable. */
  commitLatency(seconds: number): void {
    this.#latencyCount++;
    this.#latencySum += seconds;
    for (let i = 0; i < COMMIT_LATENCY_BUCKETS.length; i++) {
      if (seconds <= (COMMIT_LATENCY_BUCKETS[i] as number))
        this.#buckets[i] = (this.#buckets[i] as number) + 1;
    }
  }

  /** Records appended so far to `stream` through this service. */
  appends(stream: string): number {
    return this.#appends.get(stream) ?? 0;
  }

  /**
   * The exposition text.
   *
   * @example
   * ```ts
   * reply.type("text/plain; version=0.0.4").send(metrics.render(gauges));
   * ```
   */
  render(gauges: Gauges, memory: NodeJS.MemoryUsage = process.memoryUsage()): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    family("ancora_appends_total", "counter", "Records durably appended through this service, by stream.");
    for (const [stream, n] of sorted(this.#appends)) {
      lines.push(`ancora_appends_total{stream="${label(stream)}"} ${n}`);
    }
    family(
      "ancora_commit_latency_seconds",
      "histogram",
      "From a write request's decisions being queued to all being durable.",
    );
    for (let i = 0; i < COMMIT_LATENCY_BUCKETS.length; i++) {
      lines.push(
        `ancora_commit_latency_seconds_bucket{le="${COMMIT_LATENCY_BUCKETS[i]}"} ${this.#buckets[i]}`,
      );
    }
    lines.push(
      `ancora_commit_latency_seconds_bucket{le="+Inf"} ${this.#latencyCount}`,
      `ancora_commit_latency_seconds_sum ${this.#latencySum}`,
      `ancora_commit_latency_seconds_count ${this.#latencyCount}`,
    );
    family("ancora_outbox_backlog", "gauge", "Outbox jobs (anchoring, pinning) not done yet, by kind.");
    for (const [kind, n] of sorted(gauges.outbox))
      lines.push(`ancora_outbox_backlog{kind="${label(kind)}"} ${n}`);
    family("ancora_anchor_lag_records", "gauge", "Records not yet covered by a confirmed anchor, by stream.");
    for (const [stream, n] of sorted(gauges.anchorLag)) {
      lines.push(`ancora_anchor_lag_records{stream="${label(stream)}"} ${n}`);
    }
    family(
      "ancora_anchor_lag_seconds",
      "gauge",
      "Age of the oldest record not yet covered by a confirmed anchor, by stream (0 when none waits).",
    );
    for (const [stream, seconds] of sorted(gauges.anchorLagSeconds)) {
      lines.push(`ancora_anchor_lag_seconds{stream="${label(stream)}"} ${seconds}`);
    }
    family("ancora_inflight_decisions", "gauge", "Decisions accepted and not yet durable.");
    lines.push(`ancora_inflight_decisions ${gauges.inflight}`);
    family("ancora_rejected_requests_total", "counter", "Requests refused with 503, by reason.");
    for (const [reason, n] of sorted(this.#rejected)) {
      lines.push(`ancora_rejected_requests_total{reason="${label(reason)}"} ${n}`);
    }
    family("process_resident_memory_bytes", "gauge", "Resident set size.");
    lines.push(`process_resident_memory_bytes ${memory.rss}`);
    family("nodejs_heap_used_bytes", "gauge", "V8 heap in use.");
    lines.push(`nodejs_heap_used_bytes ${memory.heapUsed}`);
    return `${lines.join("\n")}\n`;
  }
}
