import type { AncoraRecord } from "@ancora/core";

/**
 * The index columns a store keeps beside a record's bytes, derived from the record itself. The SDK
 * fills its columns with this function and the verifier checks the columns against it, so the two
 * cannot disagree about what a column should hold.
 */
export interface IndexColumns {
  readonly kind: string;
  readonly ts: string;
  /** The decision's label id; `null` for other kinds. */
  readonly label: string | null;
  /** The decision's model id; `null` for other kinds. */
  readonly modelId: string | null;
  /** The decision's model version; `null` for other kinds. */
  readonly modelVersion: string | null;
}

/**
 * Index columns of `record`.
 *
 * @example
 * ```ts
 * indexColumns(decodeRecord(bytes)); // { kind: "decision", ts: "…", label: "L002", modelId: "credit-risk", modelVersion: "2.3.1" }
 * ```
 */
export function indexColumns(record: AncoraRecord): IndexColumns {
  if (record.kind === "decision") {
    const { label, model } = record.body;
    return { kind: record.kind, ts: record.ts, label, modelId: model.id, modelVersion: model.version };
  }
  return { kind: record.kind, ts: record.ts, label: null, modelId: null, modelVersion: null };
}
