/**
 * Public verification with a {@link RangeChecker}: records are cut, as they arrive in seq order, into
 * ranges of `rangeRecords` (a multiple of RANGE_BLOCK); each full range goes to the checker while the
 * caller goes on fetching, and the ranges' facts are stitched at the end against the manifests' (size,
 * root, head). The calling thread only looks for label and config records among the bytes, to give
 * each range its starting hint (the labels defined and the config current before it): a byte search,
 * since the hints are checked by the stitching (every range reports the label and config records it
 * decoded, and they must be exactly those the hints came from).
 */
import { computeCid, decodeRecord, type Sha256 } from "@ancora/core";
import type { ControlEvent, RangeChecker, RangeFacts, RangeStart } from "../range-checker.js";
import { stitchRanges } from "../range-verifier.js";
import type { VerificationResult } from "../result.js";
import type { StoredCheckpoint, StoredRecord } from "../source.js";
import type { VerifyOptions } from "../verify-options.js";

const LABEL = new TextEncoder().encode('"kind":"label"');
const CONFIG = new TextEncoder().encode('"kind":"config"');

/** Whether `bytes` contains `pattern`. */
function contains(bytes: Uint8Array, pattern: Uint8Array): boolean {
  const first = pattern[0] as number;
  const last = bytes.length - pattern.length;
  outer: for (let i = bytes.indexOf(first); i !== -1 && i <= last; i = bytes.indexOf(first, i + 1)) {
    for (let j = 1; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * Cuts a stream into ranges for a {@link RangeChecker} and stitches them. Feed it the records in seq
 * order with {@link RangeDispatcher.add}; at most `2 × threads` ranges are in flight (add waits).
 */
export class RangeDispatcher {
  readonly #checker: RangeChecker;
  readonly #stream: string;
  readonly #rangeRecords: number;
  readonly #cidTextsAt: number[];
  readonly #sha256: Sha256 | undefined;
  readonly #onChecked: (records: number) => void;
  #buffer: StoredRecord[] = [];
  #from = 0;
  readonly #labels = new Set<string>();
  #config: Uint8Array | undefined;
  readonly #events: ControlEvent[] = [];
  readonly #inFlight: Promise<RangeFacts>[] = [];
  /** Ranges waited for so far (they settle in the order they were sent: the checker's queue is FIFO). */
  #waited = 0;
  /** Why the stream cannot be stitched (a label or config record that does not decode). */
  #spoiled: string | undefined;

  constructor(
    checker: RangeChecker,
    stream: string,
    checkpoints: readonly StoredCheckpoint[],
    rangeRecords: number,
    options: { sha256?: Sha256 | undefined; onChecked: (records: number) => void },
  ) {
    this.#checker = checker;
    this.#stream = stream;
    this.#rangeRecords = rangeRecords;
    this.#cidTextsAt = checkpoints.map((c) => c.size);
    this.#sha256 = options.sha256;
    this.#onChecked = options.onChecked;
  }

  /** Takes the next record; sends a range to the checker when one is full. */
  async add(record: StoredRecord): Promise<void> {
    this.#buffer.push(record);
    if (this.#buffer.length === this.#rangeRecords) await this.#dispatch();
  }

  /** Whether a record's bytes may be a label or config record (a superset: the stitching checks). */
  #track(record: StoredRecord): void {
    const { bytes } = record;
    if (!contains(bytes, LABEL) && !contains(bytes, CONFIG)) return;
    let decoded: ReturnType<typeof decodeRecord>;
    try {
      decoded = decodeRecord(bytes);
    } catch {
      this.#spoiled ??= `record ${record.seq} does not decode`;
      return;
    }
    if (decoded.kind !== "label" && decoded.kind !== "config") return;
    this.#events.push({
      seq: record.seq,
      kind: decoded.kind,
      cid: computeCid(bytes, this.#sha256).toString(),
    });
    if (decoded.kind === "label") this.#labels.add(decoded.body.id);
    else this.#config = bytes;
  }

  async #dispatch(): Promise<void> {
    const records = this.#buffer;
    if (records.length === 0) return;
    this.#buffer = [];
    const start: RangeStart = {
      seq: this.#from,
      labels: [...this.#labels],
      ...(this.#config === undefined ? {} : { config: this.#config }),
    };
    this.#from += records.length;
    // The hint for the next range includes this range's label and config records.
    for (const record of records) this.#track(record);
    const facts = this.#checker.checkRecords({
      stream: this.#stream,
      start,
      records,
      cidTextsAt: this.#cidTextsAt,
    });
    const count = records.length;
    const tracked = facts.then((f) => {
      this.#onChecked(count);
      return f;
    });
    tracked.catch(() => undefined); // awaited in finish(); never an unhandled rejection
    this.#inFlight.push(tracked);
    // Bounded memory: wait for the oldest range when too many are in flight.
    while (this.#inFlight.length - this.#waited > 2 * this.#checker.threads) {
      await this.#inFlight[this.#waited++]?.catch(() => undefined);
    }
  }

  /**
   * Sends the last range and stitches: the stream's result when it is a plain success, or why not
   * (the caller then verifies the stream serially).
   */
  async finish(
    checkpoints: readonly StoredCheckpoint[],
    options: VerifyOptions,
  ): Promise<VerificationResult | string> {
    await this.#dispatch();
    const settled = await Promise.allSettled(this.#inFlight);
    const facts: RangeFacts[] = [];
    for (const s of settled) {
      if (s.status === "rejected") {
        return `a range could not be checked: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`;
      }
      facts.push(s.value);
    }
    if (this.#spoiled !== undefined) return this.#spoiled;
    const result = stitchRanges(this.#stream, facts, this.#events, checkpoints, undefined, options);
    return result ?? "the ranges do not add up to the manifests (a failure, links, hints or roots)";
  }
}
