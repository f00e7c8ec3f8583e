/**
 * The characters each text field of a plain decision may hold, one character code at a time: the
 * same rules as the schema's patterns (`kinds/rules.ts`) and JSON's escapes, for the writer and the
 * reader of the decision fast paths, which check text while they copy or scan it.
 */

/**
 * `verbatim`: printable ASCII except `"` and `\` (what JSON writes as it is); `identifier`:
 * `[A-Za-z0-9][A-Za-z0-9._:-]*` (IDENT and key ids); `stream`: `[a-z0-9][a-z0-9._-]*` (stream ids).
 */
export type TextRule = "verbatim" | "identifier" | "stream";

/** True when character code `c` may stand in a field of `rule`, as its first character when `first`. */
export function allowsCode(rule: TextRule, c: number, first: boolean): boolean {
  if (rule === "verbatim") return c >= 0x20 && c <= 0x7f && c !== 0x22 && c !== 0x5c;
  const digitOrLower = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a);
  if (rule === "stream") return digitOrLower || (!first && (c === 0x2e || c === 0x5f || c === 0x2d));
  return (
    digitOrLower ||
    (c >= 0x41 && c <= 0x5a) ||
    (!first && (c === 0x2e || c === 0x5f || c === 0x3a || c === 0x2d))
  );
}
