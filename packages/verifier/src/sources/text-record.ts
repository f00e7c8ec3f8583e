/**
 * A record as the verifier's database readers present it (SQLite, PostgreSQL): read as text when its
 * bytes are ASCII, which is cheaper than reading bytes and lets the verifier check a decision of the
 * plain form from its text alone (record-checks.ts, `checkPlainDecision`); read as bytes otherwise.
 */
import type { IndexedColumns, StoredRecord } from "../source.js";

/**
 * A stored record with `text` when the reader read its bytes as text, one ASCII character per byte
 * (then `bytes` are made from the text when asked), else with its `bytes` as read. The reader decides
 * which: a text that is not exactly the bytes must never be handed in.
 */
export class ReadRecord implements StoredRecord {
  readonly seq: number;
  readonly text: string | undefined;
  readonly cid: string;
  readonly kind: string;
  readonly label: string | null;
  readonly modelId: string | null;
  readonly modelVersion: string | null;
  readonly ts: string;
  leafHash: Uint8Array | null | undefined;
  indexed: IndexedColumns | null | undefined;
  #bytes: Uint8Array | undefined;

  constructor(
    seq: number,
    text: string | undefined,
    bytes: Uint8Array | undefined,
    cid: string,
    kind: string,
    label: string | null,
    modelId: string | null,
    modelVersion: string | null,
    ts: string,
  ) {
    this.seq = seq;
    this.text = text;
    this.#bytes = bytes;
    this.cid = cid;
    this.kind = kind;
    this.label = label;
    this.modelId = modelId;
    this.modelVersion = modelVersion;
    this.ts = ts;
  }

  get bytes(): Uint8Array {
    this.#bytes ??= Buffer.from(this.text ?? "", "latin1");
    return this.#bytes;
  }
}
