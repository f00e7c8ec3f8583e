/**
 * An `anchors` row as a {@link LocalAnchor}, for both stores (the SQLite store and the PostgreSQL store
 * keep the same columns). The row is checked, not trusted: a value the SDK never writes (a size that is
 * not a safe integer, an unknown status) is `SOURCE_INVALID`, never a guess. Each store hands its rows
 * in one form: integers as numbers (PostgreSQL's bigints read as float8, exact below 2^53 and unsafe
 * above), `consistency_checked` as 0, 1 or NULL, `root` as bytes.
 */
import { SourceError } from "../errors.js";
import type { LocalAnchor } from "./types.js";

const ANCHOR_STATUSES: ReadonlySet<string> = new Set(["submitted", "confirmed", "dropped"]);

/**
 * The anchor an `anchors` row holds. `links`: whether the row has the schema's link columns
 * (`sequence`, `anchorer`, `consistency_checked`; SQLite schema v3 on, every PostgreSQL schema);
 * `where` names the row in a failure's evidence (a path and rowid, a redacted URL), never a secret.
 *
 * @throws {SourceError} `SOURCE_INVALID` naming the first invalid column.
 * @example
 * ```ts
 * const anchor = anchorFromRow(row, "loans", { links: true, where: { path: "ancora.db", rowid: 7 } });
 * ```
 */
export function anchorFromRow(
  row: Readonly<Record<string, unknown>>,
  stream: string,
  options: { readonly links: boolean; readonly where: Readonly<Record<string, unknown>> },
): LocalAnchor {
  const invalid = (field: string) =>
    new SourceError("SOURCE_INVALID", `An anchors row has an invalid ${field}`, {
      hint: "The store's anchors table was altered outside the SDK; restore it from a backup.",
      evidence: { ...options.where, stream, field },
    });
  const integer = (field: string): number => {
    const value = row[field];
    if (!Number.isSafeInteger(value)) throw invalid(field);
    return value as number;
  };
  const text = (field: string): string => {
    const value = row[field];
    if (typeof value !== "string") throw invalid(field);
    return value;
  };
  const status = text("status");
  if (!ANCHOR_STATUSES.has(status)) throw invalid("status");
  if (!(row.root instanceof Uint8Array)) throw invalid("root");
  const anchor = {
    stream,
    chainId: integer("chain_id"),
    registry: text("registry").toLowerCase(),
    size: integer("size"),
    root: new Uint8Array(row.root),
    manifestCid: text("manifest_cid"),
    txHash: text("tx_hash"),
    status: status as LocalAnchor["status"],
    blockNumber: row.block_number === null ? null : integer("block_number"),
  };
  if (!options.links) return anchor;
  const checked = row.consistency_checked;
  if (checked !== null && checked !== 0 && checked !== 1) throw invalid("consistency_checked");
  return {
    ...anchor,
    ...(row.sequence === null ? {} : { sequence: integer("sequence") }),
    ...(row.anchorer === null ? {} : { anchorer: text("anchorer") }),
    ...(checked === null ? {} : { consistencyChecked: checked === 1 }),
  };
}
