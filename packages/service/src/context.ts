/** What the routes share: options, the log, keys, metrics, pushback and audit jobs. */
import type { AncoraStore } from "@ancora/sdk";
import type { AuditRunner } from "./internal/audit-job.js";
import type { KeyRing } from "./keys.js";
import type { Metrics } from "./metrics.js";
import type { ResolvedOptions } from "./options.js";
import type { InflightGate } from "./pushback.js";
import type { StreamLoggers } from "./streams.js";

export interface ServiceContext {
  options: ResolvedOptions;
  /** Read side of the log (search, records, receipts, exports). */
  store: AncoraStore;
  loggers: StreamLoggers;
  keys: KeyRing;
  metrics: Metrics;
  gate: InflightGate;
  audit: AuditRunner;
  /** Label names by stream and id, for answers (refreshed on a miss and after config writes). */
  labelNames: Map<string, Map<string, string>>;
  /**
   * With a PostgreSQL log: brings the replica's copy up to date, awaited before every read (scope
   * `read`), so that a read sees every write acknowledged before it by any replica.
   */
  catchUp?: () => Promise<void>;
  /** Set when close() starts: new requests are refused. */
  closing: boolean;
  startedAt: number;
}
