/**
 * JSONPath-style locations (`$.body.input.age`, `$.items[3]`, `$["odd key"]`) used in every encoding
 * and schema error, so the caller learns which field to fix without the error carrying its value.
 */

/** One step into a value: an object key or an array index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats segments as a path rooted at `$`. Keys that are not identifiers are quoted as JSON strings. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "$";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (IDENTIFIER.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Appends one segment to an already formatted path. */
export function childPath(path: string, segment: PathSegment): string {
  return path + formatPath([segment]).slice(1);
}
