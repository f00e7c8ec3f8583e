/**
 * The service's parser of `application/json` request bodies.
 *
 * Fastify's default parser is the engine's `JSON.parse`, which in Node 24 can return a wrong key for an
 * object key holding an escape (`{"\n": 1}` read as `{"\\": 1}` after an earlier body had such a key;
 * see `parseJson` in @ancora/core). A decision's inputs must be recorded exactly as sent, so bodies go
 * through `parseJson`. Everything else is as Fastify's default: an empty body and invalid JSON are
 * errors, and so is a body that could pollute prototypes (a `"__proto__"` key, or a `"constructor"`
 * object with a `"prototype"` key), which Fastify refuses by default too.
 */
import { parseJson } from "@ancora/core";

/** Refused bodies: the error handler answers 400 MALFORMED_JSON without quoting the body. */
class BodyError extends SyntaxError {
  readonly statusCode = 400;
}

export function parseJsonBody(body: string): unknown {
  if (body.length === 0) throw new BodyError("The body is empty");
  const value = parseJson(body);
  refusePrototypeKeys(value);
  return value;
}

/** Walks the parsed value (without recursion: bodies may nest deeply) for prototype-polluting keys. */
function refusePrototypeKeys(root: unknown): void {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== "object" || next === null) continue;
    if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
      continue;
    }
    if (Object.hasOwn(next, "__proto__")) {
      throw new BodyError("The body contains a forbidden prototype property");
    }
    const record = next as Record<string, unknown>;
    const ctor = record.constructor;
    if (
      Object.hasOwn(record, "constructor") &&
      typeof ctor === "object" &&
      ctor !== null &&
      Object.hasOwn(ctor, "prototype")
    ) {
      throw new BodyError("The body contains a forbidden prototype property");
    }
    for (const key of Object.keys(record)) pending.push(record[key]);
  }
}
