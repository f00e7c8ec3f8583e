/**
 * Shared by the record, receipt and lineage vectors: byte helpers and the JSON form of data-model values.
 * Imported after scripts/generate-record-vectors.ts has built @ancora/core.
 */

import * as core from "../../packages/core/dist/index.js";

export const utf8 = (s: string) => new TextEncoder().encode(s);
export const text = (b: Uint8Array) => new TextDecoder().decode(b);
export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
export const bytesOf = (n: number, f: (i: number) => number) =>
  Uint8Array.from({ length: n }, (_, i) => f(i));

/**
 * The JSON form of a data-model value used for vector inputs: links as {"/": "<cid>"}, bytes as
 * {"/": {"bytes": "<unpadded base64>"}} — DAG-JSON's own forms — but keys kept in the order the
 * value was written, so an implementation must sort them itself.
 */
export function jsonForm(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return { "/": { bytes: Buffer.from(value).toString("base64").replace(/=+$/, "") } };
  const cid = core.CID.asCID(value);
  if (cid !== null) return { "/": cid.toString() };
  if (Array.isArray(value)) return value.map(jsonForm);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonForm(v)]));
  }
  return value;
}
