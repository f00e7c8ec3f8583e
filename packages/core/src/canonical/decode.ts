/**
 * The strict decoder: bytes are accepted only if they are the canonical encoding of the value they
 * decode to. It parses, then re-encodes with {@link encodeCanonicalText} and compares, so two different
 * byte strings can never decode to the same value (and therefore never claim the same record).
 *
 * Parsing uses the engine's JSON.parse (fast, iterative) and then turns DAG-JSON's `{"/": ...}` forms
 * into CIDs and bytes. Integers beyond 2^53 are the one thing JSON.parse cannot return exactly; when it
 * meets one the bytes are parsed again with `@ipld/dag-json`, which returns them as bigints.
 */
import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { AncoraError, EncodingError } from "../errors.js";
import { fromBase64 } from "../internal/binary-text.js";
import { strictUtf8Decoder, utf8Encoder } from "../internal/web-globals.js";
import { encodeCanonicalText, MAX_DEPTH } from "./encode.js";
import { formatPath, type PathSegment } from "./path.js";

/** Options for {@link decodeCanonical}. */
export interface CanonicalDecodeOptions {
  /** Reject inputs longer than this many bytes with `ENCODING_TOO_LARGE`. Default: no limit. */
  maxBytes?: number;
}

/** Thrown inside {@link revive} when JSON.parse has rounded an integer: parse again, exactly. */
const NEEDS_EXACT_INTEGERS = Symbol("needs exact integers");

function malformed(path: string, message: string, cause?: unknown): EncodingError {
  return new EncodingError("ENCODING_MALFORMED_BYTES", path, message, cause === undefined ? {} : { cause });
}

/** Turns one `{"/": ...}` map into a CID or bytes, or returns `undefined` if it is neither form. */
function reviveSlashForm(object: Record<string, unknown>, path: PathSegment[]): unknown {
  const keys = Object.keys(object);
  if (keys.length !== 1) return undefined;
  const inner = object["/"];
  if (typeof inner === "string") {
    try {
      return CID.parse(inner);
    } catch (cause) {
      throw malformed(formatPath(path), "Link is not a valid CID", cause);
    }
  }
  if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
    const innerKeys = Object.keys(inner);
    const b64 = (inner as Record<string, unknown>).bytes;
    if (innerKeys.length !== 1 || typeof b64 !== "string") return undefined;
    // Non-canonical spellings (padding, non-zero trailing bits) are rejected here; the re-encoding
    // comparison would reject them too.
    const bytes = fromBase64(b64, false);
    if (bytes === undefined) throw malformed(formatPath(path), "Bytes are not unpadded RFC 4648 base64");
    return bytes;
  }
  return undefined;
}

/** Replaces DAG-JSON link and bytes forms in place, depth first. Returns the revived value. */
function revive(value: unknown, path: PathSegment[], depth: number): unknown {
  if (typeof value === "number") {
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw NEEDS_EXACT_INTEGERS;
    return value;
  }
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_DEPTH) {
    throw new EncodingError(
      "ENCODING_TOO_DEEP",
      formatPath(path),
      `Value is nested more than ${MAX_DEPTH} deep`,
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      value[i] = revive(value[i], path, depth + 1);
      path.pop();
    }
    return value;
  }
  const object = value as Record<string, unknown>;
  if (Object.hasOwn(object, "/")) {
    const special = reviveSlashForm(object, path);
    if (special !== undefined) return special;
    // Otherwise it stays a map with a reserved key, which the re-encoding rejects.
  }
  for (const key of Object.keys(object)) {
    path.push(key);
    // JSON.parse made every key an own data property (even "__proto__"), so this assignment cannot
    // reach a prototype.
    object[key] = revive(object[key], path, depth + 1);
    path.pop();
  }
  return object;
}

function parse(text: string, bytes: Uint8Array): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw malformed("$", "Bytes are not JSON", cause);
  }
  try {
    return revive(parsed, [], 0);
  } catch (error) {
    if (error !== NEEDS_EXACT_INTEGERS) throw error;
  }
  try {
    return dagJson.decode(bytes);
  } catch (cause) {
    throw malformed("$", "Bytes are not DAG-JSON", cause);
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/**
 * Decodes canonical DAG-JSON bytes. Throws {@link EncodingError}: `ENCODING_MALFORMED_BYTES` when the
 * bytes are not UTF-8 DAG-JSON at all, `ENCODING_NOT_CANONICAL` when they decode but are not the one
 * canonical encoding of the result (whitespace, key order, `1.0`, escapes, duplicate keys, `-0`, ...),
 * `ENCODING_TOO_LARGE` / `ENCODING_TOO_DEEP` past the limits. Links come back as `CID`, bytes as
 * `Uint8Array`, integers beyond 2^53 as `bigint`.
 *
 * @example
 * ```ts
 * decodeCanonical(new TextEncoder().encode('{"a":1}')); // { a: 1 }
 * decodeCanonical(new TextEncoder().encode('{"a": 1}')); // throws ENCODING_NOT_CANONICAL
 * ```
 */
export function decodeCanonical(bytes: Uint8Array, options: CanonicalDecodeOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  if (bytes.length > maxBytes) {
    throw new EncodingError(
      "ENCODING_TOO_LARGE",
      "$",
      `Input is ${bytes.length} bytes, over the limit of ${maxBytes}`,
      {
        evidence: { size: bytes.length, maxBytes },
      },
    );
  }
  let text: string;
  try {
    text = strictUtf8Decoder.decode(bytes);
  } catch (cause) {
    throw malformed("$", "Bytes are not valid UTF-8", cause);
  }
  const value = parse(text, bytes);
  let canonical: string;
  try {
    canonical = encodeCanonicalText(value);
  } catch (error) {
    if (error instanceof EncodingError && error.code === "ENCODING_TOO_DEEP") throw error;
    const path = error instanceof EncodingError ? error.path : "$";
    const rule = error instanceof AncoraError ? error.code : "unknown";
    throw new EncodingError(
      "ENCODING_NOT_CANONICAL",
      path,
      `Decoded value breaks an encoding rule (${rule})`,
      {
        cause: error,
      },
    );
  }
  // Comparing texts first is cheap and, for well-formed input, equivalent to comparing bytes: the
  // decoder was fatal, so `text` is exactly what `bytes` spell.
  if (canonical !== text) {
    const offset = firstDifference(bytes, utf8Encoder.encode(canonical));
    throw new EncodingError(
      "ENCODING_NOT_CANONICAL",
      "$",
      `Bytes are not in canonical form (first difference at byte ${offset})`,
      {
        evidence: { offset },
        hint: "Re-encode the value with encodeCanonical; whitespace, key order, number and string spellings are fixed.",
      },
    );
  }
  return value;
}
